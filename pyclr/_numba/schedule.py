"""numba versions of the schedule kernels (same names, arguments and meaning as ``pyclr._core``).

The algorithm mirrors csrc/schedule.cpp: blocks of 512 steps whose cos/exp values are
seeded once per lane and advanced by rotations/multiplications, so the inner loops are
multiply-adds that LLVM vectorises. See ``pyclr/_reference/schedule.py`` for the definition.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["LINEAR", "COS", "POW", "fill_segments", "fill_cycles"]

LINEAR, COS, POW = 0, 1, 2
_BLOCK = 512
_LANES = 8
_SHORT = 4 * _LANES  # pieces shorter than this are evaluated directly
_MAX_TERMS = 16  # binomial-series terms for z**k before falling back to pow
_TINY = 2.0 ** -56
_STEEP_ENVELOPE = 64.0 / _BLOCK  # as kSteepEnvelope in csrc/schedule.cpp: exp per step beyond it
_OPTS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


@njit(**_OPTS)
def _scalar(x, a, b, shape, e, u, w, p, q, k):
    z = p + q * x
    if shape == COS:
        f = math.cos(z)
    elif shape == POW:
        f = min(max(z, 0.0), 1.0) ** k
    else:
        f = min(max(z, 0.0), 1.0)
    env = math.exp(e * x) if e != 0.0 else 1.0
    return max(a + b * env * (u + w * f), 0.0)  # as nonneg in csrc/schedule.cpp


# i - _BLOCK/2 for the lanes of a block (see _series)
_CENTRED = np.arange(-(_BLOCK // 2), _BLOCK // 2, dtype=np.float64)


@njit(**_OPTS)
def _exact_power(k):
    """Powers with an exact cheap form, done by _pow_block: small integers and square roots."""
    return k == 0.5 or (k == math.floor(k) and k <= 16.0)


@njit(**_OPTS)
def _series_terms(z_first, z_mid, z_last, k, coef):
    """As in csrc/schedule.cpp: z**k on a block by the binomial series around c = z_mid,
    z**k = c**k sum_j C(k, j) u^j with u = (z - c)/c, |u| <= delta over the block, cut where the
    terms fall below 2^-56 relative. Writes coef[0..terms] = C(k, j) and returns terms; 0 where z
    nears 0 relative to its change over the block (then _pow_block)."""
    if not (z_first > 0.0 and z_mid > 0.0 and z_last > 0.0):
        return 0
    delta = max(abs(z_first - z_mid), abs(z_last - z_mid)) / z_mid
    coef[0] = 1.0
    power = 1.0
    terms = 1
    while delta < 0.25 and terms <= _MAX_TERMS:
        coef[terms] = coef[terms - 1] * (k - (terms - 1)) / terms
        power *= delta
        if abs(coef[terms]) * power < _TINY:
            return terms
        terms += 1
    return 0


@njit(**_OPTS)
def _series(dst, d0, lo, hi, r, coef, terms, acc, vlo, vhi):
    """dst[d0 + i - lo] = sum_{j <= terms} coef[j] u_i^j for lo <= i < hi, clamped to [vlo, vhi] (the
    range of z**k, or of the values it is folded into), u_i = (i - _BLOCK/2) * r: z is affine, so
    u = (z - c)/c is affine in the lane index (no z). Horner with the
    terms outside and the lanes inside, in ``acc`` (scratch, may be ``dst`` with d0 = lo): every
    pass is a multiply-add over the block that LLVM vectorises, which a loop over a variable
    number of terms inside the lane loop prevents."""
    n = hi - lo
    a = acc[lo:hi]  # views indexed from 0: no negative-index wraparound, which blocks vectorisation
    x = _CENTRED[lo:hi]
    a[:] = coef[terms]
    for j in range(terms - 1, 0, -1):
        c = coef[j]
        for i in range(n):
            a[i] = a[i] * (x[i] * r) + c
    c = coef[0]
    d = dst[d0 : d0 + n]
    for i in range(n):
        d[i] = min(max(a[i] * (x[i] * r) + c, vlo), vhi)


@njit(**_OPTS)
def _pow_block(f, k):
    """f[i] = f[i] ** k for all i (f clamped to [0, 1]) where the series does not apply: exact forms
    for small integers and 1/2, pow otherwise."""
    if k == 1.0:
        return
    if k == 2.0:
        for i in range(f.size):
            f[i] = f[i] * f[i]
        return
    if k == 0.5:
        for i in range(f.size):
            f[i] = math.sqrt(f[i])
        return
    if _exact_power(k):  # small integer powers by repeated multiplication
        z = f.copy()
        if k == 0.0:
            f[:] = 1.0
        for _ in range(1, int(k)):
            for i in range(f.size):
                f[i] *= z[i]
        return
    for i in range(f.size):
        f[i] = f[i] ** k


@njit(**_OPTS)
def _seed_cos(f, s, theta, cq, sq):
    """First row of the cosine lanes: f[l] = cos(theta + q*l), s[l] = sin(theta + q*l) for
    l < _LANES, by rotations by q (cq = cos(q), sq = sin(q)), as cos_block in csrc/schedule.cpp."""
    f[0] = math.cos(theta)
    s[0] = math.sin(theta)
    for l in range(1, _LANES):
        f[l] = f[l - 1] * cq - s[l - 1] * sq
        s[l] = s[l - 1] * cq + f[l - 1] * sq


@njit(**_OPTS)
def _seed_exp(g, ex, eq):
    """First row of the envelope lanes: g[l] = exp(ex + e*l) for l < _LANES (eq = exp(e)), as
    exp_block in csrc/schedule.cpp."""
    g[0] = math.exp(ex)
    for l in range(1, _LANES):
        g[l] = g[l - 1] * eq


@njit(**_OPTS)
def _lane_rows(f, s, g, m, cl, sl, el, wave, envelope):
    """Lanes _LANES..m-1 of the block from its seeded first row, as cos_block and exp_block in
    csrc/schedule.cpp: each row is the row before rotated by _LANES*q (cosines f, sines s;
    cl, sl = cos, sin of _LANES*q) where ``wave``, and times el = exp(_LANES*e) (envelope g)
    where ``envelope``.

    Written for numba: the rows live in the block itself, not in lane arrays (numba keeps small
    arrays in memory, where their reloads serialise the lane loops and keep them scalar), and
    the loop counts from 0 and writes a fixed distance ahead, which LLVM vectorises (i - _LANES
    from _LANES up would keep numba's negative-index wraparound, and the loop scalar). Each
    recurrence is then a latency chain through memory; one loop for both overlaps the two
    chains (cos x exp: 0.73 -> 0.46 ns/element). LLVM unswitches the loop-invariant flags."""
    for i in range(m - _LANES):
        if wave:
            f[i + _LANES] = f[i] * cl - s[i] * sl
            s[i + _LANES] = s[i] * cl + f[i] * sl
        if envelope:
            g[i + _LANES] = g[i] * el


@njit(**_OPTS)
def _fill_piece(out, lo, t_lo, t_hi, first, origin, a, b, shape, e, u, w, p, q, k, short_piece):
    """out[lo + t - t_lo] for t in [t_lo, t_hi); blocks on a global grid (seeded at the piece's
    ``first`` step where it starts inside a block), so values never depend on the window."""
    if t_hi <= t_lo:
        return
    # as in csrc/schedule.cpp: |u|, |w| <= 1 in every piece, so b*u and b*w stay within |b|
    base = a + b * u
    amp = b * w
    if shape == LINEAR and e == 0.0:
        # base + amp*z, not the affine c0 + c1*x: c0, the value at x = 0, may lie far outside
        # the piece (a falling phase extrapolated back to its cycle's start) and overflow
        d = out[lo : lo + t_hi - t_lo]  # views indexed from 0, as in _series
        for i in range(d.size):
            d[i] = max(base + amp * min(max(p + q * (float(t_lo + i) - origin), 0.0), 1.0), 0.0)
        return
    if short_piece:
        for t in range(t_lo, t_hi):
            out[lo + t - t_lo] = _scalar(float(t) - origin, a, b, shape, e, u, w, p, q, k)
        return
    # the seeds of the lanes take up to _LANES entries past the block's end
    f = np.empty(_BLOCK + _LANES)
    g = np.empty(_BLOCK + _LANES)
    sn = np.empty(_BLOCK + _LANES)  # sines beside the cosines in f
    coef = np.empty(_MAX_TERMS + 1)
    cq, sq = math.cos(q), math.sin(q)
    cl, sl = math.cos(_LANES * q), math.sin(_LANES * q)
    eq, el = math.exp(e), math.exp(_LANES * e)
    for grid in range(t_lo - t_lo % _BLOCK, t_hi, _BLOCK):
        blo = max(grid, t_lo)
        bhi = min(grid + _BLOCK, t_hi)
        m = bhi - grid
        skip = blo - grid
        dst = lo + blo - t_lo
        xg = float(grid) - origin
        # as in csrc/schedule.cpp: the cos and exp lanes start at the piece's first step where the
        # piece starts inside the block (an envelope seeded steps before a steep decay overflows)
        seed = max(grid, first) - grid
        xs = float(grid + seed) - origin
        # As in csrc/schedule.cpp: a fractional power takes the series where the block allows,
        # c**k (and with no envelope amp and base) folded into the coefficients, so that with
        # no envelope one pass writes the values.
        terms = 0
        ratio = 0.0
        if shape == POW and not _exact_power(k):
            zm = p + q * ((float(grid) + _BLOCK // 2) - origin)
            terms = _series_terms(p + q * xg, zm, p + q * ((float(grid) + (_BLOCK - 1)) - origin), k, coef)
            if terms > 0:
                ratio = q / zm
                scale = zm ** k * (amp if e == 0.0 else 1.0)
                for j in range(terms + 1):
                    coef[j] *= scale
                if e == 0.0:
                    coef[0] += base
        if terms > 0 and e == 0.0:
            _series(out, dst, skip, m, ratio, coef, terms, f, max(min(base, base + amp), 0.0), max(base, base + amp))
            continue
        # lanes skip..m of the block, in out and in f, g, as views indexed from 0 (as in _series)
        d = out[dst : dst + m - skip]
        fv = f[skip:m]
        gv = g[skip:m]
        # the first rows of the envelope and cosine lanes; _lane_rows below does the rest
        fs, sns, gs = f[seed:], sn[seed:], g[seed:]
        steep = abs(e) > _STEEP_ENVELOPE
        if steep:
            for i in range(m - seed):
                gs[i] = math.exp(e * (xs + float(i)))
        elif e != 0.0:
            _seed_exp(gs, e * xs, eq)
        if shape == COS:
            _seed_cos(fs, sns, p + q * xs, cq, sq)
        elif shape == POW:
            if terms > 0:
                _series(f, skip, skip, m, ratio, coef, terms, f, 0.0, 1.0)
            else:
                for i in range(fv.size):
                    fv[i] = min(max(p + q * (float(blo + i) - origin), 0.0), 1.0)
                _pow_block(fv, k)
        else:
            for i in range(fv.size):
                fv[i] = min(max(p + q * (float(blo + i) - origin), 0.0), 1.0)
        _lane_rows(fs, sns, gs, m - seed, cl, sl, el, shape == COS, e != 0.0 and not steep)
        # as in csrc/schedule.cpp: rotated cosines back within [-1, 1] (the other shapes are within
        # [0, 1] already), values never below 0
        flo = -1.0 if shape == COS else 0.0
        if e != 0.0:
            for i in range(d.size):
                d[i] = max(a + b * gv[i] * (u + w * min(max(fv[i], flo), 1.0)), 0.0)
        else:
            for i in range(d.size):
                d[i] = max(base + amp * min(max(fv[i], flo), 1.0), 0.0)


@njit(**_OPTS)
def fill_segments(out, start, seg_int, seg_flt):
    n = out.shape[0]
    for s in range(seg_int.shape[0]):
        lo = max(seg_int[s, 0], start)
        hi = min(seg_int[s, 1], start + n)
        if lo >= hi:
            continue
        sf = seg_flt[s]
        _fill_piece(out, lo - start, lo, hi, seg_int[s, 0], sf[0], sf[1], sf[2], seg_int[s, 2], sf[3], sf[4], sf[5],
                    sf[6], sf[7], sf[8], seg_int[s, 1] - seg_int[s, 0] < _SHORT)


@njit(**_OPTS)
def fill_cycles(out, start, begin, end, origin, period, j0, cyc, tpl_int, tpl_flt):
    n = out.shape[0]
    lo_t = max(begin, start)
    hi_t = min(end, start + n)
    npieces = tpl_int.shape[0]
    if lo_t >= hi_t or cyc.shape[0] == 0 or npieces == 0:
        return
    first = int(math.floor((lo_t - origin) / period)) - 1
    last = int(math.floor((hi_t - origin) / period)) + 1
    for j in range(max(first, j0), min(last, j0 + cyc.shape[0] - 1) + 1):
        oj = origin + j * period
        onext = origin + (j + 1) * period
        a = cyc[j - j0, 0]
        b = cyc[j - j0, 1]
        for i in range(npieces):
            t0 = int(math.ceil(oj + tpl_flt[i, 0]))
            t1 = int(math.ceil(oj + tpl_flt[i + 1, 0])) if i + 1 < npieces else int(math.ceil(onext))
            short_piece = t1 - t0 < _SHORT
            first = t0
            t0 = max(t0, lo_t)
            t1 = min(t1, hi_t)
            if t0 >= t1:
                continue
            pf = tpl_flt[i]
            _fill_piece(out, t0 - start, t0, t1, first, oj, a, b, tpl_int[i], pf[1], pf[2], pf[3], pf[4], pf[5],
                        pf[6], short_piece)
