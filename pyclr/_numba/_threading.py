"""Where numba's parallel kernels may run: under fork and under threads, whatever the threading layer.

numba runs ``parallel=True`` kernels on one of three threading layers, chosen process-wide on
the first parallel call (``NUMBA_THREADING_LAYER``, else tbb, omp, workqueue: the first that
loads). Two of them are unsafe in ways a library user cannot see:

* ``omp`` (GNU OpenMP, what numba's Linux wheels use) is not fork-safe: a child forked after
  the parent ran a parallel kernel is killed on its first one ("Terminating: fork() called
  from a process already using GNU OpenMP"). ``ProcessPoolExecutor`` forks by default on Linux.
* ``workqueue`` is not thread-safe: two threads in parallel kernels at once abort the process.

pyclr does not change the layer (that would change it for every numba user in the process).
``tbb`` would be safe in both cases, but numba cannot load the ``tbb`` wheel from PyPI without
``LD_LIBRARY_PATH`` pointing at the environment's ``lib``, and batched analyses (256 runs, and
200 resamples) took the same time on tbb, omp and workqueue within the noise of a shared 2-core
machine, so it is not worth a dependency. Instead every parallel kernel
of this package runs through :func:`guard`, which falls back to the same kernel compiled
without ``parallel`` (identical results: runs are independent) where parallel is unsafe:

* in a process forked from one whose layer is ``omp`` (detected by ``os.register_at_fork``);
* while another thread is in a parallel kernel, unless the layer is known thread-safe
  (``tbb``, ``omp``). Before the first parallel call the layer is unknown, so the first callers
  take the lock too.

A forked worker of a pool then analyses serially, which is what a pool of processes wants
anyway (one worker per core).
"""
from __future__ import annotations

import functools
import os
import threading
import types
from typing import Any, Callable

import numba

__all__ = ["guard", "guard_all", "parallel_allowed"]

_THREAD_SAFE_LAYERS = ("tbb", "omp")
_FORK_UNSAFE_LAYERS = ("omp",)

_busy = threading.Lock()  # held while a parallel kernel runs on a layer that is not thread-safe
_forked_unsafe = False  # this process was forked from one whose threading layer is not fork-safe


def _layer() -> str | None:
    """The threading layer, or None before the first parallel call of the process chose one."""
    try:
        return numba.threading_layer()
    except ValueError:
        return None


def _after_fork_in_child() -> None:
    global _busy, _forked_unsafe
    if _layer() in _FORK_UNSAFE_LAYERS:
        _forked_unsafe = True
    # a lock held by another thread of the parent at the fork would stay held here forever
    _busy = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX only; elsewhere there is no fork
    os.register_at_fork(after_in_child=_after_fork_in_child)


def parallel_allowed() -> bool:
    """Whether this process may run parallel kernels at all (False in a child forked from GNU OpenMP)."""
    return not _forked_unsafe


def _serial_twin(kernel):
    """``kernel`` compiled without ``parallel`` (prange runs as range), cached under its own name:
    numba's cache index does not tell compile flags apart, so the parallel and the serial
    versions must not share a cache file."""
    f = kernel.py_func
    twin = types.FunctionType(f.__code__, f.__globals__, f.__name__ + "_serial", f.__defaults__, f.__closure__)
    twin.__qualname__ = f.__qualname__ + "_serial"
    twin.__module__ = f.__module__
    twin.__doc__ = f.__doc__
    options = {k: v for k, v in kernel.targetoptions.items() if k not in ("parallel", "nopython")}
    return numba.njit(cache=True, **options)(twin)


def guard(kernel: Any) -> Callable[..., Any]:
    """``kernel`` (a ``parallel=True`` numba function), run serially where parallel is unsafe."""
    serial: list[Any] = []
    compiling = threading.Lock()

    def serial_kernel():
        if not serial:
            with compiling:
                if not serial:
                    serial.append(_serial_twin(kernel))
        return serial[0]

    @functools.wraps(kernel.py_func)
    def run(*args):
        if _forked_unsafe:
            return serial_kernel()(*args)
        if _layer() in _THREAD_SAFE_LAYERS:
            return kernel(*args)
        busy = _busy
        if busy.acquire(blocking=False):
            try:
                return kernel(*args)
            finally:
                busy.release()
        return serial_kernel()(*args)

    setattr(run, "parallel_kernel", kernel)  # the unguarded kernel, for tests and introspection
    return run


def guard_all(namespace: dict) -> None:
    """Replace every ``parallel=True`` numba function in ``namespace`` (a module's globals) by its guard."""
    for name, value in list(namespace.items()):
        if getattr(value, "targetoptions", {}).get("parallel") and hasattr(value, "py_func"):
            namespace[name] = guard(value)
