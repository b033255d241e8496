"""pyclr.jax: optax_schedule / optax_momentum against optax's own schedules, under jit, in training.

Every comparison with optax runs on every step of the schedule and some steps past its end.
optax computes in float32 (x64 off), pyclr in float64 rounded once to float32, so the
tolerance is absolute, relative to the schedule's peak: ``|optax - pyclr| <= 1e-6 * peak``
(about 8 float32 ulps at the peak; the worst seen over the seeded configurations is 2.4e-7).
The parameter mappings checked here are the ones docs/jax.md documents.
"""
from __future__ import annotations

import contextlib
import pickle
import subprocess
import sys

import numpy as np
import pytest

jax = pytest.importorskip("jax")
optax = pytest.importorskip("optax")
import jax.numpy as jnp  # noqa: E402

import pyclr  # noqa: E402
from pyclr.jax import OptaxSchedule, optax_momentum, optax_schedule  # noqa: E402

TOL = 1e-6  # times the schedule's peak; see the module docstring
EXTRA = 5   # steps compared past the end of each schedule
# Every comparison evaluates both sides on the same N steps and keeps the first n: jax compiles
# each operation once per array shape, and one shape for all configurations keeps this file fast.
N = 2048


@contextlib.contextmanager
def _x64():
    """jax's x64 mode on, then back as it was (jax.config works on every jax the jax extra allows)."""
    before = jax.config.read("jax_enable_x64")
    jax.config.update("jax_enable_x64", True)
    try:
        yield
    finally:
        jax.config.update("jax_enable_x64", before)


def _assert_matches(optax_fn, schedule, n, peak):
    assert n <= N
    steps = jnp.arange(N)  # made here, not at import: collection must not start JAX's threads (forks follow)
    ours = np.asarray(optax_schedule(schedule, N)(steps), dtype=np.float64)[:n]
    # vmap: optax's piecewise_interpolate_schedule takes one scalar count at a time
    theirs = np.asarray(jax.vmap(optax_fn)(steps), dtype=np.float64)[:n]
    err = np.abs(ours - theirs)
    worst = int(err.argmax())
    assert err[worst] <= TOL * peak, (f"step {worst} of {n}: pyclr {ours[worst]!r} vs optax {theirs[worst]!r} "
                                      f"for {schedule!r}")


