"""Bad input: a ValueError/TypeError naming the parameter, identical on every backend; no crash, no silent NaN."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import pyclr
from pyclr import _backend
from conftest import BACKENDS

BAD = [
    (lambda: pyclr.cyclic(1e-3, 1e-2, 0), ValueError, "positive step_size_up, but got 0"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10, -1), ValueError, "positive step_size_down"),
    (lambda: pyclr.cyclic(-1e-3, 1e-2, 10), ValueError, "non-negative base_lr"),
    (lambda: pyclr.cyclic(1e-3, float("nan"), 10), ValueError, "finite max_lr"),
    (lambda: pyclr.cyclic(1e-3, float("inf"), 10), ValueError, "finite max_lr"),
    (lambda: pyclr.cyclic(1e-2, 1e-3, 10), ValueError, "max_lr >= base_lr"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10, mode="tri"), ValueError, "mode in"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10, wave="square"), ValueError, "wave in"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10, gamma=0), ValueError, "gamma in"),
    (lambda: pyclr.cyclic("0.1", 1e-2, 10), TypeError, "real number for base_lr"),
    (lambda: pyclr.cyclic([1e-3, 1e-3], [1e-2], 10), ValueError, "one length"),
    (lambda: pyclr.one_cycle(0.1, 0), ValueError, "positive total_steps, but got 0"),
    (lambda: pyclr.one_cycle(0.1, 10.5), TypeError, "integer for total_steps"),
    (lambda: pyclr.one_cycle(0.1), ValueError, "total_steps OR"),
    (lambda: pyclr.one_cycle(0.1, 10, pct_start=1.5), ValueError, "pct_start in"),
    (lambda: pyclr.one_cycle(0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy in"),
    (lambda: pyclr.one_cycle(1e-3, 10, div_factor=5e-324), ValueError, "finite initial LR max_lr / div_factor"),
    (lambda: pyclr.sgdr(0.1, 0), ValueError, "positive T_0"),
    (lambda: pyclr.sgdr(0.1, 10, T_mult=0), ValueError, "positive T_mult"),
    (lambda: pyclr.sgdr(0.1, 10, eta_min=1.0), ValueError, "eta_min <= max_lr"),
    (lambda: pyclr.warmup_decay(0.1, 10, 20), ValueError, "warmup_steps <= total_steps"),
    (lambda: pyclr.warmup_decay(0.1, 10, 2, decay="exp"), ValueError, "positive min_lr"),
    (lambda: pyclr.multiplicative_cycles(0.1, 1), ValueError, "first_cycle"),
    (lambda: pyclr.sgdr(0.1, 2**63), ValueError, "T_0 of magnitude at most 2\\*\\*53"),
    (lambda: pyclr.one_cycle(0.1, 2**64), ValueError, "total_steps of magnitude at most 2\\*\\*53"),
    (lambda: pyclr.multiplicative_cycles(0.1, 2**63), ValueError, "first_cycle of magnitude at most"),
    (lambda: pyclr.join([pyclr.constant(0.1)], [3]), ValueError, "0 boundaries"),
    # keyword-only after the obvious positionals, on Python 3.9 too (no dataclasses.KW_ONLY there)
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10, 10, "triangular"), TypeError, "too many positional arguments"),
    (lambda: pyclr.Cyclic(1e-3, 1e-2, 10, 10, "triangular"), TypeError, "at most 4 positional arguments"),
    (lambda: pyclr.sgdr(0.1, 10, 2), TypeError, "too many positional arguments"),
    # tiny or huge step sizes asked for one array entry per cycle in the window (37 GiB) or overflowed
    (lambda: pyclr.cyclic(0.1, 1.0, step_size_up=1e-9).values(10), ValueError, "step_size_up in .*, but got 1e-09"),
    (lambda: pyclr.cyclic(0.1, 1.0, step_size_up=1e-300).values(10), ValueError, "step_size_up in .*, but got 1e-300"),
    (lambda: pyclr.cyclic(0.1, 1.0, 10, 5e-324), ValueError, "step_size_down in .*, but got 5e-324"),
    (lambda: pyclr.cyclic(0.1, 1.0, 1e300), ValueError, "step_size_up in .*, but got 1e\\+300"),
    (lambda: pyclr.cyclic(0.1, 1.0, 0.3), ValueError, "step_size_up \\+ step_size_down >= 1 .*, but got 0.3 \\+ 0.3"),
    (lambda: pyclr.sgdr(0.1, 2, T_mult=1.0000001), ValueError, "T_mult .*, but got 1.0000001"),
    (lambda: pyclr.multiplicative_cycles(0.1, 2, factor=1.0000001), ValueError, "factor .*, but got 1.0000001"),
    (lambda: pyclr.one_cycle(1.0, 10, div_factor=1.0, final_div_factor=5e-324), ValueError, "finite final LR"),
    (lambda: pyclr.cyclic(0.0, 1.0, 5, cycles=1, tail_steps=5, tail_lr=1e-3, tail_shape="exp"), ValueError,
     "positive last base LR"),
    (lambda: pyclr.one_cycle(1e300, 10).scaled([1e10]).values(5), ValueError, "factor=10000000000.0 scales"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(-1), ValueError, "non-negative n, but got -1"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(5, start=-2), ValueError, "non-negative start"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(5.0), TypeError, "integer for n"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(2**50), ValueError, "Cannot allocate"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(2**53, start=2), ValueError, "2\\*\\*53"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(5, dtype=np.int32), TypeError, "dtype float64 or float32"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(5, out=np.zeros(4)), ValueError, "out of shape"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(5, out=np.zeros(5, dtype=np.int64)), TypeError, "out of dtype"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10).values(5, out=np.zeros(10)[::2]), ValueError, "C-contiguous"),
    (lambda: pyclr.Schedule.from_dict({"policy": "nope"}), ValueError, "policy in"),
    (lambda: pyclr.Schedule.from_dict({"policy": "cyclic", "base_lr": 0.1, "max_lr": 1.0, "oops": 1}), ValueError, "oops"),
    (lambda: pyclr.cyclic(1e-3, 1e-2, 10, scale_fn=lambda c: 0.5).to_dict(), TypeError, "pyclr.Scale"),
]


@pytest.mark.parametrize("call,exc,message", BAD, ids=[str(i) for i in range(len(BAD))])
def test_bad_input_names_the_parameter(use_backend, call, exc, message):
    with pytest.raises(exc, match=message):
        call()


def test_forced_backend_must_exist(monkeypatch):
    monkeypatch.setenv("PYCLR_BACKEND", "fortran")
    monkeypatch.setattr(_backend, "_active", None)
    with pytest.raises(ValueError, match="PYCLR_BACKEND"):
        _backend.kernels()


_UNWRITABLE_CACHE = """
import json, sys, warnings
import numba.core.caching as caching

