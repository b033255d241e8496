"""The first instability burst of a range test: the signal that caps ``max_lr``.

A range test can blow up, recover into a second, lower valley, and only then diverge (a GRU
with SGD-momentum did: a burst at lr 0.5, a valley near 1.3). The robust smoother of
:func:`pyclr.analyze` gives the burst's points weight 0, as it should for a smooth curve, so
the smoothed minimum sat in the second valley and the bounds were 0.98..1.3: training between
them lost 20 points of accuracy. In a range test the first instability is what matters most:
an LR that once threw the loss back up is not one to train at, whatever follows it.

A burst is where, after the descent has made a quarter of its progress, two of three
neighbouring losses jump above the best smoothed level reached so far by at least half of the
fall achieved by then, and by at least :data:`BURST_SIGMAS` noise units (one wild batch, or
heavy-tailed noise on a shallow descent, does not count). Only a burst before the smoothed minimum matters: later ones are above ``max_lr``
already. :func:`pyclr.analyze` then analyses the log up to the burst, as if it had diverged
there.
"""
from __future__ import annotations

import numpy as np

__all__ = ["first_burst", "BURST_SIGMAS", "BURST_FRACTION", "BURST_PROGRESS"]

#: A burst rises at least this many noise units (sigma of the residuals) above the best level.
BURST_SIGMAS = 8.0
#: ... and at least this fraction of the fall achieved before it.
BURST_FRACTION = 0.5
#: Bursts count once the smoothed loss has made this fraction of its whole fall.
BURST_PROGRESS = 0.25


def first_burst(y: np.ndarray, fit: np.ndarray, imin: int, sigma: float) -> int:
    """Index of the first instability burst before the smoothed minimum, or -1.

    Parameters
    ----------
    y : ndarray
        The losses (NaN ignored).
    fit : ndarray
        The smoothed curve (NaN-free).
    imin : int
        Index of the smoothed minimum.
    sigma : float
        The noise of the losses around the curve.

    Returns
    -------
    int
        The index of the first point of the first burst, or -1 where there is none.

    Examples
    --------
    >>> import numpy as np
    >>> fit = np.r_[np.linspace(1.0, 0.5, 50), np.linspace(0.5, 0.3, 50)]
    >>> y = fit.copy(); y[60] = y[61] = 2.0
    >>> first_burst(y, fit, 99, 0.01)
    60
    >>> y[61] = fit[61]; first_burst(y, fit, 99, 0.01)  # one wild batch is not a burst
    -1
    """
    if imin <= 1:
        return -1
    start = fit[0]
    drop = start - fit[imin]
    if not drop > 0:
        return -1
    # The best level so far is read off the losses (a 5-point running median), not off the
    # smoothed curve: at the knee of a steep descent a local line undershoots the losses, and
    # the first of them then looked like a jump back up.
    head = y[: imin + 3]
    pad = np.concatenate([np.full(2, np.nan), head, np.full(2, np.nan)])
    windows = np.sort(np.lib.stride_tricks.sliding_window_view(pad, 5)[: imin + 1], axis=1)  # NaN sort last
    k = np.count_nonzero(windows == windows, axis=1)  # finite values per window
    rows = np.arange(windows.shape[0])
    lo = np.maximum(k - 1, 0) // 2
    med = 0.5 * (windows[rows, lo] + windows[rows, k // 2])
    med = np.where(k > 0, med, np.inf)
    best = np.minimum(np.minimum.accumulate(med), start)
    fallen = start - best
    level = best + np.maximum(BURST_SIGMAS * sigma, BURST_FRACTION * fallen)
    with np.errstate(invalid="ignore"):
        above = (y[: imin + 1] > level) & (fallen >= BURST_PROGRESS * drop)
    # two of three neighbouring losses: one wild batch is noise (heavy-tailed noise has such
    # points on long logs), an instability lasts a few steps
    pair = above[:-1] & above[1:]
    skip = above[:-2] & above[2:]
    hit = np.zeros_like(above)
    hit[:-1] |= pair
    hit[:-2] |= skip
    idx = np.flatnonzero(hit)
    return int(idx[0]) if idx.size else -1
