"""Seed and iteration stability on the 20-seed range tests of tests/data, beyond the digits MLP
at batch 64: ``python benchmarks/stability.py`` prints the full tables.

* seed_runs_small_batch: the digits MLP with batches of 4 and 16, the noisy regime in which the
  anchors' steepest-gradient suggestions swing by 10x to 70x between seeds (issue 3's figures);
* seed_runs_tasks: the three tasks of benchmarks/usefulness.py (MLP and CNN on digits, MLP on
  a synthetic 5-class problem), SGD-momentum and Adam, run through ``pyclr.torch.range_test``.

Both were generated after analyze()'s rule was fixed. Neither reaches issue 3's 1.5x / 2x
targets (see the README); the tests assert how pyclr compares with the anchors on them.
"""
from __future__ import annotations

import pytest

from conftest import load_benchmark

S = load_benchmark("stability")

STEEPEST_GRADIENT = ("steepest", "steep", "ignite", "lightning")
#: table -> (its cells, its configurations)
TABLES = {
    "small_batch": (S.small_batch, [(o, b) for b in S.SMALL_BATCHES for o in S.OPTIMIZERS]),
    "tasks": (S.tasks, [(t, o) for t in S.TASKS for o in S.OPTIMIZERS]),
}


@pytest.mark.parametrize("table", TABLES)
def test_bounds_steadier_than_every_anchor(use_backend, table):
    """Over seeds: pyclr's worst cell (median 5-seed spread over the 4 groups, over every
    configuration and 50..400 iterations) is below every anchor rule's worst cell (other models:
    3.94x; the next best, ignite 4.33x and valley 5.18x). Over iteration counts: the median seed
    moves less than under any steepest-gradient rule, in every configuration (other models:
    1.88-2.75x against 4.27x and more)."""
    cells_of, configs = TABLES[table]
    cells = cells_of()
    rules = ("pyclr",) + S.METHODS
    worst = {r: max(max(cells[(r,) + k][0]) for k in configs) for r in rules}
    for rule in S.METHODS:
        assert worst["pyclr"] < worst[rule], (rule, worst)
    for k in configs:
        ours = cells[("pyclr",) + k][2]
        for rule in STEEPEST_GRADIENT:
            assert ours < cells[(rule,) + k][2], (k, rule, ours, cells[(rule,) + k][2])


def test_small_batch_combination_of_five_seeds(use_backend):
    """The 5-seed combination agrees within 1.7x across the four groups in all 16 configurations
    and within 1.5x in 12 (1.64x at most, batch 4 with SGD-momentum and 50 iterations). Before
    the noise estimate left out the losses clipped at the divergence ceiling, 14 cells were within
    1.5x but the worst was 1.84x (the same cell)."""
    spreads = {}
    for opt in S.OPTIMIZERS:
        for b in S.SMALL_BATCHES:
            for n in S.ITERS:
                runs = S.small_batch_runs(opt, b, n)
                comb = [S.pyclr.analyze([runs[s][0] for s in g], [runs[s][1] for s in g]) for g in S.SMALL_GROUPS]
                assert all(a.ok for a in comb), (opt, b, n)
                spreads[opt, b, n] = S._spread(comb)
    assert max(spreads.values()) <= 1.7, spreads
    assert sum(v <= 1.5 for v in spreads.values()) >= 12, spreads


def test_other_models_runs_are_complete_sweeps():
    """Every file of seed_runs_tasks holds 20 seeds on the benchmark's grid (1e-6..10,
    exponential), and every run has a clear descent (analyze() gives verdict ok and both bounds
    on all 480)."""
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


def test_issue_14_runs_steadier_than_the_steadiest_anchor(use_backend):
    """Issue 14's decision on one log, on its own kind of runs (tests/data/seed_runs_b32: digits MLP,
    batch 32, 10 seeds, held out from the rule changes): over the four figures (10-seed spread at
    200 iterations and the median seed's spread over 50..400, SGD-momentum and Adam), pyclr's
    typical spread is no larger than that of the anchor rule with the smallest typical spread, and
    its worst figure no worse than that rule's worst."""
    out = S.issue14()
    pyclr_figs, pyclr_typ, pyclr_worst = out.pop("pyclr")
    steadiest = min(out, key=lambda r: out[r][1])
    _, typ, worst = out[steadiest]
    assert pyclr_typ <= typ and pyclr_worst <= worst, (steadiest, out[steadiest], pyclr_figs)