# --------------------------------------------------------------------------- the optax mappings
def one_cycle_like_optax(transition_steps, peak_value, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    """pyclr's spec of optax.cosine_onecycle_schedule: optax peaks at step int(pct_start*T) and ends
    at step T, torch/pyclr at pct_start'*T' - 1 and T' - 1, so T' = T + 1, pct_start' = (b + 1)/(T + 1)."""
    b = int(pct_start * transition_steps)
    return pyclr.one_cycle(peak_value, transition_steps + 1, pct_start=(b + 1) / (transition_steps + 1),
                           div_factor=div_factor, final_div_factor=final_div_factor)


def _one_cycle_configs(rng, count):
    edges = [(1, 0.0), (2, 0.5), (10, 0.05), (10, 0.99), (1000, 0.3), (7, 0.0), (3, 0.34)]
    for T, pct in edges:
        yield T, 0.1, pct, 25.0, 1e4
    for _ in range(count):
        T = int(rng.integers(1, 500))
        pct = float(rng.uniform(0.0, 1.0))
        if int(pct * T) >= T:  # optax's two boundaries collapse into one dict key (see docs/jax.md)
            continue
        yield T, float(10 ** rng.uniform(-5, 1)), pct, float(10 ** rng.uniform(0, 3)), float(10 ** rng.uniform(0, 5))


def test_cosine_onecycle_matches_optax_on_every_step():
    rng = np.random.default_rng(1)
    for T, peak, pct, div, final_div in _one_cycle_configs(rng, 25):
        theirs = optax.cosine_onecycle_schedule(T, peak, pct, div, final_div)
        _assert_matches(theirs, one_cycle_like_optax(T, peak, pct, div, final_div), T + EXTRA, peak)


def test_one_cycle_mapping_reaches_optax_peak_and_end_steps():
    T, pct = 100, 0.3
    s = one_cycle_like_optax(T, 2.0, pct)
    vals = s.values(T + 2)
    assert vals.argmax() == int(pct * T) == 30 and vals[30] == 2.0  # optax's peak step
    final = pytest.approx(2.0 / 25.0 / 1e4, rel=1e-9)
    assert vals[T] == final and vals[T + 1] == final  # optax's final value from step T on
    assert vals[T - 1] > vals[T]
    # the torch-style one_cycle of the same T is one step shorter and peaks one step earlier
    torch_like = pyclr.one_cycle(2.0, T, pct_start=pct).values(T + 2)
    assert torch_like.argmax() == 29 and not np.allclose(torch_like, vals)


def test_warmup_cosine_matches_optax_on_every_step():
    rng = np.random.default_rng(2)
    configs = [(0.0, 1.0, 0, 1, 0.0), (0.0, 1.0, 1, 2, 0.0), (0.5, 1.0, 0, 10, 0.25), (0.0, 0.1, 99, 100, 0.0)]
    for _ in range(25):
        peak = float(10 ** rng.uniform(-5, 1))
        total = int(rng.integers(1, 500))
        warmup = int(rng.integers(0, total))
        configs.append((float(rng.uniform(0, peak)) * (rng.random() < 0.7), peak, warmup, total,
                        float(rng.uniform(0, peak)) * (rng.random() < 0.7)))
    for init, peak, warmup, total, end in configs:
        theirs = optax.warmup_cosine_decay_schedule(init, peak, warmup, total, end_value=end)
        ours = pyclr.warmup_cosine(peak, total, warmup_steps=warmup, start_lr=init, min_lr=end)
        _assert_matches(theirs, ours, total + EXTRA, peak)


def test_sgdr_matches_optax_sgdr_schedule_on_every_step():
    """pyclr.sgdr(max_lr, T_0, T_mult, eta_min, decay, cycles=k) is optax.sgdr_schedule of k cosine
    decays of T_0 * T_mult**i steps from max_lr * decay**i to eta_min, without warmup."""
    rng = np.random.default_rng(3)
    for i in range(20):
        max_lr = float(10 ** rng.uniform(-4, 0))
        T_0, T_mult = int(rng.integers(1, 40)), int(rng.integers(1, 4))
        decay = 1.0 if i % 3 == 0 else float(rng.uniform(0.3, 1.0))
        eta_min = 0.0 if i % 2 == 0 else float(rng.uniform(0, 0.5)) * max_lr * decay**3
        cycles = int(rng.integers(1, 5))
        kwargs = [dict(init_value=max_lr * decay**c, peak_value=max_lr * decay**c, warmup_steps=0,
                       decay_steps=T_0 * T_mult**c, end_value=eta_min) for c in range(cycles)]
        theirs = optax.sgdr_schedule(kwargs)
        ours = pyclr.sgdr(max_lr, T_0, T_mult=T_mult, eta_min=eta_min, decay=decay, cycles=cycles)
        total = sum(k["decay_steps"] for k in kwargs)
        _assert_matches(theirs, ours, total + EXTRA, max_lr)


def test_sgdr_with_warmups_matches_a_join_of_warmup_cosines():
    """optax.sgdr_schedule's general form (each cycle its own warmup, peak, length and end) is
    pyclr.join of warmup_cosine schedules at the cumulative cycle lengths."""
    rng = np.random.default_rng(4)
    for _ in range(15):
        kwargs, parts = [], []
        for _ in range(int(rng.integers(1, 5))):
            peak = float(10 ** rng.uniform(-4, 0))
            total = int(rng.integers(1, 60))
            k = dict(init_value=float(rng.uniform(0, peak)), peak_value=peak, warmup_steps=int(rng.integers(0, total)),
                     decay_steps=total, end_value=float(rng.uniform(0, peak)))
            kwargs.append(k)
            parts.append(pyclr.warmup_cosine(peak, total, warmup_steps=k["warmup_steps"], start_lr=k["init_value"],
                                             min_lr=k["end_value"]))
        bounds = np.cumsum([k["decay_steps"] for k in kwargs]).tolist()
        ours = pyclr.join(parts, bounds[:-1])
        _assert_matches(optax.sgdr_schedule(kwargs), ours, bounds[-1] + EXTRA, max(k["peak_value"] for k in kwargs))


# The rest of docs/jax.md's table, one configuration or a few each.
def test_linear_onecycle_matches_three_phase_one_cycle_when_phases_are_symmetric():
    for T, pct in [(100, 0.3), (51, 0.25), (10, 0.2), (1000, 0.45)]:
        b = int(pct * T)
        pct_final = 2 * b / T  # optax's second phase as long as its first, as in torch's three_phase
        assert int(pct_final * T) == 2 * b
        theirs = optax.linear_onecycle_schedule(T, 2.0, pct, pct_final, 20.0, 1e3)
        ours = pyclr.one_cycle(2.0, T + 1, pct_start=(b + 1) / (T + 1), anneal_strategy="linear", three_phase=True,
                               div_factor=20.0, final_div_factor=1e3)
        _assert_matches(theirs, ours, T + EXTRA, 2.0)


def test_linear_onecycle_with_any_phases_matches_a_join_of_linear_ramps():
    for T, peak, pct, pct_final, div, final_div in [(200, 2.0, 0.25, 0.7, 20.0, 1e3), (57, 0.1, 0.1, 0.9, 25.0, 1e4),
                                                     (1000, 1.0, 0.3, 0.85, 25.0, 1.0)]:
        b1, b2, init = int(pct * T), int(pct_final * T), peak / div
        ours = pyclr.join([pyclr.warmup_decay(peak, b1, b1, start_lr=init, decay="constant"),
                           pyclr.warmup_decay(peak, b2 - b1, 0, decay="linear", min_lr=init),
                           pyclr.warmup_decay(init, T - b2, 0, decay="linear", min_lr=init / final_div)], [b1, b2])
        theirs = optax.linear_onecycle_schedule(T, peak, pct, pct_final, div, final_div)
        _assert_matches(theirs, ours, T + EXTRA, peak)


def test_other_optax_schedules_match_their_documented_pyclr_spec():
    B, S, rate, D = 10, 20, 0.3, 300
    cases = [
        (optax.cosine_decay_schedule(0.5, 300, alpha=0.1), pyclr.warmup_cosine(0.5, 300, min_lr=0.05), 300),
        (optax.exponential_decay(1.0, 7, 0.5, staircase=True), pyclr.step_decay(1.0, 7, gamma=0.5), 100),
        (optax.exponential_decay(1.0, 5, 0.5, transition_begin=7, staircase=True),
         pyclr.join([pyclr.constant(1.0), pyclr.step_decay(1.0, 5, gamma=0.5)], [7]), 100),
        # continuous decay: the same on the D steps pyclr decays over (then pyclr holds, optax goes on)
        (optax.exponential_decay(1.0, S, rate, transition_begin=B),
         pyclr.warmup_decay(1.0, B + D, 0, decay="exp", decay_steps=D, min_lr=rate ** (D / S)), B + D - EXTRA),
        (optax.polynomial_schedule(1.0, 0.01, 2.5, 200, 15),
         pyclr.warmup_decay(1.0, 215, 0, decay="poly", decay_steps=200, min_lr=0.01, power=2.5), 215),
        (optax.linear_schedule(0.01, 1.0, 50), pyclr.warmup_decay(1.0, 50, 50, start_lr=0.01, decay="constant"), 50),
        (optax.warmup_constant_schedule(0.0, 1.0, 40), pyclr.warmup_decay(1.0, 40, 40, decay="constant"), 40),
        (optax.warmup_exponential_decay_schedule(0.2, 1.0, 40, 30, 0.5),
         pyclr.warmup_decay(1.0, 540, 40, decay="exp", start_lr=0.2, min_lr=0.5 ** (500 / 30)), 540 - EXTRA),
        (optax.piecewise_constant_schedule(1.0, {100: 0.1, 250: 0.5}),
         pyclr.join([pyclr.constant(1.0), pyclr.constant(0.1), pyclr.constant(0.05)], [100, 250]), 300),
        (optax.constant_schedule(0.3), pyclr.constant(0.3), 10),
    ]
    for theirs, ours, n in cases:
        _assert_matches(theirs, ours, n + EXTRA, 1.0)


# --------------------------------------------------------------------------- the lookup itself
def test_values_clamping_and_as_optax():
    s = pyclr.cyclic(0.01, 0.1, step_size_up=3)
    n = 10
    ref = s.values(n).astype(np.float32)
    fn = optax_schedule(s, n)
    assert isinstance(fn, OptaxSchedule) and fn.n == n and fn.channel == "lr" and fn.schedule is s
    assert fn.dtype == np.float32 and fn.table.dtype == jnp.float32 and fn.table.shape == (n,)
    np.testing.assert_array_equal(np.asarray(fn.table), ref)
    np.testing.assert_array_equal(np.asarray(s.as_optax(n).table), ref)
    for t in range(n):
        out = fn(t)
        assert isinstance(out, jax.Array) and out.shape == () and out.dtype == jnp.float32
        assert out == ref[t]
    # past the end the table's last value holds (the cyclic policy itself would go on cycling)
    assert s.at(n) != s.at(n - 1)
    for t in (n, n + 1, 10**6, 2**31 - 1, 2**40):
        assert fn(t) == ref[-1]
    for t in (-1, -n, -(2**40)):  # negative steps clamp to the first, never wrap to the last
        assert fn(t) == ref[0]


def test_pickle_round_trip():
    s = pyclr.sgdr(0.1, 4, T_mult=2)
    fn = optax_schedule(s, 20)
    back = pickle.loads(pickle.dumps(fn))
    assert back.schedule == s and back.n == 20 and back.channel == "lr" and back.dtype == np.float32
    np.testing.assert_array_equal(np.asarray(back(jnp.arange(25))), np.asarray(fn(jnp.arange(25))))


def test_step_types_and_jit_agree():
    n = 300
    s = pyclr.sgdr(0.1, 7, T_mult=2)
    ref = s.values(n).astype(np.float32)
    fn = optax_schedule(s, n)
    jitted = jax.jit(fn)
    steps = np.arange(-5, n + 5)
    expected = ref[np.clip(steps, 0, n - 1)]
    np.testing.assert_array_equal(np.asarray(fn(steps)), expected)               # numpy int64 array
    np.testing.assert_array_equal(np.asarray(fn(jnp.asarray(steps))), expected)  # jax int32 array
    np.testing.assert_array_equal(np.asarray(jitted(jnp.asarray(steps))), expected)
    np.testing.assert_array_equal(np.asarray(jax.vmap(fn)(jnp.asarray(steps))), expected)
    np.testing.assert_array_equal(np.asarray(fn(steps.reshape(2, -1))), expected.reshape(2, -1))
    for t in (0, 7, 21, 299, 300, -3):
        want = ref[min(max(t, 0), n - 1)]
        assert float(jitted(t)) == float(fn(t)) == float(fn(np.int64(t))) == want
        assert float(jitted(jnp.int32(t))) == float(fn(jnp.int32(t))) == want
    # narrow integer dtypes: both clamp bounds must fit the step's dtype
    assert float(fn(jnp.int8(127))) == ref[127] and float(jitted(jnp.int8(-128))) == ref[0]
    assert float(fn(jnp.uint8(255))) == ref[255] and float(fn(np.uint16(65535))) == ref[-1]
    # inside lax.scan, with the step traced
    _, scanned = jax.lax.scan(lambda c, t: (c, fn(t)), 0, jnp.arange(n + 3))
    np.testing.assert_array_equal(np.asarray(scanned), ref[np.minimum(np.arange(n + 3), n - 1)])


@pytest.mark.parametrize("step", [1.5, 2.0, True, np.float32(1), np.array([1.0, 2.0]), np.array([True]),
                                  "3", None, [1, 2], "jnp.float32(1.0)", "jnp.array([0.0, 1.0])", "jnp.array(True)"])
def test_non_integer_steps_raise_type_error(step):
    if isinstance(step, str) and step.startswith("jnp."):
        step = eval(step)  # a device array made in the test: collection must not start JAX (forks follow)
    fn = optax_schedule(pyclr.constant(0.1), 5)
    with pytest.raises(TypeError, match="Expected an integer step"):
        fn(step)


def test_traced_float_step_raises_under_jit():
    fn = jax.jit(optax_schedule(pyclr.constant(0.1), 5))
    with pytest.raises(TypeError, match="Expected an integer step, but got an array of dtype float32"):
        fn(jnp.float32(1.0))


def test_momentum_channel():
    s = pyclr.one_cycle(1.0, 50)
    m = optax_momentum(s, 50)
    assert m.channel == "momentum"
    np.testing.assert_array_equal(np.asarray(m(jnp.arange(60))),
                                  s.momentum(50).astype(np.float32)[np.minimum(np.arange(60), 49)])
    assert float(m(0)) == pytest.approx(0.95) and float(m(int(0.3 * 50) - 1)) == pytest.approx(0.85)
    for no_momentum in (pyclr.sgdr(0.1, 10), pyclr.warmup_cosine(0.1, 10), pyclr.one_cycle(0.1, 10, base_momentum=None,
                                                                                              max_momentum=None)):
        with pytest.raises(ValueError, match="Expected a schedule with a momentum channel"):
            optax_momentum(no_momentum, 10)


def test_dtype_follows_x64_mode():
    s = pyclr.one_cycle(0.1, 100)
    ref = s.values(100)
    assert optax_schedule(s, 100)(3).dtype == jnp.float32
    assert optax_schedule(s, 100, dtype=np.float32)(3).dtype == jnp.float32
    with pytest.raises(ValueError, match="jax_enable_x64"):
        optax_schedule(s, 100, dtype=np.float64)
    with _x64():
        fn = optax_schedule(s, 100)
        assert fn.dtype == np.float64
        out = fn(jnp.arange(100))
        assert out.dtype == jnp.float64
        np.testing.assert_array_equal(np.asarray(out), ref)  # bit for bit: no rounding at all
        assert jax.jit(fn)(jnp.int64(2**40)) == ref[-1]       # int64 steps beyond int32 clamp too
        assert optax_schedule(s, 100, dtype="float32")(5).dtype == jnp.float32


# --------------------------------------------------------------------------- inside optax
def test_training_loop_inject_hyperparams_lr_and_momentum_each_update():
    """optax counts updates from 0: update t uses values(n)[t] (reported by inject_hyperparams
    in the state it returns) and momentum(n)[t]; the parameters follow SGD with exactly those."""
    n = 40
    s = pyclr.one_cycle(0.3, n)
    lrs, moms = s.values(n), s.momentum(n)
    opt = optax.inject_hyperparams(optax.sgd)(learning_rate=optax_schedule(s, n), momentum=optax_momentum(s, n))
    target = jnp.array([1.0, -2.0, 0.5])
    loss = lambda w: 0.5 * jnp.sum((w - target) ** 2)  # noqa: E731

    @jax.jit
    def update(params, state):
        updates, state = opt.update(jax.grad(loss)(params), state, params)
        return optax.apply_updates(params, updates), state

    params = jnp.zeros(3)
    state = opt.init(params)
    assert state.hyperparams["learning_rate"] == np.float32(lrs[0])  # what the first update will use
    w, trace = np.zeros(3), np.zeros(3)  # optax.sgd in float64: trace = g + momentum * trace; w -= lr * trace
    for t in range(n + 3):
        params, state = update(params, state)
        k = min(t, n - 1)  # past the end the table's last value holds
        assert int(state.count) == t + 1
        assert state.hyperparams["learning_rate"] == np.float32(lrs[k]), t
        assert state.hyperparams["momentum"] == np.float32(moms[k]), t
        trace = (w - np.asarray(target, np.float64)) + np.float32(moms[k]) * trace
        w = w - np.float32(lrs[k]) * trace
        np.testing.assert_allclose(np.asarray(params), w, rtol=2e-5, atol=1e-6, err_msg=f"update {t}")
    assert float(loss(params)) < 1e-2 * float(loss(jnp.zeros(3)))  # it did train


def test_plain_optax_sgd_with_schedule_in_scan():
    """optax.sgd(learning_rate=fn) (scale_by_schedule inside) over lax.scan: update t uses values(n)[t]."""
    n = 25
    s = pyclr.warmup_cosine(0.5, n, warmup_steps=5)
    opt = optax.sgd(learning_rate=s.as_optax(n))
    w0 = jnp.array([2.0, -1.0])

    def body(carry, _):
        params, state = carry
        updates, state = opt.update(params, state, params)  # gradient of |w|^2 / 2
        params = optax.apply_updates(params, updates)
        return (params, state), params

    (_, _), path = jax.lax.scan(body, (w0, opt.init(w0)), None, length=n)
    expected = np.asarray(w0, np.float64) * np.cumprod(1.0 - s.values(n).astype(np.float32))[:, None]
    np.testing.assert_allclose(np.asarray(path), expected, rtol=2e-5, atol=1e-7)
    np.testing.assert_allclose(np.asarray(path[:1]), np.asarray(w0)[None])  # values(n)[0] == 0: no move at update 0


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("schedule, n, error, match", [
    (0.1, 10, TypeError, r"Expected a pyclr schedule for schedule, but got 0.1"),
    (lambda t: 0.1, 10, TypeError, r"Expected a pyclr schedule for schedule"),
    (optax.constant_schedule(0.1), 10, TypeError, r"for schedule"),
    (pyclr.constant(0.1), 0, ValueError, r"Expected positive n, but got 0"),
    (pyclr.constant(0.1), -3, ValueError, r"Expected positive n, but got -3"),
    (pyclr.constant(0.1), 1.5, TypeError, r"Expected an integer for n, but got 1.5"),
    (pyclr.constant(0.1), True, TypeError, r"Expected an integer for n, but got True"),
    (pyclr.constant(0.1), "10", TypeError, r"Expected an integer for n"),
    (pyclr.constant(0.1), None, TypeError, r"Expected an integer for n"),
    (pyclr.constant(0.1), 2**31, ValueError, r"Expected n <= 2\*\*31 - 1 .*, but got 2147483648"),
    (pyclr.constant([0.1, 0.2]), 10, ValueError, r"Expected a single-group schedule for schedule, but got one with 2 groups"),
])
def test_bad_arguments(schedule, n, error, match):
    with pytest.raises(error, match=match):
        optax_schedule(schedule, n)


@pytest.mark.parametrize("dtype", ["int32", np.float16, "bfloat16x", object, 3])
def test_bad_dtype(dtype):
    with pytest.raises(TypeError, match="Expected dtype float32 or float64, but got"):
        optax_schedule(pyclr.constant(0.1), 3, dtype=dtype)


def test_bad_channel():
    with pytest.raises(ValueError, match=r"Expected channel in \('lr', 'momentum'\), but got 'beta'"):
        OptaxSchedule(pyclr.constant(0.1), 3, channel="beta")


def test_missing_jax_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)  # `import jax` now raises ImportError
    with pytest.raises(ImportError, match=r"pip install 'pyclr-lr\[jax\]'"):
        optax_schedule(pyclr.constant(0.1), 3)
    with pytest.raises(ImportError, match=r"pip install 'pyclr-lr\[jax\]'"):
        pyclr.one_cycle(0.1, 10).as_optax(10)


def test_import_pyclr_and_pyclr_jax_do_not_import_jax():
    code = ("import sys, pyclr, pyclr.jax; pyclr.one_cycle(0.1, 10).values(10); "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('jax', 'jaxlib', 'optax')); "
            "assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
