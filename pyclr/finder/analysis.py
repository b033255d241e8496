"""analyze(): cyclical bounds from a range test, and a verdict when the log cannot support them.

The steps, each in its own place: validation (:mod:`._input`), cleaning and binning (here),
the smoother and the bound search (the kernels of the active backend, one call per log or one
batched call for many), the first instability burst (:mod:`.bursts`), the test for a descent
(:mod:`.descent`), the verdict (here) and the interval from resampled copies (:mod:`.resample`).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from typing import Any, Optional

import numpy as np

from .. import _backend
from .. import _contract as C
from .. import _validate as V
from . import bursts, descent, resample
from ._input import check_lrs, check_pair, scan
from .result import Analysis

__all__ = ["analyze", "check_options", "BIN_THRESHOLD", "MIN_RESAMPLES", "MAX_RESAMPLES"]

_MIN_POINTS = 8
#: Logs longer than this are reduced to LR bins of ``width / 20`` decades before smoothing.
BIN_THRESHOLD = 200_000
#: Fewest resampled copies for an interval (its 5th and 95th percentiles need a few points each side).
MIN_RESAMPLES = 20
#: Most resampled copies: a 5-95% interval settles long before (each copy is one analysis).
MAX_RESAMPLES = 10_000
#: A max_lr interval wider than this (hi / lo) gets a reason: combine runs.
_WIDE_INTERVAL = 2.0
#: A drop of the smoothed loss above this many units of its own noise (sigma / sqrt(points per
#: window)) is a descent without further test: logs of pure noise exceed it in under 1% of cases
#: (flat logs with Gaussian and Student-t(3) noise, 30 to 5000 points, 300 logs each: 99th
#: percentiles 8.3-11.0; ``python benchmarks/null_drop.py``). The drop compares the edge of the
#: curve with the lowest of many windows, so pure noise "falls" by about 3 such units typically.
_CLEAR_DROP = 12.0
#: Under ``_CLEAR_DROP`` units the permutation test of :mod:`pyclr.finder.descent` decides, with
#: the log's own shuffled losses as the null: a p-value up to the first is a descent, up to the
#: second a descent too noisy to place bounds on, above it no descent. A fixed threshold had to
#: hold for every length and noise shape and lacked power: a 50% fall on a noisy 150-point log
#: was 6-7 units, under the 8 that pure noise exceeds in 5% of cases.
_DESCENT_P = 0.005
_NOISY_P = 0.05


def _detect_sweep(x: np.ndarray) -> str:
    n = x.shape[0]
    if n < 3:  # two points are both kinds of sweep
        return "exponential"
    idx = np.unique(np.linspace(0, n - 1, min(n, 4097)).astype(np.int64))
    sub = x[idx]
    d_lin = np.diff(sub)
    d_log = np.diff(np.log(sub))
    def cv(d):
        m = d.mean()
        return float(d.std() / m) if m > 0 else float("inf")
    with np.errstate(over="ignore", invalid="ignore"):  # lrs near 1e308: std overflows, cv is inf or nan
        return "linear" if cv(d_lin) < cv(d_log) else "exponential"


def _clean(x: np.ndarray, y: np.ndarray, stats: np.ndarray) -> tuple[np.ndarray, np.ndarray, list, Optional[float]]:
    """Sort, merge repeats, cut the non-finite tail. Returns x, y, notes, lr where it was cut."""
    notes: list[str] = []
    cut_lr = None
    if int(stats[1]) >= 0:
        if int(stats[5]) >= 0:
            order = np.argsort(x, kind="stable")
            x, y = x[order], y[order]
            notes.append("lrs were not sorted: sorted the log by lr")
        uniq, inv, counts = np.unique(x, return_inverse=True, return_counts=True)
        if uniq.shape[0] < x.shape[0]:
            fin = np.isfinite(y)
            sums = np.bincount(inv[fin], weights=y[fin], minlength=uniq.shape[0])
            cnt = np.bincount(inv[fin], minlength=uniq.shape[0])
            with np.errstate(invalid="ignore", divide="ignore"):
                y = np.where(cnt > 0, sums / np.maximum(cnt, 1), np.nan)
            notes.append(f"{x.shape[0] - uniq.shape[0]} repeated lr values: averaged their losses")
            x = uniq
        stats = scan(np.ascontiguousarray(x), np.ascontiguousarray(y))
    if int(stats[2]) > 0:
        last = int(stats[3])
        if last < x.shape[0] - 1:
            cut_lr = float(x[last + 1])
            notes.append(
                f"cut {x.shape[0] - last - 1} points from lr={cut_lr:.3g} on: every loss from there is "
                "non-finite (the run diverged)")
            x, y = x[: last + 1], y[: last + 1]
        inner = int(np.count_nonzero(~np.isfinite(y)))
        if inner:
            y = np.where(np.isfinite(y), y, np.nan)
            notes.append(f"ignored {inner} isolated non-finite losses")
    return np.ascontiguousarray(x), np.ascontiguousarray(y), notes, cut_lr


def _auto_width(lx: np.ndarray) -> float:
    n = lx.shape[0]
    if n < 2 or not float(lx[-1] - lx[0]) > 0:
        return 0.3
    dx = float(np.median(np.diff(lx[:: max(1, n // 4096)]))) * max(1, n // 4096)
    return max(0.3, 10.0 * dx)


@dataclass
class _Prepared:
    x: np.ndarray  # log10 lr grid for the kernels
    y: np.ndarray
    notes: list
    cut_lr: Optional[float]
    sweep: str
    width: float


def _prepare(lrs: Any, losses: Any, width: Optional[float], bin_threshold: int) -> _Prepared:
    # One point, or no finite loss (a range test that hit NaN at its first step), is a log that
    # cannot support bounds, not a malformed one: it gets the verdict "too_short", not an error.
    x, y = check_pair(lrs, losses, min_points=1)
    stats = scan(x, y)
    check_lrs(x, stats)
    x, y, notes, cut_lr = _clean(x, y, stats)
    sweep = _detect_sweep(x)
    if sweep == "linear":
        notes.append("linear lr sweep detected: analysed against log10(lr) all the same")
    n = x.shape[0]
    if n > bin_threshold:
        span = math.log10(x[-1] / x[0])
        w = width if width is not None else 0.3
        step = w / 20.0
        nb = max(1, int(math.ceil(span / step)))
        edges = x[0] * 10.0 ** (np.arange(nb + 1) * (span / nb))
        edges[0], edges[-1] = x[0], x[-1]
        bx = np.empty(nb)
        by = np.empty(nb)
        bc = np.empty(nb, dtype=np.int64)
        _backend.kernels().bin_log(x, y, edges, bx, by, bc)
        keep = np.isfinite(bx)
        notes.append(f"{n} points averaged into {int(keep.sum())} lr bins of {span / nb:.3g} decades")
        lx, y = np.log10(bx[keep]), np.ascontiguousarray(by[keep])  # NumPy's log10 on every backend
    else:
        lx = np.log10(x)
    if width is None:
        width = _auto_width(lx)
    return _Prepared(lx, y, notes, cut_lr, sweep, float(width))


#: analyze_run's settings: robustness iterations, base_frac, plateau_frac, edge.
_SETTINGS = (2, 0.02, 0.1, 0.0)


def _run_batch(x: np.ndarray, y: np.ndarray, lengths: np.ndarray, width: float,
               n_threads: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """analyze_run on each row of ``[runs, points]`` arrays in one parallel kernel call; returns
    the smoothed curves, slopes and result rows."""
    K = _backend.kernels()
    runs, pts = x.shape
    short = lengths < 2
    if short.any():  # nothing to smooth in a run of 0 or 1 point: NaN on every backend, no kernel call
        fit = np.full((runs, pts), np.nan)
        slope = np.full((runs, pts), np.nan)
        res = np.full((runs, K.ANALYZE_RESULT_SIZE), np.nan)
        res[short, C.R_MIN] = -1
        keep = np.flatnonzero(~short)
        if keep.size:
            f, s, r = _run_batch(np.ascontiguousarray(x[keep]), np.ascontiguousarray(y[keep]),
                                 np.ascontiguousarray(lengths[keep]), width, n_threads)
            fit[keep], slope[keep], res[keep] = f, s, r
        return fit, slope, res
    fit = np.empty((runs, pts))
    slope = np.empty((runs, pts))
    threads = n_threads if n_threads > 0 else (os.cpu_count() or 1)
    # scratch per thread, not per run (kilobytes instead of runs * pts * 8 values)
    work = np.empty((max(1, min(threads, runs)), K.ANALYZE_WORK_ROWS * (pts + 1)))
    res = np.empty((runs, K.ANALYZE_RESULT_SIZE))
    K.analyze_runs(x, y, lengths, float(width), *_SETTINGS, fit, slope, work, res, n_threads)
    return fit, slope, res


def _with_interval(a: Analysis, p: _Prepared, fit: np.ndarray, resamples: int, n_threads: int) -> Analysis:
    """``a`` with ``interval``: the 5th and 95th percentiles of the bounds on ``resamples``
    noise-resampled copies of the log (:mod:`pyclr.finder.resample`), for verdicts that give both
    bounds; an ``ok`` whose max_lr interval is wider than ``_WIDE_INTERVAL`` gets a reason."""
    if resamples == 0 or a.verdict not in ("ok", "too_noisy"):
        return a
    n = p.x.shape[0]
    copies = resample.resampled_losses(p.y, fit, resamples)
    X = np.ascontiguousarray(np.broadcast_to(p.x, (resamples, n)))
    fits, _, res = _run_batch(X, copies, np.full(resamples, n, dtype=np.int64), p.width, n_threads)
    # the copies get the rule the log got: a copy with an instability burst before its minimum is
    # analysed again up to the burst (one more batched call for those)
    cuts = [(r, bursts.first_burst(copies[r], fits[r], int(res[r, C.R_MIN]), float(res[r, C.R_SIGMA])))
            for r in range(resamples)]
    cuts = [(r, j) for r, j in cuts if j > 0]
    if cuts:
        rows = np.array([r for r, _ in cuts])
        res[rows] = _run_batch(np.ascontiguousarray(X[rows]), np.ascontiguousarray(copies[rows]),
                               np.array([j for _, j in cuts], dtype=np.int64), p.width, n_threads)[2]
    found = (res[:, C.R_MIN] >= 0) & np.isfinite(res[:, C.R_XBASE]) & np.isfinite(res[:, C.R_XMAX])
    if not found.any():
        return a
    interval = {}
    for name, slot in (("base_lr", C.R_XBASE), ("max_lr", C.R_XMAX)):
        lo, hi = np.quantile(res[found, slot], [0.05, 0.95])
        interval[name] = (float(10.0 ** lo), float(10.0 ** hi))
    reasons = a.reasons
    lo, hi = interval["max_lr"]
    if a.ok and hi > _WIDE_INTERVAL * lo:
        reasons += (
            f"With this log's noise resampled, max_lr ranged from {lo:.3g} to {hi:.3g} (90% of the copies): a run "
            "with another seed could land anywhere there. Combine 3 to 5 runs of this configuration (pass them "
            "to analyze together) for a steadier answer.",)
    return replace(a, interval=interval, reasons=reasons)


def _interpret(p: _Prepared, fit: np.ndarray, slope: np.ndarray, res: np.ndarray,
               lrs: Optional[np.ndarray] = None) -> Analysis:
    lx, y, width = p.x, p.y, p.width
    n = lx.shape[0]
    if lrs is None:
        lrs = 10.0 ** lx
    reasons: list[str] = []
    span = float(lx[-1] - lx[0]) if n else 0.0
    common: dict[str, Any] = dict(width=width, sweep=p.sweep, cleaning=tuple(p.notes), lrs=lrs, losses=y,
                                  smoothed=fit, slope=slope)
    finite = int(np.count_nonzero(np.isfinite(y)))
    if n < _MIN_POINTS or finite < _MIN_POINTS or span < 2 * width or int(res[C.R_MIN]) < 0:
        if finite == 0 and p.cut_lr is not None:
            reasons.append(
                f"Every loss is non-finite from the first point on (lr={p.cut_lr:.3g}): the run diverged at once. "
                "Lower start_lr, check the loss function and the inputs for NaN.")
        reasons.append(
            f"The log has {finite} usable points over {span:.2f} decades of lr; at least {_MIN_POINTS} points "
            f"over {2 * width:.2f} decades are needed. Run the range test longer or over a wider lr range.")
        return Analysis(None, None, None, "too_short", tuple(reasons), noise=float(res[C.R_SIGMA]), **common)
    imin, div = int(res[C.R_MIN]), int(res[C.R_DIVERGE])
    sigma, drop = float(res[C.R_SIGMA]), float(res[C.R_DROP])
    loss_min_lr = float(lrs[imin])
    divergence_lr = float(lrs[div]) if div < n else p.cut_lr
    pts = max(1.0, n * width / max(span, 1e-12))
    sigma_curve = sigma / math.sqrt(pts)
    base_lr, max_lr = float(10.0 ** res[C.R_XBASE]), float(10.0 ** res[C.R_XMAX])
    extra: dict[str, Any] = dict(loss_min_lr=loss_min_lr, divergence_lr=divergence_lr, noise=sigma, **common)
    clear = drop > _CLEAR_DROP * sigma_curve
    pvalue = 1.0
    if not clear and imin > 0:
        # the log before the divergence, clipped where the kernel clips (a blown-up value says
        # only "diverged"), against its own shuffles
        y_test = np.minimum(y[:div], float(res[C.R_START]) + drop)
        pvalue = descent.descent_pvalue(lx[:div], y_test, width)
    if imin == 0 or not (clear or pvalue <= _NOISY_P):
        where = f" and turned non-finite at lr={p.cut_lr:.3g}" if p.cut_lr else ""
        reasons.append(
            f"The smoothed loss never fell clearly below its starting level (drop {drop:.3g}, noise {sigma:.3g}; "
            f"the same losses shuffled fall as far in {pvalue:.0%} of cases){where}. "
            "Lower start_lr by one or two decades, or check that the model trains at all.")
        return Analysis(base_lr, max_lr, max_lr, "no_descent", tuple(reasons), **extra)
    if drop < 1.5 * sigma:
        reasons.append(
            f"The loss fell by {drop:.3g} but its point-to-point noise is {sigma:.3g}: the bounds cannot be "
            "located reliably. Use a larger batch, more iterations, or combine several runs.")
        return Analysis(base_lr, max_lr, max_lr, "too_noisy", tuple(reasons), **extra)
    if not (clear or pvalue <= _DESCENT_P):
        reasons.append(
            f"The smoothed loss fell by {drop:.3g}, {drop / sigma_curve:.1f} times its own noise ({sigma_curve:.3g}), "
            f"and the same losses in shuffled order fall as far in {pvalue:.1%} of cases: this descent is not clear "
            "enough to place bounds on. Use a larger batch, more iterations, or combine several runs.")
        return Analysis(base_lr, max_lr, max_lr, "too_noisy", tuple(reasons), **extra)
    turned = div < n or p.cut_lr is not None or (lx[-1] - lx[imin]) > 0.5 * width
    if not turned:
        reasons.append(
            f"The smoothed loss was still at its lowest at the end of the sweep (lr={lrs[-1]:.3g}); it never turned "
            f"up, so max_lr is unknown. Extend end_lr to at least {lrs[-1] * 10:.3g} and rerun.")
        return Analysis(None, None, None, "no_turn_up", tuple(reasons), **extra)
    return Analysis(base_lr, max_lr, max_lr, "ok", (), **extra)


def _is_multi(v: Any) -> bool:
    if isinstance(v, np.ndarray):
        return v.ndim == 2
    if isinstance(v, (list, tuple)) and v:
        first = v[0]
        return isinstance(first, (list, tuple, np.ndarray)) and np.ndim(first) == 1
    return False


def check_options(width: Optional[float] = None, n_threads: int = 0, bin_threshold: int = BIN_THRESHOLD,
                  resamples: int = 0) -> tuple:
    """:func:`analyze`'s options, validated (the one place; the command line calls it before
    reading any log). Returns them normalised: ``(width, n_threads, bin_threshold, resamples)``."""
    if width is not None:
        width = V.positive("width", width)
    n_threads = V.int_at_least("n_threads", n_threads, 0)
    if n_threads > V.MAX_THREADS:
        raise ValueError(f"Expected n_threads from 0 (all cores) to {V.MAX_THREADS}, but got {n_threads}")
    bin_threshold = V.int_at_least("bin_threshold", bin_threshold, 16)
    resamples = V.int_at_least("resamples", resamples, 0)
    if 0 < resamples < MIN_RESAMPLES or resamples > MAX_RESAMPLES:
        raise ValueError(f"Expected resamples of 0 (off) or from {MIN_RESAMPLES} to {MAX_RESAMPLES}, "
                         f"but got {resamples}")
    return width, n_threads, bin_threshold, resamples


def analyze(lrs: Any, losses: Any = None, *, width: Optional[float] = None, n_threads: int = 0,
            bin_threshold: int = BIN_THRESHOLD, resamples: int = 0) -> Analysis:
    r"""Cyclical bounds from an LR range test, with a verdict when the log cannot support them.

    Steps (all against :math:`x = \log_{10}(lr)`):

    1. Clean: sort by LR, average repeated LRs, cut the non-finite tail (the run diverged
       there), ignore isolated non-finite losses; detect linear vs exponential sweeps.
       Logs longer than ``bin_threshold`` points are averaged into LR bins of
       ``width/20`` decades first.
    2. Clip: losses above the divergence ceiling :math:`s + (s - \min L)` (:math:`s` the median
       loss in the first half window) are set to it. Such a loss only says "diverged", and a
       blown-up value (1e30 is common) used to drag the local lines near it far below zero,
       so that the smoothed "minimum" sat after the divergence.
       Smooth: robust local-linear LOWESS with a symmetric window of ``width`` decades
       (zero phase: no EMA lag), two bisquare robustness passes, each value kept within the
       range of the losses in its window (a line extrapolated across the jump into divergence
       could undershoot them all). Robustness rejects *spikes*,
       not structure: a point above the fit is judged by its residual (a spike or a burst of
       instability gets weight 0), a point below it by the smaller of its residual and its
       distance to the median of its 5-point neighbourhood, so an isolated dip is rejected
       but a valley a few points wide, which a straight line over the window cannot follow,
       keeps its weight (it used to be cut off, and the minimum carried over from before it).
       Noise :math:`\sigma = 1.4826\,\mathrm{median}|L - s|`.
    3. Bounds. ``max_lr`` is anchored on the *valley* of the curve, ``base_lr`` is derived
        from ``max_lr``:

        * anchor :math:`x_a` = mean over :math:`k \in \{1, 1.5, 2\}` of where a plain
          (non-robust) local-linear fit of :math:`\min(L, s_0)` with window :math:`k \cdot`
          ``width`` is lowest (:math:`s_0` = smoothed starting loss; losses above it are
          divergence and their size carries nothing). "Where" is the middle, in log-LR, of the
          stretch around the fit's minimum that stays within the fit's own noise
          (:math:`\sigma/\sqrt{m}`, :math:`m` losses in the window) of it: on a flat valley floor
          the argmin alone wanders with the noise from seed to seed, the stretch does not. Being
          non-robust, this fit counts ragged spikes, so the anchor sits just before the onset of
          instability; averaging three scales makes it depend on no single bandwidth.
        * ``max_lr`` :math:`= \min(10^{x_a},\ \text{LR of the smoothed minimum})`. No further
          margin: the anchor already sits before the instability, and halving it lost
          0.8-1.3 points of accuracy on digits-CNN / SGD-momentum (``benchmarks/usefulness.py``);
          the other pairs there train as well or better without it.
        * ``base_lr`` :math:`=` ``max_lr`` :math:`/ 4` (Smith 2017, §3.3: a third to a quarter of
          the maximum), but never on the flat stretch before the descent: at least the LR from
          which :math:`s` stays below :math:`s_0 - \max(0.02\Delta, \sigma)`
          (:math:`\Delta = s_0 - \min s`).

        Why not the descent onset and the end of descent, as before: the model trains during
        the sweep, so with more iterations every feature on the left of the valley moves to
        lower LR, about in proportion to ``1 / iterations`` (the onset moved 8x, the steepest
        point 11-25x between 50 and 400 iterations on tests/data/seed_runs). The valley and the
        instability after it are set by the optimizer's stability limit and move least. On
        40 held-out seeds of those runs (MLP on digits, SGD-momentum and Adam, 50/100/200/400
        iterations; tests/data/seed_runs_heldout) the median seed's bounds spread 1.70x
        (SGD-m) and 1.87x (Adam) over iteration counts, against 12-18x for the steepest-
        gradient rules. Over 5 seeds the median spread is 1.16-1.55x, about that of the
        steadiest anchor rules, and 5-seed combinations agree within 1.18-1.42x
        (``python benchmarks/stability.py``). Divergence = first LR after the minimum where
        :math:`s > s_0`.
    4. Burst: if, before the smoothed minimum, two of three neighbouring losses jump above the
       best level reached so far by half the fall achieved by then (and 8 noise units), the log
       is analysed again up to that burst, as if it had diverged there: ``max_lr`` stays below
       the first instability even when the loss recovers into a lower second valley
       (:mod:`pyclr.finder.bursts`).
    5. Verdict: ``too_short``; a descent when the smoothed curve falls by more than 12 units
       of its own noise :math:`\sigma/\sqrt{m}` (under 1% of pure-noise logs do), else when the
       permutation test of :mod:`pyclr.finder.descent` (the log's own losses in 199 shuffled
       orders, the fall at window widths of 1, 2 and 4 times ``width``) gives p <= 0.005;
       ``no_descent`` when p > 0.05 or the minimum is the first point; ``too_noisy`` in
       between, or when the drop is under 1.5 raw noise units; ``no_turn_up`` (minimum at the
       end of the range: extend ``end_lr``); else ``ok``.

    Several runs of one configuration (seeds) can be passed as a 2-D array or lists of
    arrays: each is analysed (in one batched, parallel kernel call where they need no
    cleaning) and the answer is the median in log-LR with ``spread`` = max/min.

    Parameters
    ----------
    lrs, losses : array_like
        Learning rates and raw losses of each iteration; or ``[runs, points]``. Or, with
        ``losses`` left out, one table holding both: a pandas DataFrame or a mapping of
        columns (``{"lr": [...], "loss": [...]}``), the columns recognised as
        :func:`pyclr.load_log` recognises them (``lr``, ``learning_rate``, ...; ``loss``,
        ``raw_loss``, ``train_loss``, ...). A table whose columns are not recognised is a
        ValueError naming the columns it has; pass them yourself then:
        ``analyze(df["my_lr"], df["my_loss"])``.
    width : float, optional
        Smoother window in decades of LR (default: 0.3, widened to ten LR steps).
    n_threads : int
        Threads for batched runs (0: all cores).
    bin_threshold : int
        Logs with more points are binned first.
    resamples : int
        0 (default) or 20 to 10,000: analyse that many copies of each log with its noise
        resampled (each point takes the residual from the smoothed curve of a random point at
        most 3 positions away; :mod:`pyclr.finder.resample`) and report the 5th-95th percentile range
        of the bounds as ``interval``. A ``max_lr`` range wider than 2x adds a reason (combine
        runs). It costs ``resamples`` analyses, in one batched kernel call (a second one for the
        copies with an instability burst, analysed up to it like the log). On the seed runs in
        tests/data (40 configurations of three models, 20-40 seeds each) the range is 0.43-2.0
        times as wide as the seeds' actual spread of ``max_lr`` in log-LR (median 1.06): too wide
        on 50-iteration sweeps, too narrow on 400-iteration ones and on a small CNN with
        SGD-momentum (``python benchmarks/stability.py``).

    Returns
    -------
    Analysis

    References
    ----------
    L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017 (§3.3).
    W. S. Cleveland, "Robust Locally Weighted Regression and Smoothing Scatterplots", JASA 1979.

    Examples
    --------
    >>> import numpy as np, pyclr
    >>> lrs = np.geomspace(1e-5, 10, 200)
    >>> x = np.log10(lrs)
    >>> a = pyclr.analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))
    >>> a.verdict, a.base_lr < a.max_lr <= a.loss_min_lr
    ('ok', True)

    A table with recognisable columns (a pandas DataFrame works the same way):

    >>> b = pyclr.analyze({"learning_rate": lrs, "loss": 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3))})
    >>> b.verdict, b.max_lr == a.max_lr
    ('ok', True)
    >>> pyclr.analyze({"step": x, "value_a": x})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Expected a lr column in dict (one of lr, learning_rate, ...), but the columns are ['step', 'value_a']
    """
    width, n_threads, bin_threshold, resamples = check_options(width, n_threads, bin_threshold, resamples)
    if losses is None:
        lrs, losses = _table(lrs)
    if _is_multi(lrs) or _is_multi(losses):
        return _analyze_many(lrs, losses, width, n_threads, bin_threshold, resamples)
    p = _prepare(lrs, losses, width, bin_threshold)
    return _run_one(p, resamples, n_threads)


def _table(data: Any) -> tuple:
    """The lr and loss columns of a DataFrame or mapping passed alone to analyze()."""
    from ..logs import table_log  # pyclr.logs imports this package: not at import time

    log = table_log(data, hint="or pass the columns: analyze(data[lr_column], data[loss_column])")
    if log is None:
        raise TypeError("Expected losses, or a DataFrame or mapping with lr and loss columns as the only "
                        f"argument, but got lrs of type {type(data).__name__} and no losses")
    return log.lrs, log.losses


def _kernel_one(p: _Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """analyze_run on one prepared log: the smoothed curve, its slope and the result row."""
    n = p.x.shape[0]
    fit = np.empty(n)
    slope = np.empty(n)
    res = np.empty(_backend.kernels().ANALYZE_RESULT_SIZE)
    if n >= 2:
        work = np.empty(_backend.kernels().ANALYZE_WORK_ROWS * (n + 1))
        _backend.kernels().analyze_run(p.x, p.y, p.width, *_SETTINGS, fit, slope, work, res)
    else:  # nothing to smooth: every backend reports NaN (np.empty would leak stale memory)
        fit[:] = np.nan
        slope[:] = np.nan
        res[:] = np.nan
        res[C.R_MIN] = -1
    return fit, slope, res


def _cut_at_burst(p: _Prepared, fit: np.ndarray, res: np.ndarray) -> Optional[_Prepared]:
    """The log up to its first instability burst (:mod:`pyclr.finder.bursts`), or None if it has none
    before the smoothed minimum."""
    imin = int(res[C.R_MIN])
    if imin < 0:
        return None
    j = bursts.first_burst(p.y, fit, imin, float(res[C.R_SIGMA]))
    if j < 0:
        return None
    lr = float(10.0 ** p.x[j])
    note = (f"the loss burst to {p.y[j]:.3g} at lr={lr:.3g}, above where it had fallen to, before its lowest "
            "point: analysed the log up to the burst (an lr that threw the loss back up is not one to train at)")
    return _Prepared(p.x[:j], p.y[:j], p.notes + [note], lr, p.sweep, p.width)


def _finish(p: _Prepared, fit: np.ndarray, slope: np.ndarray, res: np.ndarray, resamples: int, n_threads: int,
            lrs: Optional[np.ndarray] = None) -> Analysis:
    """One run's kernel results -> Analysis: cut at a burst (and analyse again), verdict, interval."""
    cut = _cut_at_burst(p, fit, res)
    if cut is not None:
        p, lrs = cut, None
        fit, slope, res = _kernel_one(p)
    return _with_interval(_interpret(p, fit, slope, res, lrs=lrs), p, fit, resamples, n_threads)


