"""How far the smoothed loss of a log of pure noise "falls": the basis of analyze()'s
``no_descent`` and ``too_noisy`` verdicts (``_CLEAR_DROP`` in pyclr/finder/analysis.py, and
the permutation test of pyclr/finder/descent.py below it).

Usage: ``python benchmarks/null_drop.py`` (about 15 s). A model that does not train gives a flat
log; its smoothed curve still has a lowest point below its start, because the start is one
edge estimate and the minimum is the lowest of many windows. The table gives percentiles of
that drop in units of the smoothed curve's own noise, ``sigma / sqrt(m)`` (``sigma`` the
robust noise of the log, ``m`` points per smoother window), over 300 flat logs per row
(exponential sweep 1e-5..1, Gaussian or Student-t(3) noise of scale 0.05), and how analyze()
judges them.
"""
from __future__ import annotations

import collections
import math

import numpy as np

import pyclr

LOGS = 300
POINTS = (30, 100, 300, 1000, 5000)


def drops(noise: str, n: int):
    units, verdicts = [], collections.Counter()
    lrs = np.geomspace(1e-5, 1.0, n)
    span = math.log10(lrs[-1] / lrs[0])
    for seed in range(LOGS):
        rng = np.random.default_rng(seed)
        e = rng.normal(0, 0.05, n) if noise == "normal" else 0.05 * rng.standard_t(3, n)
        a = pyclr.analyze(lrs, 2.3 + e)
        verdicts[a.verdict] += 1
        if a.verdict == "too_short":
            continue
        m = max(1.0, n * a.width / span)
        units.append((a.smoothed[0] - np.nanmin(a.smoothed)) / (a.noise / math.sqrt(m)))
    return np.array(units), verdicts


def main() -> None:
    print("| noise | points | median | 95th percentile | 99th percentile | largest | verdicts |")
    print("|---|---|---|---|---|---|---|")
    for noise in ("normal", "t3"):
        for n in POINTS:
            u, v = drops(noise, n)
            q = np.quantile(u, [0.5, 0.95, 0.99, 1.0])
            print(f"| {noise} | {n} | " + " | ".join(f"{x:.1f}" for x in q) + " | "
                  + ", ".join(f"{k} {c}" for k, c in sorted(v.items())) + " |")


if __name__ == "__main__":
    main()
