"""Backends agree with the NumPy reference; properties every schedule must have."""
from __future__ import annotations

import json
import pickle
import sys

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import pyclr
from pyclr import _backend

from conftest import BACKENDS

lrs = st.floats(1e-6, 1.0)
sizes = st.one_of(st.integers(1, 60), st.floats(0.5, 60.0))


@st.composite
def schedules(draw):
    kind = draw(st.sampled_from(["cyclic", "one_cycle", "sgdr", "warmup", "mult", "step", "join", "groups"]))
    base = draw(lrs)
    peak = base * draw(st.floats(1.0, 100.0))
    if kind == "cyclic":
        return pyclr.cyclic(base, peak, draw(sizes), draw(st.one_of(st.none(), sizes)),
                            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])),
                            gamma=draw(st.floats(0.95, 1.0)), wave=draw(st.sampled_from(["triangular", "sine", "parabolic"])),
                            base_decay=draw(st.floats(0.5, 1.0)), max_decay=draw(st.floats(0.5, 1.0)),
                            cycles=draw(st.one_of(st.none(), st.integers(1, 5))), tail_steps=draw(st.integers(0, 50)),
                            tail_lr=draw(st.one_of(st.none(), st.floats(1e-7, 1e-6))),
                            tail_shape=draw(st.sampled_from(["linear", "cos", "exp"])))
    if kind == "one_cycle":
        return pyclr.one_cycle(peak, draw(st.integers(1, 500)), pct_start=draw(st.floats(0.0, 1.0)),
                               anneal_strategy=draw(st.sampled_from(["cos", "linear"])),
                               three_phase=draw(st.booleans()))
    if kind == "sgdr":
        return pyclr.sgdr(peak, draw(st.integers(1, 50)), T_mult=draw(st.one_of(st.integers(1, 3), st.floats(0.3, 3.0))),
                          eta_min=base, decay=draw(st.floats(0.3, 1.0)), cycles=draw(st.one_of(st.none(), st.integers(1, 6))))
    if kind == "warmup":
        total = draw(st.integers(1, 500))
        return pyclr.warmup_decay(peak, total, draw(st.integers(0, total)),
                                  decay=draw(st.sampled_from(["cos", "linear", "poly", "exp", "1-sqrt", "constant"])),
                                  start_lr=base, min_lr=base, warmup=draw(st.sampled_from(["linear", "exp"])),
                                  power=draw(st.one_of(st.sampled_from([0.5, 1.0, 2.0, 3.0, 20.0]), st.floats(0.05, 12.0))), skip_start=draw(st.booleans()))
    if kind == "mult":
        return pyclr.multiplicative_cycles(peak, draw(st.integers(2, 40)), factor=draw(st.one_of(st.integers(1, 3), st.floats(1.0, 2.5))),
                                           min_lr=base, anneal=draw(st.sampled_from(["linear", "cos"])))
    if kind == "step":
        return pyclr.step_decay(peak, draw(st.integers(1, 40)), gamma=draw(st.floats(0.1, 1.0)))
    if kind == "join":
        return pyclr.warmup_decay(peak, 30, 30, decay="constant", start_lr=base).then(pyclr.sgdr(peak, 17), 30)
    return pyclr.per_group([pyclr.cyclic(base, peak, draw(sizes)), pyclr.one_cycle(peak, draw(st.integers(1, 99)))])


def draw_schedule(data):
    return data.draw(schedules())


def evaluate(name, schedule, n, start=0, **kwargs):
    saved = _backend._active
    _backend._active = (name, _backend.load(name))
    try:
        return schedule.values(n, start=start, **kwargs)
    finally:
        _backend._active = saved


@pytest.mark.all_backends
@given(data=st.data(), n=st.integers(0, 3000), start=st.integers(0, 5000))
def test_backends_match_reference(data, n, start):
    s = draw_schedule(data)
    ref = evaluate("numpy", s, n, start)
    peak = max(float(np.max(np.abs(ref))) if ref.size else 0.0, 1e-300)
    for name in BACKENDS:
        got = evaluate(name, s, n, start)
        assert got.shape == ref.shape
        assert np.all(np.isfinite(got))
        assert np.max(np.abs(got - ref), initial=0.0) <= 1e-12 * peak, name
        got32 = evaluate(name, s, n, start, dtype=np.float32)
        assert got32.dtype == np.float32
        np.testing.assert_allclose(got32, ref.astype(np.float32), rtol=0, atol=1e-6 * peak)


