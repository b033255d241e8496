"""``pyclr analyze LOG [LOG ...]``: bounds, verdict and reasons for saved range tests.

Exit status (:mod:`pyclr.cli._exit`): 0 when every log is ``ok``, 1 when a verdict is
inconclusive, 2 for bad arguments, 3 when a file cannot be used: missing, not a regular file,
malformed, no recognisable columns, or a log that was read but cannot be analysed; 4 when
``--plot`` cannot be written, 5 when ``--plot`` is asked for without matplotlib.
"""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .._json import json_safe
from ._exit import (EXIT_BAD_INPUT, EXIT_BAD_OUTPUT, EXIT_INCONCLUSIVE, EXIT_MISSING_DEPENDENCY, EXIT_OK,
                    EXIT_USAGE, CLIError, epilog)
from ._output import check_plot, new_figure, write_figure

__all__ = ["add_parser", "run", "EXIT_OK", "EXIT_INCONCLUSIVE", "EXIT_BAD_FILE"]

EXIT_BAD_FILE = EXIT_BAD_INPUT  # the name this module exported first


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "analyze", help="cyclical bounds and a verdict from saved range-test logs",
        description="Analyse LR range-test logs (CSV/TSV, JSON, JSON lines, .npy/.npz; gzip-, bzip2- or "
                    "xz-compressed text is read as is).",
        epilog=epilog((EXIT_OK, EXIT_INCONCLUSIVE, EXIT_USAGE, EXIT_BAD_INPUT, EXIT_BAD_OUTPUT,
                       EXIT_MISSING_DEPENDENCY)),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("logs", nargs="+", metavar="LOG", help="log files")
    p.add_argument("--lr", default=None, help="lr column name, or index in a file without a header (default: guessed)")
    p.add_argument("--loss", default=None,
                   help="loss column name, or index in a file without a header (default: guessed)")
    p.add_argument("--method", action="append", default=None, metavar="NAME",
                   help="also print an anchor rule's suggestion (repeatable; 'all' for every rule)")
    p.add_argument("--width", type=float, default=None, help="smoother width in decades of lr")
    p.add_argument("--combine", action="store_true", help="treat the logs as seed runs of one configuration")
    p.add_argument("--resamples", type=int, default=0, metavar="N",
                   help="also give each log's 90%% interval from N copies with its noise resampled (0: off, else >= 20)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text (NaN and infinities as null)")
    p.add_argument("--plot", metavar="FILE",
                   help="also draw the range test(s) with their bounds to FILE: .png or .svg (needs matplotlib)")
    p.add_argument("--force", action="store_true", help="overwrite --plot if it exists")
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


def _check_options(args) -> None:
    """Reject bad --width / --resamples before any file is read: ``analyze()`` would raise
    the same ValueError, but only once a log is loaded, where it would read as a bad file."""
    from pyclr.finder import check_options

    check_options(width=args.width, resamples=args.resamples)


def _analysed(analyze, what: str, *args, **opts):
    """``analyze(*args, **opts)``; a ValueError (a log that was read but cannot be analysed: one
    point, lr <= 0, ...) is the file's fault, not the command line's: exit 3, not 2. Unless the
    same options fail on a clean log too: then they are (a check analyze() has and
    _check_options does not yet), and it propagates to exit 2."""
    try:
        return analyze(*args, **opts)
    except ValueError as exc:
        import numpy as np

        lrs = np.geomspace(1e-5, 1.0, 64)
        x = np.log10(lrs)
        analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)), **opts)  # a textbook range test
        raise CLIError(f"cannot analyse {what}: {exc}", EXIT_BAD_INPUT) from exc


def _fmt(v):
    return "-" if v is None else f"{v:.4g}"


def run(args) -> int:
    from pyclr.finder import analyze, suggest
    from pyclr.logs import load_log

    methods = _methods(args.method)
    _check_options(args)
    if args.plot is not None:
        check_plot(args.plot, args.force)  # exit 2, 4 or 5 before any log is read
    opts = dict(width=args.width, resamples=args.resamples)
    logs, reports, status = [], [], EXIT_OK
    for path in args.logs:
        try:
            logs.append(load_log(path, lr=args.lr, loss=args.loss))
        except (OSError, ValueError, TypeError) as exc:
            print(f"pyclr analyze: error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.combine and len(logs) > 1:
        try:
            combined = _analysed(analyze, "the logs together", [l.lrs for l in logs], [l.losses for l in logs], **opts)
        except CLIError:
            for l in logs:  # name the file at fault where one is
                _analysed(analyze, repr(l.source), l.lrs, l.losses, **opts)
            raise
        targets: list[tuple[str, Any, Any]] = [("combined", combined, None)]
    else:
        targets = [(l.source, _analysed(analyze, repr(l.source), l.lrs, l.losses, **opts), l) for l in logs]
    if args.combine and len(logs) > 1:
        for l in logs:
            targets.append((l.source, None, l))
    if args.plot is not None:
        _plot(args.plot, [(name, a) for name, a, _ in targets if a is not None], args.force)
    for name, a, log in targets:
        rep: dict[str, Any] = {"log": name}
        if a is not None:
            rep.update(a.to_dict())
            if not a.ok:
                status = EXIT_INCONCLUSIVE
        if log is not None and methods:
            sug: dict[str, Any] = {}
            for m in methods:
                try:
                    sug[m] = suggest(log.lrs, log.losses, m, smoothed=log.smoothed)
                except ValueError as exc:
                    sug[m] = None
                    rep.setdefault("suggest_errors", {})[m] = str(exc)
            rep["suggestions"] = sug
        reports.append(rep)
    if args.json:
        print(json.dumps(json_safe(reports if len(reports) > 1 else reports[0]), indent=2, allow_nan=False))
        return status
    for rep in reports:
        print(rep["log"])
        if "verdict" in rep:
            print(f"  verdict   {rep['verdict']}")
            print(f"  base_lr   {_fmt(rep['base_lr'])}")
            print(f"  max_lr    {_fmt(rep['max_lr'])}")
            for k, (lo, hi) in rep.get("interval", {}).items():
                print(f"  {k[:-3] + ' 90%':<10}{_fmt(lo)} .. {_fmt(hi)}")
            # landmarks of the curve, not bounds: on lines of their own, in words
            if rep.get("loss_min_lr") is not None:
                print(f"  lowest smoothed loss at lr={_fmt(rep['loss_min_lr'])}")
            if rep.get("divergence_lr") is not None:
                print(f"  loss diverged at lr={_fmt(rep['divergence_lr'])}")
            if rep.get("spread"):
                print(f"  spread    base x{rep['spread']['base_lr']:.2f}  max x{rep['spread']['max_lr']:.2f}")
            for r in rep["reasons"]:
                print(f"  reason    {r}")
            for c in rep["cleaning"]:
                print(f"  cleaning  {c}")
        for m, v in rep.get("suggestions", {}).items():
            print(f"  {m:<13} {_fmt(v)}")
    return status


def _plot(path: str, analysed: list, force: bool) -> None:
    """One figure: a single log (or the combined runs, each drawn) or several logs overlaid."""
    import os

    from pyclr.plot import plot_range_test

    fig, (ax,) = new_figure(8.0, 4.8)
    if len(analysed) == 1:
        name, a = analysed[0]
        plot_range_test(a, ax=ax, labels=[os.path.basename(str(name))])
    else:
        plot_range_test([a for _, a in analysed], ax=ax, labels=[os.path.basename(str(n)) for n, _ in analysed])
    write_figure(path, fig, force)
    print(f"figure written to {path}", file=sys.stderr)
