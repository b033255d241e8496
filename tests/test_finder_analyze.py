"""analyze(): bounds on real logs, verdicts, cleaning, seed stability, multi-run, schedules."""
from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import pyclr

HERE = os.path.dirname(__file__)
SEEDS = os.path.join(HERE, "data", "seed_runs")
SHARED = os.environ.get("PYCLR_RANGETESTS", os.path.join(HERE, "data", "rangetests"))
SHARED_LOGS = sorted(p for p in glob.glob(os.path.join(SHARED, "*.csv"))
                     if "__" not in os.path.basename(p) and "reference" not in p)


def _u_curve(n=200, lo=1e-5, hi=10.0, noise=0.0, seed=0):
    lrs = np.geomspace(lo, hi, n)
    x = np.log10(lrs)
    y = 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3))
    return lrs, y + np.random.default_rng(seed).normal(0, noise, n)


@pytest.mark.skipif(not SHARED_LOGS, reason="shared logs not available")
@pytest.mark.parametrize("path", SHARED_LOGS, ids=os.path.basename)
def test_bounds_ordering_on_shared_logs(use_backend, path):
    log = pyclr.load_log(path, loss="raw_loss")
    a = pyclr.analyze(log.lrs, log.losses)
    assert a.verdict == "ok", a.reasons
    assert a.base_lr < a.max_lr <= a.loss_min_lr
    if a.divergence_lr is not None:
        assert a.max_lr < a.divergence_lr
    # base_lr at or above where descent starts: the smoothed loss has not yet fallen by 2 noise units before it
    start = a.smoothed[0]
    started = a.lrs[np.argmax(a.smoothed < start - 2 * a.noise / np.sqrt(10))]
    assert a.base_lr >= started * 0.999
    assert a.lr == a.max_lr


SEED_LOGS = sorted(glob.glob(os.path.join(SEEDS, "*.csv")))


@pytest.mark.parametrize("path", SEED_LOGS + SHARED_LOGS, ids=os.path.basename)
def test_smoothed_curve_stays_within_the_losses(use_backend, path):
    """A run that blows up to 1e30 used to drag the local lines near it far below zero (the
    smoothed 'minimum' then sat after the divergence); losses above the divergence ceiling are
    clipped and each smoothed value stays within the losses of its window."""
    log = pyclr.load_log(path, loss="raw_loss" if path in SHARED_LOGS else None)
    a = pyclr.analyze(log.lrs, log.losses)
    y = a.losses[np.isfinite(a.losses)]
    assert np.nanmin(a.smoothed) >= y.min()
    x = np.log10(a.lrs)
    start = np.median(a.losses[(x <= x[0] + a.width / 2) & np.isfinite(a.losses)])
    assert np.nanmax(a.smoothed) <= start + (start - y.min())  # the divergence ceiling
    assert a.verdict == "ok" and a.max_lr <= a.loss_min_lr
    if a.divergence_lr is not None:
        assert a.loss_min_lr < a.divergence_lr
        # the loss has not yet blown up at the smoothed minimum
        assert np.all(a.losses[a.lrs <= a.loss_min_lr] < 4 * a.smoothed[0])


def test_clean_u_curve_and_spike_resistance(use_backend):
    lrs, y = _u_curve(noise=0.01)
    a = pyclr.analyze(lrs, y)
    spiked = y.copy()
    spiked[80] += 50.0
    spiked[120] = np.nan
    b = pyclr.analyze(lrs, spiked)
    assert a.verdict == b.verdict == "ok"
    assert b.base_lr == pytest.approx(a.base_lr, rel=0.15) and b.max_lr == pytest.approx(a.max_lr, rel=0.15)
    assert any("isolated non-finite" in c for c in b.cleaning)


def test_never_turns_up(use_backend):
    lrs = np.geomspace(1e-5, 1e-2, 150)
    y = 1.5 - np.tanh(1.5 * (np.log10(lrs) + 3.5)) + np.random.default_rng(1).normal(0, 0.01, 150)
    a = pyclr.analyze(lrs, y)
    assert a.verdict == "no_turn_up"
    assert a.max_lr is None and a.lr is None
    assert "Extend end_lr" in " ".join(a.reasons)
    with pytest.raises(ValueError, match="verdict 'ok'"):
        a.to_schedule(1000, 10)


