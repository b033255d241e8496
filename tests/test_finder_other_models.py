"""Seed and iteration stability beyond the digits MLP (tests/data/seed_runs_tasks).

The three tasks of benchmarks/usefulness.py (MLP and CNN on digits, MLP on a synthetic 5-class
problem), SGD-momentum and Adam, 20 seeds each, run through ``pyclr.torch.range_test`` after
analyze()'s rule was fixed. ``python benchmarks/stability.py`` prints the full tables; the
README says where issue 3's targets are missed on them (most 5-seed groups of the CNN and the
5-class MLP spread over 1.5x).
"""
from __future__ import annotations

import pytest

from conftest import load_benchmark

S = load_benchmark("stability")

STEEPEST_GRADIENT = ("steepest", "steep", "ignite", "lightning")


def test_other_models_bounds_against_anchors(use_backend):
    """Over seeds: pyclr's worst cell (median 5-seed spread over the 4 groups, over the six
    task/optimizer pairs and 50..400 iterations; measured 3.94x) is below every anchor rule's
    worst cell (the next best: ignite 4.33x, valley 5.18x). Over iteration counts: the median
    seed moves less than under any steepest-gradient rule, in every configuration (1.88-2.75x
    against 4.27x and more)."""
    cells = S.tasks()
    rules = ("pyclr",) + S.METHODS
    configs = [(t, o) for t in S.TASKS for o in S.OPTIMIZERS]
    worst = {r: max(max(cells[(r,) + k][0]) for k in configs) for r in rules}
    for rule in S.METHODS:
        assert worst["pyclr"] < worst[rule], (rule, worst)
    for k in configs:
        ours = cells[("pyclr",) + k][2]
        for rule in STEEPEST_GRADIENT:
            assert ours < cells[(rule,) + k][2], (k, rule, ours, cells[(rule,) + k][2])


def test_other_models_runs_are_complete_sweeps():
    """Every file holds 20 seeds on the benchmark's grid (1e-6..10, exponential), and every
    run has a clear descent (analyze() gives a verdict with both bounds on all 480)."""
    for task in S.TASKS:
        for opt in S.OPTIMIZERS:
            for n in S.ITERS:
                runs = S.task_runs(task, opt, n)
                assert len(runs) == 20
                lrs = runs[0][0]
                assert lrs.shape == (n,) and lrs[0] == pytest.approx(1e-6) and lrs[-1] == pytest.approx(10.0)
                for lrs, losses in runs:
                    a = S.pyclr.analyze(lrs, losses)
                    assert a.ok and a.base_lr < a.max_lr, (task, opt, n, a.verdict)
