"""suggest(): each anchor library's own rule for one learning rate, reproduced exactly.

The rules are a table (:data:`RULES`): one function per library rule, each applying that
library's own smoothing, divergence stop and skip window to the full log. ``anchors/finder.md``
in the design notes describes each from its source.
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from .. import _backend
from .. import _validate as V
from ._input import check_lrs, check_pair, scan

__all__ = ["suggest", "METHODS", "RULES"]


def _tlf_ema(K, y: np.ndarray, smoothed: bool) -> np.ndarray:
    """torch-lr-finder / ignite smoothing: EMA with factor 0.05, first value raw."""
    if smoothed:
        return y
    s = np.empty_like(y)
    K.ema(y, 0.05, s)
    return s


def _debiased_ema(K, y: np.ndarray, smoothed: bool, step_offset: int) -> np.ndarray:
    """fastai / Lightning smoothing: bias-corrected EMA with beta 0.98 (Lightning counts steps from 1)."""
    if smoothed:
        return y
    s = np.empty_like(y)
    K.ema_debiased(y, 0.98, step_offset, s)
    return s


def _steepest(K, x, y, smoothed, num_it):
    s = _tlf_ema(K, y, smoothed)
    m = int(K.stop_index(s, 5.0, False))
    if m < 10 + 5 + 2:
        raise ValueError(
            f"Expected at least 17 points before torch-lr-finder's stop for method 'steepest' "
            f"(skip_start=10, skip_end=5), but got {m}")
    w = np.ascontiguousarray(s[10 : m - 5])
    g = np.empty_like(w)
    K.gradient_index(w, g)
    return float(x[10 + int(K.argmin_nanfirst(g))])


def _ignite(K, x, y, smoothed, num_it):
    s = _tlf_ema(K, y, smoothed)
    m = int(K.stop_index(s, 5.0, False))
    i = int(K.ignite_index(np.ascontiguousarray(s[:m])))
    if i < 0:
        raise ValueError(
            "Expected a U-shaped curve for method 'ignite', but the smoothed minimum is within the "
            "first 2 points (ignite raises here)")
    return float(x[i])


def _lightning_window(K, x, y, smoothed):
    s = _debiased_ema(K, y, smoothed, step_offset=1)
    m = int(K.stop_index(s, 4.0, True))
    ls = s[:m][10:-1]
    lx = x[:m][10:-1]
    fin = np.isfinite(ls)
    if int(fin.sum()) < 2:
        raise ValueError(
            f"Expected at least 2 finite points in Lightning's window s[10:-1], but got {int(fin.sum())} "
            "(Lightning returns None here)")
    return np.ascontiguousarray(lx[fin]), np.ascontiguousarray(ls[fin])


def _lightning(K, x, y, smoothed, num_it):
    _, lsf = _lightning_window(K, x, y, smoothed)
    g = np.empty_like(lsf)
    K.gradient_index(lsf, g)
    # Lightning <= 2.5.2 adds skip_begin to an index taken after dropping non-finite values:
    # reproduced as is (it is off when NaNs were dropped before the minimum).
    return float(x[int(K.argmin_nanfirst(g)) + 10])


def _lightning_26(K, x, y, smoothed, num_it):
    lxf, lsf = _lightning_window(K, x, y, smoothed)
    g = np.empty_like(lsf)
    K.gradient_x(lxf, lsf, g)
    return float(lxf[int(K.argmin_nanfirst(g))])


def _fastai_window(K, x, y, smoothed, num_it, method, need):
    """fastai 2.8's window: debiased EMA, stop at 4x the best, ``[num_it//10 : -5]``, cut at the first NaN."""
    s = _debiased_ema(K, y, smoothed, step_offset=0)
    m = int(K.stop_index(s, 4.0, False))
    fl = x[:m][num_it // 10 : -5]
    fs = s[:m][num_it // 10 : -5]
    nan = np.flatnonzero(np.isnan(fs))
    if nan.size:
        fl, fs = fl[: nan[0]], fs[: nan[0]]
    if fs.shape[0] < need:
        raise ValueError(
            f"Expected at least {need} points in fastai's window [num_it//10 : -5] for method {method!r}, "
            f"but got {fs.shape[0]} (fastai raises here)")
    return np.ascontiguousarray(fl), np.ascontiguousarray(fs)


def _valley(K, x, y, smoothed, num_it):
    fl, fs = _fastai_window(K, x, y, smoothed, num_it, "valley", 1)
    return float(fl[int(K.valley_index(fs, np.empty(fs.shape[0])))])


def _minimum(K, x, y, smoothed, num_it):
    fl, fs = _fastai_window(K, x, y, smoothed, num_it, "minimum", 1)
    return float(fl[int(K.argmin_nanfirst(fs))] / 10.0)


def _steep(K, x, y, smoothed, num_it):
    fl, fs = _fastai_window(K, x, y, smoothed, num_it, "steep", 2)
    return float(fl[int(K.steep_index(fl, fs))])


def _slide(K, x, y, smoothed, num_it):
    fl, fs = _fastai_window(K, x, y, smoothed, num_it, "slide", 16)
    g = np.empty_like(fs)
    K.gradient_index(fs, g)
    return float(fl[int(K.slide_index(g, 0.005, 15))])


#: ``method`` -> (the library and rule it mirrors, the rule).
RULES: dict[str, tuple[str, Callable]] = {
    "steepest": ("torch-lr-finder 0.2.2 LRFinder.plot(suggest_lr=True)", _steepest),
    "valley": ("fastai 2.8 valley (lr_find's default)", _valley),
    "slide": ("fastai 2.8 slide", _slide),
    "minimum": ("fastai 2.8 minimum", _minimum),
    "steep": ("fastai 2.8 steep", _steep),
    "ignite": ("ignite 0.5.5 FastaiLRFinder.lr_suggestion()", _ignite),
    "lightning": ("Lightning <= 2.5.2 _LRFinder.suggestion()", _lightning),
    "lightning_2.6": ("Lightning 2.5.3 to 2.6.6 _LRFinder.suggestion()", _lightning_26),
}
#: Names accepted by :func:`suggest`'s ``method``.
METHODS = tuple(RULES)


def suggest(lrs: Any, losses: Any, method: str = "steepest", *, smoothed: bool = False,
            num_it: Optional[int] = None) -> float:
    r"""One learning rate by a named library's rule, reproduced exactly.

    Each rule applies its library's own smoothing, divergence stop and skip window to the
    *full* log (as recorded, in iteration order), so ``suggest`` on a log recorded with the
    stop switched off gives what that library would have printed.

    ========================  ==================================================================
    ``method``                mirrors
    ========================  ==================================================================
    ``"steepest"``            torch-lr-finder 0.2.2 ``LRFinder.plot(skip_start=10, skip_end=5)``:
                              EMA ``s_k = 0.05 L_k + 0.95 s_{k-1}`` (``s_0 = L_0``), stop after the
                              first ``s_k > 5 min(s_0..s_k)``, ``argmin np.gradient(s)[10:-5]``.
    ``"ignite"``              ignite 0.5.5 ``FastaiLRFinder.lr_suggestion()``: same EMA and stop;
                              steepest central difference ``(s_{i+1}-s_{i-1})/2`` before
                              ``argmin s`` (LRs as logged).
    ``"valley"``              fastai 2.8 ``valley`` (default of ``lr_find``): debiased EMA
                              ``beta=0.98``, stop at ``s_k > 4 min``, window
                              ``[num_it//10 : -5]``, cut at the first NaN; the middle of the
                              longest strictly decreasing subsequence (O(n log n) here, fastai's
                              is O(n^2); same answer, same ties).
    ``"slide"``               fastai 2.8 ``slide(lr_diff=15, thresh=0.005)`` on the same window.
    ``"minimum"``             fastai 2.8 ``minimum``: ``lr[argmin s] / 10`` on the same window.
    ``"steep"``               fastai 2.8 ``steep``: left end of the steepest ``ds / d ln(lr)``.
    ``"lightning"``           Lightning <= 2.5.2 ``_LRFinder.suggestion()``: debiased EMA
                              ``beta=0.98`` with Lightning's off-by-one correction
                              ``1 - beta^(k+2)``, stop at ``s_k > 4 min(s_0..s_{k-1})``,
                              ``s[10:-1]`` finite values, ``argmin torch.gradient`` per index
                              (+10, Lightning's own index mapping).
    ``"lightning_2.6"``       Lightning 2.5.3 to 2.6.6: as above but the gradient is taken
                              against the raw LR (``torch.gradient(s, spacing=[lr])``).
    ========================  ==================================================================

    Parameters
    ----------
    lrs, losses : array_like
        The log: learning rate and *raw* training loss of each iteration.
    method : str
        One of :data:`METHODS`.
    smoothed : bool
        ``True`` when ``losses`` are already the library's smoothed losses (e.g.
        torch-lr-finder's ``history["loss"]``, fastai's ``recorder.losses``): the
        smoothing step is skipped, the stop and the rule are applied.
    num_it : int, optional
        fastai's planned iteration count (its window starts at ``num_it // 10``);
        defaults to the log length.

    Returns
    -------
    float
        The suggested learning rate.

    Raises
    ------
    ValueError
        Where the library itself fails (too few points after its stop and window,
        ignite's "not U-shaped" curve, Lightning's "fewer than 2 finite points").

    Examples
    --------
    >>> import numpy as np, pyclr
    >>> lrs = np.geomspace(1e-5, 1.0, 100)
    >>> losses = 2.0 - np.tanh(3 * (np.log10(lrs) + 2.5)) + np.where(lrs > 0.1, 50 * (lrs - 0.1), 0)
    >>> round(pyclr.suggest(lrs, losses, "steepest"), 4)   # torch-lr-finder: the steepest fall
    0.0067
    >>> round(pyclr.suggest(lrs, losses, "valley"), 4)     # fastai's default
    0.0015
    >>> round(pyclr.suggest(lrs, losses, "minimum"), 4)    # fastai: a tenth of the minimum's LR
    0.011
    """
    x, y = check_pair(lrs, losses)
    method = V.choice("method", method, METHODS)
    smoothed = V.boolean("smoothed", smoothed)
    num_it = V.int_at_least("num_it", x.shape[0] if num_it is None else num_it, 1)
    stats = scan(x, y)
    check_lrs(x, stats)
    if int(stats[3]) < 0:  # every rule would answer with the LR of a NaN
        raise ValueError(f"Expected at least one finite loss, but got none in {y.shape[0]} values")
    return RULES[method][1](_backend.kernels(), x, y, smoothed, num_it)
