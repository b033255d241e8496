"""Print the README's stability tables: how far analyze()'s bounds move between runs that differ
only in seed, and between iteration counts (saved range tests, no training, a few seconds).

Usage: ``python benchmarks/stability.py``. Every figure is max/min over the runs compared, for
``max_lr`` and ``base_lr`` (they move together: base_lr = max_lr / 4 on these logs; the larger
spread is shown).

* tests/data/seed_runs: seeds 0-4, the runs analyze()'s rule was designed on.
* tests/data/seed_runs_heldout: seeds 5-44, eight more groups of five, generated after the rule
  was fixed (no parameter changed after seeing them): how the figures carry over.
  The anchors' single suggestions (``pyclr.suggest``) are measured on the same groups.
"""
from __future__ import annotations

import functools
import os
import statistics
import warnings

import numpy as np

import pyclr
from pyclr.finder import METHODS

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "data")
OPTIMIZERS = {"sgdm": "SGD-momentum", "adam": "Adam"}
SEEDS = range(5)
HELDOUT_GROUPS = [range(5 + 5 * g, 10 + 5 * g) for g in range(8)]
ITERS = (50, 100, 200, 400)


@functools.lru_cache(maxsize=None)  # each log is read once, not once per rule and table
def _log(opt: str, n: int, seed: int):
    folder = "seed_runs" if seed < 5 else "seed_runs_heldout"
    return pyclr.load_log(os.path.join(DATA, folder, f"{opt}_exp_n{n}_s{seed}.csv"))


def _ratio(vals) -> float:
    return max(vals) / min(vals) if min(vals) > 0 else float("inf")


def _spread(results) -> float:
    return max(_ratio([getattr(a, k) for a in results]) for k in ("base_lr", "max_lr"))


def _combined(opt: str, n: int, seeds) -> pyclr.Analysis:
    logs = [_log(opt, n, s) for s in seeds]
    return pyclr.analyze([l.lrs for l in logs], [l.losses for l in logs])


def _table(rows: dict) -> None:
    print("| max/min of the bounds | " + " | ".join(OPTIMIZERS.values()) + " |")
    print("|---|" + "---|" * len(OPTIMIZERS))
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells[o] for o in OPTIMIZERS) + " |")


def tuned() -> None:
    iters = " / ".join(map(str, ITERS))
    rows = {f"over 5 seeds, per iteration count ({iters})": {},
            f"over {ITERS[0]}..{ITERS[-1]} iterations, per seed (" + " / ".join(map(str, SEEDS)) + ")": {},
            "over iteration counts, 5 seeds combined": {}}
    by_seed, by_iters, combined = rows.values()
    for opt in OPTIMIZERS:
        runs = {(n, s): pyclr.analyze(_log(opt, n, s).lrs, _log(opt, n, s).losses) for n in ITERS for s in SEEDS}
        by_seed[opt] = " / ".join(f"{_spread([runs[n, s] for s in SEEDS]):.2f}x" for n in ITERS)
        by_iters[opt] = " / ".join(f"{_spread([runs[n, s] for n in ITERS]):.2f}x" for s in SEEDS)
        combined[opt] = f"{_spread([_combined(opt, n, SEEDS) for n in ITERS]):.2f}x"
    print("Seeds 0-4 (tests/data/seed_runs; the rule was designed on these):\n")
    _table(rows)


def heldout() -> None:
    iters = " / ".join(map(str, ITERS))
    groups = len(HELDOUT_GROUPS)
    seeds = [s for g in HELDOUT_GROUPS for s in g]
    rows = {f"5-seed spread, median over the {groups} groups ({iters})": {},
            f"groups over 1.5x ({iters})": {},
            f"over {ITERS[0]}..{ITERS[-1]} iterations per seed: median, seeds over 2x": {},
            f"5-seed combination: spread across the {groups} groups ({iters})": {},
            f"5-seed combination over {ITERS[0]}..{ITERS[-1]} iterations: median, groups over 2x": {}}
    med_seed, over, by_iters, comb_groups, comb_iters = rows.values()
    anchor_rows: dict = {}
    for opt in OPTIMIZERS:
        runs = {(n, s): pyclr.analyze(_log(opt, n, s).lrs, _log(opt, n, s).losses) for n in ITERS for s in seeds}
        per_group = {n: [_spread([runs[n, s] for s in g]) for g in HELDOUT_GROUPS] for n in ITERS}
        med_seed[opt] = " / ".join(f"{statistics.median(per_group[n]):.2f}x" for n in ITERS)
        over[opt] = " / ".join(f"{sum(v > 1.5 for v in per_group[n])}/{groups}" for n in ITERS)
        for m in METHODS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sug = {(n, s): pyclr.suggest(_log(opt, n, s).lrs, _log(opt, n, s).losses, method=m)
                       for n in ITERS for s in seeds}
            by_n = [statistics.median(_ratio([sug[n, s] for s in g]) for g in HELDOUT_GROUPS) for n in ITERS]
            anchor_rows.setdefault(m, {})[opt] = (
                " / ".join(f"{v:.2f}x" for v in by_n) + " | "
                + f"{statistics.median(_ratio([sug[n, s] for n in ITERS]) for s in seeds):.2f}x")
        it = [_spread([runs[n, s] for n in ITERS]) for s in seeds]
        by_iters[opt] = f"{statistics.median(it):.2f}x, {sum(v > 2 for v in it)}/{len(it)}"
        comb = {(n, k): _combined(opt, n, g) for n in ITERS for k, g in enumerate(HELDOUT_GROUPS)}
        comb_groups[opt] = " / ".join(f"{_spread([comb[n, k] for k in range(groups)]):.2f}x" for n in ITERS)
        ci = [_spread([comb[n, k] for n in ITERS]) for k in range(groups)]
        comb_iters[opt] = f"{statistics.median(ci):.2f}x, {sum(v > 2 for v in ci)}/{groups}"
    print(f"\nSeeds 5-44 (tests/data/seed_runs_heldout; {groups} groups of 5, never used to tune the rule):\n")
    _table(rows)
    print(f"\nThe anchors' single suggestions on the same runs: 5-seed spread, median over the {groups} groups "
          f"({iters}) | over {ITERS[0]}..{ITERS[-1]} iterations per seed, median:\n")
    print("| rule | " + " | ".join(OPTIMIZERS.values()) + " |")
    print("|---|" + "---|" * len(OPTIMIZERS))
    print("| pyclr (max_lr, base_lr) | " + " | ".join(f"{med_seed[o]} \\| {by_iters[o].split(',')[0]}" for o in OPTIMIZERS)
          + " |")
    for m, cells in anchor_rows.items():
        print(f"| {m} | " + " | ".join(cells[o].replace(" | ", " \\| ") for o in OPTIMIZERS) + " |")


def main() -> None:
    np.seterr(all="ignore")
    tuned()
    heldout()


if __name__ == "__main__":
    main()