# Valid arguments of every policy at any magnitude: LRs from 0 and 5e-324 to the largest double,
# factors and decays down to 5e-324, step counts and sizes up to 2**53, powers from 1e-300 to 1e300.
BIG = sys.float_info.max
magnitudes = st.one_of(st.sampled_from([0.0, 5e-324, 1e-310, 1e-300, 1e-30, 1e-3, 1.0, 1e30, 1e300, 1.7e308, BIG]),
                       st.floats(0.0, BIG))
positives = magnitudes.filter(lambda x: x > 0)
fractions = st.one_of(st.sampled_from([5e-324, 1e-300, 1e-16, 0.5, 0.9999, 1.0]), st.floats(5e-324, 1.0))
step_sizes = st.one_of(st.sampled_from([1e-6, 0.5, 1.0, 1.5, 2.0**52, 2.0**53]), st.floats(1e-6, 2.0**53),
                       st.integers(1, 2**53))
counts = st.one_of(st.integers(1, 80), st.sampled_from([2**31, 2**52, 2**53]))
powers = st.one_of(st.sampled_from([1e-300, 0.5, 1.0, 2.0, 16.0, 17.0, 1e300]), st.floats(1e-300, 1e300))


def pair(draw):
    lo, hi = sorted([draw(magnitudes), draw(magnitudes)])
    return lo, hi


@st.composite
def extreme_schedules(draw):
    kind = draw(st.sampled_from(["cyclic", "one_cycle", "sgdr", "warmup", "mult", "step", "scaled"]))
    lo, hi = pair(draw)
    if kind == "cyclic":
        return pyclr.cyclic(lo, hi, draw(step_sizes), draw(st.one_of(st.none(), step_sizes)),
                            mode=draw(st.sampled_from(["triangular", "triangular2", "exp_range"])), gamma=draw(fractions),
                            wave=draw(st.sampled_from(["triangular", "sine", "parabolic"])),
                            base_decay=draw(fractions), max_decay=draw(fractions),
                            cycles=draw(st.one_of(st.none(), counts)), tail_steps=draw(st.one_of(st.integers(0, 80), counts)),
                            tail_lr=draw(st.one_of(st.none(), magnitudes)),
                            tail_shape=draw(st.sampled_from(["linear", "cos", "exp"])),
                            base_momentum=draw(st.floats(0.0, 0.5)), max_momentum=draw(st.floats(0.5, 0.999)))
    if kind == "one_cycle":
        return pyclr.one_cycle(hi, draw(counts), pct_start=draw(st.one_of(st.floats(0.0, 1.0), st.sampled_from([0.0, 5e-324, 1.0]))),
                               anneal_strategy=draw(st.sampled_from(["cos", "linear"])), div_factor=draw(positives),
                               final_div_factor=draw(positives), three_phase=draw(st.booleans()))
    if kind == "sgdr":
        return pyclr.sgdr(hi, draw(counts), T_mult=draw(st.one_of(st.integers(1, 3), st.floats(5e-324, 1e300))),
                          eta_min=lo, decay=draw(fractions), cycles=draw(st.one_of(st.none(), counts)))
    if kind == "warmup":
        total = draw(counts)
        warmup = draw(st.integers(0, min(total, 80)))
        start_lr, min_lr = draw(st.sampled_from([lo, 0.0, hi])), draw(st.sampled_from([lo, 0.0, hi]))
        return pyclr.warmup_decay(hi, total, warmup, decay=draw(st.sampled_from(["cos", "linear", "poly", "exp", "1-sqrt", "constant"])),
                                  decay_steps=draw(st.one_of(st.none(), st.integers(0, total - warmup))), start_lr=start_lr,
                                  min_lr=min_lr, warmup=draw(st.sampled_from(["linear", "exp"])), power=draw(powers),
                                  skip_start=draw(st.booleans()))
    if kind == "mult":
        return pyclr.multiplicative_cycles(hi, draw(st.integers(2, 80)), factor=draw(st.one_of(st.integers(1, 3), st.floats(1.0, 1e300))),
                                           min_lr=lo, anneal=draw(st.sampled_from(["linear", "cos"])),
                                           n_cycles=draw(st.one_of(st.none(), counts)))
    if kind == "step":
        return pyclr.step_decay(hi, draw(counts), gamma=draw(fractions))
    return pyclr.one_cycle(hi, 100).scaled([draw(magnitudes), draw(fractions)])


