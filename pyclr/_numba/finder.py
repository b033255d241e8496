"""numba range-test kernels: same names, signatures and operation order as ``pyclr._core``.

Readable definitions and docs: ``pyclr._reference.finder``. numba is imported only here.
"""
from __future__ import annotations

import math

import numba as nb
import numpy as np

from .._contract import (ANALYZE_RESULT_SIZE, ANALYZE_WORK_ROWS, LOWESS_WORK_ROWS, R_ANCHOR, R_BASE, R_DIVERGE,
                         R_DROP, R_FLAGS, R_MAX, R_MIN, R_MINSLOPE, R_ONSET, R_PLATEAU, R_SIGMA, R_START,
                         R_STEEPEST, R_UNSTABLE, R_XBASE, R_XMAX)
from .._reference.finder import LOG10_4, FLAG_ONSET_ABOVE_MAX
from .csv import parse_columns  # noqa: F401  (compiled for common lines, the reference for the rest)
from .._reference.finder import divergence_ceiling as _ref_divergence_ceiling
from .._reference.finder import near_minimum as _ref_near_minimum

# one kernel contract: the same names as the reference (and pyclr._core)
from .._reference.finder import __all__  # noqa: E402,F401

# error_model="numpy": float division by zero gives inf/NaN as in C++, never an exception.
_jit = nb.njit(cache=True, nogil=True, error_model="numpy")


@_jit
def ema(x, alpha, out):
    n = x.shape[0]
    if n == 0:
        return
    keep = 1.0 - alpha
    s = x[0]
    out[0] = s
    for k in range(1, n):
        s = alpha * x[k] + keep * s
        out[k] = s


@_jit
def ema_debiased(x, beta, step_offset, out):
    one_minus = 1.0 - beta
    a = 0.0
    p = 1.0
    for _ in range(step_offset):
        p *= beta
    for k in range(x.shape[0]):
        a = beta * a + one_minus * x[k]
        p *= beta
        if p < 1e-17:
            p = 0.0
        out[k] = a / (1.0 - p)


@_jit
def gradient_index(y, out):
    n = y.shape[0]
    out[0] = y[1] - y[0]
    out[n - 1] = y[n - 1] - y[n - 2]
    for i in range(1, n - 1):
        out[i] = (y[i + 1] - y[i - 1]) / 2.0


@_jit
def gradient_x(x, y, out):
    n = y.shape[0]
    out[0] = (y[1] - y[0]) / (x[1] - x[0])
    out[n - 1] = (y[n - 1] - y[n - 2]) / (x[n - 1] - x[n - 2])
    for i in range(1, n - 1):
        h0 = x[i] - x[i - 1]
        h1 = x[i + 1] - x[i]
        a = -h1 / (h0 * (h0 + h1))
        b = (h1 - h0) / (h0 * h1)
        c = h0 / (h1 * (h0 + h1))
        out[i] = a * y[i - 1] + b * y[i] + c * y[i + 1]


@_jit
def argmin_nanfirst(y):
    best = 0
    for i in range(y.shape[0]):
        if math.isnan(y[i]):
            return i
        if y[i] < y[best]:
            best = i
    return best


