"""How far one range test's bounds can be trusted: copies of the log with its own noise resampled.

A run with another seed sees other batches and other initial weights; its curve differs from
this one by about this one's noise (not entirely: on long sweeps the whole trajectory differs
too, and the interval comes out narrower than the seeds' spread; see the README). A *local
residual bootstrap* imitates that from a single log: keep the smoothed curve ``s`` and give
every point the residual ``L - s`` of a random point at most :data:`NEIGHBOURS` positions away.
Residuals stay where they were drawn, so the noise keeps its level along the sweep (it grows
near divergence) and its skew (spikes point up); flipping their signs (the wild bootstrap)
turns spikes into deep dips that no real log has (in a trial on the small-batch seed runs it
overstated the spread 3-18x). :func:`pyclr.finder.analyze` analyses the copies in one batched
kernel call, with the original log's grid and smoother width.
"""
from __future__ import annotations

import numpy as np

#: A point's residual is drawn from the points at most this many positions away.
NEIGHBOURS = 3
#: Seed of the resampling, so that one log always gives the same interval.
SEED = 0


def resampled_losses(y: np.ndarray, fit: np.ndarray, resamples: int) -> np.ndarray:
    """``[resamples, n]`` copies of the losses ``y`` (NaN allowed): the smoothed curve ``fit``
    plus, at each point, the residual ``y - fit`` of a random point at most :data:`NEIGHBOURS`
    positions away."""
    n = y.shape[0]
    rng = np.random.default_rng(SEED)
    source = np.arange(n)[None, :] + rng.integers(-NEIGHBOURS, NEIGHBOURS + 1, size=(resamples, n))
    np.clip(source, 0, n - 1, out=source)
    return np.ascontiguousarray(fit[None, :] + (y - fit)[source])
