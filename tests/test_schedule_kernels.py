"""Schedule kernels called directly on pieces the public API does not build: fractional powers
under an exponential envelope, and decays that run through z = 0 (blocks where the compiled
kernels switch between the per-block binomial series and pow)."""
from __future__ import annotations

import numpy as np
import pytest

from pyclr import _reference as reference

N = 200_000


def pow_piece(k, e, q=-1.0 / N, end=N + 3000):
    """One POW segment, value = 1e-3 + 1e-2 * exp(e*t) * (1 - t/N)_+**k: past t = N, z < 0 (clamped)."""
    seg_int = np.array([[0, end, reference.POW]], dtype=np.int64)
    seg_flt = np.array([[0.0, 1e-3, 1e-2, e, 0.0, 1.0, 1.0, q, k]])
    return seg_int, seg_flt, end


def fill(kernels, seg_int, seg_flt, n, start=0, dtype=np.float64):
    out = np.full(n, -1.0, dtype=dtype)
    kernels.fill_segments(out, start, seg_int, seg_flt)
    return out


@pytest.mark.parametrize("k", [0.3, 1.5, 7.9, 17.5, 20.0])
@pytest.mark.parametrize("e", [0.0, -2e-6])
def test_pow_piece_matches_reference_and_windows(kernels, k, e):
    seg_int, seg_flt, n = pow_piece(k, e)
    ref = fill(reference, seg_int, seg_flt, n)
    got = fill(kernels, seg_int, seg_flt, n)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * ref.max())
    assert np.all(got[N:] == 1e-3)  # z <= 0: the clamp gives exactly 0**k = 0
    # windows starting and ending inside blocks, short ones included, equal the long array
    rng = np.random.default_rng(int(k * 10) + int(e != 0))
    for _ in range(40):
        start = int(rng.integers(0, n - 1))
        m = int(rng.integers(1, 40)) if rng.random() < 0.5 else int(rng.integers(1, 5000))
        m = min(m, n - start)
        np.testing.assert_array_equal(fill(kernels, seg_int, seg_flt, m, start), got[start : start + m])
    got32 = fill(kernels, seg_int, seg_flt, n, dtype=np.float32)
    np.testing.assert_array_equal(got32, got.astype(np.float32))
