"""pytest-benchmark suite: whole-run schedules against np.full, the NumPy formula and numba.

Run: ``pytest benchmarks/test_bench_schedules.py --benchmark-enable --benchmark-group-by=param:policy``.
The ratio table in the README comes from ``python benchmarks/schedule_ratios.py`` (same cases).
"""
from __future__ import annotations

import numpy as np
import pytest

from pyclr import _backend
from schedules_cases import N, cases

CASES = cases()


@pytest.mark.parametrize("policy", list(CASES))
def test_np_full_floor(benchmark, policy):
    benchmark(np.full, N, 1.0)


@pytest.mark.parametrize("backend", ["cpp", "numba"])
@pytest.mark.parametrize("policy", list(CASES))
def test_pyclr_values(benchmark, policy, backend, monkeypatch):
    monkeypatch.setattr(_backend, "_active", (backend, _backend.load(backend)))
    schedule = CASES[policy][0]
    schedule.values(1000)  # warm the JIT
    out = benchmark(schedule.values, N)
    assert out.shape == (N,)


@pytest.mark.parametrize("policy", [p for p, (_, f) in CASES.items() if f is not None])
def test_numpy_formula(benchmark, policy):
    benchmark(CASES[policy][1])
