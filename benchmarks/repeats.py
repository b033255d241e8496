"""How much ``range_test(..., repeats=R)`` steadies the bounds: sweeps combined against one sweep.

Usage: ``python benchmarks/repeats.py [--batches 64 16] [--inits 20]`` (about 5 minutes for both
batch sizes on 2 CPU cores; torch uses one thread).

The setup of tests/data/make_seed_runs.py (64-128-128-10 MLP on scikit-learn's digits, SGD with
momentum 0.9 swept 1e-5..10 and Adam swept 1e-6..1, 50/100/200/400 iterations), run through
``pyclr.torch.range_test`` itself. For each of 20 initialisations (four groups of five) one call
with ``repeats=5`` runs five sweeps from that initial state, each on the next batches of a loader
that reshuffles every epoch. Its first sweep is what a plain ``range_test`` gives; the first three
and all five, combined by ``analyze()``, are ``repeats=3`` and ``repeats=5``.

Printed per configuration (optimizer, batch, iterations), for each of one sweep / 3 / 5 combined:
the spread (max/min) of ``max_lr`` over the 5 initialisations of a group, as the median over the
4 groups and the number of groups over issue 3's 1.5x; then, per initialisation, the spread over
the 4 iteration counts (median, and how many of the 20 are over 2x). ``base_lr`` is
``max_lr / 4`` on these logs, so it moves with it. Last, the spread between the 5 single sweeps of
one initialisation (median over the 20): what batch order alone does.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "data"))
import make_seed_runs as seed_runs  # noqa: E402  (the model, data and sweeps of the committed seed runs)

from pyclr.torch import RangeTestRuns, range_test  # noqa: E402

ITERS = (50, 100, 200, 400)
GROUP = 5
REPEATS = (1, 3, 5)


class ShuffledBatches:
    """Batches of a tensor dataset, reshuffled from torch's global RNG at each epoch."""

    def __init__(self, X, y, batch):
        self.X, self.y, self.batch = X, y, batch

    def __iter__(self):
        order = torch.randperm(len(self.X))
        for i in range(0, len(order) - self.batch + 1, self.batch):
            idx = order[i : i + self.batch]
            yield self.X[idx], self.y[idx]


def train_data():
    """The seed runs' training split of digits: the first 1400 standardised images."""
    X, y = seed_runs.data()
    return X[:1400], y[:1400]


def sweeps(opt_name: str, init: int, iters: int, batch: int, X, y, repeats: int) -> RangeTestRuns:
    """``repeats`` range tests from initialisation ``init`` (one call)."""
    make_opt, start, end = seed_runs.CONFIGS[opt_name]
    net = seed_runs.model(init)
    opt = make_opt(net.parameters(), start)
    torch.manual_seed(10_000 + init)
    return range_test(net, opt, torch.nn.functional.cross_entropy, ShuffledBatches(X, y, batch),
                      start_lr=start, end_lr=end, num_iter=iters, diverge_th=1e30, progress=False, repeats=repeats)


def max_lr(runs: RangeTestRuns, r: int):
    """max_lr of the first ``r`` sweeps combined (None when the verdict is not ok)."""
    a = RangeTestRuns(runs.runs[:r]).analyze() if r > 1 else runs[0].analyze()
    return a.max_lr


def spread(values) -> float:
    values = [v for v in values if v is not None]
    return max(values) / min(values) if len(values) > 1 else float("nan")


def measure(opt_name: str, batch: int, inits: int, X, y) -> tuple[dict, dict]:
    """``{(iters, init): {repeats: max_lr}}`` and ``{(iters, init): spread of the single sweeps}``."""
    out, order_spread = {}, {}
    for iters in ITERS:
        for init in range(inits):
            runs = sweeps(opt_name, init, iters, batch, X, y, max(REPEATS))
            out[iters, init] = {r: max_lr(runs, r) for r in REPEATS}
            order_spread[iters, init] = spread([run.analyze().max_lr for run in runs])
    return out, order_spread


def report(opt_name: str, batch: int, inits: int, out: dict, order_spread: dict) -> None:
    groups = [range(g, g + GROUP) for g in range(0, inits - GROUP + 1, GROUP)]
    print(f"\ndigits MLP, {opt_name}, batch {batch}: spread of max_lr over {GROUP} "
          f"initialisations, median over {len(groups)} groups (groups over 1.5x)")
    print("| iterations | " + " | ".join("one sweep" if r == 1 else f"repeats={r}" for r in REPEATS) + " |")
    print("|---|" + "---|" * len(REPEATS))
    for iters in ITERS:
        cells = []
        for r in REPEATS:
            s = [spread([out[iters, i][r] for i in g]) for g in groups]
            cells.append(f"{statistics.median(s):.2f}x ({sum(v > 1.5 for v in s)}/{len(s)})")
        print(f"| {iters} | " + " | ".join(cells) + " |")
    cells = []
    for r in REPEATS:
        s = [spread([out[n, i][r] for n in ITERS]) for i in range(inits)]
        cells.append(f"{statistics.median(s):.2f}x ({sum(v > 2 for v in s)}/{len(s)} over 2x)")
    print(f"| over {ITERS[0]}..{ITERS[-1]} iterations, per initialisation | " + " | ".join(cells) + " |")
    cells = [f"{statistics.median([order_spread[n, i] for i in range(inits)]):.2f}x" for n in ITERS]
    print(f"batch order alone: spread of the 5 sweeps of one initialisation, median ({' / '.join(map(str, ITERS))} "
          f"iterations): {' / '.join(cells)}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", type=int, nargs="+", default=[64, 16])
    ap.add_argument("--inits", type=int, default=20, help="initialisations (a multiple of 5)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    X, y = train_data()
    t0 = time.perf_counter()
    for batch in args.batches:
        for opt_name in seed_runs.CONFIGS:
            out, order_spread = measure(opt_name, batch, args.inits, X, y)
            report(opt_name, batch, args.inits, out, order_spread)
    print(f"\n({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
