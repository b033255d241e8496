"""``python -m studies COMMAND [--half design|heldout|all] [--quick] [--jobs N] [--cache DIR] [--rule MOD:FUNC]``

Commands:

* ``all``: range tests, training, every measure; the summary table and one table per configuration.
* ``regret``: regret and divergence (trains only the schedules missing from the cache).
* ``stability``: spreads over seeds and sweep lengths (cached logs: seconds).
* ``verdicts``: verdict errors and the pure-noise logs (cached logs: seconds).
* ``logs``: run the range tests missing from the cache, nothing else.
* ``list``: the configurations of the half.

The held-out half is printed only with ``--half heldout`` or ``--half all``.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time

from . import measures as M
from . import rangetests as R
from . import report
from . import tasks as T
from ._pool import one_thread

COMMANDS = {"all": ("regret", "stability", "verdicts"), "regret": ("regret",), "stability": ("stability",),
            "verdicts": ("verdicts",)}


def _load_rule(spec: str):
    if ":" not in spec:
        raise SystemExit(f"--rule expects MODULE:FUNCTION, got {spec!r}")
    mod, func = spec.split(":", 1)
    return getattr(importlib.import_module(mod), func)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m studies", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=[*COMMANDS, "logs", "list"])
    p.add_argument("--half", choices=("design", "heldout", "all"), default="design",
                   help="which configurations (default: design)")
    p.add_argument("--quick", action="store_true",
                   help="3 configurations, 2 seeds, sweeps of 50 and 100 points, 10 noise logs per cell")
    p.add_argument("--jobs", type=int, default=1, help="worker processes, one torch thread each (default 1)")
    p.add_argument("--cache", default=None, help="cache folder (default $PYCLR_STUDIES_CACHE or studies/_cache)")
    p.add_argument("--rule", default=None, help="MODULE:FUNCTION, a rule(lrs, losses) -> (base_lr, max_lr, verdict) "
                   "(default: pyclr.analyze)")
    p.add_argument("--config", nargs="*", default=None, metavar="NAME", help="only these configurations")
    p.add_argument("--summary-only", action="store_true", help="no per-configuration tables")
    args = p.parse_args(argv)
    if args.jobs < 1:
        p.error(f"--jobs must be at least 1, got {args.jobs}")
    one_thread()

    if args.command == "list":
        print(f"| configuration | half | sweep points for regret | note |\n|---|---|---|---|")
        for c in T.configs(args.half):
            print(f"| {c.name} | {T.HALVES[c.name]} | {c.num_iter} | {c.note} |")
        return 0
    t0 = time.perf_counter()
    if args.command == "logs":
        chosen = T.configs(args.half)
        if args.config:
            chosen = [c for c in chosen if c.name in set(args.config)]
        seeds, iters = (M.QUICK["seeds"], M.QUICK["num_iters"]) if args.quick else (T.SEEDS, None)
        n = R.ensure_logs(chosen, seeds, cache=args.cache, jobs=args.jobs, num_iters=iters)
        print(f"ran {n} (configuration, seed) units of range tests in {time.perf_counter() - t0:.0f} s")
        return 0
    rule = M.pyclr_rule if args.rule is None else _load_rule(args.rule)
    ev = M.evaluate(rule, args.half, measures=COMMANDS[args.command], quick=args.quick, jobs=args.jobs,
                    cache=args.cache, configs=args.config)
    print(report.markdown(ev, per_config=not args.summary_only))
    print(f"\nTotal {time.perf_counter() - t0:.0f} s wall, {args.jobs} job(s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
