"""Print the README's stability tables: how far analyze()'s bounds move between runs that differ
only in seed, and between iteration counts (saved range tests, no training, a few seconds).

Usage: ``python benchmarks/stability.py``. Every figure is max/min over the runs compared, for
``max_lr`` and ``base_lr`` (they move together: base_lr = max_lr / 4 on these logs; the larger
spread is shown).

* tests/data/seed_runs: seeds 0-4, the runs analyze()'s rule was designed on.
* tests/data/seed_runs_heldout: seeds 5-44, eight more groups of five, generated after the rule
  was fixed (no parameter changed after seeing them): how the figures carry over.
  The anchors' single suggestions (``pyclr.suggest``) are measured on the same groups.
* tests/data/seed_runs_small_batch: the same sweeps with batches of 4 and 16, seeds 0-19 (four
  groups of five), also generated after the rule was fixed: the noisy regime in which the
  anchors' steepest-gradient suggestions swing by 10x to 70x between seeds.
* tests/data/seed_runs_tasks: the three tasks of benchmarks/usefulness.py (MLP and CNN on digits,
  MLP on a synthetic 5-class problem), SGD-momentum and Adam, seeds 0-19, run through
  ``pyclr.torch.range_test`` after the rule was fixed: do the figures carry over to other models?
* tests/data/seed_runs_b32: issue 14's runs (the digits MLP at batch 32, SGD-momentum over
  1e-5..10 and Adam over 1e-6..1, ten seeds, 50..400 iterations, through range_test's defaults
  with one sweep each), generated before the issue-14 rule changes were tuned and held out from
  them: the issue's own figures (10-seed spread at 200 iterations, spread over iteration counts)
  for pyclr and every anchor rule.
"""
from __future__ import annotations

import functools
import math
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
        logs = {n: [(_log(opt, n, s).lrs, _log(opt, n, s).losses) for s in seeds] for n in ITERS}
        for m in METHODS:
            sug = {n: dict(zip(seeds, _rule_values(m, logs[n]))) for n in ITERS}
            by_n = [statistics.median(_values_ratio([sug[n][s] for s in g]) for g in HELDOUT_GROUPS) for n in ITERS]
            anchor_rows.setdefault(m, {})[opt] = (
                " / ".join(f"{v:.2f}x" for v in by_n) + " | "
                + f"{statistics.median(_values_ratio([sug[n][s] for n in ITERS]) for s in seeds):.2f}x")
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


SMALL_BATCHES = (4, 16)
SMALL_GROUPS = [range(5 * g, 5 + 5 * g) for g in range(4)]


def small_batch_runs(opt: str, batch: int, n: int):
    d = np.load(os.path.join(DATA, "seed_runs_small_batch", f"{opt}_b{batch}_n{n}.npz"))
    return [(d["lr"], row) for row in d["loss"]]


def _rule_values(rule: str, runs) -> list:
    """(base_lr, max_lr) by analyze() for "pyclr" (None unless the verdict is ok), else the anchor's
    suggestion (None where the library itself fails on the run)."""
    out = []
    for lrs, losses in runs:
        if rule == "pyclr":
            a = pyclr.analyze(lrs, losses)
            out.append((a.base_lr, a.max_lr) if a.ok else None)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out.append((pyclr.suggest(lrs, losses, method=rule),))
        except ValueError:
            out.append(None)
    return out


def _values_ratio(vals) -> float:
    """max/min of each component over the runs that gave an answer (the larger one); nan if < 2."""
    vals = [v for v in vals if v is not None]
    if len(vals) < 2:
        return float("nan")
    return max(_ratio(component) for component in zip(*vals))


