"""``pyclr demo``: the main job end to end, on data that ships with scikit-learn.

A real LR range test of a small MLP on scikit-learn's bundled digits, the analysis
of that test (bounds and verdict, and what they mean), then a short training run with the
resulting cyclical schedule next to a constant-LR baseline of the same length, the three
lines of code that use the bounds, and a picture of it all. CPU only, seeded,
single-threaded: the numbers are reproducible and it runs in seconds.

The report goes to stdout; progress lines (each phase as it starts, each range-test sweep,
each training epoch, with the time since the command started) go to stderr unless
``--quiet``. The time printed at the end counts from the start of the process (interpreter
start-up and imports included, :mod:`pyclr.cli._clock`), so it matches what a user waits.

torch and scikit-learn are imported only when the command runs, so ``pyclr --help``
works without them.

Exit status (:mod:`pyclr.cli._exit`): 0 done, 1 no schedule could be built from the range
test, 2 bad arguments, 4 --csv / --plot cannot be written, 5 torch or scikit-learn missing.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any, Optional

from ..logs import sweep_paths
from ._exit import (EXIT_BAD_OUTPUT, EXIT_INCONCLUSIVE, EXIT_MISSING_DEPENDENCY, EXIT_OK, EXIT_USAGE, CLIError,
                    epilog)
from ._output import PLOT_INSTALL, check_output, check_plot, new_figure, write_figure, write_output

__all__ = ["add_parser", "run", "DEFAULT_PLOT", "FAST_EXIT"]

#: Where the demo draws its picture unless told otherwise (``--plot PATH``, ``--no-plot``): the
#: current folder. The demo replaces its own earlier picture there; an explicit ``--plot`` path
#: that exists needs ``--force``.
DEFAULT_PLOT = "pyclr-demo.png"
#: Run as a command, the demo leaves with ``os._exit`` once its output is flushed: tearing down
#: torch and scikit-learn at interpreter exit took 1-3 s on the project's machine, time a user
#: waits after "done in ..." and that the printed time could not include.
FAST_EXIT = True


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo",
        help="range test + analysis + cyclical training on scikit-learn digits (CPU, ~10 s)",
        description=(
            "Run a real LR range test on scikit-learn's digits with a small MLP, analyse it, train "
            "briefly with the resulting cyclical schedule and compare with a constant LR trained the "
            f"same number of steps. Draws the range test and the schedule to {DEFAULT_PLOT} (needs "
            "matplotlib). Progress goes to stderr (--quiet: none), the report to stdout."
        ),
        epilog=epilog((EXIT_OK, EXIT_INCONCLUSIVE, EXIT_USAGE, EXIT_BAD_OUTPUT, EXIT_MISSING_DEPENDENCY)),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--seed", type=int, default=0, help="seed for the split, the model and the batches (default 0)")
    p.add_argument("--optimizer", choices=("sgd", "adam"), default="sgd",
                   help="SGD with momentum 0.9, or Adam (default sgd)")
    p.add_argument("--batch-size", type=int, default=64, help="batch size (default 64)")
    p.add_argument("--num-iter", type=int, default=100, help="LR points of the range test (default 100)")
    p.add_argument("--repeats", type=int, default=3,
                   help="range-test sweeps from the same start, on new batches, combined (default 3)")
    p.add_argument("--start-lr", type=float, default=1e-5, help="range test start LR (default 1e-5)")
    p.add_argument("--end-lr", type=float, default=10.0, help="range test end LR (default 10)")
    p.add_argument("--epochs", type=int, default=8, help="training epochs for both runs (default 8)")
    p.add_argument("--epochs-per-half-cycle", type=float, default=2.0,
                   help="half-cycle length of the cyclical schedule in epochs (default 2; Smith: 2-10)")
    p.add_argument("--baseline-lr", type=float, default=None,
                   help="constant LR of the baseline (default 0.01 for SGD, 0.001 for Adam: the usual defaults)")
    p.add_argument("--csv", metavar="PATH", help="also save the range-test log (readable by `pyclr analyze`)")
    plot = p.add_mutually_exclusive_group()
    plot.add_argument("--plot", metavar="PATH", default=None,
                      help=f"draw the range test and the schedule to PATH, .png or .svg (default {DEFAULT_PLOT}; "
                           "needs matplotlib)")
    plot.add_argument("--no-plot", action="store_true", help="draw no picture")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: reproducible)")
    p.add_argument("--force", action="store_true", help="overwrite the --csv / --plot files if they exist")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress lines on stderr (the report stays)")
    return p


class _Progress:
    """Progress lines on stderr, each with the seconds since the command started."""

    def __init__(self, start: float, quiet: bool):
        self.start = start
        self.quiet = quiet
        self.phases: list = []  # (name, seconds) for the summary line
        self._phase: Optional[tuple] = None

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def say(self, text: str) -> None:
        if not self.quiet:
            print(f"[{self.elapsed():5.1f} s] {text}", file=sys.stderr, flush=True)

    def phase(self, name: str, text: str) -> None:
        """Start phase ``name`` (ending the one before) and say ``text``."""
        if self._phase is None and not self.phases:  # Python, pyclr and the argument checks
            self.phases.append(("start-up", self.elapsed()))
        self.end_phase()
        self._phase = (name, time.perf_counter())
        self.say(text)

    def end_phase(self) -> None:
        if self._phase is not None:
            name, t = self._phase
            self.phases.append((name, time.perf_counter() - t))
            self._phase = None


def _plot_target(args):
    """(path, force) of the picture, or None for --no-plot. The default path is the demo's own
    file, replaced on every run; an explicit one follows --force."""
    if args.no_plot:
        return None
    if args.plot is not None:
        return args.plot, args.force
    return DEFAULT_PLOT, True


def _check_outputs(args):
    """Before the range test and the training: a bad --csv / --plot fails in a second, not after
    them. Returns (path, force) of the picture to draw, or None."""
    for path in sweep_paths(args.csv, args.repeats) if args.csv else ():
        check_output(path, args.force, "--csv")
    target = _plot_target(args)
    if target is None:
        return None
    path, force = target
    try:
        if not check_plot(path, force, required=False):
            print(f"pyclr demo: no picture: drawing it needs matplotlib, which is not installed "
                  f"({PLOT_INSTALL}); the demo runs without it", file=sys.stderr)
            return None
    except CLIError as exc:
        if args.plot is not None:
            raise  # the path the user named: exit 4
        print(f"pyclr demo: no picture: {exc} (pass --plot PATH or --no-plot)", file=sys.stderr)
        return None
    return target


def _check(args) -> None:
    from pyclr import _validate as V

    V.int_at_least("batch_size", args.batch_size, 1)
    V.int_at_least("num_iter", args.num_iter, 2)
    V.int_at_least("repeats", args.repeats, 1)
    V.int_at_least("epochs", args.epochs, 1)
    V.int_at_least("threads", args.threads, 1)
    V.positive("start_lr", args.start_lr)
    V.positive("end_lr", args.end_lr)
    V.positive("epochs_per_half_cycle", args.epochs_per_half_cycle)
    if args.baseline_lr is not None:
        V.positive("baseline_lr", args.baseline_lr)
    if args.end_lr <= args.start_lr:
        raise ValueError(f"Expected end_lr > start_lr, but got start_lr={args.start_lr!r}, end_lr={args.end_lr!r}")


def _data(seed: int):
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)  # bundled with scikit-learn: no download
    x = (x / 16.0).astype(np.float32)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=seed, stratify=y)
    mean, std = xtr.mean(0), xtr.std(0) + 1e-3
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    t = lambda a, dt: torch.from_numpy(np.ascontiguousarray(a)).to(dt)  # noqa: E731
    return t(xtr, torch.float32), t(ytr, torch.long), t(xte, torch.float32), t(yte, torch.long)


def _model(seed: int):
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))


def _optimizer(kind: str, model, lr: float):
    import torch

    if kind == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    return torch.optim.Adam(model.parameters(), lr=lr)


def _loader(x, y, batch_size: int, seed: int):
    import torch

    g = torch.Generator().manual_seed(seed)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch_size,
                                       shuffle=True, generator=g)


def _train(args, data, progress: _Progress, what: str, schedule=None, constant_lr=None):
    """Train a fresh model (same init, same batch order); returns (test accuracy, LRs used)."""
    import torch
    import torch.nn.functional as F

    from pyclr.torch import attach

    xtr, ytr, xte, yte = data
    model = _model(args.seed)
    opt = _optimizer(args.optimizer, model, constant_lr if constant_lr is not None else 1.0)
    handle = attach(opt, schedule) if schedule is not None else None
    used = []
    opt.register_step_post_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    loader = _loader(xtr, ytr, args.batch_size, args.seed + 1)
    model.train()
    for epoch in range(args.epochs):
        total, batches = 0.0, 0
        for xb, yb in loader:
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()  # with a schedule attached, the hook sets this step's LR first
            total += float(loss.detach())
            batches += 1
        progress.say(f"  {what}: epoch {epoch + 1} of {args.epochs}, mean training loss {total / batches:.3f}")
    if handle is not None:
        handle.remove()
    model.eval()
    with torch.no_grad():
        out = model(xte)
        acc = float((out.argmax(1) == yte).float().mean())
        finite = bool(torch.isfinite(out).all())
    return (acc if finite else float("nan")), used


def _fmt(x) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _sweep_reporter(opt, progress: _Progress, sweeps: int):
    """An optimizer step hook saying when each range-test sweep starts: within a sweep the LR
    only grows, so a step at a lower LR than the one before starts the next sweep."""
    state = {"last": math.inf, "sweep": 0}

    def hook(o, a, k):
        lr = o.param_groups[0]["lr"]
        if lr < state["last"]:
            state["sweep"] += 1
            progress.say(f"  range test: sweep {state['sweep']} of {sweeps} (lr from {lr:.0e} up)")
        state["last"] = lr

    return opt.register_step_post_hook(hook)


def _explain(a, schedule, steps_per_epoch: int, epochs_per_half_cycle: float) -> list:
    """What base_lr and max_lr are, in plain words, and the three lines of code that use them,
    with this run's numbers."""
    d = schedule.to_dict()
    base, top, up = d["base_lr"], d["max_lr"], d["step_size_up"]
    provisional = "" if a.ok else "  (provisional: the verdict was not ok)"
    return [
        "what the bounds mean:",
        f"  base_lr = {_fmt(base)}: the LR where the loss starts to fall fast; below it, training barely moves.",
        f"  max_lr  = {_fmt(top)}: the largest LR before the loss stops improving or turns unstable.{provisional}",
        f"  A cyclical schedule moves the LR from base_lr up to max_lr and back down, {epochs_per_half_cycle:g} "
        f"epochs each way (step_size_up={up} optimizer steps, {steps_per_epoch} batches per epoch), and repeats.",
        "",
        "use them in your own PyTorch training loop (import pyclr; from pyclr.torch import ScheduledLR):",
        f"  sched = pyclr.cyclic({_fmt(base)}, {_fmt(top)}, step_size_up={up})",
        "  scheduler = ScheduledLR(optimizer, sched)",
        "  scheduler.step()  # after every optimizer.step(), once per batch",
    ]


