"""Benchmark cases shared by the pytest-benchmark suite and the ratio table."""
from __future__ import annotations

import math

import numpy as np

import pyclr

N = 10_000_000


def cases(n: int = N) -> dict:
    """policy name -> (pyclr schedule, plain NumPy formula for the same values)."""
    t = lambda: np.arange(n, dtype=np.float64)  # noqa: E731

    def cyclic_np():
        k = t()
        cycle = np.floor(1 + k / 4000)
        x = np.abs(k / 2000 - 2 * cycle + 1)
        with np.errstate(over="ignore"):  # 2**(cycle-1) overflows to inf in late cycles: amplitude 0
            return 1e-4 + (1e-2 - 1e-4) * np.maximum(0, 1 - x) / np.exp2(cycle - 1)

    def one_cycle_np():
        k = t()
        up = 0.3 * n - 1
        lo, hi, fin = 1e-2 / 25, 1e-2, 1e-2 / 25 / 1e4
        p1 = k / up
        p2 = (k - up) / (n - 1 - up)
        return np.where(k <= up, hi + (lo - hi) / 2 * (1 + np.cos(np.pi * p1)), fin + (hi - fin) / 2 * (1 + np.cos(np.pi * p2)))

    def sgdr_np():
        k = t().astype(np.int64)
        i = np.floor(np.log2(k / 1000 + 1)).astype(np.int64)
        start = 1000 * (2**i - 1)
        return 0.5e-2 * (1 + np.cos(np.pi * (k - start) / (1000 * 2**i)))

    def warmup_cosine_np():
        k = t()
        w = 100_000
        return np.where(k < w, 1e-2 * k / w, 0.5e-2 * (1 + np.cos(np.pi * (k - w) / (n - w))))

    def poly_np():
        k = t()
        w = 10_000
        return np.where(k < w, 1e-2 * k / w, 1e-2 * np.maximum(1 - (k - w) / (n - w), 0.0) ** 1.5)

    return {
        "cyclic_triangular2": (pyclr.cyclic(1e-4, 1e-2, 2000, mode="triangular2"), cyclic_np),
        "one_cycle": (pyclr.one_cycle(1e-2, n), one_cycle_np),
        "sgdr_T_mult_2": (pyclr.sgdr(1e-2, 1000, T_mult=2), sgdr_np),
        "warmup_cosine": (pyclr.warmup_cosine(1e-2, n, 100_000), warmup_cosine_np),
        "cyclic_sine_exp_range": (pyclr.cyclic(1e-4, 1e-2, 2000, mode="exp_range", gamma=0.9999999, wave="sine"), None),
        "wsd_1-sqrt": (pyclr.wsd(1e-2, n, 10_000), None),
        "warmup_poly_1.5": (pyclr.warmup_decay(1e-2, n, 10_000, decay="poly", power=1.5), poly_np),
        "multiplicative_cycles": (pyclr.multiplicative_cycles(1e-2, 1000, factor=2, n_cycles=14), None),
        "step_decay": (pyclr.step_decay(1e-2, 100_000, gamma=0.9), None),
    }


def torch_steps_per_second(name: str, steps: int = 200_000) -> float:
    """Seconds per step of the equivalent torch scheduler (None where torch has none)."""
    import time
    import warnings

    import torch

    lrs = torch.optim.lr_scheduler
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    make = {
        "cyclic_triangular2": lambda: torch.optim.lr_scheduler.CyclicLR(opt, 1e-4, 1e-2, 2000, mode="triangular2", cycle_momentum=False),
        "one_cycle": lambda: torch.optim.lr_scheduler.OneCycleLR(opt, 1e-2, total_steps=steps + 1, cycle_momentum=False),
        "sgdr_T_mult_2": lambda: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, 1000, T_mult=2),
        "warmup_cosine": lambda: lrs.SequentialLR(opt, [lrs.LinearLR(opt, 1e-8, 1.0, 10_000),
                                                        lrs.CosineAnnealingLR(opt, steps)], [10_000]),
        "warmup_poly_1.5": lambda: lrs.SequentialLR(opt, [lrs.LinearLR(opt, 1e-8, 1.0, 10_000),
                                                          lrs.PolynomialLR(opt, steps, power=1.5)], [10_000]),
        "step_decay": lambda: lrs.StepLR(opt, 100_000, gamma=0.9),
    }.get(name)
    if make is None:
        return math.nan
    sched = make()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        begin = time.perf_counter()
        for _ in range(steps):
            sched.step()
        return (time.perf_counter() - begin) / steps
