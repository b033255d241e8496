"""Batched analysis and schedules in process pools (fork, spawn, forkserver) and from many threads,
on every backend: the same results as in one thread of one process, and no crash.

numba's threading layers are process-wide and fixed on the first parallel call, so the layers
this process did not pick are checked in subprocesses running this file as a script
(``python tests/test_processes.py LAYER MODE``): GNU OpenMP after a fork, workqueue from threads.
"""
from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
import multiprocessing
import os
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import pyclr
from pyclr import _backend
from conftest import available_backends

pytestmark = pytest.mark.all_backends  # each test runs its own calls on every backend

HERE = os.path.dirname(os.path.abspath(__file__))
HAS_NUMBA = importlib.util.find_spec("numba") is not None


def _use(name: str) -> None:
    """Pool initializer: run the public API on backend ``name`` in this process."""
    _backend._active = (name, _backend.load(name))


def _logs(seed: int, runs: int = 6, points: int = 160) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    lrs = np.geomspace(1e-6, 1.0, points)
    x = np.log10(lrs)
    losses = [2.3 - np.tanh(x + 3.5 + 0.3 * rng.standard_normal()) + np.where(x > -1.2, 8.0 * (x + 1.2) ** 2, 0.0)
              + 0.04 * rng.standard_normal(points) for _ in range(runs)]
    return lrs, losses


def _digest(values: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(values).tobytes()).hexdigest()


def _fingerprint(a) -> dict:
    """Everything an Analysis reports, bit for bit (JSON of the summary, digests of the curves)."""
    parts = [a] + list(a.runs)
    return {"summary": json.dumps(a.to_dict(), sort_keys=True),
            "curves": [_digest(np.concatenate([p.smoothed, p.slope])) for p in parts if p.smoothed is not None]}


def work(seed: int) -> dict:
    """A batched analysis (several runs in one parallel kernel call), one with resamples (another
    batched call), and schedule values."""
    lrs, losses = _logs(seed)
    return {
        "batched": _fingerprint(pyclr.analyze([lrs] * len(losses), losses)),
        "resampled": _fingerprint(pyclr.analyze(lrs, losses[0], resamples=40)),
        "schedules": [_digest(s.values(20_000)) for s in (
            pyclr.one_cycle(0.1, 20_000), pyclr.cyclic(1e-4, 1e-2, 777.5, mode="exp_range", gamma=0.9999, wave="sine"),
            pyclr.sgdr(0.1, 100, T_mult=2), pyclr.warmup_decay(0.1, 20_000, 500, decay="poly", power=1.37))],
    }


SEEDS = (0, 1, 2, 3)


@pytest.fixture(scope="module")
def serial():
    """``work`` in this process and thread, per backend (for numba this also starts its threading
    layer here, before any fork: the case that killed forked children)."""
    results = {}
    saved = _backend._active
    try:
        for name in available_backends():
            _use(name)
            results[name] = [work(s) for s in SEEDS]
    finally:
        _backend._active = saved
    return results


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
@pytest.mark.parametrize("name", available_backends())
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_process_pools_give_serial_results(serial, name, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method on this platform")
    ctx = multiprocessing.get_context(method)
    with ProcessPoolExecutor(2, mp_context=ctx, initializer=_use, initargs=(name,)) as pool:
        got = list(pool.map(work, SEEDS))
    assert got == serial[name]


@pytest.mark.parametrize("name", available_backends())
def test_threads_give_serial_results(serial, name, monkeypatch):
    monkeypatch.setattr(_backend, "_active", (name, _backend.load(name)))
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(work, SEEDS * 4))
    assert got == serial[name] * 4


def _layer_loads(layer: str) -> bool:
    try:
        importlib.import_module({"omp": "numba.np.ufunc.omppool", "workqueue": "numba.np.ufunc.workqueue"}[layer])
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not HAS_NUMBA, reason="numba not installed")
@pytest.mark.parametrize("layer, mode", [("omp", "fork"), ("workqueue", "fork"), ("workqueue", "threads"),
                                         ("omp", "threads")])
def test_numba_threading_layers(serial, layer, mode):
    """GNU OpenMP killed children forked after a parallel kernel ran in the parent; workqueue
    aborted the process when two threads ran parallel kernels at once."""
    if not _layer_loads(layer):
        pytest.skip(f"numba's {layer} threading layer cannot be loaded here")
    env = dict(os.environ, NUMBA_THREADING_LAYER=layer, PYCLR_BACKEND="numba")
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), mode], env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == f"layer {layer}", proc.stdout[-3000:]
    assert json.loads(lines[1]) == serial["numba"] * (4 if mode == "threads" else 1)


def _main(mode: str) -> None:
    import numba

    ref = [work(s) for s in SEEDS]  # the parent's parallel kernels run first, as in the reported crash
    print("layer", numba.threading_layer())
    if mode == "fork":
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
            got = list(pool.map(work, SEEDS))
    else:
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(work, SEEDS * 4))
    assert got == ref * (4 if mode == "threads" else 1)
    print(json.dumps(got))


if __name__ == "__main__":
    _main(sys.argv[1])
