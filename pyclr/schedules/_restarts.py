"""Restart boundaries by exact integer arithmetic.

torch's and timm's closed forms take ``int(log(...))`` of a float and land in the wrong
cycle at exact boundaries (step 121 with T_0=1, T_mult=3). Here cycle ``i`` has the integer
length ``max(1, round(T_0 * T_mult**i))`` (exactly ``T_0 * T_mult**i`` for integer T_mult)
and restarts are their cumulative sums.
"""
from __future__ import annotations

import numpy as np

from .. import _validate as v

__all__ = ["cycle_starts", "check_cycle_count", "MAX_CYCLES"]

#: Most cycles a schedule may need before step 2**53 (or before its cycles shrink to one step).
#: Cycles are listed from the first one, so a factor barely above 1 (T_mult=1.0000001: 2e8 cycles
#: of almost equal length) made every window far into the run list millions of them.
MAX_CYCLES = 2**20


def cycle_lengths(first: int, factor: float, count: int) -> np.ndarray:
    if float(factor).is_integer() and factor >= 1:
        lengths = [first]
        for _ in range(count - 1):  # exact Python-int arithmetic; the count is logarithmic here
            lengths.append(min(lengths[-1] * int(factor), 2**62))
        return np.array(lengths, dtype=np.int64)
    with np.errstate(over="ignore"):  # a huge factor overflows to inf, capped below
        raw = first * np.power(float(factor), np.arange(count, dtype=np.float64))
    return np.maximum(1, np.rint(np.minimum(raw, 2.0**62))).astype(np.int64)


def cycle_starts(first: int, factor: float, stop: int, limit: int | None = None) -> np.ndarray:
    """Start steps of cycles 0, 1, ... up to the first cycle starting at or after ``stop``.

    Returns an int64 array ``s`` with ``s[0] = 0`` and cycle ``i`` covering ``[s[i], s[i+1])``;
    its last entry is >= ``stop`` (or the end of cycle ``limit - 1``). When cycles shrink to
    length 1 the remaining restarts are every step; callers treat that tail as a period-1 block.
    """
    count = 16
    while True:
        n = count if limit is None else min(count, limit)
        lengths = cycle_lengths(first, factor, n)
        # lengths are capped at 2**62, so their int64 sum could wrap: keep them only up to the first
        # cycle that ends at or past 2**62 (past any stop; the float sum does not wrap)
        lengths = lengths[: int(np.searchsorted(np.cumsum(lengths, dtype=np.float64), 2.0**62)) + 1]
        starts = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        if lengths.shape[0] < n:
            return starts
        if starts[-1] >= stop or n == limit or (factor < 1 and lengths[-1] == 1):
            return starts
        count *= 2


def check_cycle_count(name: str, first: int, factor: float, limit: int | None) -> None:
    """Raise ValueError naming ``name`` (the factor) when its cycles need more than MAX_CYCLES
    cycles to reach step 2**53 (a factor of exactly 1 is periodic and never listed)."""
    if factor == 1 or (limit is not None and limit <= MAX_CYCLES):
        return
    starts = cycle_starts(first, factor, v.MAX_INT, MAX_CYCLES + 1 if limit is None else min(limit, MAX_CYCLES + 1))
    if len(starts) - 1 > MAX_CYCLES:
        raise ValueError(f"Expected {name} of 1 or further from it (cycles of {first} * {name}**i steps take more "
                         f"than 2**20 cycles to reach step 2**53), but got {factor!r}")