@pytest.mark.all_backends
@given(data=st.data(), n=st.integers(0, 1500),
       start=st.one_of(st.integers(0, 5000), st.integers(0, 2**53 - 1500), st.sampled_from([2**53 - 1500])))
def test_values_finite_and_nonnegative_at_any_magnitude(data, n, start):
    """Valid arguments give finite, non-negative LRs and momenta on every backend, close to the
    NumPy reference: cyclic(1e307, 1.7e308, 10) gave inf and NaN on the compiled kernels, a
    one-cycle decay to 0 ended at -4.2e-17, exponential warmups over 1e-300 .. 1e300 overflowed."""
    try:
        s = data.draw(extreme_schedules())
    except ValueError:  # arguments valid one by one, refused together (e.g. a cycle shorter than a step)
        assume(False)
    for channel in ("values", "momentum"):
        try:
            outputs = {}
            for name in BACKENDS:
                saved = _backend._active
                _backend._active = (name, _backend.load(name))
                try:
                    outputs[name] = getattr(s, channel)(n, start=start)
                finally:
                    _backend._active = saved
        except ValueError as exc:  # only a scale factor far above 1 may refuse (its message names it)
            assert "factor=" in str(exc), str(exc)
            return
        ref = outputs["numpy"]
        if ref is None:
            continue
        # the tolerance is relative to the schedule's scale, not to the window's values, which may
        # all be far below it (the last steps of a cosine that ends at 0)
        steps = np.unique(np.geomspace(1, 2**53 - 1, 120).astype(np.int64))
        try:
            probes = [getattr(s, channel)(1, start=int(t)) for t in steps] + [getattr(s, channel)(1)]
        except ValueError as exc:  # a scale factor far above 1 elsewhere in the run
            assert "factor=" in str(exc), str(exc)
            probes = []
        peak = float(max([np.max(ref, initial=0.0)] + [np.max(p) for p in probes]))
        for name, got in outputs.items():
            assert np.all(np.isfinite(got)), (name, channel, got[~np.isfinite(got)][:5])
            assert np.all(got >= 0), (name, channel, got[got < 0][:5])
            assert np.max(np.abs(got - ref), initial=0.0) <= 1e-12 * peak, (name, channel)


EXTREME = [
    # the compiled kernels formed the falling phase as c0 + c1*x, c0 extrapolated to 3.4e308: inf, NaN
    pyclr.cyclic(1e307, 1.7e308, 10),
    pyclr.cyclic(1e307, BIG, 10, wave="parabolic"),
    # rotated cosines a hair below -1 took a decay to 0 below 0 (-4.2e-17, -8.3e-317)
    pyclr.one_cycle(1.0, 1000, div_factor=1e300, final_div_factor=1e300),
    pyclr.one_cycle(1.0, 100, div_factor=1e300, final_div_factor=1e300, three_phase=True),
    pyclr.sgdr(1.0, 1000),
    # exp(-e*511) seeded before a steep decay overflowed: the block became NaN
    pyclr.cyclic(0.1, 1.0, 100, mode="exp_range", gamma=1e-300),
    pyclr.join([pyclr.constant(1e150), pyclr.warmup_decay(1e150, 100, 0, decay="exp", min_lr=1e-150)], [500]),
    # v0 * exp(e*x) from 1e-300 to 1e308 overflowed before the product came back in range
    pyclr.warmup_decay(1e308, 2000, 1000, warmup="exp", start_lr=1e-300),
    pyclr.warmup_decay(1.0, 20, 10, warmup="exp", start_lr=5e-324),
    pyclr.warmup_decay(1e300, 2000, 0, decay="exp", min_lr=1e-300),
    pyclr.cyclic(1e-300, 1.0, 5, cycles=1, tail_steps=500, tail_lr=1e300, tail_shape="exp"),
]


@pytest.mark.parametrize("s", EXTREME, ids=[str(i) for i in range(len(EXTREME))])
def test_extreme_magnitudes_stay_finite_and_nonnegative(use_backend, s):
    v = s.values(3000)
    assert np.all(np.isfinite(v)) and np.all(v >= 0)
    ref = evaluate("numpy", s, 3000)
    assert np.max(np.abs(v - ref)) <= 1e-12 * np.max(ref)