def test_no_descent_and_too_short(use_backend):
    lrs = np.geomspace(1e-5, 1, 100)
    flat = 2.3 + np.random.default_rng(2).normal(0, 0.02, 100)
    assert pyclr.analyze(lrs, flat).verdict == "no_descent"
    rising = 2.3 + np.linspace(0, 3, 100)
    assert pyclr.analyze(lrs, rising).verdict == "no_descent"
    short = pyclr.analyze(lrs[:5], flat[:5])
    assert short.verdict == "too_short" and short.base_lr is None


@pytest.mark.parametrize("noise", ["normal", "t3"])
def test_pure_noise_is_not_a_descent(use_backend, noise):
    """A model that does not train gives a flat, noisy log. Its smoothed curve still "falls" by
    about 3 units of its own noise (the edge against the lowest of many windows), so the drop
    must pass the 95th and 99th percentiles of pure noise: at least 90% of such logs get
    no_descent and none gets bounds with verdict ok (with the old 4-unit threshold up to 13% did:
    benchmarks/null_drop.py)."""
    verdicts = []
    for seed in range(60):
        rng = np.random.default_rng(seed)
        e = rng.normal(0, 0.05, 100) if noise == "normal" else 0.05 * rng.standard_t(3, 100)
        verdicts.append(pyclr.analyze(np.geomspace(1e-5, 1.0, 100), 2.3 + e).verdict)
    assert verdicts.count("no_descent") >= 54, verdicts
    assert "ok" not in verdicts and "no_turn_up" not in verdicts, verdicts


def test_weak_descent_is_too_noisy_with_its_reason(use_backend):
    """A 5% fall at batch 4 that shuffled copies of the same losses match in 2% of cases."""
    z = np.load(os.path.join(HERE, "data", "seed_runs_small_batch", "sgdm_b4_n50.npz"))
    a = pyclr.analyze(z["lr"], z["loss"][0])
    assert a.verdict == "too_noisy" and a.max_lr is not None
    assert "not clear enough to place bounds on" in a.reasons[0] and "shuffled" in a.reasons[0]


def _noisy_regression(seed, n=150, noise=0.2):
    """Like an MLP regressing a standardised target with MSE at batch 16: the loss falls by
    half (1.0 to about 0.46), with heavy-tailed noise of 0.2, then diverges."""
    lrs = np.geomspace(1e-5, 10, n)
    x = np.log10(lrs)
    rng = np.random.default_rng(seed)
    trend = 1.0 - 0.54 / (1 + np.exp(-3 * (x + 2))) + np.where(x > -0.3, 3 * (x + 0.3) ** 2, 0.0)
    return lrs, trend + noise * rng.standard_t(5, n)


def test_noisy_half_fall_is_a_descent(use_backend):
    """Issue 14: a 50% fall on a noisy 150-point log got no_descent (7.4 and 6.1 units of the
    curve's noise, under the 8 that pure noise exceeds in 5% of cases). The permutation test
    against the log's own shuffles calls it a descent."""
    verdicts = [pyclr.analyze(*_noisy_regression(seed)).verdict for seed in range(20)]
    assert "no_descent" not in verdicts, verdicts
    assert verdicts.count("ok") >= 18, verdicts
    a = pyclr.analyze(*_noisy_regression(0))
    assert 1e-3 < a.base_lr < a.max_lr < 1.0


def _burst_then_second_valley(seed, n=200):
    """Like a GRU with SGD-momentum: the loss falls to 0.5, bursts above its start at lr 0.5,
    recovers into a lower valley near 1.3, then diverges."""
    lrs = np.geomspace(1e-4, 10, n)
    x = np.log10(lrs)
    rng = np.random.default_rng(seed)
    y = 1.0 - 0.5 / (1 + np.exp(-4 * (x + 1.5))) + rng.normal(0, 0.03, n)
    burst = (x > np.log10(0.5)) & (x < np.log10(0.5) + 0.12)
    y[burst] = 2.5 + rng.normal(0, 0.3, burst.sum())
    after = x >= np.log10(0.5) + 0.12
    y[after] = 0.35 + 10 * np.maximum(0, x[after] - np.log10(1.3)) ** 2 + rng.normal(0, 0.03, after.sum())
    y[x > np.log10(3)] = 5.0
    return lrs, y