def seed_tables(configs: dict, groups: list, heading: str) -> dict:
    """Print the seed and iteration spreads of every rule on 20-seed runs and return the cells.

    ``configs`` maps a key (a tuple) to ``(column label, runs_of)`` with ``runs_of(n)`` the
    seeds' ``(lrs, losses)`` at ``n`` iterations; ``groups`` are the seed groups of five. Returns
    ``cells[(rule,) + key] = (median 5-seed spread per iteration count, groups over 1.5x per
    iteration count, median spread over iteration counts per seed, seeds over 2x)``."""
    seeds = range(5 * len(groups))
    cells: dict = {}
    combined: dict = {}
    medians: dict = {}
    for key, (_, runs_of) in configs.items():
        runs = {n: runs_of(n) for n in ITERS}
        for rule in ("pyclr",) + METHODS:
            vals = {n: _rule_values(rule, runs[n]) for n in ITERS}
            if rule == "pyclr":
                medians[key] = [statistics.median(v[1] for v in vals[n] if v is not None) for n in ITERS]
            by_group = {n: [_values_ratio([vals[n][s] for s in g]) for g in groups] for n in ITERS}
            iters = [_values_ratio([vals[n][s] for n in ITERS]) for s in seeds]
            cells[(rule,) + key] = ([statistics.median(by_group[n]) for n in ITERS],
                                    [sum(not v <= 1.5 for v in by_group[n]) for n in ITERS],
                                    statistics.median(iters), sum(not v <= 2 for v in iters))
        comb = [[pyclr.analyze([runs[n][s][0] for s in g], [runs[n][s][1] for s in g]) for g in groups]
                for n in ITERS]
        combined[key] = [_spread(c) for c in comb]
    names = [label for label, _ in configs.values()]
    print(f"\n{heading} 5-seed spread, median over the {len(groups)} groups ({' / '.join(map(str, ITERS))}) \\| "
          f"over {ITERS[0]}..{ITERS[-1]} iterations per seed, median:\n")
    print("| rule | " + " | ".join(names) + " | worst 5-seed cell |")
    print("|---|" + "---|" * (len(configs) + 1))
    for rule in ("pyclr",) + METHODS:
        row = [cells[(rule,) + key] for key in configs]
        label = "pyclr (max_lr, base_lr)" if rule == "pyclr" else rule
        print(f"| {label} | " + " | ".join(" / ".join(f"{v:.2f}x" for v in c[0]) + f" \\| {c[2]:.2f}x" for c in row)
              + f" | {max(max(c[0]) for c in row):.2f}x |")
    print("\npyclr on the same runs:\n")
    print("| | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(configs))
    print("| groups over 1.5x per iteration count | "
          + " | ".join(" / ".join(f"{v}/{len(groups)}" for v in cells[("pyclr",) + k][1]) for k in configs) + " |")
    print("| seeds over 2x across iteration counts | "
          + " | ".join(f"{cells[('pyclr',) + k][3]}/{len(seeds)}" for k in configs) + " |")
    print(f"| median max_lr over the seeds ({' / '.join(map(str, ITERS))}) | "
          + " | ".join(" / ".join(f"{v:.3g}" for v in medians[k]) + f" ({max(medians[k]) / min(medians[k]):.2f}x)"
                       for k in configs) + " |")
    print(f"| 5-seed combination: spread across the {len(groups)} groups | "
          + " | ".join(" / ".join(f"{v:.2f}x" for v in combined[k]) for k in configs) + " |")
    return cells


def small_batch() -> dict:
    """:func:`seed_tables` on the small-batch runs; keys ``(opt, batch)``."""
    configs = {(o, b): (f"{OPTIMIZERS[o]}, batch {b}", functools.partial(small_batch_runs, o, b))
               for b in SMALL_BATCHES for o in OPTIMIZERS}
    return seed_tables(configs, SMALL_GROUPS, "Small batches (tests/data/seed_runs_small_batch; seeds 0-19 in "
                       f"{len(SMALL_GROUPS)} groups of 5, generated after the bound rule was fixed).")


TASKS = ("digits-mlp", "digits-cnn", "blobs-mlp")
TASK_GROUPS = SMALL_GROUPS


def task_runs(task: str, opt: str, n: int):
    """Seeds 0-19 of one usefulness task (tests/data/seed_runs_tasks): ``[(lrs, losses)]``."""
    d = np.load(os.path.join(DATA, "seed_runs_tasks", f"{task}_{opt}_n{n}.npz"))
    return [(d["lr"], row.astype(np.float64)) for row in d["loss"]]


def tasks() -> dict:
    """:func:`seed_tables` on the three usefulness tasks; keys ``(task, opt)``."""
    configs = {(t, o): (f"{t}, {OPTIMIZERS[o]}", functools.partial(task_runs, t, o))
               for t in TASKS for o in OPTIMIZERS}
    return seed_tables(configs, TASK_GROUPS, "Other models (tests/data/seed_runs_tasks: the tasks of "
                       "benchmarks/usefulness.py through pyclr.torch.range_test, sweep 1e-6..10, batch 64, seeds "
                       f"0-19 in {len(TASK_GROUPS)} groups of 5, generated after the bound rule was fixed).")


INTERVAL_RESAMPLES = 100


def interval_groups():
    """(label, runs) for every configuration with 20 or more seeds: the small-batch runs, the
    held-out batch-64 runs and the other models."""
    for opt in OPTIMIZERS:
        for b in SMALL_BATCHES:
            for n in ITERS:
                yield f"{OPTIMIZERS[opt]}, batch {b}, {n} iterations", small_batch_runs(opt, b, n)
        for n in ITERS:
            logs = [_log(opt, n, s) for g in HELDOUT_GROUPS for s in g]
            yield f"{OPTIMIZERS[opt]}, batch 64, {n} iterations", [(l.lrs, l.losses) for l in logs]
    for task in TASKS[1:]:  # digits-mlp: the held-out runs above, with a narrower sweep
        for opt in OPTIMIZERS:
            for n in ITERS:
                yield f"{task}, {OPTIMIZERS[opt]}, {n} iterations", task_runs(task, opt, n)


def interval_check(runs, resamples: int = INTERVAL_RESAMPLES) -> tuple:
    """(observed, predicted, coverage) for one configuration's seed runs:

    * observed: the 90% range of max_lr over the seeds (95th / 5th percentile);
    * predicted: the median over the runs of their own ``interval["max_lr"]`` (hi / lo) from
      ``analyze(..., resamples=...)``, a 90% range from one log;
    * coverage: how often another seed's max_lr falls inside a run's interval (about 75% if
      the intervals were exact: two runs' estimates differ by sqrt(2) of one run's spread).
    """
    res = [pyclr.analyze(lrs, losses, resamples=resamples) for lrs, losses in runs]
    res = [a for a in res if a.ok and a.interval]
    est = np.log10([a.max_lr for a in res])
    lo, hi = np.quantile(est, [0.05, 0.95])
    observed = float(10.0 ** (hi - lo))
    predicted = statistics.median(a.interval["max_lr"][1] / a.interval["max_lr"][0] for a in res)
    inside = [np.mean([(a.interval["max_lr"][0] <= b.max_lr <= a.interval["max_lr"][1]) for b in res if b is not a])
              for a in res]
    return observed, predicted, float(np.mean(inside))


def intervals() -> None:
    print(f"\nOne run's own uncertainty: analyze(..., resamples={INTERVAL_RESAMPLES}) against the spread of max_lr "
          "over 20 (small batches) or 40 (batch 64) seeds. Observed: 95th/5th percentile of the seeds' max_lr. "
          "Predicted: median hi/lo of the runs' 90% intervals. Coverage: how often another seed's max_lr lies "
          "in a run's interval (about 75% for exact intervals):\n")
    print("| configuration | observed | predicted | predicted / observed (log) | coverage |")
    print("|---|---|---|---|---|")
    logs_ratio = []
    for label, runs in interval_groups():
        observed, predicted, coverage = interval_check(runs)
        r = math.log(predicted) / math.log(observed)
        logs_ratio.append(r)
        print(f"| {label} | {observed:.2f}x | {predicted:.2f}x | {r:.2f} | {coverage:.0%} |")
    print(f"\npredicted / observed (log): median {statistics.median(logs_ratio):.2f}, "
          f"range {min(logs_ratio):.2f} to {max(logs_ratio):.2f}")


B32_SEEDS = range(10)


def b32_runs(opt: str, n: int):
    """Issue 14's batch-32 runs: ``(lrs, losses)`` per seed, the NaN padding after a stop cut off."""
    d = np.load(os.path.join(DATA, "seed_runs_b32", f"{opt}_n{n}.npz"))
    out = []
    for row in d["loss"].astype(np.float64):
        k = len(row)
        while k > 2 and np.isnan(row[k - 1]) and np.isnan(row[k - 2]):
            k -= 1  # keep one NaN: range_test logs the non-finite loss it stopped on
        k = min(k, len(d["lr"]))  # the grid stored is the longest run's
        out.append((d["lr"][:k], row[:k]))
    return out


def issue14() -> dict:
    """Issue 14's four figures on the held-out batch-32 runs, for pyclr and every anchor rule: the
    10-seed spread at 200 iterations and the median over seeds of the spread over 50..400
    iterations, for SGD-momentum and Adam; their geometric mean (the typical spread) and the
    largest (the worst). Returns ``{rule: (four figures, typical, worst)}``."""
    out = {}
    for rule in ("pyclr",) + METHODS:
        figs = []
        for opt in OPTIMIZERS:
            figs.append(_values_ratio(_rule_values(rule, b32_runs(opt, 200))))
        for opt in OPTIMIZERS:
            vals = {n: _rule_values(rule, b32_runs(opt, n)) for n in ITERS}
            figs.append(statistics.median(_values_ratio([vals[n][s] for n in ITERS]) for s in B32_SEEDS))
        out[rule] = (figs, math.exp(statistics.fmean(math.log(f) for f in figs)), max(figs))
    print("\nIssue 14's runs (tests/data/seed_runs_b32: digits MLP, batch 32, 10 seeds; held out from the rule "
          "changes). max/min of the bounds (pyclr: the larger of base_lr's and max_lr's):\n")
    print("| rule | 10 seeds at 200 it., SGD-m | Adam | over 50..400 it. (median seed), SGD-m | Adam | typical | worst |")
    print("|---|---|---|---|---|---|---|")
    for rule, (figs, typ, worst) in out.items():
        print(f"| {'pyclr (max_lr, base_lr)' if rule == 'pyclr' else rule} | "
              + " | ".join(f"{f:.2f}x" for f in figs) + f" | {typ:.2f}x | {worst:.2f}x |")
    return out


def main() -> None:
    np.seterr(all="ignore")
    tuned()
    heldout()
    small_batch()
    tasks()
    intervals()
    issue14()


if __name__ == "__main__":
    main()