def run(args) -> int:
    started = getattr(args, "started", None)
    progress = _Progress(started if started is not None else time.perf_counter(), args.quiet)
    _check(args)
    plot_target = _check_outputs(args)
    progress.phase("imports", "importing torch and scikit-learn")
    try:
        import torch
        import sklearn  # noqa: F401
    except ImportError as exc:
        print(f"pyclr demo: error: the demo needs torch and scikit-learn ({exc}); "
              "install them with: pip install 'pyclr-lr[demo]'", file=sys.stderr)
        return EXIT_MISSING_DEPENDENCY

    import pyclr
    from pyclr.torch import range_test

    progress.phase("data", "loading scikit-learn's digits")
    torch.set_num_threads(args.threads)
    data = _data(args.seed)
    xtr, ytr, xte, yte = data
    steps_per_epoch = math.ceil(len(xtr) / args.batch_size)
    opt_name = "SGD (momentum 0.9)" if args.optimizer == "sgd" else "Adam"
    print(f"pyclr demo: scikit-learn digits, {len(xtr)} train / {len(xte)} test images, "
          f"MLP 64-64-10, {opt_name}, batch {args.batch_size}, seed {args.seed}")

    # 1. the range test (model and optimizer are restored afterwards)
    progress.phase("range test", f"range test: {args.repeats} sweep{'s' if args.repeats > 1 else ''} of "
                                 f"{args.num_iter} steps, lr {args.start_lr:.0e} to {args.end_lr:.0e}")
    model = _model(args.seed)
    opt = _optimizer(args.optimizer, model, args.start_lr)
    torch.manual_seed(args.seed)
    reporter = _sweep_reporter(opt, progress, args.repeats)
    try:
        # a RangeTestRuns, since repeats is given
        runs: Any = range_test(model, opt, torch.nn.functional.cross_entropy,
                               _loader(xtr, ytr, args.batch_size, args.seed),
                               start_lr=args.start_lr, end_lr=args.end_lr, num_iter=args.num_iter, progress=False,
                               repeats=args.repeats)
    finally:
        reporter.remove()
    stop = {"num_iter": "ran to the end", "diverged": "stopped: loss diverged",
            "non-finite loss": "stopped: non-finite loss", "skipped steps": "stopped: AMP skipped steps"}
    print(f"range test: {len(runs)} sweep{'s' if len(runs) > 1 else ''} of {args.num_iter} LR points from "
          f"{args.start_lr:.0e} to {args.end_lr:.0e} (exp)" + (", each from the same start on new batches"
                                                                 if len(runs) > 1 else ""))
    for i, res in enumerate(runs):
        print(f"  sweep {i}: {len(res)} points, {stop.get(res.stop_reason, res.stop_reason)} at lr {res.lrs[-1]:.3g}")
    if args.csv:
        paths = sweep_paths(args.csv, len(runs))
        for res, path in zip(runs, paths):
            write_output(path, res.save, args.force, "--csv")
        print(f"  logs saved to {', '.join(paths)} (try: pyclr analyze {' '.join(paths)} --combine)")

    # 2. the analysis: one sweep with its noise resampled, or the sweeps combined
    progress.phase("analysis", "analysing the range test")
    a = runs[0].analyze(resamples=100) if len(runs) == 1 else runs.analyze()
    print(f"analysis: verdict {a.verdict}")
    for name in ("base_lr", "max_lr"):
        spread = a.interval.get(name)
        sweeps = [getattr(r, name) for r in a.runs if r.ok]
        if spread:
            within = f"  (90% with the log's noise resampled: {_fmt(spread[0])} .. {_fmt(spread[1])})"
        elif sweeps and a.ok:
            within = f"  (median of {len(sweeps)} sweeps: {_fmt(min(sweeps))} .. {_fmt(max(sweeps))})"
        else:
            within = ""
        print(f"  {name:<7} = {_fmt(getattr(a, name)):<8}{within}")
    for reason in a.reasons:
        print(f"  - {reason}")

    # 3. training: the cyclical schedule against a constant LR, same steps, same batches
    try:
        schedule = a.to_schedule(len(xtr), args.batch_size, epochs_per_half_cycle=args.epochs_per_half_cycle,
                                 force=not a.ok)
    except ValueError as exc:
        print(f"no schedule could be built from this range test: {exc}")
        if plot_target is not None:  # the range test alone: the picture shows why
            progress.phase("figure", f"drawing the range test to {plot_target[0]}")
            _plot(plot_target[0], a, None, 0, plot_target[1])
            print(f"figure: {plot_target[0]} (the range test)")
        progress.end_phase()
        return EXIT_INCONCLUSIVE
    baseline_lr = args.baseline_lr if args.baseline_lr is not None else (0.01 if args.optimizer == "sgd" else 0.001)
    steps = args.epochs * steps_per_epoch
    d = schedule.to_dict()
    progress.phase("training", f"training {args.epochs} epochs with the cyclical schedule, then with a constant LR")
    acc_clr, used = _train(args, data, progress, "cyclical LR", schedule=schedule)
    acc_const, _ = _train(args, data, progress, f"constant LR {_fmt(baseline_lr)}", constant_lr=baseline_lr)
    progress.end_phase()
    label = f"cyclical LR {_fmt(d['base_lr'])} .. {_fmt(d['max_lr'])} (triangular, step_size_up={d['step_size_up']})"
    print(f"training: {args.epochs} epochs = {steps} optimizer steps each"
          + ("" if a.ok else " (provisional bounds: the verdict was not ok)"))
    width = max(len(label), 28)
    print(f"  {label:<{width}}  test accuracy {acc_clr:.1%}")
    print(f"  {'constant LR ' + _fmt(baseline_lr):<{width}}  test accuracy {acc_const:.1%}")
    print()
    for line in _explain(a, schedule, steps_per_epoch, args.epochs_per_half_cycle):
        print(line)

    # 4. the picture
    if plot_target is not None:
        progress.phase("figure", f"drawing the range test and the schedule to {plot_target[0]}")
        _plot(plot_target[0], a, schedule, steps, plot_target[1])
        progress.end_phase()
        print(f"\nfigure: {plot_target[0]} (the range test with its bounds, and the schedule used for training)")
    progress.end_phase()
    parts = ", ".join(f"{name} {sec:.1f} s" for name, sec in progress.phases)
    print(f"done in {progress.elapsed():.1f} s since the command started ({parts}; backend {pyclr.backend()})")
    return EXIT_OK


def _plot(path: str, analysis, schedule, steps: int, force: bool) -> None:
    """The range test and, when there is one, the schedule used for training, side by side."""
    from pyclr.plot import plot_range_test, plot_schedule

    if schedule is None:
        fig, (only,) = new_figure(7.5, 4.6)
        plot_range_test(analysis, ax=only)
        write_figure(path, fig, force)
        return
    d = schedule.to_dict()
    fig, (left, right) = new_figure(13.0, 4.6, columns=2)
    plot_range_test(analysis, ax=left)
    plot_schedule(schedule, steps, ax=right,
                  labels=[f"used for training: pyclr.cyclic({_fmt(d['base_lr'])}, {_fmt(d['max_lr'])}, "
                          f"step_size_up={d['step_size_up']})"])
    write_figure(path, fig, force)
