"""Print the README's schedule table: every figure a ratio measured in this one run.

Usage: ``python benchmarks/schedule_ratios.py [--n 10000000] [--repeat 7]``. Times are the
minimum of ``repeat`` runs; the torch columns step the torch scheduler 200,000 times and
scale to n.

Two ways to fill n values are timed: into a fresh array (``values(n)``: the OS must fault in
and zero every page first, which ``np.full`` pays too) and into a reused buffer
(``values(n, out=buf)``, as a training script that regenerates a window would do; large
windows then use non-temporal stores). Each is compared with NumPy doing the least possible
work the same way: ``np.full(n, 1.0)`` and ``buf.fill(1.0)``. The last column, torch stepping
against ``np.full`` itself, is the ceiling for any generator that returns a fresh array.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from schedules_cases import cases, torch_steps_per_second  # noqa: E402
from timing import best_time as best  # noqa: E402

from pyclr import _backend  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = args.n
    print(f"n = {n:,} float64, one thread; {platform.processor() or platform.machine()}, {os.cpu_count()} cores\n")
    print("| policy | cpp / np.full | cpp out= / buf.fill | numba / np.full | NumPy formula / cpp "
          "| torch stepping / cpp | torch stepping / cpp out= | torch stepping / np.full |")
    print("|---|---|---|---|---|---|---|---|")
    buf = np.ones(n)
    for name, (schedule, formula) in cases(n).items():
        floor = best(lambda: np.full(n, 1.0), args.repeat)
        fill = best(lambda: buf.fill(1.0), args.repeat)
        times = {}
        for b in ("cpp", "numba"):
            _backend._active = (b, _backend.load(b))
            times[b] = best(lambda: schedule.values(n), args.repeat)
        _backend._active = ("cpp", _backend.load("cpp"))
        reused = best(lambda: schedule.values(n, out=buf), args.repeat)
        numpy_ratio = f"{best(formula, max(2, args.repeat // 3)) / times['cpp']:.1f}x" if formula else "-"
        per_step = torch_steps_per_second(name)
        torch_fresh = "-" if np.isnan(per_step) else f"{per_step * n / times['cpp']:,.0f}x"
        torch_reused = "-" if np.isnan(per_step) else f"{per_step * n / reused:,.0f}x"
        torch_floor = "-" if np.isnan(per_step) else f"{per_step * n / floor:,.0f}x"
        print(f"| {name} | {times['cpp'] / floor:.2f} | {reused / fill:.2f} | {times['numba'] / floor:.2f} "
              f"| {numpy_ratio} | {torch_fresh} | {torch_reused} | {torch_floor} |")
    schedule = cases(n)["cyclic_sine_exp_range"][0]
    _backend._active = ("cpp", _backend.load("cpp"))
    one = best(lambda: schedule.values(n), args.repeat)
    print("\nthreads (cyclic_sine_exp_range, cpp): " + ", ".join(
        f"{k}: {one / best(lambda: schedule.values(n, threads=k), args.repeat):.2f}x" for k in sorted({1, 2, os.cpu_count()})))
    rows = n // 4  # 20 MB per row: every size is past the caches, so only the scaling shows
    single = best(lambda: schedule.values(rows), args.repeat)
    groups = []
    for g in (1, 4, 16):
        s = schedule.scaled([1.0] * g)
        groups.append(f"{g}: {best(lambda: s.values(rows), args.repeat) / (g * single):.2f}")
    print(f"[groups, {rows:,}] time / (groups x one row's time): " + ", ".join(groups))


if __name__ == "__main__":
    main()
