"""Run work units in worker processes (or in this one), each with one torch thread.

Units must be picklable ``(function, args)`` pairs of module-level functions. Results come
back in completion order as ``(index, result)``; every unit also writes its own cache
entry, so an interrupted run loses at most the units in flight.
"""
from __future__ import annotations

import multiprocessing
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Callable, Iterator, Optional, Sequence, Union

__all__ = ["one_thread", "Workers", "run_units"]


def one_thread() -> None:
    """One intra-op and one inter-op torch thread: the machine is shared, and results must not
    depend on the thread count (float sums in another order round differently)."""
    import torch

    if torch.get_num_threads() != 1:
        torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set, or parallel work has started in this process
        pass


def _call(fn: Callable, args: tuple) -> Any:
    one_thread()
    return fn(*args)


class Workers:
    """A pool of ``jobs`` worker processes shared by several :func:`run_units` calls (``jobs=1``:
    none, the units run here). Use as a context manager; the workers start on first use."""

    def __init__(self, jobs: int = 1):
        if jobs < 1:
            raise ValueError(f"Expected jobs >= 1, but got {jobs}")
        self.jobs = jobs
        self._pool: Optional[ProcessPoolExecutor] = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx, initializer=one_thread)
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_units(units: Sequence[tuple], jobs: Union[int, Workers] = 1, progress: str = "") -> Iterator[tuple]:
    """Yield ``(i, fn(*args))`` for every ``units[i] = (fn, args)``, on ``jobs`` processes.

    ``jobs``: a number of processes, or a :class:`Workers` to share. One runs the units here, in
    order. Otherwise ``spawn``-started workers (a fresh interpreter each: no torch state forked
    from this process) take them in the order given, so put the longest first.
    """
    n = len(units)
    if n == 0:
        return
    step = max(1, n // 10)
    workers = jobs if isinstance(jobs, Workers) else Workers(jobs)
    if workers.jobs <= 1:
        for i, (fn, args) in enumerate(units):
            yield i, _call(fn, args)
            if progress and ((i + 1) % step == 0 or i + 1 == n):
                print(f"  {progress}: {i + 1}/{n}", file=sys.stderr, flush=True)
        return
    try:
        pool = workers.pool()
        futures = {pool.submit(_call, fn, args): i for i, (fn, args) in enumerate(units)}
        for done, fut in enumerate(as_completed(futures), 1):
            yield futures[fut], fut.result()
            if progress and (done % step == 0 or done == n):
                print(f"  {progress}: {done}/{n}", file=sys.stderr, flush=True)
    finally:
        if workers is not jobs:
            workers.close()
