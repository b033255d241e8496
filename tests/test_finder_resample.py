"""analyze(..., resamples=N): one run's own uncertainty, from its noise resampled."""
from __future__ import annotations

import math
import os
import statistics

import numpy as np
import pytest

import pyclr
from pyclr.finder import resample as _resample
from conftest import load_benchmark

HERE = os.path.dirname(os.path.abspath(__file__))
S = load_benchmark("stability")


def test_interval_is_deterministic_equal_on_every_backend(use_backend):
    """Same log, same interval: the resampling is seeded, and every backend finds the same bounds
    on the resampled copies as the NumPy reference."""
    lrs, losses = S.small_batch_runs("adam", 16, 200)[3]
    a = pyclr.analyze(lrs, losses, resamples=40)
    b = pyclr.analyze(lrs, losses, resamples=40)
    assert a.interval == b.interval
    lo, hi = a.interval["max_lr"]
    assert lo < hi and lo <= a.max_lr * 1.5 and a.max_lr <= hi * 1.5
    assert a.interval["base_lr"][0] < a.interval["base_lr"][1] <= hi
    ref = _reference_interval()
    for k in ("base_lr", "max_lr"):
        assert a.interval[k] == pytest.approx(ref[k], rel=1e-9)


_REF: dict = {}


def _reference_interval():
    if not _REF:
        from pyclr import _backend

        saved = _backend._active
        try:
            _backend._active = ("numpy", _backend.load("numpy"))
            lrs, losses = S.small_batch_runs("adam", 16, 200)[3]
            _REF.update(pyclr.analyze(lrs, losses, resamples=40).interval)
        finally:
            _backend._active = saved
    return _REF


def test_resampled_copies_keep_curve_and_local_residuals():
    """Each copy is the smoothed curve plus a residual drawn from at most NEIGHBOURS positions away."""
    lrs, losses = S.small_batch_runs("sgdm", 4, 100)[0]
    a = pyclr.analyze(lrs, losses)
    x = np.log10(a.lrs)
    r = a.losses - a.smoothed
    rng = np.random.default_rng(_resample.SEED)
    k = _resample.NEIGHBOURS
    src = np.clip(np.arange(x.size)[None, :] + rng.integers(-k, k + 1, size=(3, x.size)), 0, x.size - 1)
    copies = a.smoothed[None, :] + r[src]
    for row in copies:
        for i in range(x.size):
            window = r[max(0, i - k): i + k + 1]
            assert np.any(np.isclose(row[i] - a.smoothed[i], window, rtol=0, atol=1e-12))


def test_wide_interval_adds_a_reason_narrow_one_does_not():
    noisy = pyclr.analyze(*S.small_batch_runs("sgdm", 4, 50)[2], resamples=100)
    lo, hi = noisy.interval["max_lr"]
    assert noisy.ok and hi / lo > 2.0
    assert any("Combine 3 to 5 runs" in r and f"{lo:.3g}" in r for r in noisy.reasons)
    log = pyclr.load_log(os.path.join(HERE, "data", "seed_runs", "sgdm_exp_n400_s0.csv"))
    steady = pyclr.analyze(log.lrs, log.losses, resamples=100)
    lo, hi = steady.interval["max_lr"]
    assert steady.ok and hi / lo < 2.0 and steady.reasons == ()
    assert steady.to_dict()["interval"] == {k: list(v) for k, v in steady.interval.items()}
    plain = pyclr.analyze(log.lrs, log.losses)
    assert plain.interval == {} and "interval" not in plain.to_dict()
    assert (plain.base_lr, plain.max_lr) == (steady.base_lr, steady.max_lr)


def test_combined_runs_carry_an_interval_each():
    runs = S.small_batch_runs("adam", 16, 100)[:3]
    c = pyclr.analyze([r[0] for r in runs], [r[1] for r in runs], resamples=20)
    assert c.interval == {} and c.spread
    for run, (lrs, losses) in zip(c.runs, runs):
        assert run.interval == pyclr.analyze(lrs, losses, resamples=20).interval


def test_no_interval_without_bounds():
    lrs = np.geomspace(1e-5, 1.0, 100)
    flat = pyclr.analyze(lrs, np.full(100, 2.3) + np.random.default_rng(0).normal(0, 0.01, 100), resamples=20)
    assert flat.verdict == "no_descent" and flat.interval == {}
    short = pyclr.analyze(lrs[:5], np.linspace(2, 1, 5), resamples=20)
    assert short.verdict == "too_short" and short.interval == {}


@pytest.mark.parametrize("bad, exc, words", [
    (5, ValueError, "Expected resamples of 0 (off) or from 20 to 10000, but got 5"),
    (10**12, ValueError, "Expected resamples of 0 (off) or from 20 to 10000, but got 1000000000000"),
    (-1, ValueError, "resamples"),
    (2.5, TypeError, "resamples"),
    (True, TypeError, "resamples"),
])
def test_bad_resamples(bad, exc, words):
    lrs = np.geomspace(1e-5, 1.0, 100)
    with pytest.raises(exc, match=words.replace("(", r"\(").replace(")", r"\)")):
        pyclr.analyze(lrs, np.linspace(2, 1, 100), resamples=bad)


@pytest.mark.slow
def test_interval_width_tracks_seed_spread():
    """On every configuration with 20-40 seed runs (the digits MLP with small batches and the
    held-out batch-64 runs; the CNN and the 5-class MLP of tests/data/seed_runs_tasks), the
    median run's 90% interval is as wide as the seeds' actual 90% range within a factor 2.5 in
    log-LR (measured: 0.43 to 2.0, median 1.06). Another seed's max_lr falls inside a run's
    interval at least 40% of the time on the digits MLP (measured: 43% to 92%; the lowest at batch
    4, where instability bursts cut some seeds' logs and not others) and at least a third of the
    time on the other models (46% to 87%: on digits-CNN / SGD-momentum the seeds' whole curves
    differ by more than one log's noise, and the interval is too narrow)."""
    ratios = []
    for label, runs in S.interval_groups():
        observed, predicted, coverage = S.interval_check(runs)
        r = math.log(predicted) / math.log(observed)
        ratios.append(r)
        assert 1 / 2.5 <= r <= 2.5, (label, observed, predicted)
        other_model = label.split(",")[0] in S.TASKS
        assert coverage >= (1 / 3 if other_model else 0.4), (label, coverage)
    assert 0.7 <= statistics.median(ratios) <= 1.4, ratios
