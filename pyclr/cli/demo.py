"""``pyclr demo``: the main job end to end, on data that ships with scikit-learn.

A real LR range test of a small MLP on scikit-learn's bundled digits, the analysis
of that test (bounds and verdict), then a short training run with the resulting
cyclical schedule next to a constant-LR baseline of the same length. CPU only,
seeded, single-threaded: the numbers are reproducible and it runs in seconds.

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

from ._exit import (EXIT_BAD_OUTPUT, EXIT_INCONCLUSIVE, EXIT_MISSING_DEPENDENCY, EXIT_OK, EXIT_USAGE,
                    epilog)
from ..logs import sweep_paths
from ._output import check_output, write_output

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "demo",
        help="range test + analysis + cyclical training on scikit-learn digits (CPU, ~10 s)",
        description=(
            "Run a real LR range test on scikit-learn's digits with a small MLP, analyse it, train "
            "briefly with the resulting cyclical schedule and compare with a constant LR trained the "
            "same number of steps."
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
    p.add_argument("--plot", metavar="PATH", help="write a figure (range test and LR schedule); needs matplotlib")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: reproducible)")
    p.add_argument("--force", action="store_true", help="overwrite the --csv / --plot files if they exist")
    return p


def _check_outputs(args) -> None:
    """Before the range test and the training: a bad --csv / --plot fails in a second, not after them."""
    for path in sweep_paths(args.csv, args.repeats) if args.csv else ():
        check_output(path, args.force, "--csv")
    if args.plot:
        check_output(args.plot, args.force, "--plot")
        fmt = _plot_format(args.plot)
        try:
            from matplotlib.backend_bases import FigureCanvasBase
        except ImportError:
            return  # said when the figure would be drawn
        if fmt not in FigureCanvasBase.get_supported_filetypes():
            raise ValueError(f"Expected --plot ending in one of "
                             f"{sorted(FigureCanvasBase.get_supported_filetypes())}, but got {args.plot!r}")


def _plot_format(path: str) -> str:
    return os.path.splitext(path)[1][1:].lower() or "png"


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


def _train(args, data, schedule=None, constant_lr=None):
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
    for _ in range(args.epochs):
        for xb, yb in loader:
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(xb), yb).backward()
            opt.step()  # with a schedule attached, the hook sets this step's LR first
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


def run(args) -> int:
    _check(args)
    _check_outputs(args)
    try:
        import torch
        import sklearn  # noqa: F401
    except ImportError as exc:
        print(f"pyclr demo: error: the demo needs torch and scikit-learn ({exc}); "
              "install them with: pip install 'pyclr[demo]'", file=sys.stderr)
        return EXIT_MISSING_DEPENDENCY

    import pyclr
    from pyclr.torch import range_test

    t0 = time.perf_counter()
    torch.set_num_threads(args.threads)
    data = _data(args.seed)
    xtr, ytr, xte, yte = data
    steps_per_epoch = math.ceil(len(xtr) / args.batch_size)
    opt_name = "SGD (momentum 0.9)" if args.optimizer == "sgd" else "Adam"
    print(f"pyclr demo: scikit-learn digits, {len(xtr)} train / {len(xte)} test images, "
          f"MLP 64-64-10, {opt_name}, batch {args.batch_size}, seed {args.seed}")

    # 1. the range test (model and optimizer are restored afterwards)
    model = _model(args.seed)
    opt = _optimizer(args.optimizer, model, args.start_lr)
    torch.manual_seed(args.seed)
    runs = range_test(model, opt, torch.nn.functional.cross_entropy, _loader(xtr, ytr, args.batch_size, args.seed),
                      start_lr=args.start_lr, end_lr=args.end_lr, num_iter=args.num_iter, progress=False,
                      repeats=args.repeats)
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
        return EXIT_INCONCLUSIVE
    baseline_lr = args.baseline_lr if args.baseline_lr is not None else (0.01 if args.optimizer == "sgd" else 0.001)
    steps = args.epochs * steps_per_epoch
    acc_clr, used = _train(args, data, schedule=schedule)
    acc_const, _ = _train(args, data, constant_lr=baseline_lr)
    d = schedule.to_dict()
    step_up = d.get("step_size_up")
    label = f"cyclical LR {_fmt(a.base_lr)} .. {_fmt(schedule.values(int(step_up) + 1)[-1] if step_up else None)}"
    if step_up:
        label += f" (triangular, step_size_up={int(step_up)})"
    print(f"training: {args.epochs} epochs = {steps} optimizer steps each"
          + ("" if a.ok else " (provisional bounds: the verdict was not ok)"))
    width = max(len(label), 28)
    print(f"  {label:<{width}}  test accuracy {acc_clr:.1%}")
    print(f"  {'constant LR ' + _fmt(baseline_lr):<{width}}  test accuracy {acc_const:.1%}")
    print(f"done in {time.perf_counter() - t0:.1f} s (backend: {pyclr.backend()})")

    if args.plot:
        _plot(args.plot, runs, a, used, args.force)
    return EXIT_OK


def _plot(path: str, runs, analysis, used, force: bool) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")  # headless: write the file, never open a window
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"pyclr demo: --plot needs matplotlib, which is not installed; no figure written to {path} "
              "(install it with: pip install 'pyclr[plot]')", file=sys.stderr)
        return
    import numpy as np

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    for i, res in enumerate(runs):
        ax1.semilogx(res.lrs, res.losses, ".", ms=3, alpha=0.5, label=f"loss, sweep {i}")
    for i, a in enumerate(analysis.runs or (analysis,)):
        if a.lrs is not None and a.smoothed is not None:
            ax1.semilogx(a.lrs, a.smoothed, "-", lw=1.5, label=f"analysis smoother, sweep {i}")
    for x, name in ((analysis.base_lr, "base_lr"), (analysis.max_lr, "max_lr")):
        if x is not None:
            ax1.axvline(x, ls="--", color="k", lw=1)
            ax1.annotate(name, (x, ax1.get_ylim()[1]), rotation=90, va="top", ha="right", fontsize=8)
    losses = np.concatenate(runs.losses)
    finite = losses[np.isfinite(losses)]
    if finite.size:
        ax1.set_ylim(finite.min() * 0.9, min(finite.max(), 4 * finite[0]) * 1.05)
    ax1.set_xlabel("learning rate")
    ax1.set_ylabel("training loss")
    ax1.set_title(f"range test: verdict {analysis.verdict}")
    ax1.legend(fontsize=8)
    ax2.plot(np.arange(len(used)), used)
    ax2.set_xlabel("optimizer step")
    ax2.set_ylabel("learning rate")
    ax2.set_title("cyclical schedule used for training")
    fig.tight_layout()
    try:
        # the format named, not inferred: the temporary file's name need not end like the target's
        write_output(path, lambda tmp: fig.savefig(tmp, dpi=120, format=_plot_format(path)), force, "--plot")
    finally:
        plt.close(fig)
    print(f"figure written to {path}")
