"""How far one range test's bounds can be trusted: re-analyse the log with its own noise resampled.

A run with another seed sees other batches and other initial weights; its curve differs from
this one by about this one's noise (not entirely: on long sweeps the whole trajectory differs
too, and the interval comes out narrower than the seeds' spread; see the README). A *local
residual bootstrap* imitates that from a single log: keep the smoothed curve ``s`` and give every point the residual ``L - s`` of a random point
at most :data:`NEIGHBOURS` positions away. Residuals stay where they were drawn, so the noise
keeps its level along the sweep (it grows near divergence) and its skew (spikes point up);
flipping their signs (the wild bootstrap) turns spikes into deep dips that no real log has (in
a trial on the small-batch seed runs it overstated the spread 3-18x). Every resampled log is analysed in one batched
kernel call, with the original log's grid and smoother width.
"""
from __future__ import annotations

import os

import numpy as np

from . import _backend

#: A point's residual is drawn from the points at most this many positions away.
NEIGHBOURS = 3
#: Seed of the resampling, so that one log always gives the same interval.
SEED = 0


def resampled_results(x: np.ndarray, y: np.ndarray, fit: np.ndarray, width: float, resamples: int,
                      settings: tuple, n_threads: int) -> np.ndarray:
    """analyze_run's result rows (``[resamples, ANALYZE_RESULT_SIZE]``) on resampled copies of a log.

    ``x`` is the log's ``log10(lr)`` grid, ``y`` its losses (NaN allowed) and ``fit`` the
    smoothed curve analyze() found on it; ``settings`` are analyze_run's ``iterations,
    base_frac, plateau_frac, edge``.
    """
    K = _backend.kernels()
    n = x.shape[0]
    rng = np.random.default_rng(SEED)
    source = np.arange(n)[None, :] + rng.integers(-NEIGHBOURS, NEIGHBOURS + 1, size=(resamples, n))
    np.clip(source, 0, n - 1, out=source)
    residual = y - fit
    Y = np.ascontiguousarray(fit[None, :] + residual[source])
    X = np.ascontiguousarray(np.broadcast_to(x, (resamples, n)))
    lengths = np.full(resamples, n, dtype=np.int64)
    threads = n_threads if n_threads > 0 else (os.cpu_count() or 1)
    work = np.empty((max(1, min(threads, resamples)), K.ANALYZE_WORK_ROWS * (n + 1)))
    fits = np.empty((resamples, n))
    slopes = np.empty((resamples, n))
    res = np.empty((resamples, K.ANALYZE_RESULT_SIZE))
    K.analyze_runs(X, Y, lengths, float(width), *settings, fits, slopes, work, res, n_threads)
    return res