@pytest.mark.parametrize("seed", range(4))
def test_max_lr_stays_below_the_first_burst(use_backend, seed):
    """Issue 14: the bounds landed in the second valley (0.98..1.3), past the burst at 0.5."""
    lrs, y = _burst_then_second_valley(seed)
    a = pyclr.analyze(lrs, y)
    assert a.verdict == "ok"
    assert a.max_lr < 0.5 and a.base_lr < a.max_lr
    assert any("burst" in c for c in a.cleaning)
    assert a.divergence_lr == pytest.approx(0.5, rel=0.1)


def test_one_wild_batch_is_not_a_burst(use_backend):
    lrs, y = _u_curve(noise=0.01)
    clean = pyclr.analyze(lrs, y)
    y = y.copy()
    y[120] = 10.0  # one bad batch in the descent
    a = pyclr.analyze(lrs, y)
    assert not any("burst" in c for c in a.cleaning)
    assert a.max_lr == pytest.approx(clean.max_lr, rel=0.1)


def test_cleaning_is_reported(use_backend):
    lrs, y = _u_curve()
    y[185:] = np.nan  # diverged
    perm = np.random.default_rng(3).permutation(200)
    a = pyclr.analyze(np.concatenate([lrs[perm], lrs[:3]]), np.concatenate([y[perm], y[:3]]))
    text = " ".join(a.cleaning)
    assert "not sorted" in text and "repeated" in text and "non-finite" in text
    assert a.divergence_lr is not None
    lin = pyclr.analyze(np.linspace(1e-4, 1.0, 300), _u_curve(300)[1])
    assert lin.sweep == "linear"


@pytest.mark.parametrize("lrs,losses", [
    ([1e-3], [1.0]),                                   # one row
    ([1e-3], [np.nan]),                                # a range test that hit NaN at step 1
    (np.geomspace(1e-5, 1, 200), np.full(200, np.nan)),
    (np.geomspace(1e-5, 1, 50), np.r_[1.0, np.full(49, np.inf)]),
])
def test_logs_without_usable_points_get_a_verdict_not_an_error(use_backend, lrs, losses):
    a = pyclr.analyze(lrs, losses)
    assert a.verdict == "too_short" and a.base_lr is None and a.max_lr is None and a.reasons
    # every backend reports NaN where nothing was smoothed (no uninitialised memory)
    assert a.smoothed.shape == a.lrs.shape and np.isnan(a.smoothed).all() and np.isnan(a.slope).all()
    many = pyclr.analyze([list(lrs), list(lrs)], [list(losses), list(losses)])
    assert many.verdict == "too_short"
    assert all(np.isnan(r.smoothed).all() for r in many.runs)


def test_empty_log_is_an_error(use_backend):
    with pytest.raises(ValueError, match="Expected at least one point in the log, but got 0"):
        pyclr.analyze([], [])


def test_long_log_is_binned_and_agrees(use_backend):
    lrs, y = _u_curve(n=300_000, noise=0.05)
    a = pyclr.analyze(lrs, y)
    b = pyclr.analyze(lrs[::1000], _u_curve(n=300_000, noise=0.0)[1][::1000])
    assert any("bins" in c for c in a.cleaning)
    assert a.verdict == b.verdict == "ok"
    assert a.base_lr == pytest.approx(b.base_lr, rel=0.25) and a.max_lr == pytest.approx(b.max_lr, rel=0.25)


def _seed_logs(opt, n=200):
    return [pyclr.load_log(os.path.join(SEEDS, f"{opt}_exp_n{n}_s{s}.csv")) for s in range(5)]