@given(data=st.data(), n=st.integers(1, 2000), split=st.integers(0, 2000))
def test_chunked_generation_equals_slicing(use_backend, data, n, split):
    s = draw_schedule(data)
    split = min(split, n)
    whole = s.values(n)
    parts = np.concatenate([s.values(split), s.values(n - split, start=split)], axis=-1)
    np.testing.assert_array_equal(whole, parts)


def test_threads_give_identical_values(use_backend):
    s = pyclr.cyclic(1e-4, 1e-2, 2000.5, wave="sine", mode="exp_range", gamma=0.99999)
    np.testing.assert_array_equal(s.values(1_000_000), s.values(1_000_000, threads=2))


@pytest.mark.parametrize("dtype, offset", [(np.float64, 0), (np.float64, 1), (np.float32, 3)])
def test_large_reused_buffer_equals_small_windows(use_backend, dtype, offset):
    """A window of 16 MiB or more, written into memory already in use (the kernels then use
    non-temporal stores, unaligned head and tail included), equals small-window generation."""
    n = (1 << 24) // np.dtype(dtype).itemsize + 1001
    specs = [pyclr.cyclic(1e-4, 1e-2, 2000.5, wave="sine", mode="exp_range", gamma=0.99999),
             pyclr.warmup_decay(0.1, n, 1000, decay="poly", power=1.37, min_lr=1e-5),
             pyclr.cyclic(1e-4, 1e-2, 777, mode="triangular2")]
    buf = np.full(n + offset, -1.0, dtype=dtype)
    for s in specs:
        got = s.values(n, dtype=dtype, out=buf[offset:])
        w = 99_991  # windows start and end inside the kernels' 512-step blocks
        parts = np.concatenate([s.values(min(w, n - i), start=i, dtype=dtype) for i in range(0, n, w)])
        np.testing.assert_array_equal(got, parts)
        np.testing.assert_array_equal(s.values(n, dtype=dtype), parts)  # fresh memory: plain stores
    assert buf[:offset].tolist() == [-1.0] * offset


@pytest.mark.all_backends
def test_fractional_powers_match_numpy_everywhere():
    """Polynomial decay z**k (z from 1 down to exactly 0) for powers that take the vectorised
    exp(k log z) path, including where it must fall back (zeros, huge |k log z|)."""
    for k in (0.05, 0.3, 1.37, 2.5, 7.9, 31.3, 250.0):
        s = pyclr.warmup_decay(1.0, 3001, 0, decay="poly", power=k, min_lr=0.0)
        ref = evaluate("numpy", s, 3001)
        for name in BACKENDS:
            np.testing.assert_allclose(evaluate(name, s, 3001), ref, rtol=1e-13, atol=1e-300, err_msg=f"{name} k={k}")


@given(base=lrs, ratio=st.floats(1.0, 100.0), up=sizes, down=sizes,
       wave=st.sampled_from(["triangular", "sine", "parabolic"]))
def test_cyclic_bounds_and_period(use_backend, base, ratio, up, down, wave):
    s = pyclr.cyclic(base, base * ratio, up, down, wave=wave)
    v = s.values(500)
    tol = 1e-12 * base * ratio
    assert np.all(v >= base - tol) and np.all(v <= base * ratio + tol)
    period = up + down
    if float(period).is_integer() and period < 250:
        p = int(period)
        np.testing.assert_allclose(v[p:], v[:-p], rtol=0, atol=tol)


@given(start_lr=st.floats(1e-6, 0.5), peak=st.floats(0.5, 2.0), warm=st.integers(1, 200),
       mode=st.sampled_from(["linear", "exp"]))
def test_warmup_is_monotone(use_backend, start_lr, peak, warm, mode):
    v = pyclr.warmup_decay(peak, warm + 10, warm, warmup=mode, start_lr=start_lr).values(warm + 1)
    assert np.all(np.diff(v) >= -1e-15 * peak)
    assert v[warm] == pytest.approx(peak)