@_jit
def valley_index(y, work):
    m = 0
    best_len = 1
    best_end = 0
    for i in range(y.shape[0]):
        v = y[i]
        if math.isnan(v):
            continue
        key = -v
        lo = 0
        hi = m
        while lo < hi:
            mid = (lo + hi) >> 1
            if work[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        work[lo] = key
        if lo == m:
            m += 1
        if lo + 1 > best_len:
            best_len = lo + 1
            best_end = i
    if best_len == 1:
        return 0
    sections = best_len / 3.0
    return best_end - best_len + int(sections) + int(sections / 2.0)


@_jit
def slide_index(grad, thresh, lr_diff):
    n = grad.shape[0]
    r = n - 1
    l = n - 1 - lr_diff
    ans = l
    while l >= 0 and abs(grad[r] - grad[l]) > thresh:
        ans = l
        r -= 1
        l -= 1
    return ans


@_jit
def steep_index(lrs, y):
    best = 0
    bestv = 0.0
    for i in range(y.shape[0] - 1):
        d = (y[i + 1] - y[i]) / (math.log(lrs[i + 1]) - math.log(lrs[i]))
        if math.isnan(d):
            return i
        if i == 0 or d < bestv:
            best = i
            bestv = d
    return best


@_jit
def ignite_index(s):
    m = argmin_nanfirst(s)
    if m < 2:
        return -1
    best = 0
    bestv = 0.0
    for i in range(1, m):
        g = 0.5 * (s[i + 1] - s[i - 1])
        if math.isnan(g):
            return i
        if i == 1 or g < bestv:
            best = i - 1
            bestv = g
    return best + 1


@_jit
def stop_index(s, threshold, best_from_previous):
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


@_jit
def _median_inplace(a):
    m = a.shape[0]
    k = m // 2
    s = np.sort(a)
    if m % 2 == 1:
        return s[k]
    return (s[k - 1] + s[k]) / 2.0


@_jit
def _median5(y, j):
    n = y.shape[0]
    v = np.empty(5)
    k = 0
    for i in range(max(0, j - 2), min(n, j + 3)):
        t = y[i]
        if t == t:
            # insertion sort
            p = k
            while p > 0 and v[p - 1] > t:
                v[p] = v[p - 1]
                p -= 1
            v[p] = t
            k += 1
    if k % 2 == 1:
        return v[k // 2]
    return (v[k // 2 - 1] + v[k // 2]) / 2.0


@_jit
def _prefix_sums(x, y, w, x0, clip, P):
    """Prefix sums for weighted least-squares lines (csrc/finder.cpp ``prefix_sums``): row r of
    ``P`` (5 x (n+1)) holds the running sums of w, w*xc, w*xc^2, w*yy, w*xc*yy, xc = x - x0,
    yy = min(y, clip) (0 where y is NaN). An empty ``w`` means 1 where y is finite, else 0."""
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    a4 = 0.0
    for row in range(5):
        P[row, 0] = 0.0
    use_w = w.shape[0] > 0
    for i in range(x.shape[0]):
        xc = x[i] - x0
        fin = y[i] == y[i]
        wi = w[i] if use_w else (1.0 if fin else 0.0)
        yy = (y[i] if y[i] < clip else clip) if fin else 0.0
        wx = wi * xc
        a0 += wi
        a1 += wx
        a2 += wx * xc
        a3 += wi * yy
        a4 += wx * yy
        P[0, i + 1] = a0
        P[1, i + 1] = a1
        P[2, i + 1] = a2
        P[3, i + 1] = a3
        P[4, i + 1] = a4


@_jit
def _window_line(P, lo, hi, xc):
    """(has weight, value, slope) of the weighted least-squares line through points lo..hi-1 at xc."""
    s0 = P[0, hi] - P[0, lo]
    if not (s0 > 0.0):
        return False, 0.0, 0.0
    s1 = P[1, hi] - P[1, lo]
    s2 = P[2, hi] - P[2, lo]
    sy = P[3, hi] - P[3, lo]
    sxy = P[4, hi] - P[4, lo]
    mx = s1 / s0
    my = sy / s0
    var = s2 - s1 * mx
    cov = sxy - s1 * my
    b = cov / var
    if not (var > 1e-12 * s2):
        b = 0.0
    return True, my + b * (xc - mx), b


@_jit
def lowess(x, y, width, iterations, out, slope, work):
    n = x.shape[0]
    if n == 0:
        return
    stride = n + 1
    W = work[: LOWESS_WORK_ROWS * stride].reshape((LOWESS_WORK_ROWS, stride))
    x0 = x[0] + 0.5 * (x[n - 1] - x[0])
    half = 0.5 * width
    w = W[6]
    r = W[7]
    for i in range(n):
        w[i] = 1.0 if y[i] == y[i] else 0.0
    for it in range(iterations + 1):
        _prefix_sums(x, y, w, x0, np.inf, W)
        lo = 0
        hi = 0
        for i in range(n):
            left = x[i] - half
            right = x[i] + half
            while x[lo] < left:
                lo += 1
            while hi < n and x[hi] <= right:
                hi += 1
            ok, fit, b = _window_line(W, lo, hi, x[i] - x0)
            if ok:
                out[i] = fit
                slope[i] = b
            elif it == 0:
                out[i] = np.nan
                slope[i] = np.nan
            # else: a window left without weight keeps the previous pass's value
        if it == iterations:
            break
        m = 0
        tmp = W[5]
        for i in range(n):
            fin = y[i] == y[i]
            r[i] = abs(y[i] - out[i]) if fin else np.nan
            if fin and out[i] == out[i]:
                tmp[m] = r[i]
                m += 1
        med = _median_inplace(tmp[:m]) if m > 0 else 0.0
        if not (med > 0.0):
            break
        for i in range(n):
            if y[i] == y[i] and y[i] < out[i]:
                d = abs(y[i] - _median5(y, i))
                if d < r[i]:
                    r[i] = d
        scale = 6.0 * med
        for i in range(n):
            u = r[i] / scale
            if y[i] == y[i] and u < 1.0:
                t = 1.0 - u * u
                w[i] = t * t
            else:
                w[i] = 0.0
    _clamp_to_window_range(x, y, half, out, w, r)


@_jit
def _clamp_to_window_range(x, y, half, out, qlow, qhigh):
    """Keep out[i] within the range of the finite y in its window: sliding minimum and maximum
    with monotone queues of indices (stored in the float rows qlow / qhigh, exact below 2**53)."""
    n = x.shape[0]
    lo = 0
    hi = 0
    a0 = a1 = b0 = b1 = 0  # queue heads and tails: qlow[a0:a1], qhigh[b0:b1]
    for i in range(n):
        left = x[i] - half
        right = x[i] + half
        while hi < n and x[hi] <= right:
            v = y[hi]
            if v == v:
                while a1 > a0 and y[int(qlow[a1 - 1])] >= v:
                    a1 -= 1
                qlow[a1] = hi
                a1 += 1
                while b1 > b0 and y[int(qhigh[b1 - 1])] <= v:
                    b1 -= 1
                qhigh[b1] = hi
                b1 += 1
            hi += 1
        while x[lo] < left:
            lo += 1
        while a1 > a0 and qlow[a0] < lo:
            a0 += 1
        while b1 > b0 and qhigh[b0] < lo:
            b0 += 1
        if a1 > a0:
            low = y[int(qlow[a0])]
            high = y[int(qhigh[b0])]
            if out[i] < low:
                out[i] = low
            elif out[i] > high:
                out[i] = high


divergence_ceiling = _jit(_ref_divergence_ceiling)  # masks and a median: the reference compiles as it is


@_jit
def noise_sigma(y, fit, ceiling, work):
    m = 0
    for i in range(y.shape[0]):
        r = abs(y[i] - fit[i])
        if math.isfinite(r) and not (y[i] > ceiling):
            work[m] = r
            m += 1
    if m == 0:
        return 0.0
    return 1.4826 * _median_inplace(work[:m])


_SCALES = (1.0, 1.5, 2.0)  # pyclr._reference.finder.ANCHOR_SCALES


near_minimum = _jit(_ref_near_minimum)  # plain loops: the reference compiles as it is


@_jit
def valley_anchor(x, y, level, width, sigma, work):
    n = x.shape[0]
    if n == 0:
        return np.nan
    stride = n + 1
    P = work[: 5 * stride].reshape((5, stride))
    fit = work[5 * stride : 5 * stride + n]
    x0 = x[0] + 0.5 * (x[n - 1] - x[0])
    _prefix_sums(x, y, np.empty(0), x0, level, P)
    total = 0.0
    count = 0
    for k in _SCALES:
        half = 0.5 * (k * width)
        lo = 0
        hi = 0
        best = -1
        bestv = 0.0
        weight = 0.0
        for i in range(n):
            left = x[i] - half
            right = x[i] + half
            while x[lo] < left:
                lo += 1
            while hi < n and x[hi] <= right:
                hi += 1
            ok, v, _ = _window_line(P, lo, hi, x[i] - x0)
            fit[i] = v if ok else np.nan
            if ok and v == v and (best < 0 or v < bestv):
                best = i
                bestv = v
                weight = P[0, hi] - P[0, lo]
        if best >= 0:
            a, b = near_minimum(fit, best, sigma / math.sqrt(weight))
            total += 0.5 * (x[a] + x[b])
            count += 1
    if count == 0:
        return np.nan
    return total / count


@_jit
def _last_at_or_below(x, v):
    lo = 0
    hi = x.shape[0]
    while lo < hi:  # first index with x > v
        mid = (lo + hi) // 2
        if x[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo - 1 if lo > 0 else 0


@_jit
def find_bounds(x, s, slope, sigma, base_frac, plateau_frac, edge, anchor, result):
    n = s.shape[0]
    result[:] = np.nan
    imin = argmin_nanfirst(s)
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


@_jit
def analyze_run(x, y, width, iterations, base_frac, plateau_frac, edge, fit, slope, work, result):
    n = x.shape[0]
    stride = n + 1
    ceiling = divergence_ceiling(x, y, width, work[:n])
    yc = work[LOWESS_WORK_ROWS * stride : LOWESS_WORK_ROWS * stride + n]
    for i in range(n):
        yc[i] = y[i] if not (y[i] > ceiling) else ceiling  # NaN stays NaN
    work = work[: LOWESS_WORK_ROWS * stride]
    lowess(x, yc, width, iterations, fit, slope, work)
    sigma = noise_sigma(y, fit, ceiling, work[:n])  # clipped points are not noise
    first = -1
    gaps = False
    for i in range(n):
        if fit[i] == fit[i]:
            if first < 0:
                first = i
        else:
            gaps = True
    if first < 0:
        result[:] = np.nan
        result[R_MIN] = -1.0
        return
    if gaps:
        for i in range(first):
            fit[i] = fit[first]
            slope[i] = slope[first]
        for i in range(first + 1, n):
            if not (fit[i] == fit[i]):
                fit[i] = fit[i - 1]
                slope[i] = slope[i - 1]
    anchor = valley_anchor(x, yc, fit[0], width, sigma, work)
    find_bounds(x, fit, slope, sigma, base_frac, plateau_frac, edge, anchor, result)


@nb.njit(cache=True, nogil=True, parallel=True, error_model="numpy")
def analyze_runs(x, y, lengths, width, iterations, base_frac, plateau_frac, edge, fit, slope, work, result, n_threads):
    runs = x.shape[0]
    nt = work.shape[0]
    if n_threads > 0 and n_threads < nt:
        nt = n_threads
    if runs < nt:
        nt = runs
    # one scratch row per worker: worker t takes runs t, t + nt, ... (as the C++ backend)
    for t in nb.prange(nt):
        for r in range(t, runs, nt):
            m = lengths[r]
            analyze_run(x[r, :m], y[r, :m], width, iterations, base_frac, plateau_frac, edge,
                        fit[r, :m], slope[r, :m], work[t, : ANALYZE_WORK_ROWS * (m + 1)], result[r])


@_jit
def bin_log(lr, loss, edges, out_x, out_y, out_count):
    n = lr.shape[0]
    nb_ = edges.shape[0] - 1
    outside = 0
    i = 0
    while i < n and lr[i] < edges[0]:
        outside += 1
        i += 1
    for k in range(nb_):
        right = edges[k + 1]
        last = k == nb_ - 1
        cnt_all = 0
        cnt = 0
        sum_lr = 0.0
        sum_y = 0.0
        while i < n and (lr[i] < right or (last and lr[i] == right)):
            cnt_all += 1
            sum_lr += lr[i]
            v = loss[i]
            if math.isfinite(v):
                cnt += 1
                sum_y += v
            i += 1
        out_x[k] = sum_lr / cnt_all if cnt_all > 0 else np.nan
        out_y[k] = sum_y / cnt if cnt > 0 else np.nan
        out_count[k] = cnt
    outside += n - i
    return outside


@_jit
def scan_log(lr, loss, stats):
    n = lr.shape[0]
    for j in range(6):
        stats[j] = -1
    stats[2] = 0
    for i in range(n):
        v = lr[i]
        if stats[0] < 0 and not (math.isfinite(v) and v > 0):
            stats[0] = i
        if i > 0:
            if stats[1] < 0 and not (v > lr[i - 1]):
                stats[1] = i
            if stats[5] < 0 and v < lr[i - 1]:
                stats[5] = i
        if math.isfinite(loss[i]):
            stats[3] = i
        else:
            stats[2] += 1
            if stats[4] < 0:
                stats[4] = i
