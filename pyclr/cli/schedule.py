"""``pyclr schedule POLICY [--param value ...] --steps N --out FILE [--force]``: write a whole-run array.

Exit status (:mod:`pyclr.cli._exit`): 0 written, 2 bad arguments, 4 the file cannot be written
(its folder is missing or read-only, it is a directory, or it exists and ``--force`` is not given).
"""
from __future__ import annotations

import argparse
import inspect
import json
from pathlib import Path

import numpy as np

import pyclr

from ._exit import EXIT_BAD_OUTPUT, EXIT_OK, EXIT_USAGE, epilog
from ._output import write_output

POLICIES = {
    "cyclic": pyclr.cyclic, "one_cycle": pyclr.one_cycle, "sgdr": pyclr.sgdr, "warmup_decay": pyclr.warmup_decay,
    "warmup_cosine": pyclr.warmup_cosine, "wsd": pyclr.wsd, "multiplicative_cycles": pyclr.multiplicative_cycles,
    "constant": pyclr.constant, "step_decay": pyclr.step_decay,
}
_SKIP = {"scale_fn"}


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


def add_parser(sub) -> None:
    p = sub.add_parser("schedule", help="write a whole-run LR (and momentum) array",
                       description="Write a schedule to .npy, .csv or .json. Parameters are the Python "
                                   "API's, as kebab-case flags (e.g. --base-lr 1e-4 --step-size-up 2000).",
                       epilog=epilog((EXIT_OK, EXIT_USAGE, EXIT_BAD_OUTPUT)),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("policy", choices=sorted(POLICIES))
    p.add_argument("--steps", required=True, type=int, help="number of optimizer steps")
    p.add_argument("--out", required=True, type=Path, help="output file: .npy, .csv or .json")
    p.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    p.add_argument("--momentum", action="store_true", help="also write the momentum channel")
    p.add_argument("--dtype", default="float64", choices=["float64", "float32"])


def _parse_params(policy: str, tokens: list[str]) -> dict:
    names = [n for n in inspect.signature(POLICIES[policy]).parameters if n not in _SKIP and n != "kwargs"]
    flags = {"--" + n.replace("_", "-"): n for n in names}
    params, i = {}, 0
    while i < len(tokens):
        flag = tokens[i]
        if flag not in flags:
            raise ValueError(f"Unknown parameter {flag!r} for {policy}; expected one of {sorted(flags)}")
        if i + 1 >= len(tokens):
            raise ValueError(f"Expected a value after {flag}")
        value = tokens[i + 1]
        params[flags[flag]] = [_number(x) for x in value.split(",")] if "," in value else _number(value)
        i += 2
    return params


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


def run(args) -> int:
    suffix = args.out.suffix.lower()
    if suffix not in (".npy", ".csv", ".json"):
        raise ValueError(f"Expected --out ending in .npy, .csv or .json, but got {str(args.out)!r}")
    schedule = POLICIES[args.policy](**_parse_params(args.policy, args.params))
    lrs = schedule.values(args.steps, dtype=args.dtype)
    mom = schedule.momentum(args.steps, dtype=args.dtype) if args.momentum else None
    if args.momentum and mom is None:
        raise ValueError(f"Expected a policy with a momentum channel for --momentum, but {args.policy} has none")
    write_output(args.out, _writer(suffix, schedule, args.steps, lrs, mom), args.force)
    info = schedule.describe(args.steps)
    cycles = info.get("cycles")
    print(f"{args.policy}: {args.steps} steps -> {args.out}")
    if args.steps:
        print(f"  first {info['first']}  last {info['last']}  min {info['min']}  max {info['max']}"
              + (f"  cycles {cycles:g}" if isinstance(cycles, float) else ""))
    return EXIT_OK
