"""Print the README's stability table: how far analyze()'s bounds move between runs that differ
only in seed, and between iteration counts, on tests/data/seed_runs (no training, ~2 s).

Usage: ``python benchmarks/stability.py``. Each figure is max/min over the runs compared;
base_lr and max_lr move together (base_lr = max_lr / 4 on these logs), the larger is shown.
"""
from __future__ import annotations

import os

import pyclr

FOLDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests", "data", "seed_runs")
OPTIMIZERS = {"sgdm": "SGD-momentum", "adam": "Adam"}
SEEDS = range(5)
ITERS = (50, 100, 200, 400)


def _log(opt: str, n: int, seed: int):
    return pyclr.load_log(os.path.join(FOLDER, f"{opt}_exp_n{n}_s{seed}.csv"))


def _spread(results) -> float:
    return max(max(getattr(a, k) for a in results) / min(getattr(a, k) for a in results) for k in ("base_lr", "max_lr"))


def main() -> None:
    rows = {"over 5 seeds, per iteration count (" + " / ".join(map(str, ITERS)) + ")": {},
            "over " + "..".join(map(str, ITERS[::len(ITERS) - 1])) + " iterations, per seed (" +
            " / ".join(map(str, SEEDS)) + ")": {},
            "over iteration counts, 5 seeds combined": {}}
    by_seed, by_iters, combined = rows.values()
    for opt in OPTIMIZERS:
        runs = {(n, s): pyclr.analyze(_log(opt, n, s).lrs, _log(opt, n, s).losses) for n in ITERS for s in SEEDS}
        by_seed[opt] = " / ".join(f"{_spread([runs[n, s] for s in SEEDS]):.2f}x" for n in ITERS)
        by_iters[opt] = " / ".join(f"{_spread([runs[n, s] for n in ITERS]):.2f}x" for s in SEEDS)
        joint = []
        for n in ITERS:
            logs = [_log(opt, n, s) for s in SEEDS]
            joint.append(pyclr.analyze([l.lrs for l in logs], [l.losses for l in logs]))
        combined[opt] = f"{_spread(joint):.2f}x"
    print("| max/min of the bounds | " + " | ".join(OPTIMIZERS.values()) + " |")
    print("|---|" + "---|" * len(OPTIMIZERS))
    for label, cells in rows.items():
        print(f"| {label} | " + " | ".join(cells[o] for o in OPTIMIZERS) + " |")


if __name__ == "__main__":
    main()
