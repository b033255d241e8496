"""Seed and iteration stability on small-batch range tests (tests/data/seed_runs_small_batch).

Batches of 4 and 16 make the noisy regime in which the anchors' steepest-gradient suggestions
swing by 10x to 70x between seeds (issue 3's figures). The runs were generated after
analyze()'s rule was fixed; ``python benchmarks/stability.py`` prints the full tables.
"""
from __future__ import annotations

import pytest

from conftest import load_benchmark

S = load_benchmark("stability")

STEEPEST_GRADIENT = ("steepest", "steep", "ignite", "lightning")


def test_small_batch_bounds_steadier_than_every_anchor(use_backend):
    """Over seeds: pyclr's worst cell (median 5-seed spread, over both optimizers, both batch
    sizes and 50..400 iterations) is below every anchor rule's worst cell. Over iteration
    counts: the median seed moves less than under any steepest-gradient rule, in every
    configuration. (Neither reaches issue 3's 1.5x / 2x targets here: see the README.)"""
    cells = S.small_batch()
    rules = ("pyclr",) + S.METHODS
    configs = [(o, b) for b in S.SMALL_BATCHES for o in S.OPTIMIZERS]
    worst = {r: max(max(cells[r, o, b][0]) for o, b in configs) for r in rules}
    for rule in S.METHODS:
        assert worst["pyclr"] < worst[rule], (rule, worst)
    for o, b in configs:
        ours = cells["pyclr", o, b][2]
        for rule in STEEPEST_GRADIENT:
            assert ours < cells[rule, o, b][2], (o, b, rule, ours, cells[rule, o, b][2])


def test_small_batch_combination_of_five_seeds(use_backend):
    """The 5-seed combination agrees within 1.5x across the four groups in 14 of the 16
    configurations; the two misses are 50-iteration runs (2.28x with batch 4 and SGD-momentum,
    where 4 of the 20 runs show no clear descent and are left out of their combinations)."""
    spreads = {}
    for opt in S.OPTIMIZERS:
        for b in S.SMALL_BATCHES:
            for n in S.ITERS:
                runs = S.small_batch_runs(opt, b, n)
                comb = [S.pyclr.analyze([runs[s][0] for s in g], [runs[s][1] for s in g]) for g in S.SMALL_GROUPS]
                assert all(a.ok for a in comb), (opt, b, n)
                spreads[opt, b, n] = S._spread(comb)
    assert max(spreads.values()) <= 2.5, spreads
    assert sum(v <= 1.5 for v in spreads.values()) >= 14, spreads
    assert all(n == 50 for (_, _, n), v in spreads.items() if v > 1.5), spreads
