"""Every finder kernel on every backend equals the NumPy reference kernel."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyclr import _backend

REF = _backend.load("numpy")
RTOL = 1e-12


def _close(a, b):
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-300, equal_nan=True)


@st.composite
def logs(draw, min_size=2, max_size=120, nan=False):
    n = draw(st.integers(min_size, max_size))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-6, 1, n))
    x = np.unique(x)
    while x.shape[0] < n:
        x = np.unique(np.concatenate([x, rng.uniform(-6, 1, n - x.shape[0])]))
    y = 2.0 - np.tanh(2 * (x + 3)) + rng.normal(0, draw(st.sampled_from([0.0, 0.01, 0.3])), n)
    if draw(st.booleans()):
        y[rng.integers(0, n)] += 20.0  # a spike
    if draw(st.booleans()):  # the run diverges: losses blow up to ~1e30
        cut = draw(st.integers(n // 2, n))
        y[cut:] = 3.0 * 10.0 ** np.linspace(0, 30, n - cut)
    if nan and draw(st.booleans()):
        y[rng.integers(0, n, size=max(1, n // 10))] = np.nan
    if draw(st.booleans()):  # ties
        y = np.round(y, 1)
    return np.ascontiguousarray(x), np.ascontiguousarray(y)


def _both(kernels, name, *args, outs=()):
    """Run kernel `name` on REF and `kernels` with fresh copies of the outputs."""
    o1 = [np.full_like(o, -7.0) for o in outs]
    o2 = [np.full_like(o, -7.0) for o in outs]
    r1 = getattr(REF, name)(*args, *o1)
    r2 = getattr(kernels, name)(*args, *o2)
    return r1, r2, o1, o2


@given(logs())
def test_ema(kernels, xy):
    _, y = xy
    for alpha in (0.05, 0.5):
        r1, r2, o1, o2 = _both(kernels, "ema", y, alpha, outs=[np.empty_like(y)])
        _close(o1[0], o2[0])


@given(logs(nan=True), st.integers(0, 2))
def test_ema_debiased(kernels, xy, offset):
    _, y = xy
    r1, r2, o1, o2 = _both(kernels, "ema_debiased", y, 0.98, offset, outs=[np.empty_like(y)])
    _close(o1[0], o2[0])


@given(logs(nan=True))
def test_gradients_and_argmin(kernels, xy):
    x, y = xy
    _, _, o1, o2 = _both(kernels, "gradient_index", y, outs=[np.empty_like(y)])
    _close(o1[0], o2[0])
    _close(o1[0], np.gradient(y))
    _, _, o1, o2 = _both(kernels, "gradient_x", x, y, outs=[np.empty_like(y)])
    _close(o1[0], o2[0])
    assert REF.argmin_nanfirst(y) == kernels.argmin_nanfirst(y)


def _valley_fastai_definition(y):
    """fastai's O(n^2) statement of the rule, as the spec for valley_index."""
    n = len(y)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if y[i] < y[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    return max_start + int(sections) + int(sections / 2)


@given(logs(min_size=1, nan=True))
def test_valley_matches_quadratic_definition(kernels, xy):
    _, y = xy
    got = kernels.valley_index(y, np.empty_like(y))
    assert got == REF.valley_index(y, np.empty_like(y)) == _valley_fastai_definition(list(y))


@given(logs(min_size=17, nan=True))
def test_anchor_indices(kernels, xy):
    x, y = xy
    lrs = 10.0 ** x
    g = np.empty_like(y)
    REF.gradient_index(y, g)
    assert REF.slide_index(g, 0.005, 15) == kernels.slide_index(g, 0.005, 15)
    assert REF.steep_index(lrs, y) == kernels.steep_index(lrs, y)
    assert REF.ignite_index(y) == kernels.ignite_index(y)
    for th, prev in ((4.0, True), (5.0, False)):
        assert REF.stop_index(y, th, prev) == kernels.stop_index(y, th, prev)


@given(logs(min_size=3, nan=True), st.sampled_from([0.05, 0.3, 1.0]), st.integers(0, 2))
def test_lowess_and_noise(kernels, xy, width, iterations):
    x, y = xy
    n = x.shape[0]
    rows = REF.LOWESS_WORK_ROWS * (n + 1)
    _, _, o1, o2 = _both(kernels, "lowess", x, y, width, iterations,
                         outs=[np.empty(n), np.empty(n), np.empty(rows)])
    _close(o1[0], o2[0])
    _close(o1[1], o2[1])
    s1 = REF.noise_sigma(y, o1[0], np.inf, np.empty(n))
    s2 = kernels.noise_sigma(y, o1[0], np.inf, np.empty(n))
    _close(s1, s2)


@given(logs(min_size=3, nan=True), st.sampled_from([0.05, 0.3, 1.0]), st.integers(0, 2))
def test_lowess_stays_within_the_losses_of_its_window(xy, width, iterations):
    x, y = xy
    n = x.shape[0]
    fit = np.empty(n)
    REF.lowess(x, y, width, iterations, fit, np.empty(n), np.empty(REF.LOWESS_WORK_ROWS * (n + 1)))
    for i in range(n):
        window = y[np.abs(x - x[i]) <= width / 2]
        window = window[np.isfinite(window)]
        if window.size:
            assert window.min() <= fit[i] <= window.max()


@given(logs(min_size=1, nan=True), st.sampled_from([0.05, 0.3, 1.0]))
def test_divergence_ceiling(kernels, xy, width):
    x, y = xy
    n = x.shape[0]
    c = kernels.divergence_ceiling(x, y, width, np.empty(n))
    _close(c, REF.divergence_ceiling(x, y, width, np.empty(n)))
    finite = y[np.isfinite(y)]
    if finite.size:
        first = y[(x <= x[0] + width / 2) & np.isfinite(y)]
        s = np.median(first) if first.size else finite[0]
        assert c == s + (s - finite.min())
    else:
        assert c == np.inf


@given(logs(min_size=3, nan=True), st.sampled_from([0.1, 0.3]))
def test_analyze_run_and_batch(kernels, xy, width):
    x, y = xy
    n = x.shape[0]
    rows = REF.ANALYZE_WORK_ROWS * (n + 1)
    args = (x, y, width, 2, 0.1, 0.1, 0.0)
    _, _, o1, o2 = _both(kernels, "analyze_run", *args,
                         outs=[np.empty(n), np.empty(n), np.empty(rows), np.empty(REF.ANALYZE_RESULT_SIZE)])
    for a, b in zip(o1, o2):
        if a.shape[0] != rows:
            _close(a, b)
    # batched: three ragged copies must equal the single-run answer
    X = np.zeros((3, n)); Y = np.zeros((3, n))
    lengths = np.array([n, n - 1, n // 2 + 1], dtype=np.int64)
    for r, m in enumerate(lengths):
        X[r, :m], Y[r, :m] = x[:m], y[:m]
    outs = [np.empty((3, n)), np.empty((3, n)), np.empty((2, rows)), np.empty((3, REF.ANALYZE_RESULT_SIZE))]
    kernels.analyze_runs(X, Y, lengths, width, 2, 0.1, 0.1, 0.0, *outs, 2)
    _close(outs[3][0], o1[3])
    for r, m in enumerate(lengths):
        single = np.empty(REF.ANALYZE_RESULT_SIZE)
        REF.analyze_run(x[:m], y[:m], width, 2, 0.1, 0.1, 0.0, np.empty(m), np.empty(m),
                        np.empty(REF.ANALYZE_WORK_ROWS * (m + 1)), single)
        _close(outs[3][r], single)


@given(logs(nan=True), st.integers(1, 30))
def test_bin_and_scan(kernels, xy, nb):
    x, y = xy
    lr = 10.0 ** x
    edges = np.geomspace(lr[0] * 1.01, lr[-1], nb + 1)
    outs = [np.empty(nb), np.empty(nb), np.empty(nb, dtype=np.int64)]
    r1, r2, o1, o2 = _both(kernels, "bin_log", lr, y, edges, outs=outs)
    assert r1 == r2
    _close(o1[0], o2[0]); _close(o1[1], o2[1]); np.testing.assert_array_equal(o1[2], o2[2])
    for lrs in (lr, lr[::-1].copy(), np.where(np.arange(lr.shape[0]) == 1, -1.0, lr)):
        s1 = np.empty(6, dtype=np.int64); s2 = np.empty(6, dtype=np.int64)
        REF.scan_log(lrs, y, s1); kernels.scan_log(lrs, y, s2)
        np.testing.assert_array_equal(s1, s2)


@given(st.lists(st.tuples(st.floats(1e-8, 10, allow_nan=False), st.floats(-1e3, 1e3, allow_nan=False)),
                min_size=0, max_size=40), st.sampled_from([",", "\t", ";"]))
def test_parse_columns(kernels, rows, delim):
    text = "".join(f"{i}{delim}{a!r}{delim}{b!r}\n" for i, (a, b) in enumerate(rows))
    buf = np.frombuffer(text.encode(), dtype=np.uint8).copy()
    n = len(rows) + 1
    outs = [np.empty(n), np.empty(n), np.zeros(3, dtype=np.int64)]
    r1, r2, o1, o2 = _both(kernels, "parse_columns", buf, ord(delim), 3, 1, 2, outs=outs)
    assert r1 == r2 == len(rows)
    _close(o1[0][:r1], o2[0][:r2]); _close(o1[1][:r1], o2[1][:r2])
    _close(o2[0][:r2], [a for a, _ in rows])
    np.testing.assert_array_equal(o1[2], o2[2])


@pytest.mark.parametrize("text,line,kind", [
    ("1,2\n3\n", 2, 1), ("1,2\n\n3,x\n", 3, 2), ("1,2\n3,4,5\n", 2, 1), ("1,2\n,\n", 0, 0)])
def test_parse_columns_errors(kernels, text, line, kind):
    buf = np.frombuffer(text.encode(), dtype=np.uint8).copy()
    st_ = np.zeros(3, dtype=np.int64)
    kernels.parse_columns(buf, ord(","), 2, 0, 1, np.empty(4), np.empty(4), st_)
    assert (st_[1], st_[2]) == (line, kind)


@given(st.lists(st.one_of(st.floats(-5, 5), st.just(float("nan"))), min_size=1, max_size=40), st.data(),
       st.sampled_from([0.0, 0.5, 3.0]))
def test_near_minimum(kernels, values, data, tau):
    f = np.array(values)
    i = data.draw(st.integers(0, f.shape[0] - 1))
    a, b = kernels.near_minimum(f, i, tau)
    assert (a, b) == REF.near_minimum(f, i, tau)
    assert a <= i <= b
    if f[i] == f[i]:
        assert np.all(f[a : b + 1] <= f[i] + tau)  # the stretch holds no NaN and nothing above the level
        assert a == 0 or not f[a - 1] <= f[i] + tau
        assert b == f.shape[0] - 1 or not f[b + 1] <= f[i] + tau


@given(logs(min_size=2, nan=True), st.sampled_from([0.05, 0.3, 1.0]), st.sampled_from([0.0, 0.01, 0.3]))
def test_valley_anchor(kernels, xy, width, sigma):
    x, y = xy
    n = x.shape[0]
    level = float(np.nanmedian(y)) if np.isfinite(y).any() else 0.0
    a1 = REF.valley_anchor(x, y, level, width, sigma, np.empty(6 * (n + 1)))
    a2 = kernels.valley_anchor(x, y, level, width, sigma, np.empty(6 * (n + 1)))
    _close(a1, a2)
    if a1 == a1:
        assert x[0] <= a1 <= x[-1]


def test_valley_anchor_takes_the_middle_of_a_flat_floor(kernels):
    """On a floor flatter than the fit's noise the anchor is the floor's middle, wherever the
    noise puts the argmin; with no noise allowance it is the argmin itself."""
    x = np.linspace(-4.0, 0.0, 401)
    y = np.where(x < -2.5, 1.0 + 4 * (x + 2.5) ** 2, np.where(x > -1.5, 1.0 + 4 * (x + 1.5) ** 2, 1.0))
    y = y + 1e-4 * (x + 2.5)  # a tilt far below the noise level: it moves the argmin only
    work = np.empty(6 * (x.shape[0] + 1))
    flat = kernels.valley_anchor(x, y, 5.0, 0.3, 0.05, work)
    assert flat == pytest.approx(-2.0, abs=0.05)
    sharp = kernels.valley_anchor(x, y, 5.0, 0.3, 0.0, work)
    assert abs(sharp + 2.0) > 0.1


@pytest.mark.all_backends
def test_result_layout_is_named_once():
    """The C++ enum Slot and pyclr/_contract.py name the same result slots; numba and the
    NumPy reference import theirs from _contract."""
    from pyclr import _contract

    for name in _backend.BACKENDS:
        try:
            K = _backend.load(name)
        except ImportError:
            continue
        assert K.ANALYZE_RESULT_SIZE == _contract.ANALYZE_RESULT_SIZE
        assert K.ANALYZE_WORK_ROWS == _contract.ANALYZE_WORK_ROWS
        if name == "cpp":
            assert K.RESULT_SLOTS == {s: i for i, s in enumerate(_contract.RESULT_SLOTS)}
