"""Schedule kernels in plain NumPy: the readable definition and the test oracle.

Every schedule compiles to pieces. A piece covers integer steps ``t`` and evaluates

    value(t) = a + b * exp(e * x) * (u + w * F(p + q * x)),     x = t - origin

with ``F`` chosen by ``shape``: ``LINEAR`` F(z) = z, ``COS`` F(z) = cos(z), ``POW`` F(z) = z**k.
``a`` and ``b`` carry the bounds; ``e`` an exponential envelope (``exp_range``'s gamma**t,
exponential warmups and decays); ``u + w * F`` the unit wave.

Every LINEAR and POW piece the policies build runs z over [0, 1] (a position within a phase),
and the kernels clamp z to [0, 1] (and the rotated cosines of the compiled kernels to
[-1, 1]): rounding at a piece's ends then cannot carry a value past the piece's end value,
such as a decay to 0 ending at -1e-17, a negative learning rate. Values are learning rates or
momenta, never negative: the kernels also return max(value, 0), for the rounding of subnormal
bounds (an odd multiple of 5e-324 halved) that no clamp of z reaches.

Two kernels walk the pieces:

``fill_segments(out, start, seg_int, seg_flt)``
    ``seg_int[i] = (begin, end, shape)``, ``seg_flt[i] = (origin, a, b, e, u, w, p, q, k)``.
    Writes ``out[t - start]`` for every step ``t`` in ``[begin, end)`` inside the window
    ``[start, start + len(out))``.

``fill_cycles(out, start, begin, end, origin, period, j0, cyc, tpl_int, tpl_flt)``
    A repeating template: cycle ``j`` starts at ``o_j = origin + j * period`` and covers the
    steps ``ceil(o_j) <= t < ceil(o_{j+1})``; inside it ``x = t - o_j`` and piece ``i`` covers
    ``ceil(o_j + lo_i) <= t < ceil(o_j + lo_{i+1})`` (the last piece ends with the cycle).
    ``cyc[j - j0] = (a_j, b_j)`` are the per-cycle bounds; ``tpl_int[i] = shape``,
    ``tpl_flt[i] = (lo, e, u, w, p, q, k)``. Only steps in ``[begin, end)``, inside the
    window and in cycles ``j0 <= j < j0 + len(cyc)`` are written.

Kernels never validate and never allocate beyond temporaries; ``out`` may be float64 or
float32 (values are computed in float64).
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["LINEAR", "COS", "POW", "fill_segments", "fill_cycles"]

LINEAR, COS, POW = 0, 1, 2


def _wave(shape: int, z: np.ndarray, k: float) -> np.ndarray:
    if shape == LINEAR:
        return np.clip(z, 0.0, 1.0)
    if shape == COS:
        return np.cos(z)
    return np.power(np.clip(z, 0.0, 1.0), k)


def _piece(x: np.ndarray, a, b, e, shape, u, w, p, q, k) -> np.ndarray:
    envelope = np.exp(e * x) if e != 0.0 else 1.0
    return np.maximum(a + b * envelope * (u + w * _wave(int(shape), p + q * x, k)), 0.0)


def fill_segments(out, start, seg_int, seg_flt):
    n = out.shape[0]
    for (begin, end, shape), (origin, a, b, e, u, w, p, q, k) in zip(seg_int, seg_flt):
        lo, hi = max(int(begin), start), min(int(end), start + n)
        if lo >= hi:
            continue
        x = np.arange(lo, hi, dtype=np.float64) - origin
        out[lo - start : hi - start] = _piece(x, a, b, e, shape, u, w, p, q, k)


def fill_cycles(out, start, begin, end, origin, period, j0, cyc, tpl_int, tpl_flt):
    n = out.shape[0]
    lo_t, hi_t = max(begin, start), min(end, start + n)
    if lo_t >= hi_t:
        return
    offsets = [float(row[0]) for row in tpl_flt]
    for j in range(j0, j0 + cyc.shape[0]):
        o_j = origin + j * period
        o_next = origin + (j + 1) * period
        a_j, b_j = cyc[j - j0]
        for i, (shape, (_, e, u, w, p, q, k)) in enumerate(zip(tpl_int, tpl_flt)):
            t0 = math.ceil(o_j + offsets[i])
            t1 = math.ceil(o_j + offsets[i + 1]) if i + 1 < len(offsets) else math.ceil(o_next)
            t0, t1 = max(t0, lo_t), min(t1, hi_t)
            if t0 >= t1:
                continue
            x = np.arange(t0, t1, dtype=np.float64) - o_j
            out[t0 - start : t1 - start] = _piece(x, a_j, b_j, e, shape, u, w, p, q, k)