def unwritable(self):  # what numba meets where NUMBA_CACHE_DIR, the package and the user's cache are read-only
    raise PermissionError(13, "Permission denied", self.get_cache_path())

caching._CacheLocator.ensure_cache_path = unwritable
sys.modules["pyclr._core"] = None  # as if the extension were not built, so that numba is tried
import pyclr
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        name = pyclr.backend()
    except ImportError as exc:
        print(json.dumps({"error": str(exc)}))
        raise SystemExit(0)
    values = pyclr.cyclic(0.1, 1.0, 4).values(9).tolist()
print(json.dumps({"backend": name, "warnings": [str(w.message) for w in caught], "values": values}))
"""


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
@pytest.mark.parametrize("forced", [None, "numba"])
def test_unwritable_numba_cache_falls_back_to_numpy(forced):
    """numba's RuntimeError "cannot cache function" escaped from the first call; now the numba
    backend counts as unavailable: NumPy with a warning, or a clear ImportError where forced."""
    import numba.core.caching

    if not hasattr(numba.core.caching._CacheLocator, "ensure_cache_path"):
        pytest.skip("this numba checks its cache directory differently")
    env = {k: val for k, val in os.environ.items() if k != "PYCLR_BACKEND"}
    if forced:
        env["PYCLR_BACKEND"] = forced
    proc = subprocess.run([sys.executable, "-c", _UNWRITABLE_CACHE], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    if forced:
        assert "PYCLR_BACKEND=numba" in out["error"] and "cannot cache" in out["error"]
        return
    assert out["backend"] == "numpy"
    assert any("numba cannot load pyclr's kernels" in w and "cannot cache" in w for w in out["warnings"]), out
    assert out["values"] == pytest.approx([0.1, 0.325, 0.55, 0.775, 1.0, 0.775, 0.55, 0.325, 0.1])


numbers = st.one_of(st.integers(-5, 10**6), st.sampled_from([100, 10**4, 2**53, 2**63, 10**30, 1e30, 1e308]),
                    st.floats(allow_nan=True, allow_infinity=True), st.none(), st.text(max_size=3), st.booleans())


def test_equal_cycles_far_into_a_run(use_backend):
    # multiplicative_cycles(factor=1) listed every cycle from the first: a late window never returned
    s = pyclr.multiplicative_cycles(1.0, 3, factor=1, min_lr=0.1)
    np.testing.assert_allclose(s.values(6, start=3 * 2**50), [1.0, 0.55, 0.1] * 2)
    assert s.cycle_ends(12) == [2, 5, 8, 11]
    assert pyclr.sgdr(0.1, 1).cycles_in(10**15) == 10**15
    # cycles * T_0 beyond int64 overflowed the segment table
    assert pyclr.sgdr(0.1, 2**31, cycles=2**52).values(2, start=2**31).tolist() == [0.1, pytest.approx(0.1)]


@pytest.mark.parametrize("factor", [100, 1e4, 1e308, 3.5e17])
def test_huge_cycle_factors_end_and_restart_where_they_should(use_backend, factor):
    # cycle lengths are capped at 2**62 steps; their int64 sum used to wrap, and the search for the
    # cycle of a step then doubled its table forever (sgdr(0.1, 2, T_mult=100).values(10) hung)
    s = pyclr.sgdr(0.1, 2, T_mult=factor)
    values = s.values(300)
    third = 2 + 2 * factor  # where the third cycle starts
    restarts = [t for t in range(1, 300) if values[t] > values[t - 1]]
    assert restarts == ([2, int(third)] if third < 300 else [2])
    assert values[0] == pytest.approx(0.1, rel=1e-12) and values[2] == pytest.approx(0.1, rel=1e-12)
    assert np.all(np.isfinite(s.values(3, start=2**52)))
    m = pyclr.multiplicative_cycles(0.1, 2, factor=factor, n_cycles=40)
    assert np.all(np.isfinite(m.values(10))) and np.all(np.isfinite(m.values(3, start=2**52)))


@pytest.mark.all_backends
@given(args=st.lists(numbers, min_size=1, max_size=4), n=st.integers(0, 2000), start=st.integers(0, 10**9),
       policy=st.sampled_from(["cyclic", "one_cycle", "sgdr", "warmup_decay", "multiplicative_cycles", "step_decay"]))
def test_fuzz_public_api_never_crashes_or_returns_nan(args, n, start, policy):
    outcomes = []
    for name in BACKENDS:
        saved = _backend._active
        _backend._active = (name, _backend.load(name))
        try:
            values = getattr(pyclr, policy)(*args).values(n, start=start)
            assert np.all(np.isfinite(values))
            outcomes.append(("ok", values))
        except (ValueError, TypeError) as exc:
            outcomes.append((type(exc).__name__, str(exc)))
        finally:
            _backend._active = saved
    kinds = {o[0] for o in outcomes}
    assert len(kinds) == 1, outcomes
    if "ok" not in kinds:
        assert len({o[1] for o in outcomes}) == 1


def test_required_fields_have_no_inherited_default():
    """A spec field without a default of its own stays required: ``Schedule.total_steps = None``
    once made ``total_steps`` optional in warmup_decay's signature, which validation then refused."""
    import inspect

    assert inspect.signature(pyclr.warmup_decay).parameters["total_steps"].default is inspect.Parameter.empty
    with pytest.raises(TypeError, match="missing a required argument: 'total_steps'"):
        pyclr.warmup_decay(1.0)
