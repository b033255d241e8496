"""Benchmark cases for pyclr.torch, shared by the pytest-benchmark suite and the ratio script.

Every case returns a zero-argument callable doing ``reps`` steps, so timer overhead
is negligible; ratios are always between callables measured in the same process.
"""
from __future__ import annotations

import time
import warnings

import torch
from timing import best_time

import pyclr
from pyclr.torch import ScheduledLR, attach, range_test

REPS = 1000


def _optimizer(groups: int) -> torch.optim.Optimizer:
    return torch.optim.SGD(
        [{"params": [torch.nn.Parameter(torch.zeros(1))]} for _ in range(groups)], lr=0.1, momentum=0.9
    )


def _loop(step, reps):
    def run():
        for _ in range(reps):
            step()

    return run


def torch_cyclic(momentum: bool = False, reps: int = REPS):
    """torch's CyclicLR.step(), one param group (cycle_momentum as given; torch's default is True)."""
    warnings.simplefilter("ignore")  # scheduler.step() without optimizer.step()
    s = torch.optim.lr_scheduler.CyclicLR(_optimizer(1), 0.01, 0.1, 2000, cycle_momentum=momentum)
    return _loop(s.step, reps)


def torch_one_cycle(groups: int = 50, momentum: bool = True, reps: int = REPS):
    """torch's OneCycleLR.step() with ``groups`` param groups (cycle_momentum default True)."""
    warnings.simplefilter("ignore")
    s = torch.optim.lr_scheduler.OneCycleLR(_optimizer(groups), 0.1, total_steps=10**8, cycle_momentum=momentum)
    return _loop(s.step, reps)


def scheduled(spec, groups: int, momentum: bool = False, reps: int = REPS):
    s = ScheduledLR(_optimizer(groups), spec, momentum=momentum)
    return _loop(s.step, reps)


def hook(spec, groups: int, momentum: bool = False, reps: int = REPS):
    """The attach() pre-hook as optimizer.step() calls it (without the optimizer's own work)."""
    opt = _optimizer(groups)
    h = attach(opt, spec, momentum=momentum)
    fn = h._pre_hook
    args = (opt, (), {})

    def run():
        for _ in range(reps):
            fn(*args)

    return run


CYCLIC = pyclr.cyclic(0.01, 0.1, 2000)
ONE_CYCLE = pyclr.one_cycle(0.1, 10**8)


# --------------------------------------------------------------------------- range test overhead
def _digits_like(n_batches: int = 25, batch: int = 64, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n_batches * batch, 64, generator=g)
    y = torch.randint(0, 10, (n_batches * batch,), generator=g)
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, len(x), batch)]


def _mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def plain_loop(num_iter: int = 200):
    """The same forward, backward and step, written by hand, no LR changes, no logging."""
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    batches = _digits_like()
    crit = torch.nn.functional.cross_entropy

    def run():
        k = 0
        while k < num_iter:
            for x, y in batches:
                opt.zero_grad(set_to_none=True)
                crit(model(x), y).backward()
                opt.step()
                k += 1
                if k == num_iter:
                    break

    return run


def range_test_run(num_iter: int = 200):
    """range_test over the same batches, model restored each time (snapshot + restore included)."""
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)
    batches = _digits_like()

    def run():
        range_test(model, opt, torch.nn.functional.cross_entropy, batches, start_lr=1e-5, end_lr=1e-2,
                   num_iter=num_iter, diverge_th=1e12, progress=False)

    return run


def ratios(repeat: int = 7, reps: int = REPS) -> dict:
    """Every figure of the README table, measured now, in this process."""
    torch.set_num_threads(1)
    per = lambda fn: best_time(fn, repeat) / reps * 1e6  # noqa: E731  (microseconds per step)
    t = {
        "torch CyclicLR (1 group)": per(torch_cyclic(False, reps)),
        "torch CyclicLR (1 group, momentum)": per(torch_cyclic(True, reps)),
        "ScheduledLR (1 group)": per(scheduled(CYCLIC, 1, False, reps)),
        "ScheduledLR (1 group, momentum)": per(scheduled(CYCLIC, 1, True, reps)),
        "attach hook (1 group)": per(hook(CYCLIC, 1, False, reps)),
        "attach hook (1 group, momentum)": per(hook(CYCLIC, 1, True, reps)),
        "torch OneCycleLR (50 groups)": per(torch_one_cycle(50, False, reps)),
        "torch OneCycleLR (50 groups, momentum)": per(torch_one_cycle(50, True, reps)),
        "ScheduledLR (50 groups)": per(scheduled(ONE_CYCLE, 50, False, reps)),
        "ScheduledLR (50 groups, momentum)": per(scheduled(ONE_CYCLE, 50, True, reps)),
        "attach hook (50 groups)": per(hook(ONE_CYCLE, 50, False, reps)),
        "attach hook (50 groups, momentum)": per(hook(ONE_CYCLE, 50, True, reps)),
    }
    t["plain loop (200 steps, s)"], t["range_test (200 steps, s)"] = interleaved(
        plain_loop(), range_test_run(), rounds=2 * repeat + 1)
    return t


def interleaved(a, b, rounds: int = 15) -> tuple[float, float]:
    """Best times of ``a`` and ``b`` run alternately, so load from other processes hits both alike."""
    a(), b()
    ta, tb = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        a()
        ta.append(time.perf_counter() - t)
        t = time.perf_counter()
        b()
        tb.append(time.perf_counter() - t)
    return min(ta), min(tb)
