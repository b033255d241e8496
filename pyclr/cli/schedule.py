"""``pyclr schedule POLICY [--param value ...] --steps N [--out FILE] [--plot FILE] [--force]``:
write a whole-run array, draw it, or both.

Each policy is a subcommand of its own, so ``pyclr schedule cyclic --help`` lists that
policy's parameters with their defaults (taken from the Python factory's signature, the one
place they are defined).

Exit status (:mod:`pyclr.cli._exit`): 0 written, 2 bad arguments, 4 a file cannot be written
(its folder is missing or read-only, it is a directory, or it exists and ``--force`` is not
given), 5 ``--plot`` without matplotlib.
"""
from __future__ import annotations

import argparse
import inspect
import json
import textwrap
from pathlib import Path
from typing import Any, Callable

import numpy as np

import pyclr

from ._exit import EXIT_BAD_OUTPUT, EXIT_MISSING_DEPENDENCY, EXIT_OK, EXIT_USAGE, epilog
from ._output import check_output, check_plot, new_figure, write_figure, write_output

__all__ = ["add_parser", "run", "POLICIES", "parameters"]

POLICIES: dict[str, Callable[..., Any]] = {
    "cyclic": pyclr.cyclic, "one_cycle": pyclr.one_cycle, "sgdr": pyclr.sgdr, "warmup_decay": pyclr.warmup_decay,
    "warmup_cosine": pyclr.warmup_cosine, "wsd": pyclr.wsd, "multiplicative_cycles": pyclr.multiplicative_cycles,
    "constant": pyclr.constant, "step_decay": pyclr.step_decay,
}
#: Parameters a command line cannot give (a Python callable).
_SKIP = {"scale_fn"}
#: What a wrapper fixes in the factory its ``**kwargs`` go to: not a parameter of the wrapper.
_FIXED = {"warmup_cosine": {"decay"}}
_EXIT_CODES = (EXIT_OK, EXIT_USAGE, EXIT_BAD_OUTPUT, EXIT_MISSING_DEPENDENCY)


def parameters(policy: str) -> list:
    """The command-line parameters of ``policy``: ``inspect.Parameter`` objects of its Python
    factory, those a wrapper passes on through ``**kwargs`` (``warmup_cosine`` and ``wsd`` to
    ``warmup_decay``) included, less what the command line cannot give."""
    factory = POLICIES[policy]
    out, seen = [], set()
    for p in inspect.signature(factory).parameters.values():
        if p.kind is p.VAR_KEYWORD:
            for q in inspect.signature(pyclr.warmup_decay).parameters.values():
                if q.name not in seen and q.name not in _FIXED.get(policy, ()) and q.name not in _SKIP:
                    out.append(q)
                    seen.add(q.name)
        elif p.name not in _SKIP and p.kind is not p.VAR_POSITIONAL:
            out.append(p)
            seen.add(p.name)
    return out


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _number(text: str):
    """Parse a CLI value: int, float, bool, none or a string (validated by the policy itself)."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _value(text: str):
    """A parameter's value: a comma-separated list (per-group values) or one value."""
    return [_number(x) for x in text.split(",")] if "," in text else _number(text)


def _summary(factory) -> str:
    """The first paragraph of the factory's docstring, without reST markup."""
    doc = inspect.getdoc(factory) or ""
    first = doc.split("\n\n")[0].replace("``", "").replace(":class:", "").replace("`", "")
    return " ".join(first.split())


def _call(policy: str) -> str:
    """``pyclr.cyclic(base_lr, max_lr, step_size_up=2000, ...)``: the Python call, without types."""
    shown = []
    for prm in parameters(policy):
        shown.append(prm.name if prm.default is inspect.Parameter.empty else f"{prm.name}={prm.default!r}")
    return f"pyclr.{policy}({', '.join(shown)})"