def _run_one(p: _Prepared, resamples: int, n_threads: int) -> Analysis:
    fit, slope, res = _kernel_one(p)
    return _finish(p, fit, slope, res, resamples, n_threads)


def _analyze_many(lrs: Any, losses: Any, width, n_threads, bin_threshold, resamples) -> Analysis:
    if not (_is_multi(lrs) and _is_multi(losses)):
        raise ValueError("Expected lrs and losses both to hold several runs (2-D or lists of arrays), but got one of each kind")
    if len(lrs) != len(losses):
        raise ValueError(f"Expected as many lr runs as loss runs, but got {len(lrs)} and {len(losses)}")
    if len(lrs) == 0:
        raise ValueError("Expected at least one run, but got 0")
    fast = (isinstance(lrs, np.ndarray) and isinstance(losses, np.ndarray) and lrs.shape == losses.shape
            and lrs.dtype == np.float64 and losses.dtype == np.float64 and lrs.shape[1] <= bin_threshold)
    preps: list[_Prepared] = []
    if fast:
        # One vectorised check for the common case (clean, sorted, finite, same grid length).
        X = np.ascontiguousarray(lrs)
        Y = np.ascontiguousarray(losses)
        clean = bool(np.all(np.isfinite(X) & (X > 0)) and np.all(np.isfinite(Y)) and np.all(X[:, 1:] > X[:, :-1]))
        fast = clean and X.shape[1] >= 2
    if fast:
        runs, pts = X.shape
        LX = np.log10(X)
        w = width if width is not None else _auto_width(LX[0])
        sweep = _detect_sweep(X[0])
        notes = ["linear lr sweep detected: analysed against log10(lr) all the same"] if sweep == "linear" else []
        preps = [_Prepared(LX[r], Y[r], list(notes), None, sweep, float(w)) for r in range(runs)]
        lengths = np.full(runs, pts, dtype=np.int64)
        Yc = Y
    else:
        for a, b in zip(lrs, losses):
            preps.append(_prepare(a, b, width, bin_threshold))
        runs = len(preps)
        pts = max(p.x.shape[0] for p in preps)
        LX = np.zeros((runs, pts))
        Yc = np.zeros((runs, pts))
        lengths = np.empty(runs, dtype=np.int64)
        for r, p in enumerate(preps):
            m = p.x.shape[0]
            LX[r, :m], Yc[r, :m], lengths[r] = p.x, p.y, m
            LX[r, m:] = p.x[-1] if m else 0.0
        w = width if width is not None else float(np.median([p.width for p in preps]))
        for p in preps:
            p.width = float(w)
    fit, slope, res = _run_batch(LX, Yc, lengths, w, n_threads)
    LRS = 10.0 ** LX  # one vectorised power instead of one per run
    per = tuple(_finish(p, fit[r, : lengths[r]], slope[r, : lengths[r]], res[r], resamples, n_threads,
                        lrs=LRS[r, : lengths[r]])
                for r, p in enumerate(preps))
    return _combine(per, float(w))


