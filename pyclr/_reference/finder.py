"""Range-test kernels in plain NumPy: the readable definition and the test oracle.

Every function here has the same name, arguments and meaning in ``pyclr._core``
(C++) and ``pyclr._numba``. Kernels never validate and never allocate their
outputs: the caller (``pyclr.finder``) passes contiguous float64 / int64 buffers of
the right size. Scalar answers (an index, a noise level) are returned.

Conventions
-----------
* ``x`` is log10 of the learning rate (or the LR itself for a linear analysis),
  strictly increasing; ``y`` is the loss. NaN marks a missing loss.
* "argmin" follows NumPy: the first NaN if there is one, else the first minimum.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = [
    "ema",
    "ema_debiased",
    "gradient_index",
    "gradient_x",
    "argmin_nanfirst",
    "valley_index",
    "slide_index",
    "steep_index",
    "ignite_index",
    "stop_index",
    "divergence_ceiling",
    "lowess",
    "noise_sigma",
    "near_minimum",
    "valley_anchor",
    "find_bounds",
    "analyze_run",
    "analyze_runs",
    "bin_log",
    "scan_log",
    "parse_columns",
    "ANALYZE_RESULT_SIZE",
    "LOWESS_WORK_ROWS",
    "ANALYZE_WORK_ROWS",
]

from .._contract import (ANALYZE_RESULT_SIZE, ANALYZE_WORK_ROWS, LOWESS_WORK_ROWS, R_ANCHOR, R_BASE, R_DIVERGE,
                         R_DROP, R_FLAGS, R_MAX, R_MIN, R_MINSLOPE, R_ONSET, R_PLATEAU, R_SIGMA, R_START,
                         R_STEEPEST, R_UNSTABLE, R_XBASE, R_XMAX)

#: Smoothing scales (multiples of ``width``) averaged by :func:`valley_anchor`.
ANCHOR_SCALES = (1.0, 1.5, 2.0)
#: log10(4): base_lr = max_lr / 4 (written out so that every backend uses the same double).
LOG10_4 = 0.6020599913279624
#: R_FLAGS bit: the descent starts above max_lr / 4, so base_lr = max_lr / 4 was kept below it.
FLAG_ONSET_ABOVE_MAX = 1.0


def ema(x, alpha, out):
    """Causal EMA, first value raw: ``s_0 = x_0``, ``s_k = alpha*x_k + (1-alpha)*s_{k-1}``.

    torch-lr-finder 0.2.2 and ignite 0.5.5 (``smooth_f = alpha = 0.05``). No bias correction.
    """
    n = x.shape[0]
    if n == 0:
        return
    keep = 1.0 - alpha
    s = x[0]
    out[0] = s
    for k in range(1, n):
        s = alpha * x[k] + keep * s
        out[k] = s


def ema_debiased(x, beta, step_offset, out):
    """Bias-corrected EMA: ``a_k = beta*a_{k-1} + (1-beta)*x_k``, ``a_{-1} = 0``,
    ``s_k = a_k / (1 - beta**(k + 1 + step_offset))``.

    ``step_offset=0`` is the textbook correction (fastai 2.8 ``AvgSmoothLoss``, ktrain);
    ``step_offset=1`` reproduces Lightning's off-by-one (its ``global_step`` is read after the
    optimizer step). ``beta**k`` is a running product, so it is the same on every backend.
    """
    n = x.shape[0]
    one_minus = 1.0 - beta
    a = 0.0
    p = 1.0
    for _ in range(step_offset):
        p *= beta
    for k in range(n):
        a = beta * a + one_minus * x[k]
        p *= beta
        if p < 1e-17:
            p = 0.0  # 1 - p is exactly 1 from here; stopping avoids subnormal (slow) products
        out[k] = a / (1.0 - p)


def gradient_index(y, out):
    """``np.gradient(y)``: central differences per index, one-sided at the ends (n >= 2)."""
    n = y.shape[0]
    out[0] = y[1] - y[0]
    out[n - 1] = y[n - 1] - y[n - 2]
    if n > 2:
        out[1 : n - 1] = (y[2:] - y[:-2]) / 2.0


def gradient_x(x, y, out):
    """``np.gradient(y, x)`` on a non-uniform grid: second-order central differences inside,
    first-order one-sided at the ends (n >= 2)::

        g_i = (h0^2 y_{i+1} - h1^2 y_{i-1} + (h1^2 - h0^2) y_i) / (h0 h1 (h0 + h1)),
        h0 = x_i - x_{i-1},  h1 = x_{i+1} - x_i
    """
    n = y.shape[0]
    out[0] = (y[1] - y[0]) / (x[1] - x[0])
    out[n - 1] = (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2])
    if n > 2:
        h0 = x[1:-1] - x[:-2]
        h1 = x[2:] - x[1:-1]
        a = -h1 / (h0 * (h0 + h1))
        b = (h1 - h0) / (h0 * h1)
        c = h0 / (h1 * (h0 + h1))
        out[1 : n - 1] = a * y[:-2] + b * y[1:-1] + c * y[2:]


def argmin_nanfirst(y):
    """Index of the minimum; the first NaN wins (NumPy/torch ``argmin`` semantics)."""
    return int(np.argmin(y))


def valley_index(y, work):
    """fastai 2.8 ``valley``: the middle of the longest strictly decreasing subsequence.

    ``lds_i = 1 + max{lds_j : j < i, y_j > y_i}`` (1 if none); ``e`` = first index with the
    largest ``lds``; ``s = e - lds_e`` (``e = s = 0`` when no ``lds`` exceeds 1); ``d = (e - s) / 3``; answer ``s + floor(d) + floor(d/2)``.
    fastai computes ``lds`` in O(n^2); patience sorting gives every ``lds_i`` in O(n log n):
    ``work[:m]`` holds, for each length ``l``, the largest possible last value of a strictly
    decreasing subsequence of length ``l + 1`` (stored negated so that it is increasing).
    NaN compares false, so a NaN gets ``lds = 1`` and never extends a subsequence.
    """
    n = y.shape[0]
    m = 0
    best_len, best_end = 1, 0
    for i in range(n):
        v = y[i]
        if v != v:
            continue
        key = -v
        pos = int(np.searchsorted(work[:m], key, side="left"))
        work[pos] = key
        if pos == m:
            m += 1
        if pos + 1 > best_len:
            best_len, best_end = pos + 1, i
    if best_len == 1:
        return 0  # fastai never moves max_start/max_end off 0 when nothing decreases
    sections = best_len / 3.0
    return int(best_end - best_len + int(sections) + int(sections / 2.0))


def slide_index(grad, thresh, lr_diff):
    """fastai 2.8 ``slide``: index (from the start, may be negative in fastai's terms) of the
    LR it returns. Start with ``r = n-1``, ``l = n-1-lr_diff``; ``ans = l``; while ``l >= 0``
    and ``|grad_r - grad_l| > thresh``: ``ans = l``; step both left. Returns ``ans`` as a
    Python-style index (negative means counted from the end, as fastai's would wrap).
    """
    n = grad.shape[0]
    r = n - 1
    l = n - 1 - lr_diff
    ans = l
    while l >= 0 and abs(grad[r] - grad[l]) > thresh:
        ans = l
        r -= 1
        l -= 1
    return int(ans)


def steep_index(lrs, y):
    """fastai 2.8 ``steep``: left end of the steepest segment in ``dy / d ln(lr)``.

    ``d_i = (y_{i+1} - y_i) / (ln lr_{i+1} - ln lr_i)``; returns ``argmin d`` (NaN first).
    """
    d = (y[1:] - y[:-1]) / (np.log(lrs[1:]) - np.log(lrs[:-1]))
    return int(np.argmin(d))


def ignite_index(s):
    """ignite 0.5.5 ``lr_suggestion``: steepest central difference before the minimum.

    ``m = argmin s``; over ``i = 1 .. m - 1``, ``g_i = (s_{i+1} - s_{i-1}) / 2``; returns
    ``argmin g + 1``, or -1 when ``m < 2`` (ignite raises: the curve is not U-shaped).
    """
    m = int(np.argmin(s))
    if m < 2:
        return -1
    g = 0.5 * (s[2 : m + 1] - s[: m - 1])
    return int(np.argmin(g)) + 1


def stop_index(s, threshold, best_from_previous):
    """Number of points a finder keeps under a divergence stop on the smoothed loss ``s``.

    Stops after the first ``k`` with ``s_k > threshold * best``, keeping point ``k``
    (torch-lr-finder, ignite, fastai, Lightning all record it). ``best`` is the minimum of
    ``s_0 .. s_k`` (torch-lr-finder, ignite, fastai) or of ``s_0 .. s_{k-1}``
    (``best_from_previous``: Lightning, which never tests ``k = 0``). NaN never stops.
    Returns ``n`` when the run never stops.
    """
    n = s.shape[0]
    if n == 0:
        return 0
    best = s[0]
    for k in range(1, n):
        v = s[k]
        if not best_from_previous and v < best:
            best = v
        if v > threshold * best:
            return k + 1
        if best_from_previous and v < best:
            best = v
    return n


def _prefix_sums(W, xc, w, yy):
    """Rows 0..4 of ``W`` ((n+1) wide): running sums of w, w*xc, w*xc^2, w*yy and w*xc*yy, from 0."""
    wx = w * xc
    for row, v in enumerate((w, wx, wx * xc, w * yy, wx * yy)):
        W[row, 0] = 0.0
        np.cumsum(v, out=W[row, 1:])


def _window_lines(W, lo, hi, xc, out, slope):
    """The weighted least-squares line through the points ``lo[i] <= j < hi[i]`` at ``xc[i]``,
    from the prefix sums in ``W``: value (NaN where the window has no weight) and slope."""
    s0, s1, s2, sy, sxy = (W[row, hi] - W[row, lo] for row in range(5))
    _solve(xc, s0, s1, s2, sy, sxy, out, slope)


def lowess(x, y, width, iterations, out, slope, work):
    """Zero-phase robust local-linear smoother with a window in units of ``x``.

    For every ``i`` a straight line is fitted by weighted least squares to the points with
    ``|x_j - x_i| <= width / 2`` and evaluated at ``x_i`` (``out``) with its slope
    (``slope``, ``dy/dx``). Weights start at 1 (0 for NaN); each of ``iterations`` robustness
    passes then sets Tukey bisquare weights ``w_j = (1 - (r_j / 6m)^2)^2`` (Cleveland 1979,
    LOWESS), ``m`` being the median of ``|y_j - fit_j|``. A point above the fit is judged by
    ``r_j = |y_j - fit_j|`` (Cleveland's rule: a spike or a burst of instability gets weight 0);
    a point *below* the fit by ``r_j = min(|y_j - fit_j|, |y_j - med_j|)``, ``med_j`` being the
    median of the finite ``y`` among indices ``j-2 .. j+2`` (:func:`_median5`). So a downward
    spike of one or two points is still rejected, but a valley several points wide, which a
    straight line over the window cannot follow, keeps its weight instead of being cut off.
    A window that a robustness pass leaves without weight keeps the previous pass's value.
    The window is symmetric in ``x`` (no lag, unlike a causal EMA) and its width is in decades
    when ``x = log10(lr)``. Finally each value is kept within the range of the finite losses
    in its window (:func:`_clamp_to_window_range`; ``slope`` stays the line's). Window sums come
    from prefix sums (O(n); the compiled backends take window ranges from monotone queues); ``work`` has
    ``LOWESS_WORK_ROWS * (n + 1)`` values. Points whose window holds no finite loss get NaN.
    """
    n = x.shape[0]
    if n == 0:
        return
    x0 = x[0] + 0.5 * (x[n - 1] - x[0])  # centring keeps the prefix sums well conditioned
    W = work.reshape(LOWESS_WORK_ROWS, n + 1)
    w = W[6, :n]
    r = W[7, :n]
    half = 0.5 * width
    lo = np.searchsorted(x, x - half, side="left")
    hi = np.searchsorted(x, x + half, side="right")
    xc = x - x0
    finite = y == y
    w[:] = np.where(finite, 1.0, 0.0)
    yy = np.where(finite, y, 0.0)
    for it in range(iterations + 1):
        _prefix_sums(W, xc, w, yy)
        if it == 0:
            _window_lines(W, lo, hi, xc, out, slope)
        else:
            # a window left without weight keeps the previous pass's value
            f = np.empty(n)
            b = np.empty(n)
            _window_lines(W, lo, hi, xc, f, b)
            keep = ~(W[0, hi] - W[0, lo] > 0.0)
            out[:] = np.where(keep, out, f)
            slope[:] = np.where(keep, slope, b)
        if it == iterations:
            break
        r[:] = np.where(finite, np.abs(y - out), np.nan)
        vals = r[finite & (out == out)]
        m = float(np.median(vals)) if vals.size else 0.0
        if not m > 0.0:
            break
        below = np.flatnonzero(finite & (y < out))
        for j in below:
            d = abs(y[j] - _median5(y, j))
            if d < r[j]:
                r[j] = d
        u = r / (6.0 * m)
        w[:] = np.where(finite & (u < 1.0), (1.0 - u * u) ** 2, 0.0)
    _clamp_to_window_range(y, lo, hi, out)


def _clamp_to_window_range(y, lo, hi, out):
    """Keep each ``out[i]`` within the range of the finite ``y[lo[i]:hi[i]]`` (its window): a
    line extrapolated across a jump (a valley floor running into divergence) can otherwise land
    below every loss it summarises. Windows without a finite loss are left alone."""
    n = y.shape[0]
    ends = np.empty(2 * n, dtype=np.int64)  # reduceat over [lo, hi) pairs; hi == n needs a sentinel
    ends[0::2], ends[1::2] = lo, hi
    padded = np.append(y, np.nan)
    with np.errstate(invalid="ignore"):
        low = np.fmin.reduceat(padded, ends)[0::2]
        high = np.fmax.reduceat(padded, ends)[0::2]
    has = (hi > lo) & (low == low)
    out[:] = np.where(has & (out < low), low, np.where(has & (out > high), high, out))


def _median5(y, j):
    """Median of the finite ``y`` among indices ``j-2 .. j+2`` (clipped to the array; ``y_j``
    is finite): the middle value, or the mean of the two middle values when their count is even."""
    n = y.shape[0]
    v = y[max(0, j - 2) : min(n, j + 3)]
    v = np.sort(v[v == v])
    k = v.shape[0]
    if k % 2 == 1:
        return float(v[k // 2])
    return float((v[k // 2 - 1] + v[k // 2]) / 2.0)


def _solve(xc, s0, s1, s2, sy, sxy, out, slope):
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = s1 / s0
        my = sy / s0
        var = s2 - s1 * mx
        cov = sxy - s1 * my
        b = cov / var
        # A window with (numerically) one abscissa has no slope: fall back to the mean.
        flat = ~(var > 1e-12 * s2)
        b = np.where(flat, 0.0, b)
        b = np.where(s0 > 0.0, b, np.nan)
        out[:] = np.where(s0 > 0.0, my + b * (xc - mx), np.nan)
        slope[:] = b


def divergence_ceiling(x, y, width, work):
    """The level above which a loss is divergence: ``s + (s - y_min)``, ``s`` the median of the
    finite losses within ``width / 2`` of the first LR (the first finite loss if there are
    none), ``y_min`` the smallest finite loss; ``inf`` if no loss is finite.

    :func:`analyze_run` clips losses at it before smoothing: a loss that has risen above its
    start by more than the whole descent says only "diverged", and a blown-up value (1e30 is
    common) would otherwise drag every local line near it, and cancel the prefix sums, far
    below zero. ``work`` needs ``n`` values."""
    finite = y == y
    if not finite.any():
        return math.inf
    first = y[finite & (x <= x[0] + 0.5 * width)]
    if first.size == 0:
        first = y[finite][:1]
    s = float(np.median(first))
    return s + (s - float(np.min(y[finite])))


def noise_sigma(y, fit, ceiling, work):
    """Robust noise level of a log: ``1.4826 * median(|y - fit|)`` over points where both are
    finite and ``y <= ceiling`` (the MAD-based standard deviation of the residuals; 0.0 if there
    are none). The points above the divergence ceiling were clipped to it before smoothing: their
    residuals measure the clip, not the noise (a log that only rose, clipped almost everywhere, had
    zero noise and any wiggle read as a descent). ``work`` needs ``len(y)`` values."""
    with np.errstate(invalid="ignore"):
        r = np.abs(y - fit)[~(y > ceiling)]
    r = r[np.isfinite(r)]
    if r.size == 0:
        return 0.0
    return 1.4826 * float(np.median(r))


def near_minimum(f, i, tau):
    """The stretch of the curve ``f`` around its minimum ``f[i]`` that stays within ``tau`` of
    it: the largest ``a <= i <= b`` with every ``f[a..b] <= f[i] + tau`` (a NaN ends it).
    Returns ``(a, b)``. Inside it the curve's noise cannot tell where the minimum is."""
    n = f.shape[0]
    level = f[i] + tau
    a = i
    while a > 0 and f[a - 1] <= level:
        a -= 1
    b = i
    while b < n - 1 and f[b + 1] <= level:
        b += 1
    return a, b


def valley_anchor(x, y, level, width, sigma, work):
    """Where the valley of a range test is, robustly: the middle of the minimum of a
    *clipped, non-robust* local-linear fit, averaged over three window widths.

    Losses are clipped at ``level`` (the smoothed starting loss: anything above it is
    divergence, and its size carries no information) and NaN gets weight 0. Unlike the
    robust smoother, this fit does *not* down-weight spikes, so a ragged stretch (the
    onset of instability) raises the local mean and pushes the minimum to the left of it.
    For each ``k`` in :data:`ANCHOR_SCALES` a straight line is fitted over
    ``|x_j - x_i| <= k * width / 2`` (prefix sums, as in :func:`lowess`); at its smallest
    finite value (first index ``i``) the fit's noise is ``tau = sigma / sqrt(m)``, ``m`` the
    number of finite losses in that window, and the scale's answer is the middle,
    ``(x_a + x_b) / 2``, of the stretch :func:`near_minimum` ``(fit, i, tau)``: on a flat
    valley floor the argmin alone wanders with the noise, the stretch does not. The anchor
    is the mean over the scales (summed in that order, divided by the count), NaN if no
    window has weight. Averaging over scales makes it depend on no single bandwidth.
    ``sigma`` is the raw noise (:func:`noise_sigma`); ``work`` needs ``6 * (n + 1)`` values.
    """
    n = x.shape[0]
    if n == 0:
        return math.nan
    x0 = x[0] + 0.5 * (x[n - 1] - x[0])
    W = work[: 5 * (n + 1)].reshape(5, n + 1)
    xc = x - x0
    finite = y == y
    _prefix_sums(W, xc, np.where(finite, 1.0, 0.0), np.where(finite, np.minimum(y, level), 0.0))
    total = 0.0
    count = 0
    fit = np.empty(n)
    slope = np.empty(n)
    for k in ANCHOR_SCALES:
        half = 0.5 * (k * width)
        lo = np.searchsorted(x, x - half, side="left")
        hi = np.searchsorted(x, x + half, side="right")
        _window_lines(W, lo, hi, xc, fit, slope)
        good = np.flatnonzero(fit == fit)
        if good.size == 0:
            continue
        i = int(good[np.argmin(fit[good])])
        m = W[0, hi[i]] - W[0, lo[i]]
        a, b = near_minimum(fit, i, sigma / math.sqrt(m))
        total += 0.5 * (x[a] + x[b])
        count += 1
    return total / count if count else math.nan


def _last_at_or_below(x, v):
    """Largest index ``j`` with ``x[j] <= v`` (0 if none): the grid point of a bound."""
    j = int(np.searchsorted(x, v, side="right")) - 1
    return max(j, 0)


def find_bounds(x, s, slope, sigma, base_frac, plateau_frac, edge, anchor, result):
    """Cyclical bounds on a smoothed curve ``s(x)`` (``x`` increasing, NaN-free).

    * ``start`` = level at the start: ``s_0``; ``imin`` = argmin ``s``; ``drop = start - s_min``.
    * divergence = first ``j > imin`` with ``s_j > start`` (the loss climbed back above where it
      began), else ``n``.
    * onset = first index after which ``s`` stays below ``start - max(base_frac * drop, sigma)``
      up to ``imin``: where sustained descent starts (one raw noise unit at least).
    * ``max`` (log-LR, slot ``R_XMAX``) = ``min(anchor, x[imin])``: the LR of the valley anchor
      (:func:`valley_anchor`, which sits before the instability; ``x[imin]`` when ``anchor`` is
      NaN), never above the smoothed minimum.
    * ``base`` (``R_XBASE``) = ``max(max - log10 4, x[onset])``: a quarter of ``max_lr``
      (Smith 2017), but not on the flat stretch before the descent. If the onset is at or
      above ``max`` the quarter is kept and ``R_FLAGS`` gets :data:`FLAG_ONSET_ABOVE_MAX`.
    * ``R_BASE`` / ``R_MAX`` are the grid indices of those values (last ``x_j <= value``).
    * Informational: plateau = first index ``>= onset`` with ``s <= s_min + plateau_frac * drop``;
      steepest slope in ``[onset, imin]``; unstable = first ``j`` from the steepest point with
      slope above ``edge * sigma``.

    ``result`` gets indices (as floats), log-LR values and levels; see ``R_*`` slots. O(n).
    """
    n = x.shape[0]
    result[:] = np.nan
    imin = int(np.argmin(s))
    start = s[0]
    drop = start - s[imin]
    result[R_MIN] = imin
    result[R_START] = start
    result[R_DROP] = drop
    result[R_SIGMA] = sigma
    div = n
    for j in range(imin + 1, n):
        if s[j] > start:
            div = j
            break
    result[R_DIVERGE] = div
    depth = base_frac * drop
    if sigma > depth:
        depth = sigma
    level = start - depth
    onset = 0
    for j in range(imin, -1, -1):
        if s[j] > level:
            onset = j + 1
            break
    if onset > imin:
        onset = imin
    result[R_ONSET] = onset
    plat_level = s[imin] + plateau_frac * drop
    plateau = imin
    for j in range(onset, imin + 1):
        if s[j] <= plat_level:
            plateau = j
            break
    result[R_PLATEAU] = plateau
    steep = onset
    for j in range(onset, imin + 1):
        if slope[j] < slope[steep]:
            steep = j
    result[R_STEEPEST] = steep
    result[R_MINSLOPE] = slope[steep]
    unstable = imin
    for j in range(steep, imin + 1):
        if slope[j] > edge * sigma:
            unstable = j
            break
    result[R_UNSTABLE] = unstable
    if not (anchor == anchor):
        anchor = x[imin]
    result[R_ANCHOR] = anchor
    xmax = anchor
    if not (xmax < x[imin]):
        xmax = x[imin]
    xbase = xmax - LOG10_4
    flags = 0.0
    if x[onset] > xbase:
        if x[onset] < xmax:
            xbase = x[onset]
        else:
            flags = FLAG_ONSET_ABOVE_MAX
    result[R_XMAX] = xmax
    result[R_XBASE] = xbase
    result[R_MAX] = _last_at_or_below(x, xmax)
    result[R_BASE] = _last_at_or_below(x, xbase)
    result[R_FLAGS] = flags


def analyze_run(x, y, width, iterations, base_frac, plateau_frac, edge, fit, slope, work, result):
    """One range test end to end: losses clipped at :func:`divergence_ceiling` -> :func:`lowess`
    -> :func:`noise_sigma` -> (gaps filled) -> :func:`valley_anchor` (clipped at the smoothed
    start ``fit[0]``) -> :func:`find_bounds`; every step after the clip sees the clipped losses.

    ``x`` increasing, ``y`` may hold NaN. A log whose smoothed curve is all NaN gets
    ``result[R_MIN] = -1``. ``work`` has ``ANALYZE_WORK_ROWS * (n + 1)`` values.
    """
    n = x.shape[0]
    stride = n + 1
    ceiling = divergence_ceiling(x, y, width, work[:n])
    yc = work[LOWESS_WORK_ROWS * stride : LOWESS_WORK_ROWS * stride + n]
    yc[:] = np.minimum(y, ceiling)  # NaN stays NaN
    work = work[: LOWESS_WORK_ROWS * stride]
    lowess(x, yc, width, iterations, fit, slope, work)
    sigma = noise_sigma(y, fit, ceiling, work[:n])  # clipped points are not noise
    if not np.all(fit == fit):
        # a gap wider than the window: carry neighbours so the bound search sees a curve
        good = fit == fit
        if not good.any():
            result[:] = np.nan
            result[R_MIN] = -1
            return
        idx = np.where(good, np.arange(n), 0)
        np.maximum.accumulate(idx, out=idx)
        first = int(np.argmax(good))
        idx[:first] = first
        fit[:] = fit[idx]
        slope[:] = slope[idx]
    anchor = valley_anchor(x, yc, fit[0], width, sigma, work)
    find_bounds(x, fit, slope, sigma, base_frac, plateau_frac, edge, anchor, result)


def analyze_runs(x, y, lengths, width, iterations, base_frac, plateau_frac, edge, fit, slope, work, result, n_threads):
    """:func:`analyze_run` on each row ``r`` of ``[runs, points]`` arrays, using the first
    ``lengths[r]`` points; ``result`` is ``[runs, ANALYZE_RESULT_SIZE]``. ``work`` is scratch per
    thread, ``[threads, ANALYZE_WORK_ROWS * (points + 1)]`` (at least one row; the compiled
    backends run at most ``work.shape[0]`` threads, thread ``t`` taking runs ``t, t + T, ...``).
    ``n_threads`` is ignored here."""
    for r in range(x.shape[0]):
        m = int(lengths[r])
        analyze_run(x[r, :m], y[r, :m], width, iterations, base_frac, plateau_frac, edge,
                    fit[r, :m], slope[r, :m], work[0, : ANALYZE_WORK_ROWS * (m + 1)], result[r])


def bin_log(lr, loss, edges, out_x, out_y, out_count):
    """Reduce a long sorted log to bins of learning rate.

    ``edges`` (increasing, ``nb + 1`` values) are LR bin edges; bin ``b`` takes
    ``edges[b] <= lr < edges[b+1]`` (the last bin includes its right edge). For each bin:
    ``out_x`` = the mean LR (log10 is taken by the caller, with NumPy on every backend:
    ``std::log10`` and ``math.log10`` differ from it by an ulp at times), ``out_y`` = mean of the finite losses (NaN if none),
    ``out_count`` = number of finite losses. Returns the number of points that fell in no bin.
    """
    nb = edges.shape[0] - 1
    idx = np.searchsorted(edges, lr, side="right") - 1
    idx[lr == edges[nb]] = nb - 1
    inside = (idx >= 0) & (idx < nb)
    outside = int(lr.shape[0] - inside.sum())
    i = idx[inside]
    fin = np.isfinite(loss[inside])
    cnt_all = np.bincount(i, minlength=nb)
    sum_lr = np.bincount(i, weights=lr[inside], minlength=nb)
    cnt = np.bincount(i[fin], minlength=nb)
    sum_y = np.bincount(i[fin], weights=loss[inside][fin], minlength=nb)
    with np.errstate(invalid="ignore", divide="ignore"):
        out_x[:] = sum_lr / cnt_all
        out_y[:] = np.where(cnt > 0, sum_y / np.maximum(cnt, 1), np.nan)
    out_count[:] = cnt
    return outside


# Python's str.isspace() over ASCII. Fields are ASCII numbers without '_' (float() would take
# "1_000" and Unicode digits; the C++ parser and pandas do not).
_WS = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def parse_columns(buf, delim, ncols, col_a, col_b, out_a, out_b, status, n_threads=0):
    """Parse the rows of a delimited text body (bytes as a uint8 array, header removed).

    Lines are cut at ``\n`` only (a trailing ``\r`` is dropped); lines of whitespace are
    skipped. Each other line must have ``ncols`` fields separated by ``delim`` (quotes do not
    protect a delimiter). Fields ``col_a`` and ``col_b`` are read into ``out_a`` / ``out_b``:
    whitespace and one pair of enclosing double quotes are stripped; an empty field is NaN;
    otherwise the field is read as by ``float()`` (correctly rounded; ``inf``, ``nan``,
    exponents), restricted to ASCII without ``_``. At most ``out_a.shape[0]`` rows are stored,
    all are counted. ``status`` (int64[3]) gets: rows read, 0 on success or the 1-based line of
    the first malformed line, and the error kind (1 wrong field count, 2 unparsable number);
    reading stops there. Returns the number of rows. ``n_threads`` only splits the work in
    the C++ kernel; the result does not depend on it.
    """
    text = bytes(buf).decode("utf-8", "replace")
    rows = 0
    status[0] = 0
    status[1] = 0
    status[2] = 0
    line_no = 0
    for line in text.split("\n"):
        line_no += 1
        line = line.rstrip("\r")
        if not line.strip(_WS):
            continue
        fields = line.split(chr(delim))
        if len(fields) != ncols:
            status[1] = line_no
            status[2] = 1
            break
        try:
            a = _parse_field(fields[col_a])
            b = _parse_field(fields[col_b])
        except ValueError:
            status[1] = line_no
            status[2] = 2
            break
        if rows < out_a.shape[0]:
            out_a[rows] = a
            out_b[rows] = b
        rows += 1
    status[0] = rows
    return rows


def _parse_field(s):
    s = s.strip(_WS)
    if len(s) >= 2 and s[0] == '"' and s[-1] == '"':
        s = s[1:-1].strip(_WS)
    if s == "":
        return math.nan
    if not s.isascii() or "_" in s:
        raise ValueError(f"not a plain ASCII number: {s!r}")
    return float(s)


def scan_log(lr, loss, stats):
    """One pass over a raw log, so that clean logs (the common case) skip every copy.

    ``stats`` (int64[6]) gets: first index with a non-finite or non-positive ``lr`` (-1 if
    none); first ``i >= 1`` with ``lr[i] <= lr[i-1]`` (-1: strictly increasing); number of
    non-finite losses; last index with a finite loss (-1 if none); first index with a
    non-finite loss (-1 if none); first ``i >= 1`` with ``lr[i] < lr[i-1]`` (-1: sorted).
    """
    n = lr.shape[0]
    bad = np.flatnonzero(~(np.isfinite(lr) & (lr > 0)))
    stats[0] = bad[0] if bad.size else -1
    d = lr[1:] - lr[:-1]
    v = np.flatnonzero(~(d > 0))
    stats[1] = v[0] + 1 if v.size else -1
    fin = np.isfinite(loss)
    nf = np.flatnonzero(~fin)
    stats[2] = nf.size
    f = np.flatnonzero(fin)
    stats[3] = f[-1] if f.size else -1
    stats[4] = nf[0] if nf.size else -1
    u = np.flatnonzero(d < 0)
    stats[5] = u[0] + 1 if u.size else -1