@pytest.mark.parametrize("opt", ["sgdm", "adam"])
def test_seed_stability(use_backend, opt):
    logs = _seed_logs(opt)
    per = [pyclr.analyze(l.lrs, l.losses) for l in logs]
    assert all(a.verdict == "ok" for a in per)
    for attr in ("base_lr", "max_lr"):
        vals = [getattr(a, attr) for a in per]
        assert max(vals) / min(vals) <= 1.5, (attr, vals)
    # torch-lr-finder's rule spreads more on the same runs
    combined = pyclr.analyze([l.lrs for l in logs], [l.losses for l in logs])
    assert combined.verdict == "ok" and len(combined.runs) == 5
    assert combined.spread["base_lr"] <= 1.5 and combined.spread["max_lr"] <= 1.5
    assert min(a.base_lr for a in per) <= combined.base_lr <= max(a.base_lr for a in per)


# Seed spreads at the other iteration counts (max/min over 5 seeds). One misses 1.5x: Adam's
# 400-iteration runs have a valley floor so flat that the smoothed minimum (max_lr's cap) sits
# anywhere on it (5.5e-3 to 1.3e-2).
_SEED_SPREAD_GAPS = {("adam", 400): "1.94x"}


@pytest.mark.parametrize("opt,n", [(o, n) for o in ("sgdm", "adam") for n in (50, 100, 400)])
def test_seed_stability_other_iteration_counts(use_backend, opt, n, request):
    if (opt, n) in _SEED_SPREAD_GAPS:
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"known: spread {_SEED_SPREAD_GAPS[opt, n]} > 1.5x"))
    per = [pyclr.analyze(l.lrs, l.losses) for l in _seed_logs(opt, n)]
    assert all(a.verdict == "ok" for a in per)
    for attr in ("base_lr", "max_lr"):
        vals = [getattr(a, attr) for a in per]
        assert max(vals) / min(vals) <= 1.5, (attr, vals)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("opt", ["sgdm", "adam"])
def test_iteration_count_stability(use_backend, opt, seed, request):
    if (opt, seed) == ("adam", 4):  # the flat 400-iteration floor again (see _SEED_SPREAD_GAPS)
        request.applymarker(pytest.mark.xfail(strict=True, reason="known: spread 2.07x > 2x"))
    res = [pyclr.analyze(*(lambda l: (l.lrs, l.losses))(pyclr.load_log(os.path.join(SEEDS, f"{opt}_exp_n{n}_s{seed}.csv"))))
           for n in (50, 100, 200, 400)]
    for attr in ("base_lr", "max_lr"):
        vals = [getattr(a, attr) for a in res]
        assert max(vals) / min(vals) <= 2.0, (attr, vals)


@pytest.mark.parametrize("opt", ["sgdm", "adam"])
def test_iteration_count_stability_combined_seeds(use_backend, opt):
    """The 5-seed combination at each iteration count (what a user gets from ``analyze([...])``)
    is within 2x over 50..400 iterations, as every single seed is (above)."""
    res = []
    for n in (50, 100, 200, 400):
        logs = [pyclr.load_log(os.path.join(SEEDS, f"{opt}_exp_n{n}_s{s}.csv")) for s in range(5)]
        res.append(pyclr.analyze([l.lrs for l in logs], [l.losses for l in logs]))
    assert all(a.verdict == "ok" for a in res)
    for attr in ("base_lr", "max_lr"):
        vals = [getattr(a, attr) for a in res]
        assert max(vals) / min(vals) <= 2.0, (attr, vals)


HELDOUT = os.path.join(HERE, "data", "seed_runs_heldout")
HELDOUT_GROUPS = [range(5 + 5 * g, 10 + 5 * g) for g in range(8)]


def _heldout(opt, n, seed):
    return pyclr.load_log(os.path.join(HELDOUT, f"{opt}_exp_n{n}_s{seed}.csv"))