def _common(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("output")
    g.add_argument("--steps", required=True, type=int, help="number of optimizer steps (required)")
    g.add_argument("--out", type=Path, help="write the array to this file: .npy, .csv or .json")
    g.add_argument("--plot", metavar="FILE", help="draw the schedule to this file: .png or .svg (needs matplotlib)")
    g.add_argument("--force", action="store_true", help="overwrite --out / --plot if they exist")
    g.add_argument("--momentum", action="store_true", help="also write (and draw) the momentum channel")
    g.add_argument("--dtype", default="float64", choices=["float64", "float32"], help="array dtype (default float64)")


def add_parser(sub) -> None:
    p = sub.add_parser(
        "schedule", help="write (or draw) a whole-run LR and momentum array",
        description="Write a schedule to .npy, .csv or .json (--out) and/or draw it (--plot). Parameters are "
                    "the Python API's, as kebab-case flags (e.g. --base-lr 1e-4 --step-size-up 2000); "
                    "`pyclr schedule POLICY --help` lists a policy's parameters and their defaults.",
        epilog=epilog(_EXIT_CODES))
    policies = p.add_subparsers(dest="policy", metavar="POLICY", required=True)
    for name in sorted(POLICIES):
        factory = POLICIES[name]
        q = policies.add_parser(
            name, help=_summary(factory), allow_abbrev=False,
            description=textwrap.fill(_summary(factory), 78) + "\n\n" + textwrap.fill(
                f"Python: {_call(name)}", 78, subsequent_indent="    "),
            epilog=epilog(_EXIT_CODES), formatter_class=argparse.RawDescriptionHelpFormatter)
        g = q.add_argument_group(f"{name} parameters (a comma-separated value gives one per parameter group)")
        for prm in parameters(name):
            required = prm.default is inspect.Parameter.empty
            default = prm.default if isinstance(prm.default, str) else repr(prm.default)
            shown = "required" if required else f"default: {default}"
            kind = prm.annotation if isinstance(prm.annotation, str) else ""
            g.add_argument(_flag(prm.name), dest=f"param_{prm.name}", metavar=prm.name.upper(),
                           type=_value, required=required, default=argparse.SUPPRESS,
                           help=f"{kind + ', ' if kind else ''}{shown}")
        _common(q)


def _params(policy: str, args, extra: list) -> dict:
    if extra:
        flags = sorted(_flag(prm.name) for prm in parameters(policy))
        raise ValueError(f"Unknown parameter {extra[0]!r} for {policy}; expected one of {flags}")
    return {k[len("param_"):]: v for k, v in vars(args).items() if k.startswith("param_")}


def _writer(suffix: str, schedule, steps: int, lrs, mom):
    """A function writing the array to the path it is given, in the format of ``suffix``."""
    if suffix == ".npy":
        return lambda path: np.save(path, lrs if mom is None else np.stack([lrs, mom]), allow_pickle=False)
    if suffix == ".csv":
        columns = [np.arange(steps), *np.atleast_2d(lrs)] + ([] if mom is None else list(np.atleast_2d(mom)))
        header = ["step"] + (["lr"] if lrs.ndim == 1 else [f"lr_{g}" for g in range(lrs.shape[0])])
        if mom is not None:
            header += ["momentum"] if mom.ndim == 1 else [f"momentum_{g}" for g in range(mom.shape[0])]
        return lambda path: np.savetxt(path, np.column_stack(columns), delimiter=",", header=",".join(header),
                                       comments="", fmt="%.17g")
    payload = {"schedule": schedule.to_dict(), "lr": lrs.tolist()}
    if mom is not None:
        payload["momentum"] = mom.tolist()
    return lambda path: Path(path).write_text(json.dumps(payload))


def _fmt(v) -> str:
    """A summary number, rounded to 4 significant digits (the files keep every digit)."""
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_fmt(x) for x in np.ravel(v)) + "]"
    return f"{float(v):.4g}"


def run(args) -> int:
    params = _params(args.policy, args, args.params)
    if args.out is None and args.plot is None:
        raise ValueError("Expected --out FILE, --plot FILE or both, but got neither")
    suffix = args.out.suffix.lower() if args.out is not None else None
    if suffix is not None and suffix not in (".npy", ".csv", ".json"):
        raise ValueError(f"Expected --out ending in .npy, .csv or .json, but got {str(args.out)!r}")
    schedule = POLICIES[args.policy](**params)
    lrs = schedule.values(args.steps, dtype=args.dtype)
    mom = schedule.momentum(args.steps, dtype=args.dtype) if args.momentum else None
    if args.momentum and mom is None:
        raise ValueError(f"Expected a policy with a momentum channel for --momentum, but {args.policy} has none")
    # every output checked before anything is written: a bad --plot leaves no --out behind
    if args.out is not None:
        check_output(args.out, args.force)
    if args.plot is not None:
        check_plot(args.plot, args.force)
        if args.steps < 1:
            raise ValueError(f"Expected --steps >= 1 to draw the schedule, but got {args.steps}")
    if args.out is not None and suffix is not None:
        write_output(args.out, _writer(suffix, schedule, args.steps, lrs, mom), args.force)
    if args.plot is not None:
        from pyclr.plot import plot_schedule

        fig, (ax,) = new_figure(7.0, 3.8)
        plot_schedule(schedule, args.steps, ax=ax, momentum=args.momentum)
        write_figure(args.plot, fig, args.force)
    info = schedule.describe(args.steps)
    cycles = info.get("cycles")
    where = " and ".join(str(x) for x in (args.out, args.plot) if x is not None)
    print(f"{args.policy}: {args.steps} steps -> {where}")
    if args.steps:
        print(f"  first {_fmt(info['first'])}  last {_fmt(info['last'])}  min {_fmt(info['min'])}  "
              f"max {_fmt(info['max'])}" + (f"  cycles {cycles:.4g}" if isinstance(cycles, float) else ""))
    return EXIT_OK