def test_sgdr_restarts_at_exact_boundaries(use_backend):
    # torch's and timm's int(log()) closed form puts step 121 (T_0=1, T_mult=3) in the wrong cycle.
    v = pyclr.sgdr(1.0, 1, T_mult=3).values(29525)
    for t in (1, 4, 13, 40, 121, 364, 1093, 29524):
        assert v[t] == pytest.approx(1.0, abs=1e-12)
        assert t == 1 or v[t - 1] < 0.5
    v = pyclr.sgdr(1.0, 1, T_mult=10).values(111112)
    assert v[111] == pytest.approx(1.0, abs=1e-12) and v[111111] == pytest.approx(1.0, abs=1e-12)


def test_sgdr_float_t_mult_peak_decay_and_limit(use_backend):
    s = pyclr.sgdr(1.0, 4, T_mult=1.5, decay=0.5, cycles=3, eta_min=0.01)
    v = s.values(30)
    starts = [0, 4, 10]  # lengths 4, 6, 9
    assert [v[t] for t in starts] == pytest.approx([1.0, 0.5, 0.25])
    assert np.all(v[19:] == 0.01)
    assert s.cycles_in(19) == 3.0


def test_multiplicative_cycles_report_budgets(use_backend):
    s = pyclr.multiplicative_cycles(1.0, 10, factor=2, min_lr=0.001, n_cycles=4)
    ends = s.cycle_ends()
    assert ends == [9, 29, 69, 149]
    v = s.values(200)
    assert np.all(v[ends] == pytest.approx(0.001))
    assert np.all(v[[0, 10, 30, 70]] == 1.0)


def test_cyclic_decaying_bounds_and_tail(use_backend):
    s = pyclr.cyclic(0.1, 1.0, 5, base_decay=0.5, max_decay=0.8, cycles=2, tail_steps=10, tail_lr=0.001, tail_shape="cos")
    v = s.values(40)
    assert v[0] == pytest.approx(0.1) and v[5] == pytest.approx(1.0)
    assert v[10] == pytest.approx(0.05) and v[15] == pytest.approx(0.8)
    assert v[20] == pytest.approx(0.05) and np.all(v[30:] == pytest.approx(0.001))
    assert s.cycles_in(40) == 2


def test_momentum_only_where_policies_define_it():
    assert pyclr.sgdr(0.1, 10).momentum(5) is None
    assert pyclr.cyclic(0.1, 1.0, 4, base_momentum=None, max_momentum=None).momentum(5) is None
    m = pyclr.one_cycle(1.0, 10).momentum(10)
    assert m[0] == pytest.approx(0.95) and m.min() == pytest.approx(0.85)


SPECS = [
    pyclr.cyclic(1e-4, 1e-2, 2000, mode="triangular2", wave="sine", cycles=3, tail_steps=100),
    pyclr.cyclic(1e-4, 1e-2, 10, scale_fn=pyclr.Scale.table([1.0, 0.5, 0.2])),
    pyclr.one_cycle(0.1, epochs=3, steps_per_epoch=7, three_phase=True),
    pyclr.sgdr(0.1, 10, T_mult=1.5, decay=0.9),
    pyclr.wsd(0.1, 1000, 100),
    pyclr.multiplicative_cycles(0.1, 100),
    pyclr.join([pyclr.constant(0.1), pyclr.step_decay(0.1, 10)], [5]),
    pyclr.cyclic([1e-4, 1e-3], [1e-2, 1e-1], 10),
    pyclr.one_cycle(0.1, 100).scaled([1.0, 0.1]),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.policy)
def test_specs_round_trip_json_and_pickle(spec):
    again = pyclr.Schedule.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again == spec
    assert pickle.loads(pickle.dumps(spec)) == spec
    np.testing.assert_array_equal(again.values(300), spec.values(300))


def test_per_group_shapes_and_at():
    s = pyclr.one_cycle(0.1, 100).scaled([1.0, 0.5, 0.25])
    v = s.values(100)
    assert v.shape == (3, 100)
    np.testing.assert_allclose(v[1], v[0] * 0.5)
    assert s.at(30) == pytest.approx(tuple(v[:, 30]))
    assert isinstance(pyclr.cyclic(0.1, 1.0, 4).at(4), float)


def test_out_buffer_is_filled_in_place():
    out = np.zeros(50, dtype=np.float32)
    res = pyclr.cyclic(0.1, 1.0, 5).values(50, out=out)
    assert res is out and out[5] == pytest.approx(1.0)