@pytest.mark.parametrize("opt", ["sgdm", "adam"])
def test_combined_seeds_agree_across_heldout_groups(use_backend, opt):
    """Seeds 5-44 were generated after the rule was fixed. A single run's bounds miss 1.5x over
    5 seeds in some groups (benchmarks/stability.py), but the 5-seed combination, the answer
    the README recommends when it matters, agrees within 1.5x across all 8 groups."""
    for n in (50, 100, 200, 400):
        comb = []
        for g in HELDOUT_GROUPS:
            logs = [_heldout(opt, n, s) for s in g]
            comb.append(pyclr.analyze([l.lrs for l in logs], [l.losses for l in logs]))
        assert all(a.verdict == "ok" for a in comb)
        for attr in ("base_lr", "max_lr"):
            vals = [getattr(a, attr) for a in comb]
            assert max(vals) / min(vals) <= 1.5, (n, attr, vals)


@pytest.mark.parametrize("opt", ["sgdm", "adam"])
def test_iteration_stability_on_heldout_seeds_beats_torch_lr_finder(use_backend, opt):
    """Over 50..400 iterations the typical (median) seed's bounds stay within 2x, while
    torch-lr-finder's suggestion on the same logs moves by more than 10x."""
    ours, theirs = [], []
    for s in range(5, 45):
        logs = [_heldout(opt, n, s) for n in (50, 100, 200, 400)]
        res = [pyclr.analyze(l.lrs, l.losses) for l in logs]
        ours.append(max(max(getattr(a, k) for a in res) / min(getattr(a, k) for a in res) for k in ("base_lr", "max_lr")))
        sug = [pyclr.suggest(l.lrs, l.losses, method="steepest") for l in logs]
        theirs.append(max(sug) / min(sug))
    assert np.median(ours) <= 2.0
    assert np.median(theirs) >= 10.0 and np.median(theirs) >= 5 * np.median(ours)


def test_batched_ragged_equals_single(use_backend):
    logs = _seed_logs("sgdm")
    lrs = [l.lrs[: 150 + 10 * i] for i, l in enumerate(logs)]
    losses = [l.losses[: 150 + 10 * i] for i, l in enumerate(logs)]
    combined = pyclr.analyze(lrs, losses, width=0.3)
    for a, x, y in zip(combined.runs, lrs, losses):
        b = pyclr.analyze(x, y, width=0.3)
        assert (a.verdict, a.base_lr, a.max_lr) == (b.verdict, b.base_lr, b.max_lr)
    X = np.stack([l.lrs for l in logs]); Y = np.stack([np.nan_to_num(l.losses, nan=10.0) for l in logs])
    two_d = pyclr.analyze(X, Y, width=0.3)
    assert len(two_d.runs) == 5


def test_to_schedule(use_backend):
    a = pyclr.analyze(*_u_curve())
    s = a.to_schedule(1797, 64, epochs_per_half_cycle=2)
    v = s.values(200)
    assert v[0] == pytest.approx(a.base_lr) and v.max() == pytest.approx(a.max_lr)
    oc = a.to_schedule(1797, 64, policy="one_cycle", epochs=5)
    w = oc.values(5 * 29)
    assert w.max() == pytest.approx(a.max_lr, rel=1e-3) and w[0] == pytest.approx(a.base_lr)
    with pytest.raises(ValueError, match="dataset_size"):
        a.to_schedule()
    d = a.to_dict()
    assert d["verdict"] == "ok" and isinstance(d["reasons"], list)


def test_narrow_valley_is_kept_and_a_lone_dip_is_not(use_backend):
    """Robustness rejects spikes, not structure: a valley five LR steps wide (the digits-CNN /
    SGD-momentum shape: steep fall, sharp minimum, jump to a plateau) keeps its weight, so the
    smoothed minimum and max_lr follow it; a single point far below the curve is still ignored."""
    lrs = np.geomspace(1e-6, 10, 100)
    rng = np.random.default_rng(4)
    y = np.where(np.arange(100) < 60, 2.3 - 0.1 * np.arange(100) / 60, 2.0) + rng.normal(0, 0.02, 100)
    y[60:66] = [1.9, 1.8, 1.7, 1.6, 1.5, 1.5]
    y[66:73] = [1.5, 1.05, 0.8, 0.67, 0.9, 1.1, 2.2]
    y[73:76] = [4.3, 4.0, 1.6]
    a = pyclr.analyze(lrs, y)
    assert a.verdict == "ok"
    assert lrs[67] <= a.loss_min_lr <= lrs[71] and a.max_lr >= lrs[67]
    dipped = y.copy()
    dipped[40] -= 1.5
    b = pyclr.analyze(lrs, dipped)
    assert (b.base_lr, b.max_lr) == pytest.approx((a.base_lr, a.max_lr), rel=0.15)
    assert abs(b.smoothed[40] - a.smoothed[40]) < 0.05


