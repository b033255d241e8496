"""pytest-benchmark suite for pyclr.torch (ratios: ``python benchmarks/torch_ratios.py``).

Run with ``python -m pytest benchmarks/test_bench_torch.py --benchmark-enable``. Each
benchmark times ``REPS`` scheduler steps; ``extra_info`` carries the ratio to the torch
baseline measured in the same test, so every ratio comes from one run.
"""
from __future__ import annotations

import os
import sys

import pytest

torch = pytest.importorskip("torch")
sys.path.insert(0, os.path.dirname(__file__))
import torch_cases as C  # noqa: E402

torch.set_num_threads(1)

CASES = {
    "scheduled_1group": (lambda: C.scheduled(C.CYCLIC, 1), lambda: C.torch_cyclic(False), 5),
    "hook_1group": (lambda: C.hook(C.CYCLIC, 1), lambda: C.torch_cyclic(False), 5),
    "scheduled_1group_momentum": (lambda: C.scheduled(C.CYCLIC, 1, True), lambda: C.torch_cyclic(True), 5),
    "hook_1group_momentum": (lambda: C.hook(C.CYCLIC, 1, True), lambda: C.torch_cyclic(True), 5),
    "scheduled_50groups": (lambda: C.scheduled(C.ONE_CYCLE, 50), lambda: C.torch_one_cycle(50, False), 10),
    "hook_50groups": (lambda: C.hook(C.ONE_CYCLE, 50), lambda: C.torch_one_cycle(50, False), 10),
    "scheduled_50groups_momentum": (lambda: C.scheduled(C.ONE_CYCLE, 50, True),
                                    lambda: C.torch_one_cycle(50, True), 10),
    "hook_50groups_momentum": (lambda: C.hook(C.ONE_CYCLE, 50, True), lambda: C.torch_one_cycle(50, True), 10),
}


@pytest.mark.parametrize("name", list(CASES))
def test_step_vs_torch(benchmark, name):
    ours, theirs, target = CASES[name]
    fn = ours()
    benchmark(fn)
    base = C.best_time(theirs(), 5)
    own = C.best_time(fn, 5)
    benchmark.extra_info.update(
        torch_us_per_step=base / C.REPS * 1e6, pyclr_us_per_step=own / C.REPS * 1e6,
        ratio=f"1/{base / own:.1f}", target=f"1/{target}",
    )


@pytest.mark.parametrize("which", ["plain_loop", "range_test"])
def test_range_test_overhead(benchmark, which):
    fn = C.plain_loop() if which == "plain_loop" else C.range_test_run()
    benchmark.pedantic(fn, rounds=3, warmup_rounds=1)
    if which == "range_test":
        plain, own = C.interleaved(C.plain_loop(), fn, rounds=9)
        benchmark.extra_info.update(overhead_pct=round(100 * (own / plain - 1), 1), target_pct=5)
