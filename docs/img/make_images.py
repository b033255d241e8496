"""Draw the pictures of the documentation and the README with pyclr.plot.

Run from anywhere: ``python docs/img/make_images.py`` (needs matplotlib: ``pip install
'pyclr-lr[plot]'``). It reads the real range-test logs shipped in ``tests/data`` and writes, next
to this script:

* ``range_test.png``: five seeds of a range test of a small MLP with Adam on scikit-learn's
  digits, combined by ``pyclr.analyze``, with the bounds it found and where fastai's ``valley``
  and torch-lr-finder's ``steepest`` rules would put their single LR;
* ``schedules.png``: a cyclical schedule with its momentum and cycle boundaries, and the
  one-cycle, SGDR and warmup-cosine policies over the same run.

The pictures depend only on the logs and pyclr, so rerunning it gives the same files.
"""
from __future__ import annotations

import os

from matplotlib.figure import Figure

import pyclr
from pyclr.plot import plot_range_test, plot_schedule

HERE = os.path.dirname(os.path.abspath(__file__))
LOGS = os.path.join(HERE, os.pardir, os.pardir, "tests", "data", "seed_runs")
# PNG metadata without the matplotlib version and date, so the files change only when the picture does
META = {"Software": None}


def range_test_picture(path: str) -> None:
    logs = [pyclr.load_log(os.path.join(LOGS, f"adam_exp_n200_s{seed}.csv")) for seed in range(5)]
    analysis = pyclr.analyze([log.lrs for log in logs], [log.losses for log in logs])
    ax = plot_range_test(analysis, anchors=["valley", "steepest"])
    ax.set_xlim(1e-5, 1)  # the first decade is flat
    ax.figure.savefig(path, dpi=80, metadata=META)


def schedules_picture(path: str) -> None:
    fig = Figure(figsize=(10, 3.9), layout="constrained")
    left, right = fig.subplots(1, 2)
    plot_schedule(pyclr.cyclic(1e-3, 6e-3, step_size_up=500, mode="triangular2"), 4000, ax=left, momentum=True)
    n = 4000
    plot_schedule([pyclr.one_cycle(6e-3, n), pyclr.sgdr(6e-3, 500, T_mult=2), pyclr.warmup_cosine(6e-3, n, 400)],
                  n, ax=right, labels=["one_cycle(6e-3, 4000)", "sgdr(6e-3, 500, T_mult=2)",
                                       "warmup_cosine(6e-3, 4000, 400)"])
    right.set_title("three policies, 4000 steps", fontsize=10)
    fig.savefig(path, dpi=80, metadata=META)


if __name__ == "__main__":
    range_test_picture(os.path.join(HERE, "range_test.png"))
    schedules_picture(os.path.join(HERE, "schedules.png"))
    for name in ("range_test.png", "schedules.png"):
        print(f"{name}: {os.path.getsize(os.path.join(HERE, name)) / 1024:.0f} KB")