def test_suggest_refuses_a_log_without_a_finite_loss(use_backend):
    """Every anchor rule used to answer with the LR of a NaN (torch-lr-finder's argmin picks it)."""
    lrs = np.geomspace(1e-5, 1, 200)
    for method in pyclr.finder.METHODS:
        with pytest.raises(ValueError, match="Expected at least one finite loss, but got none in 200 values"):
            pyclr.suggest(lrs, np.full(200, np.nan), method)


@pytest.mark.parametrize("lrs,losses", [([1e-3], [1.0]), _u_curve(noise=0.01)])
def test_to_dict_is_strict_json(use_backend, lrs, losses):
    import json

    d = pyclr.analyze(lrs, losses, resamples=20).to_dict()
    json.loads(json.dumps(d, allow_nan=False))  # NaN noise of a short log is null, not NaN


def test_n_threads_is_bounded(use_backend):
    with pytest.raises(ValueError, match="Expected n_threads from 0 .all cores. to 1024, but got 1000000000000"):
        pyclr.analyze(*_u_curve(), n_threads=10**12)


def test_bounds_are_provisional_without_an_ok_verdict(use_backend):
    """no_descent and too_noisy keep where the curve put the bounds (to_schedule needs force=True);
    no_turn_up has none: its max_lr is unknown."""
    lrs = np.geomspace(1e-5, 1.0, 100)
    flat = pyclr.analyze(lrs, 2.3 + np.random.default_rng(1).normal(0, 0.05, 100))
    assert flat.verdict == "no_descent" and flat.base_lr < flat.max_lr
    with pytest.raises(ValueError, match="verdict 'ok'"):
        flat.to_schedule(step_size_up=10)
    assert flat.to_schedule(step_size_up=10, force=True).values(1)[0] == pytest.approx(flat.base_lr)
    x = np.log10(lrs)
    falling = pyclr.analyze(lrs, 2.0 - np.tanh(2 * (x + 2)))  # still falling at the end
    assert falling.verdict == "no_turn_up" and falling.base_lr is None and falling.max_lr is None


def test_linear_sweep_start_is_not_a_single_point(use_backend):
    """A linear sweep has one point in its first decades: the permutation test's start level
    takes at least 5 points, else a clear fall had no power (issue 14's linear-sweep tasks)."""
    lrs = np.linspace(1e-3, 1.0, 120)
    verdicts = []
    for seed in range(20):
        rng = np.random.default_rng(seed)
        y = 1.6 - 0.5 * (1 - np.exp(-lrs / 0.05)) + 3 * np.maximum(lrs - 0.6, 0) ** 2 + rng.normal(0, 0.25, 120)
        verdicts.append(pyclr.analyze(lrs, y).verdict)
    assert verdicts.count("no_descent") <= 4, verdicts  # 12 of 20 with a one-point start


def test_a_loss_that_only_rises_is_no_descent(use_backend):
    """Most of this log lies above the divergence ceiling and is clipped to it before smoothing;
    the clipped points once entered the noise estimate with zero residuals, the noise came out
    0.0 and a 0.002 wiggle at the start read as a descent (verdict ok)."""
    lrs = np.geomspace(1e-3, 10, 100)
    losses = 2 + np.exp(2 * np.log10(lrs)) + np.random.default_rng(0).normal(0, 0.01, 100)
    a = pyclr.analyze(lrs, losses)
    assert a.verdict == "no_descent", (a.verdict, a.reasons)
    assert 0.005 < a.noise < 0.02  # the 0.01 of the noise added, not the clip's zero residuals
