"""Is there a descent? A permutation test of a range test's losses against their own shuffles.

:func:`pyclr.analyze` first compares the smoothed curve's drop with the curve's noise
(``_CLEAR_DROP`` in :mod:`pyclr.finder.analysis`). A fixed threshold must hold for any
log, so it is set by the worst case (short logs, heavy-tailed noise) and a narrow window:
on a noisy 150-point log whose loss really falls by half (an MLP regressing a standardised
target with MSE at batch 16) the drop was 6-7 such units and the verdict was
``no_descent``. Where the first test is not clear, this one decides, with a null that matches
the log itself: the same losses in shuffled order carry no relation between LR and loss.

Statistic: for window widths of 1, 2 and 4 times the smoother's width (in decades of LR), the
largest fall of a window mean below the mean of the first window (at least :data:`MIN_START`
points: a linear sweep has a single point in its first decades), in units of the standard
error of that difference, :math:`(\\bar y_0 - \\bar y_i) / \\sqrt{1/m_0 + 1/m_i}`; the
statistic is the largest over the three widths (the common noise scale is left out: a shuffle
keeps it). A wide window gives the test its power on a broad valley (a 50% fall over 40 points
is many standard errors even when one 10-point window is not), the narrow one keeps a sharp
valley. The p-value is :math:`(1 + \\#\\{T_\\pi \\ge T\\}) / (1 + R)` over ``R`` shuffles
drawn from a fixed seed, so the answer is the same on every run and every backend.
Only the log before the divergence is tested, and logs longer than :data:`MAX_POINTS` are
first averaged in blocks of consecutive points (block means of exchangeable losses are
exchangeable too, so the test stays exact).
"""
from __future__ import annotations

import numpy as np

__all__ = ["descent_pvalue", "SCALES", "SHUFFLES", "MAX_POINTS"]

#: Window widths, in multiples of the smoother's width.
SCALES = (1.0, 2.0, 4.0)
#: Shuffles per test: p-values down to 1/200.
SHUFFLES = 199
#: The start level is the mean of at least this many points (a quarter of the log at most).
MIN_START = 5
#: Longer logs are averaged in blocks of consecutive points down to at most this many.
MAX_POINTS = 512
_SEED = 20170403  # fixed: the same answer on every call


def _statistic(x: np.ndarray, Y: np.ndarray, width: float) -> np.ndarray:
    """The statistic of each row of ``Y`` (losses on the common grid ``x``)."""
    rows, n = Y.shape
    C = np.zeros((rows, n + 1))
    np.cumsum(Y, axis=1, out=C[:, 1:])
    best = np.full(rows, -np.inf)
    for k in SCALES:
        half = 0.5 * k * width
        lo = np.searchsorted(x, x - half, side="left")
        hi = np.searchsorted(x, x + half, side="right")
        m = (hi - lo).astype(np.float64)
        means = (C[:, hi] - C[:, lo]) / m
        # the start level: the first window, but at least MIN_START points (a linear sweep has
        # one point in its first decades, and a start of one point leaves the test no power)
        m0 = max(int(hi[0]), min(MIN_START, n // 4))  # a quarter at most of a short log
        start = C[:, m0:m0 + 1] / m0
        t = (start - means) / np.sqrt(1.0 / m0 + 1.0 / m)
        np.maximum(best, t.max(axis=1), out=best)
    return best


def descent_pvalue(x: np.ndarray, y: np.ndarray, width: float, shuffles: int = SHUFFLES) -> float:
    """p-value of "the loss falls somewhere below where it started" against shuffled copies.

    Parameters
    ----------
    x : ndarray
        log10 of the learning rate, increasing.
    y : ndarray
        Losses (NaN ignored), already cut at the divergence by the caller.
    width : float
        The smoother's width in decades of LR.
    shuffles : int
        Number of shuffled copies.

    Returns
    -------
    float
        In ``(0, 1]``; 1.0 when fewer than 4 finite losses are left.

    >>> import numpy as np
    >>> x = np.linspace(-5, 0, 150)
    >>> noise = np.random.default_rng(0).normal(0, 0.2, 150)
    >>> descent_pvalue(x, 1.0 - 0.5 / (1 + np.exp(-3 * (x + 2))) + noise, 0.3) <= 0.01
    True
    >>> descent_pvalue(x, 1.0 + noise, 0.3) > 0.05
    True
    """
    keep = np.isfinite(y)
    x, y = x[keep], y[keep]
    n = x.shape[0]
    if n < 4:
        return 1.0
    if n > MAX_POINTS:
        b = -(-n // MAX_POINTS)
        m = n // b
        x = x[: m * b].reshape(m, b).mean(axis=1)
        y = y[: m * b].reshape(m, b).mean(axis=1)
    observed = _statistic(x, y[None, :], width)[0]
    rng = np.random.default_rng(_SEED)
    Y = rng.permuted(np.broadcast_to(y, (shuffles, y.shape[0])), axis=1)
    null = _statistic(x, Y, width)
    return float((1 + np.count_nonzero(null >= observed)) / (1 + shuffles))
