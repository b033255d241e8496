"""``pyclr analyze LOG [LOG ...]``: bounds, verdict and reasons for saved range tests.

Exit status: 0 when every log is ``ok``, 1 when a verdict is inconclusive, 3 when a file
cannot be read (missing, malformed row, no recognisable columns), 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser", "run", "EXIT_OK", "EXIT_INCONCLUSIVE", "EXIT_BAD_FILE"]

EXIT_OK, EXIT_INCONCLUSIVE, EXIT_BAD_FILE = 0, 1, 3


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "analyze", help="cyclical bounds and a verdict from saved range-test logs",
        description="Analyse LR range-test logs (CSV/TSV, JSON lines, .npy/.npz). Exit status: 0 ok, "
                    "1 inconclusive verdict, 3 unreadable file, 2 bad arguments.")
    p.add_argument("logs", nargs="+", metavar="LOG", help="log files")
    p.add_argument("--lr", default=None, help="lr column name (default: guessed)")
    p.add_argument("--loss", default=None, help="loss column name (default: guessed)")
    p.add_argument("--method", action="append", default=None, metavar="NAME",
                   help="also print an anchor rule's suggestion (repeatable; 'all' for every rule)")
    p.add_argument("--width", type=float, default=None, help="smoother width in decades of lr")
    p.add_argument("--combine", action="store_true", help="treat the logs as seed runs of one configuration")
    p.add_argument("--resamples", type=int, default=0, metavar="N",
                   help="also give each log's 90%% interval from N copies with its noise resampled (0: off, else >= 20)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def _methods(requested):
    from pyclr.finder import METHODS

    if not requested:
        return ()
    out = []
    for m in requested:
        for name in (METHODS if m == "all" else m.split(",")):
            if name not in METHODS:
                raise ValueError(f"Expected --method in {METHODS + ('all',)}, but got {name!r}")
            if name not in out:
                out.append(name)
    return tuple(out)


def _fmt(v):
    return "-" if v is None else f"{v:.4g}"


def run(args) -> int:
    from pyclr.finder import analyze, suggest
    from pyclr.logs import load_log

    methods = _methods(args.method)
    opts = dict(width=args.width, resamples=args.resamples)
    logs, reports, status = [], [], EXIT_OK
    for path in args.logs:
        try:
            logs.append(load_log(path, lr=args.lr, loss=args.loss))
        except (OSError, ValueError, TypeError) as exc:
            print(f"pyclr analyze: error: {exc}", file=sys.stderr)
            return EXIT_BAD_FILE
    targets = [("combined", analyze([l.lrs for l in logs], [l.losses for l in logs], **opts), None)] \
        if args.combine and len(logs) > 1 else [(l.source, analyze(l.lrs, l.losses, **opts), l) for l in logs]
    if args.combine and len(logs) > 1:
        for l in logs:
            targets.append((l.source, None, l))
    for name, a, log in targets:
        rep = {"log": name}
        if a is not None:
            rep.update(a.to_dict())
            if not a.ok:
                status = EXIT_INCONCLUSIVE
        if log is not None and methods:
            sug = {}
            for m in methods:
                try:
                    sug[m] = suggest(log.lrs, log.losses, m, smoothed=log.smoothed)
                except ValueError as exc:
                    sug[m] = None
                    rep.setdefault("suggest_errors", {})[m] = str(exc)
            rep["suggestions"] = sug
        reports.append(rep)
    if args.json:
        print(json.dumps(reports if len(reports) > 1 else reports[0], indent=2))
        return status
    for rep in reports:
        print(rep["log"])
        if "verdict" in rep:
            print(f"  verdict   {rep['verdict']}")
            print(f"  base_lr   {_fmt(rep['base_lr'])}")
            print(f"  max_lr    {_fmt(rep['max_lr'])}")
            print(f"  min_lr    {_fmt(rep['min_lr'])}   divergence {_fmt(rep['divergence_lr'])}")
            for k, (lo, hi) in rep.get("interval", {}).items():
                print(f"  {k[:-3] + ' 90%':<10}{_fmt(lo)} .. {_fmt(hi)}")
            if rep.get("spread"):
                print(f"  spread    base x{rep['spread']['base_lr']:.2f}  max x{rep['spread']['max_lr']:.2f}")
            for r in rep["reasons"]:
                print(f"  reason    {r}")
            for c in rep["cleaning"]:
                print(f"  cleaning  {c}")
        for m, v in rep.get("suggestions", {}).items():
            print(f"  {m:<13} {_fmt(v)}")
    return status
