"""The ``pyclr`` command: ``pyclr schedule``, ``pyclr analyze``, ``pyclr demo``.

Each subcommand lives in its own module exposing ``add_parser(subparsers)`` and
``run(args) -> int``. Bad arguments print the same message as the Python API and exit 2;
the other exit statuses are named in :mod:`pyclr.cli._exit`.
"""
from __future__ import annotations

from . import _clock  # first: its import time is the fallback start of the command's timings

import argparse
import importlib
import importlib.util
import os
import sys

from ._exit import EXIT_BROKEN_PIPE, EXIT_USAGE, CLIError, epilog

__all__ = ["main"]

_SUBCOMMANDS = ("schedule", "analyze", "demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pyclr", description="Cyclical learning rates and LR range tests.",
                                     epilog=epilog(), formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in _SUBCOMMANDS:
        if importlib.util.find_spec(f"pyclr.cli.{name}") is not None:
            importlib.import_module(f"pyclr.cli.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; ``argv`` defaults to ``sys.argv[1:]``. Returns the exit status.

    Run as a command (``argv`` None), timings count from the process start; a subcommand with
    ``FAST_EXIT`` (the demo) then leaves through ``os._exit`` once its output is flushed,
    skipping a teardown of torch that a user would wait for after the last line."""
    from_command_line = argv is None
    started = _clock.command_start(from_command_line)
    code, module = _main(argv, started)
    if from_command_line and getattr(module, "FAST_EXIT", False):
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (BrokenPipeError, OSError):
            pass
        os._exit(code)
    return code


def _main(argv, started: float) -> tuple:
    """The command's exit status and the subcommand's module."""
    parser = build_parser()
    # Policy parameters of `pyclr schedule` are the policy's own (--base-lr ...): passed on unparsed.
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "schedule":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.params = extra
    args.started = started
    module = importlib.import_module(f"pyclr.cli.{args.command}")
    return _run(module, args), module


def _run(module, args) -> int:
    try:
        code = int(module.run(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit with a traceback
        return code
    except BrokenPipeError:
        # the reader stopped early: point stdout at devnull so the final flush stays silent
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except CLIError as exc:
        print(f"pyclr {args.command}: error: {exc}", file=sys.stderr)
        return exc.code
    except (ValueError, TypeError) as exc:
        # The API validates its arguments and names them: what is left here came from the
        # command line. A subcommand turns its file errors into CLIError before this point.
        print(f"pyclr {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
