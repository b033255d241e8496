"""Range-test logs of every configuration, run through ``pyclr.torch.range_test`` and cached.

Two kinds of record, each for every seed and sweep length:

* ``"sweep"``: the configuration's own sweep, ``range_test(model, opt, loss, loader,
  start_lr=..., end_lr=..., num_iter=n, step_mode=config.sweep)``;
* ``"default"``: what a user gets who gives only the model, optimizer, loss, loader and the
  LR range (and ``num_iter``): every other argument at ``range_test``'s default. For an
  exponential configuration this is the same call as ``"sweep"`` and shares its file. If
  the defaults ever run several sweeps (``repeats``), every sweep is stored.

``progress=False`` is passed to both: it only draws a bar. The cache key holds the call and
``range_test``'s default arguments, so a change of defaults runs the records again.
"""
from __future__ import annotations

import inspect
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

import numpy as np

from . import cache as C
from . import tasks as T

__all__ = ["KINDS", "Log", "Loader", "call_kwargs", "log_path", "run_log", "ensure_logs", "load_log", "load_logs"]

KINDS = ("sweep", "default")


class Loader:
    """A re-iterable loader like ``DataLoader(..., shuffle=True, drop_last=True)`` with a seeded
    generator: every pass is the next epoch of :func:`studies.tasks.batches`' order."""

    def __init__(self, x, y, batch_size: int, seed: int):
        import torch

        self.x, self.y, self.batch_size = x, y, batch_size
        self.gen = torch.Generator().manual_seed(1000 + seed)  # the seeding of tasks.batches

    def __iter__(self):
        import torch

        n = len(self.x)
        perm = torch.randperm(n, generator=self.gen)
        for i in range(n // self.batch_size):
            idx = perm[i * self.batch_size:(i + 1) * self.batch_size]
            yield self.x[idx], self.y[idx]

    def __len__(self) -> int:
        return len(self.x) // self.batch_size


def _defaults_fingerprint() -> dict:
    from pyclr.torch import range_test

    return {k: repr(p.default) for k, p in inspect.signature(range_test).parameters.items()
            if p.default is not inspect.Parameter.empty}


def call_kwargs(config: T.Config, num_iter: int, kind: str) -> dict:
    """The keyword arguments given to ``range_test`` besides model, optimizer, loss and loader."""
    kw = dict(start_lr=config.start_lr, end_lr=config.end_lr, num_iter=num_iter)
    if kind == "sweep":  # the classic test: one sweep of num_iter steps
        kw["sweep_iter"] = None
        if config.sweep != "exp":
            kw["step_mode"] = config.sweep
    elif kind != "default":
        raise ValueError(f"Expected kind in {KINDS}, but got {kind!r}")
    kw["progress"] = False
    return kw


def _key(config: T.Config, seed: int, kwargs: dict) -> dict:
    return {"suite": C.VERSION, "config": config.to_dict(), "seed": seed, "call": kwargs,
            "range_test_defaults": _defaults_fingerprint()}


def log_path(cache: Path, config: T.Config, seed: int, num_iter: int, kind: str) -> Path:
    kw = call_kwargs(config, num_iter, kind)
    slug = config.name.replace("/", "_")
    return cache / "logs" / slug / f"n{num_iter}_s{seed}_{C.digest(_key(config, seed, kw))}.json"


@dataclass(frozen=True)
class Log:
    """One cached record: one sweep (``runs`` of length 1) or several (range_test with repeats)."""

    config: str
    seed: int
    num_iter: int
    kind: str
    runs: tuple            # ((lrs, losses, stop_reason), ...)

    @property
    def lrs(self):
        """The LRs: one array, or a list of arrays for several sweeps (``pyclr.analyze``'s input)."""
        return self.runs[0][0] if len(self.runs) == 1 else [r[0] for r in self.runs]

    @property
    def losses(self):
        return self.runs[0][1] if len(self.runs) == 1 else [r[1] for r in self.runs]

    @property
    def stop_reason(self) -> str:
        return ",".join(r[2] for r in self.runs)


def run_log(config: T.Config, seed: int, num_iter: int, kind: str) -> dict:
    """Run one range test (no cache): the JSON record."""
    import pyclr
    import torch
    from pyclr.torch import RangeTestResult, range_test

    xtr, ytr, _, _ = T.load_data(config.family)
    model = T.make_model(config.family, seed)
    opt = T.make_optimizer(config.optimizer, model, config.start_lr)
    kw = call_kwargs(config, num_iter, kind)
    t0 = time.perf_counter()
    res = range_test(model, opt, T.FAMILIES[config.family].loss, Loader(xtr, ytr, config.batch_size, seed), **kw)
    seconds = time.perf_counter() - t0
    runs = [res] if isinstance(res, RangeTestResult) else list(res.runs)
    return {**_key(config, seed, kw), "config_name": config.name, "num_iter": num_iter, "kind": kind,
            "runs": [r.to_dict() for r in runs], "seconds": seconds,
            "torch": torch.__version__, "pyclr": pyclr.__version__, "backend": pyclr.backend()}


def _unit(config_name: str, seed: int, cache: str, wanted: list) -> int:
    """Worker: run and store the missing records ``wanted = [(num_iter, kind), ...]`` of one seed."""
    config = T.get_config(config_name)
    done = 0
    for num_iter, kind in wanted:
        path = log_path(Path(cache), config, seed, num_iter, kind)
        if C.read_json(path) is None:
            C.write_json(path, run_log(config, seed, num_iter, kind))
            done += 1
    return done


def _missing(cache: Path, configs, seeds, kinds, num_iters=None) -> list:
    units = []
    for config in configs:
        lengths = config.num_iters if num_iters is None else tuple(sorted(set(num_iters) | {config.num_iter}))
        for seed in seeds:
            wanted, paths = [], set()
            for kind in kinds:
                for n in lengths:
                    p = log_path(cache, config, seed, n, kind)
                    if p not in paths and not p.exists():
                        wanted.append((n, kind))
                    paths.add(p)
            if wanted:
                units.append((config, seed, wanted))
    return units


def ensure_logs(configs: Iterable, seeds: Iterable = T.SEEDS, cache=None, jobs=1,
                kinds: Iterable = KINDS, num_iters: Optional[Iterable] = None) -> int:
    """Run the range tests not yet cached (``jobs``: processes, or a shared ``_pool.Workers``); returns
    how many (config, seed) units ran."""
    from ._pool import run_units

    cache = C.cache_dir(cache)
    units = _missing(cache, list(configs), list(seeds), list(kinds), num_iters)
    # the costliest first: long sweeps of slow models
    units.sort(key=lambda u: -sum(n for n, _ in u[2]) * u[0].batch_size ** 0.5)
    work = [(_unit, (c.name, s, str(cache), wanted)) for c, s, wanted in units]
    for _ in run_units(work, jobs, progress="range tests"):
        pass
    return len(work)


def load_log(config: T.Config, seed: int, num_iter: int, kind: str = "sweep", cache=None) -> Log:
    """A cached record (run it first with :func:`ensure_logs`)."""
    path = log_path(C.cache_dir(cache), config, seed, num_iter, kind)
    rec = C.read_json(path)
    if rec is None:
        raise FileNotFoundError(f"no cached range test {path}; run ensure_logs() or `python -m studies logs` first")
    runs = tuple((np.asarray(r["lrs"], dtype=np.float64), np.asarray(r["losses"], dtype=np.float64), r["stop_reason"])
                 for r in rec["runs"])
    return Log(config.name, seed, num_iter, kind, runs)


def load_logs(configs: Iterable, seeds: Iterable = T.SEEDS, kinds: Iterable = KINDS, cache=None,
              num_iters: Optional[Iterable] = None) -> dict:
    """``{(config name, seed, num_iter, kind): Log}`` for every record asked for."""
    out = {}
    for config in configs:
        lengths = config.num_iters if num_iters is None else tuple(sorted(set(num_iters) | {config.num_iter}))
        for seed in seeds:
            for n in lengths:
                for kind in kinds:
                    out[config.name, seed, n, kind] = load_log(config, seed, n, kind, cache)
    return out


def same_call(config: T.Config, num_iter: int) -> bool:
    """True where the ``"default"`` record is the ``"sweep"`` record (one file)."""
    return call_kwargs(config, num_iter, "sweep") == call_kwargs(config, num_iter, "default")
