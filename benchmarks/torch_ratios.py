"""Print the pyclr.torch speed table: every ratio measured in this one run.

Usage: ``python benchmarks/torch_ratios.py [--repeat 7]`` (one torch thread).
Targets (issue 4): ScheduledLR.step() and the attach hook at most 1/5 of torch's
CyclicLR.step() with one group and at most 1/10 of OneCycleLR.step() with 50
groups; range_test at most 5% over a plain training loop.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys

sys.path.insert(0, os.path.dirname(__file__))
from torch_cases import ratios  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    t = ratios(args.repeat)
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch threads 1\n")
    print("| per step | time (us) | vs torch, like for like | vs torch default (momentum on) |")
    print("|---|---|---|---|")
    pairs = [
        ("1 group", "torch CyclicLR (1 group)", "torch CyclicLR (1 group, momentum)", 5),
        ("50 groups", "torch OneCycleLR (50 groups)", "torch OneCycleLR (50 groups, momentum)", 10),
    ]
    for label, base, base_mom, target in pairs:
        print(f"| {base} | {t[base]:.2f} | | |")
        print(f"| {base_mom} | {t[base_mom]:.2f} | | |")
        for name in (f"ScheduledLR ({label})", f"attach hook ({label})"):
            own, own_mom = t[name], t[name.replace(")", ", momentum)")]
            print(f"| {name} | {own:.2f} | 1/{t[base] / own:.1f} (target 1/{target}) | 1/{t[base_mom] / own:.1f} |")
            print(f"| {name.replace(')', ', momentum)')} | {own_mom:.2f} | 1/{t[base_mom] / own_mom:.1f} "
                  f"(target 1/{target}) | |")
    plain, rt = t["plain loop (200 steps, s)"], t["range_test (200 steps, s)"]
    print(f"\nrange_test, 200 steps of a 64-128-10 MLP, batch 64: {rt * 1e3:.1f} ms vs plain loop "
          f"{plain * 1e3:.1f} ms: overhead {100 * (rt / plain - 1):+.1f}% (target <= 5%)")


if __name__ == "__main__":
    main()
