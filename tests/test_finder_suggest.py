"""suggest() reproduces every library's answer on the shared real logs, on every backend."""
from __future__ import annotations

import csv
import os
import warnings

import numpy as np
import pytest

import pyclr
from pyclr import _backend

# real range tests with every anchor library's own answer on them (a copy of the project's shared logs)
DATA = os.environ.get("PYCLR_RANGETESTS", os.path.join(os.path.dirname(__file__), "data", "rangetests"))
COLUMNS = {"steepest": "tlf_steepest", "ignite": "ignite_suggestion", "valley": "fastai_valley",
           "slide": "fastai_slide", "minimum": "fastai_minimum", "steep": "fastai_steep",
           "lightning": "lightning_2.5.2", "lightning_2.6": "lightning_2.6.6"}

pytestmark = pytest.mark.skipif(not os.path.isdir(DATA), reason="shared range-test logs not available")


def _reference():
    with open(os.path.join(DATA, "reference_suggestions.csv")) as f:
        return {row["config"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def logs():
    ref = _reference()
    return {cfg: pyclr.load_log(os.path.join(DATA, f"{cfg}.csv"), loss="raw_loss") for cfg in ref}, ref


@pytest.mark.parametrize("method", list(COLUMNS))
def test_matches_reference(use_backend, logs, method):
    loaded, ref = logs
    for cfg, log in loaded.items():
        want = float(ref[cfg][COLUMNS[method]])
        got = pyclr.suggest(log.lrs, log.losses, method)
        assert got == pytest.approx(want, rel=1e-9), (cfg, method)


def test_smoothed_history_gives_same_answer(logs):
    loaded, ref = logs
    for cfg in loaded:
        log = pyclr.load_log(os.path.join(DATA, f"{cfg}.csv"), loss="tlf_smoothed_loss")
        assert log.smoothed
        got = pyclr.suggest(log.lrs, log.losses, "steepest", smoothed=True)
        assert got == pytest.approx(float(ref[cfg]["tlf_steepest"]), rel=1e-9)


BAD = [
    (([], []), ValueError, "Expected at least 2 points"),
    (([1e-3], [1.0]), ValueError, "Expected at least 2 points"),
    (([1e-3, 1e-2], [1.0]), ValueError, "equal length"),
    (([1e-3, 0.0] + [1.0] * 20, [1.0] * 22), ValueError, "Expected positive, finite lr values, but got 0.0 at index 1"),
    (([1e-3, -1.0], [1.0, 2.0]), ValueError, "Expected positive, finite lr values, but got -1.0"),
    (("abc", [1.0]), TypeError, "Expected a 1-D sequence of numbers for lrs"),
    ((np.ones((2, 2, 2)), [1.0, 2.0]), ValueError, "Expected a 1-D sequence for lrs"),
    ((["a", "b"], [1.0, 2.0]), TypeError, "lrs"),
]


@pytest.mark.parametrize("args,exc,msg", BAD)
def test_bad_input_same_error_everywhere(use_backend, args, exc, msg):
    with pytest.raises(exc, match=msg):
        pyclr.suggest(*args)
    if "at least 2 points" in msg:  # analyze gives short logs a verdict; only an empty one is an error
        if len(args[0]) == 1:
            assert pyclr.analyze(*args).verdict == "too_short"
            return
        msg = "Expected at least one point"
    with pytest.raises(exc, match=msg):
        pyclr.analyze(*args)


def test_bad_method_and_short_windows(use_backend):
    lrs = np.geomspace(1e-5, 1, 12)
    with pytest.raises(ValueError, match="Expected method in"):
        pyclr.suggest(lrs, np.ones(12), "nope")
    with pytest.raises(ValueError, match="at least 17 points"):
        pyclr.suggest(lrs, np.ones(12), "steepest")
    with pytest.raises(ValueError, match="U-shaped"):
        pyclr.suggest(lrs, np.linspace(1, 2, 12), "ignite")
    with pytest.raises(ValueError, match="at least 16 points"):
        pyclr.suggest(lrs, np.ones(12), "slide")
    with pytest.raises(TypeError, match="Expected a bool for smoothed"):
        pyclr.suggest(lrs, np.ones(12), "valley", smoothed=1)


def test_valley_is_fast_on_long_logs():
    # fastai's valley is O(n^2): 2e5 points would take hours there.
    lrs = np.geomspace(1e-7, 10, 200_000)
    losses = 2 - np.tanh(np.log10(lrs) + 3) + np.random.default_rng(0).normal(0, 0.01, lrs.shape[0])
    assert 1e-7 < pyclr.suggest(lrs, losses, "valley") < 10


EXTREME = [
    (np.geomspace(1e-5, 1.0, 100), np.r_[np.linspace(2.0, 1.0, 60), np.inf, -np.inf, np.full(38, 1e300)]),
    (np.geomspace(1e-5, 1.0, 100), np.r_[np.full(50, -np.inf), np.linspace(2.0, 1.0, 50)]),
    (np.geomspace(1e-300, 1e300, 100), np.linspace(2.0, 1.0, 100)),
    (np.array([1e-3, 1e-3]), np.array([1.0, 2.0])),
    (np.full(30, 1e-3), np.linspace(2.0, 1.0, 30)),
]


@pytest.mark.parametrize("case", range(len(EXTREME)))
def test_extreme_values_raise_no_warnings(use_backend, case):
    # inf, -inf and huge values are data here: every backend computes with them silently, as the
    # compiled kernels do, and answers or raises ValueError (the NumPy oracle used to warn)
    lrs, losses = EXTREME[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = pyclr.analyze(lrs, losses)
        assert a.verdict in pyclr.finder.VERDICTS
        if lrs.shape[0] < 100:
            pyclr.analyze(lrs, losses, resamples=20)
        for method in pyclr.finder.METHODS:
            try:
                assert pyclr.suggest(lrs, losses, method) > 0
            except ValueError:
                pass