def _combine(per: tuple, width: float) -> Analysis:
    ok = [a for a in per if a.verdict == "ok"]
    counts: dict[str, int] = {}
    for a in per:
        counts[a.verdict] = counts.get(a.verdict, 0) + 1
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))

    def med(vals):
        return float(10.0 ** np.median(np.log10(vals)))

    def ratio(vals):
        return float(max(vals) / min(vals))

    reasons: list[str] = []
    if len(ok) * 2 < len(per) or not ok:
        verdict = max(counts, key=lambda k: (counts[k], k != "ok"))
        if verdict == "ok":
            verdict = "too_noisy"
        reasons.append(f"Only {len(ok)} of {len(per)} runs gave bounds ({summary}).")
        for a in per:
            reasons.extend(r for r in a.reasons if r not in reasons)
        return Analysis(None, None, None, verdict, tuple(reasons), width=width, runs=per,
                        spread={}, cleaning=(f"combined {len(per)} runs",))
    base = med([a.base_lr for a in ok])
    top = med([a.max_lr for a in ok])
    spread = {"base_lr": ratio([a.base_lr for a in ok]), "max_lr": ratio([a.max_lr for a in ok])}
    verdict = "ok"
    if len(ok) < len(per):
        reasons.append(f"{len(per) - len(ok)} of {len(per)} runs were inconclusive ({summary}); combined the rest.")
    if base >= top:
        verdict = "too_noisy"
        reasons.append("The runs disagree: the median base_lr is not below the median max_lr.")
    return Analysis(base, top if verdict == "ok" else None, top if verdict == "ok" else None, verdict, tuple(reasons),
                    loss_min_lr=med([a.loss_min_lr for a in ok]),
                    divergence_lr=(med([a.divergence_lr for a in ok if a.divergence_lr])
                                   if any(a.divergence_lr for a in ok) else None),
                    noise=float(np.median([a.noise for a in ok])), width=width, sweep=ok[0].sweep,
                    cleaning=(f"combined {len(per)} runs (median in log-lr)",), runs=per, spread=spread)
