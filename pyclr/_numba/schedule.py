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
_OPTS = dict(cache=True, nogil=True, fastmath=False, error_model="numpy")


@njit(**_OPTS)
def _scalar(x, a, b, shape, e, u, w, p, q, k):
    z = p + q * x
    if shape == COS:
        f = math.cos(z)
    elif shape == POW:
        f = max(z, 0.0) ** k
    else:
        f = z
    env = math.exp(e * x) if e != 0.0 else 1.0
    return a + b * env * (u + w * f)


@njit(**_OPTS)
def _pow_block(f, lo, hi, z_first, z_mid, z_last, k, coef):
    """f[i] = f[i] ** k for lo <= i < hi, f affine in i (clamped at 0); as in csrc/schedule.cpp:
    a binomial series around the block's middle value, chosen per grid block, else pow.
    ``coef`` (_MAX_TERMS + 1 values) is scratch."""
    if k == 1.0:
        return
    if k == 2.0:
        for i in range(lo, hi):
            f[i] = f[i] * f[i]
        return
    if k == 0.5:
        for i in range(lo, hi):
            f[i] = math.sqrt(f[i])
        return
    if k == math.floor(k) and k <= 16.0:  # small integer powers by repeated multiplication
        z = f[lo:hi].copy()
        if k == 0.0:
            f[lo:hi] = 1.0
        for _ in range(1, int(k)):
            for i in range(lo, hi):
                f[i] *= z[i - lo]
        return
    coef[0] = 1.0
    terms = 0
    power = 1.0
    if z_first > 0.0 and z_mid > 0.0 and z_last > 0.0:
        delta = max(abs(z_first - z_mid), abs(z_last - z_mid)) / z_mid
        while delta < 0.25 and terms < _MAX_TERMS:
            coef[terms + 1] = coef[terms] * (k - terms) / (terms + 1)
            terms += 1
            power *= delta
            if abs(coef[terms]) * power < _TINY:
                break
        if not abs(coef[terms]) * power < _TINY:
            terms = 0
    if terms == 0:
        for i in range(lo, hi):
            f[i] = f[i] ** k
        return
    inv = 1.0 / z_mid
    scale = z_mid ** k
    top = coef[terms]
    for i in range(lo, hi):
        x = (f[i] - z_mid) * inv
        acc = top
        for j in range(terms - 1, -1, -1):
            acc = acc * x + coef[j]
        f[i] = scale * acc


@njit(**_OPTS)
def _fill_piece(out, lo, t_lo, t_hi, origin, a, b, shape, e, u, w, p, q, k, short_piece):
    """out[lo + t - t_lo] for t in [t_lo, t_hi); blocks on a global grid, so values never depend on the window."""
    if t_hi <= t_lo:
        return
    if shape == LINEAR and e == 0.0:
        c0 = a + b * (u + w * p)
        c1 = b * w * q
        for t in range(t_lo, t_hi):
            out[lo + t - t_lo] = c0 + c1 * (float(t) - origin)
        return
    if short_piece:
        for t in range(t_lo, t_hi):
            out[lo + t - t_lo] = _scalar(float(t) - origin, a, b, shape, e, u, w, p, q, k)
        return
    f = np.empty(_BLOCK)
    g = np.empty(_BLOCK)
    c = np.empty(_LANES)
    s = np.empty(_LANES)
    coef = np.empty(_MAX_TERMS + 1)
    cq, sq = math.cos(q), math.sin(q)
    cl, sl = math.cos(_LANES * q), math.sin(_LANES * q)
    eq, el = math.exp(e), math.exp(_LANES * e)
    grid = t_lo - t_lo % _BLOCK
    while grid < t_hi:
        blo = max(grid, t_lo)
        bhi = min(grid + _BLOCK, t_hi)
        m = bhi - grid
        xg = float(grid) - origin
        if shape == COS:
            c[0] = math.cos(p + q * xg)
            s[0] = math.sin(p + q * xg)
            for l in range(1, _LANES):
                c[l] = c[l - 1] * cq - s[l - 1] * sq
                s[l] = s[l - 1] * cq + c[l - 1] * sq
            for r in range(0, m, _LANES):
                for l in range(_LANES):
                    f[r + l] = c[l]
                for l in range(_LANES):
                    nc = c[l] * cl - s[l] * sl
                    s[l] = s[l] * cl + c[l] * sl
                    c[l] = nc
        elif shape == POW:
            for t in range(blo, bhi):
                f[t - grid] = max(p + q * (float(t) - origin), 0.0)
            z0 = p + q * xg
            zm = p + q * ((float(grid) + _BLOCK // 2) - origin)
            z1 = p + q * ((float(grid) + (_BLOCK - 1)) - origin)
            _pow_block(f, blo - grid, m, z0, zm, z1, k, coef)
        else:
            for t in range(blo, bhi):
                f[t - grid] = p + q * (float(t) - origin)
        skip = blo - grid
        dst = lo + blo - t_lo
        if e != 0.0:
            c[0] = math.exp(e * xg)
            for l in range(1, _LANES):
                c[l] = c[l - 1] * eq
            for r in range(0, m, _LANES):
                for l in range(_LANES):
                    g[r + l] = c[l]
                for l in range(_LANES):
                    c[l] *= el
            for i in range(skip, m):
                out[dst + i - skip] = a + b * g[i] * (u + w * f[i])
        else:
            base = a + b * u
            amp = b * w
            for i in range(skip, m):
                out[dst + i - skip] = base + amp * f[i]
        grid += _BLOCK


@njit(**_OPTS)
def fill_segments(out, start, seg_int, seg_flt):
    n = out.shape[0]
    for s in range(seg_int.shape[0]):
        lo = max(seg_int[s, 0], start)
        hi = min(seg_int[s, 1], start + n)
        if lo >= hi:
            continue
        sf = seg_flt[s]
        _fill_piece(out, lo - start, lo, hi, sf[0], sf[1], sf[2], seg_int[s, 2], sf[3], sf[4], sf[5], sf[6], sf[7],
                    sf[8], seg_int[s, 1] - seg_int[s, 0] < _SHORT)


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
            t0 = max(t0, lo_t)
            t1 = min(t1, hi_t)
            if t0 >= t1:
                continue
            pf = tpl_flt[i]
            _fill_piece(out, t0 - start, t0, t1, oj, a, b, tpl_int[i], pf[1], pf[2], pf[3], pf[4], pf[5], pf[6],
                        short_piece)
