"""pyclr.plot: pictures of range tests and schedules, rendered on Agg and read back.

Every test draws real data (the shipped range-test logs, pyclr.analyze on them, a small torch
range test) and checks the files written and the artists on the Axes.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")  # noqa: E402  (the tests never open a window)

from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Polygon, Rectangle  # noqa: E402

import pyclr  # noqa: E402
from pyclr.finder.anchors import METHODS  # noqa: E402
from pyclr.plot import (MAX_BOUNDARIES, MAX_POINTS, MAX_STEPS, cycle_boundaries, plot_range_test,  # noqa: E402
                        plot_schedule)

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
PNG = b"\x89PNG\r\n\x1a\n"


def _log(name):
    log = pyclr.load_log(os.path.join(DATA, "rangetests", f"{name}.csv"), loss="raw_loss")
    return log.lrs, log.losses


@pytest.fixture(scope="module")
def diverged():
    """A real SGD range test that diverges near its end, and its analysis."""
    lrs, losses = _log("sgdm_exp_diverge_s0")
    return lrs, losses, pyclr.analyze(lrs, losses)


@pytest.fixture(scope="module")
def seeds():
    """Five seeds of a real Adam range test combined by pyclr.analyze."""
    logs = [pyclr.load_log(os.path.join(DATA, "seed_runs", f"adam_exp_n200_s{i}.csv")) for i in range(5)]
    return logs, pyclr.analyze([g.lrs for g in logs], [g.losses for g in logs])


def _spans(ax):
    """(x0, x1) in data units of every axvspan on ax (a Rectangle from matplotlib 3.9, a Polygon before)."""
    out = []
    for p in ax.patches:
        if isinstance(p, Rectangle):
            out.append((p.get_x(), p.get_x() + p.get_width()))
        elif isinstance(p, Polygon):
            xs = p.get_xy()[:, 0]
            out.append((xs.min(), xs.max()))
    return out


def _legend_texts(ax):
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend is not None else []


def _vlines(ax):
    """x of every axvline (a Line2D whose x data is constant and whose y spans the axes)."""
    xs = []
    for line in ax.get_lines():
        x = np.asarray(line.get_xdata(), dtype=float)
        if x.size == 2 and x[0] == x[1] and line.get_transform() is not ax.transData:
            xs.append(float(x[0]))
    return xs


def _curves(ax):
    return [line for line in ax.get_lines() if len(line.get_xdata()) > 2]


def _saved(ax, tmp_path, stem):
    png, svg = tmp_path / f"{stem}.png", tmp_path / f"{stem}.svg"
    ax.figure.savefig(png, dpi=60)
    ax.figure.savefig(svg)
    head = png.read_bytes()[:8]
    text = svg.read_text()
    assert head == PNG and png.stat().st_size > 5000
    assert text.lstrip().startswith("<?xml") and "<svg" in text and text.rstrip().endswith("</svg>")
    return png, svg


# ------------------------------------------------------------------------------ range tests
def test_range_test_single_log_files_and_artists(diverged, tmp_path):
    lrs, losses, a = diverged
    assert a.verdict == "ok" and a.divergence_lr is not None
    ax = plot_range_test(a)
    assert isinstance(ax.figure, Figure)
    _saved(ax, tmp_path, "rt")
    assert ax.get_xscale() == "log"
    assert ax.get_xlabel() == "learning rate" and ax.get_ylabel() == "loss"
    raw, smoothed = _curves(ax)
    np.testing.assert_array_equal(raw.get_xdata(), a.lrs)
    np.testing.assert_array_equal(raw.get_ydata(), a.losses)
    np.testing.assert_array_equal(smoothed.get_ydata(), a.smoothed)
    assert smoothed.get_linewidth() > raw.get_linewidth()
    (x0, x1), = _spans(ax)
    assert x0 == pytest.approx(a.base_lr) and x1 == pytest.approx(a.max_lr)
    texts = _legend_texts(ax)
    assert texts[:2] == ["loss", "smoothed"]
    assert f"base_lr .. max_lr: {a.base_lr:.3g} .. {a.max_lr:.3g}" in texts
    assert f"diverged at {a.divergence_lr:.3g}" in texts
    marker, = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert marker.get_xdata()[0] == pytest.approx(a.divergence_lr)
    # on the smoothed curve, which by then has climbed above its start
    y = np.interp(np.log10(a.divergence_lr), np.log10(a.lrs), a.smoothed)
    assert marker.get_ydata()[0] == pytest.approx(y) and y > a.smoothed[0]
    words = [t.get_text() for t in ax.texts]
    assert words == ["base_lr ", " max_lr"]
    assert [t.get_position()[0] for t in ax.texts] == [a.base_lr, a.max_lr]
    assert ax.get_title() == f"ok: base_lr {a.base_lr:.3g}, max_lr {a.max_lr:.3g}"
    # the blow-up past divergence is cut off, the descent is in view
    low, high = ax.get_ylim()
    assert low < np.nanmin(a.smoothed) and high < np.nanmax(losses[np.isfinite(losses)])


def test_range_test_anchors_all_and_named(diverged):
    lrs, losses, a = diverged
    ax = plot_range_test(a, anchors=True)
    expected = {m: pyclr.suggest(a.lrs, a.losses, m) for m in METHODS}
    assert sorted(_vlines(ax)) == pytest.approx(sorted(expected.values()))
    texts = _legend_texts(ax)
    for m, lr in expected.items():
        assert f"{m}: {lr:.3g}" in texts
    ax = plot_range_test(a, anchors=["valley", "steepest"])
    assert sorted(_vlines(ax)) == pytest.approx(sorted([expected["valley"], expected["steepest"]]))
    assert len(_vlines(plot_range_test(a, anchors="minimum"))) == 1
    assert _vlines(plot_range_test(a)) == []


def test_range_test_anchor_without_answer_is_listed():
    # 15 points: too few for torch-lr-finder's window (17), enough for fastai's valley
    lrs, losses = _log("adam_exp_s0")
    a = pyclr.analyze(lrs[:15], losses[:15])
    ax = plot_range_test(a, anchors=["steepest", "valley"])
    texts = _legend_texts(ax)
    assert "steepest: no answer" in texts
    assert any(t.startswith("valley: ") and t != "valley: no answer" for t in texts)
    assert len(_vlines(ax)) == 1


def test_range_test_verdict_not_ok_title_and_hatched_span():
    rng = np.random.default_rng(0)
    lrs = np.geomspace(1e-5, 1, 100)
    a = pyclr.analyze(lrs, 2.0 + rng.normal(0, 0.01, 100))
    assert a.verdict == "no_descent" and a.base_lr is not None
    ax = plot_range_test(a)
    title = ax.get_title()
    first, *rest = title.splitlines()
    assert first.startswith("no_descent: base_lr") and first.endswith(" (provisional)")
    assert 1 <= len(rest) <= 3 and all(len(line) <= 78 for line in rest)
    assert "Lower start_lr" in title and "(drop" not in title  # the advice kept, the figures left out
    (span,) = [p for p in ax.patches]
    assert span.get_hatch() == "//"
    # bounds 4% apart: one name over the middle of the span instead of two on top of each other
    assert a.max_lr / a.base_lr < 2 and [t.get_text() for t in ax.texts] == ["base_lr .. max_lr"]
    assert any(t.startswith("base_lr .. max_lr (provisional)") for t in _legend_texts(ax))


def test_range_test_rising_loss_stays_in_view():
    # a sweep that started too high: the loss only rises; the view keeps the start and the rise
    lrs = np.geomspace(1e-3, 10, 100)
    losses = 2 + np.exp(2 * np.log10(lrs))
    ax = plot_range_test(pyclr.analyze(lrs, losses))
    low, high = ax.get_ylim()
    assert low < 2.0 and high > 2.4 and high < losses.max()


def test_range_test_too_short_has_no_span():
    a = pyclr.analyze([1e-3, 2e-3, 4e-3], [2.0, 1.9, 1.8])
    assert a.verdict == "too_short"
    ax = plot_range_test(a)
    assert _spans(ax) == [] and ax.get_title().startswith("too_short\n")


def test_range_test_combined_runs(seeds, tmp_path):
    logs, a = seeds
    assert len(a.runs) == 5 and a.lrs is None
    ax = plot_range_test(a, anchors=["valley"])
    _saved(ax, tmp_path, "seeds")
    curves = _curves(ax)
    assert len(curves) == 10  # raw and smoothed per run
    colours = {c.get_color() for c in curves}
    assert len(colours) == 5
    (x0, x1), = _spans(ax)
    assert (x0, x1) == (pytest.approx(a.base_lr), pytest.approx(a.max_lr))
    title = ax.get_title()
    assert title == (f"ok: base_lr {a.base_lr:.3g}, max_lr {a.max_lr:.3g} "
                     f"(5 runs combined, max_lr spread x{a.spread['max_lr']:.2f})")
    texts = _legend_texts(ax)
    assert [f"smoothed, run {i}" in texts for i in range(5)] == [True] * 5
    valleys = [pyclr.suggest(r.lrs, r.losses, "valley") for r in a.runs]
    (x,) = _vlines(ax)
    assert x == pytest.approx(10 ** np.median(np.log10(valleys)))
    assert f"valley: {x:.3g} (median of 5)" in texts


def test_range_test_list_overlay(diverged, seeds):
    _, _, a = diverged
    lrs, losses = _log("adam_linear_s0")
    b = pyclr.analyze(lrs, losses)
    ax = plot_range_test([a, b], labels=["sgd", "adam linear"])
    np.testing.assert_allclose(sorted(_spans(ax)), sorted([(a.base_lr, a.max_lr), (b.base_lr, b.max_lr)]))
    assert ax.get_title().splitlines()[0] == "sgd: ok; adam linear: ok"
    texts = _legend_texts(ax)
    assert "sgd" in texts and "adam linear" in texts
    assert f"sgd: {a.base_lr:.3g} .. {a.max_lr:.3g}" in texts
    colours = [c.get_color() for c in _curves(ax)]
    assert colours == ["C0", "C0", "C1", "C1"]
    # a tuple, default labels, a combined analysis as one of the items
    ax = plot_range_test((a, seeds[1]))
    assert ax.get_title().startswith("test 0: ok; test 1: ok") and len(_curves(ax)) == 2 + 10


def test_range_test_draws_on_given_axes(diverged):
    fig = Figure()
    axes = fig.subplots(1, 2)
    out = plot_range_test(diverged[2], ax=axes[1])
    assert out is axes[1] and len(axes[0].get_lines()) == 0 and len(fig.axes) == 2


@pytest.mark.parametrize("bad, error, words", [
    ((1.0, 2.0), TypeError, "result_or_analysis[0]"),
    ("log.csv", TypeError, "result_or_analysis"),
    ([], ValueError, "empty"),
])
def test_range_test_bad_objects(bad, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("]", r"\]")):
        plot_range_test(bad)


def test_range_test_log_object_gets_a_hint():
    log = pyclr.load_log(os.path.join(DATA, "rangetests", "adam_exp_s0.csv"), loss="raw_loss")
    with pytest.raises(TypeError, match=r"to draw a log, pass pyclr.analyze\(log.lrs, log.losses\)"):
        plot_range_test(log)


def test_range_test_bad_arguments(diverged):
    a = diverged[2]
    with pytest.raises(TypeError, match="for ax, but got 'ax'"):
        plot_range_test(a, ax="ax")
    with pytest.raises(ValueError, match=r"anchors\[1\] in .*'valley'.*but got 'fastai'"):
        plot_range_test(a, anchors=["valley", "fastai"])
    with pytest.raises(TypeError, match="for anchors, but got 3"):
        plot_range_test(a, anchors=3)
    with pytest.raises(ValueError, match="Expected 2 labels, one per range test, but got 1"):
        plot_range_test([a, a], labels=["one"])
    with pytest.raises(TypeError, match="for labels"):
        plot_range_test(a, labels=[1])


# ------------------------------------------------------------------------------ torch range tests
@pytest.fixture(scope="module")
def torch_tests():
    torch = pytest.importorskip("torch")
    from pyclr.torch import range_test

    torch.manual_seed(0)
    x = torch.randn(256, 8)
    y = (x[:, :3]).argmax(1)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = torch.nn.functional.cross_entropy
    single = range_test(model, opt, loss, loader, start_lr=1e-4, end_lr=100, num_iter=60, sweep_iter=None)
    runs = range_test(model, opt, loss, loader, start_lr=1e-4, end_lr=100, num_iter=90, sweep_iter=30)
    return single, runs


def test_torch_result_plot(torch_tests, tmp_path):
    single, _ = torch_tests
    assert single.stop_reason in ("diverged", "non-finite loss")  # end_lr=100 blows it up
    ax = single.plot(anchors=["valley"])
    _saved(ax, tmp_path, "torch")
    a = single.analyze()
    raw, smoothed = _curves(ax)
    keep = np.isfinite(single.losses)
    np.testing.assert_array_equal(raw.get_xdata(), single.lrs[keep])
    np.testing.assert_array_equal(smoothed.get_ydata(), a.smoothed)
    assert ax.get_title().startswith(a.verdict)
    marker, = [line for line in ax.get_lines() if line.get_marker() == "X"]
    where = a.divergence_lr if a.divergence_lr is not None else single.lrs[-1]
    assert marker.get_xdata()[0] == pytest.approx(where)
    if a.base_lr is not None and a.max_lr is not None:
        assert _spans(ax) == [(pytest.approx(a.base_lr), pytest.approx(a.max_lr))]


def test_torch_runs_plot(torch_tests):
    _, runs = torch_tests
    assert len(runs) == 3
    a = runs.analyze()
    ax = runs.plot()
    curves = _curves(ax)
    assert len(curves) == 6 and len({c.get_color() for c in curves}) == 3
    for i, run in enumerate(runs):
        keep = np.isfinite(run.losses)
        np.testing.assert_array_equal(curves[2 * i].get_xdata(), run.lrs[keep])
    assert ax.get_title().startswith(a.verdict) and "3 runs combined" in ax.get_title()
    # overlaid with another test; each a test of its own
    ax = plot_range_test([runs, runs[0]], labels=["3 sweeps", "sweep 0"])
    assert len(_curves(ax)) == 6 + 2


def test_torch_results_built_by_hand_empty_and_stopped():
    pytest.importorskip("torch")
    from pyclr.torch import RangeTestResult, RangeTestRuns

    none = np.empty(0)
    empty = RangeTestResult(none, none, smoothed=none, steps=np.empty(0, dtype=np.int64), stop_reason="non-finite loss")
    ax = empty.plot()
    assert ax.get_title().startswith("too_short\nThe range test logged no points") and _curves(ax) == []
    # a test the AMP scaler stopped before the loss turned up: no divergence, the stop is marked
    lrs = np.geomspace(1e-5, 1e-1, 120)
    x = np.log10(lrs)
    losses = 2.0 - np.tanh(2 * (x + 3)) + 0.01 * np.cos(37 * x)
    stopped = RangeTestResult(lrs, losses, smoothed=losses, steps=np.arange(120), stop_reason="skipped steps")
    a = stopped.analyze()
    assert a.divergence_lr is None
    ax = stopped.plot()
    marker, = [line for line in ax.get_lines() if line.get_marker() == "X"]
    assert marker.get_xdata()[0] == lrs[-1]
    assert f"stopped: skipped steps at {lrs[-1]:.3g}" in _legend_texts(ax)
    # sweeps of which one logged nothing: drawn, and the combination's note in the title
    runs = RangeTestRuns((stopped, empty, stopped))
    ax = runs.plot()
    title = ax.get_title()
    assert len(_curves(ax)) == 4 and "(2 runs combined" in title
    assert "Sweep 1 logged no points and was left out of the combination." in title.replace("\n", " ")


# ------------------------------------------------------------------------------ schedules
def _boundary_xs(ax):
    xs = []
    for c in ax.collections:
        if isinstance(c, LineCollection):
            xs.extend(float(seg[0][0]) for seg in c.get_segments())
    return sorted(xs)


def test_schedule_single_with_momentum(tmp_path):
    s = pyclr.cyclic(1e-3, 6e-3, step_size_up=50)
    ax = plot_schedule(s, 450, momentum=True)
    _saved(ax, tmp_path, "cyclic")
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), np.arange(450))
    np.testing.assert_array_equal(line.get_ydata(), s.values(450))
    assert len(ax.figure.axes) == 2
    twin = ax.figure.axes[1]
    assert twin.get_ylabel() == "momentum" and twin.get_shared_x_axes().joined(ax, twin)
    (m,) = twin.get_lines()
    np.testing.assert_array_equal(m.get_ydata(), s.momentum(450))
    assert _boundary_xs(ax) == [100.0, 200.0, 300.0, 400.0]
    texts = _legend_texts(ax)
    assert texts == ["cyclic(0.001, 0.006, 50)", "momentum", "cycle boundaries"]
    assert ax.get_title() == "cyclic(0.001, 0.006, 50)\n4.5 cycles in 450 steps"
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "learning rate"


def test_schedule_overlay_labels_and_no_momentum_channel(tmp_path):
    a = pyclr.one_cycle(0.1, 300)
    b = pyclr.sgdr(0.1, 30, T_mult=2)
    ax = plot_schedule([a, b], 400, momentum=True, labels=["one-cycle", "SGDR"])
    _saved(ax, tmp_path, "overlay")
    lines = ax.get_lines()
    assert [line.get_color() for line in lines] == ["C0", "C1"]
    np.testing.assert_array_equal(lines[1].get_ydata(), b.values(400))
    assert len(ax.figure.axes[1].get_lines()) == 1  # only one-cycle carries momentum
    texts = _legend_texts(ax)
    assert texts == ["one-cycle", "SGDR", "one-cycle momentum", "cycle boundaries", "no momentum: SGDR"]
    assert _boundary_xs(ax) == [30.0, 90.0, 210.0, 300.0]  # SGDR restarts and the one cycle's end
    # without any momentum channel no twin axis is made
    ax = plot_schedule(b, 100, momentum=True)
    assert len(ax.figure.axes) == 1


@pytest.mark.parametrize("schedule, n, expected", [
    (pyclr.sgdr(1.0, 10, T_mult=2), 200, [10, 30, 70, 150]),
    (pyclr.sgdr(1.0, 10, cycles=3), 100, [10, 20, 30]),
    (pyclr.sgdr(1.0, 1, T_mult=3), 130, [1, 4, 13, 40, 121]),  # torch's float log misplaces 121
    (pyclr.multiplicative_cycles(1.0, 3, factor=2, n_cycles=3), 40, [3, 9, 21]),
    (pyclr.cyclic(0.1, 1.0, step_size_up=2.5), 12, [5, 10]),
    (pyclr.cyclic(0.1, 1.0, step_size_up=3, step_size_down=7, cycles=2, tail_steps=5), 40, [10, 20, 25]),
    (pyclr.one_cycle(1.0, 50), 50, []),
    (pyclr.one_cycle(1.0, 50), 51, [50]),
    (pyclr.warmup_cosine(1.0, 40, warmup_steps=5), 60, [40]),
    (pyclr.constant(0.1), 10, []),
    (pyclr.step_decay(0.1, 3), 10, []),
    (pyclr.join([pyclr.warmup_decay(1.0, 5, 5, decay="constant"), pyclr.sgdr(1.0, 10)], [5]), 40, [5, 15, 25, 35]),
    (pyclr.sgdr(1.0, 10).scaled([1.0, 0.5]), 30, [10, 20]),
])
def test_cycle_boundaries(schedule, n, expected):
    assert cycle_boundaries(schedule, n).tolist() == [float(b) for b in expected]


@pytest.mark.parametrize("schedule", [pyclr.sgdr(0.5, 7, T_mult=2, eta_min=0.01), pyclr.sgdr(0.5, 5, T_mult=1.5),
                                      pyclr.multiplicative_cycles(0.5, 4, factor=3, min_lr=0.01)])
def test_restart_boundaries_are_where_the_lr_jumps_up(schedule):
    n = 300
    values = schedule.values(n)
    jumps = np.flatnonzero(np.diff(values) > 0) + 1  # the first step of each new cycle
    assert cycle_boundaries(schedule, n).astype(int).tolist() == jumps.tolist()


def test_cyclic_boundaries_are_the_returns_to_base():
    s = pyclr.cyclic(0.1, 1.0, step_size_up=4, step_size_down=6, mode="triangular2")
    values = s.values(100)
    for b in cycle_boundaries(s, 100).astype(int):
        assert values[b] == pytest.approx(0.1) and values[b - 1] > values[b] < values[b + 1]


def test_schedule_per_group_draws_a_line_per_group():
    s = pyclr.cyclic([0.01, 0.001], [0.1, 0.01], step_size_up=10)
    ax = plot_schedule(s, 100, momentum=True)
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_array_equal(lines[1].get_ydata(), s.values(100)[1])
    assert [t for t in _legend_texts(ax) if "group" in t][:2] == [
        "per_group([cyclic, cyclic]), group 0", "per_group([cyclic, cyclic]), group 1"]
    assert len(ax.figure.axes[1].get_lines()) == 2
    assert _boundary_xs(ax) == [20.0, 40.0, 60.0, 80.0]


def test_schedule_long_run_keeps_every_extreme():
    s = pyclr.cyclic(0.1, 1.0, step_size_up=3)
    n = 1_000_003
    ax = plot_schedule(s, n)
    (line,) = ax.get_lines()
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert len(y) <= MAX_POINTS + 4 and np.all(np.diff(x) >= 0) and x[-1] <= n - 1
    assert y.min() == pytest.approx(0.1) and y.max() == pytest.approx(1.0)
    # every point drawn is the schedule's own value at that step
    np.testing.assert_allclose(y[::997], [s.at(int(t)) for t in x[::997]])
    assert _boundary_xs(ax) == []  # 333,334 boundaries: not drawn, and the legend says so
    assert f"{ax.get_lines()[0].get_label()}: over {MAX_BOUNDARIES} cycle boundaries, not drawn" in _legend_texts(ax)


def test_schedule_boundaries_off():
    ax = plot_schedule(pyclr.sgdr(1.0, 10), 50, boundaries=False)
    assert _boundary_xs(ax) == [] and "cycle boundaries" not in _legend_texts(ax)


def test_schedule_on_given_axes():
    fig = Figure()
    ax0 = fig.add_subplot()
    assert plot_schedule(pyclr.constant(0.1), 5, ax=ax0) is ax0


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(schedule_or_list="cyclic", n=10), TypeError, "for schedule_or_list, but got 'cyclic'"),
    (dict(schedule_or_list=[pyclr.constant(0.1), 0.1], n=10), TypeError, r"for schedule_or_list\[1\], but got 0.1"),
    (dict(schedule_or_list=[], n=10), ValueError, "at least one schedule in schedule_or_list"),
    (dict(n=0), ValueError, "Expected positive n, but got 0"),
    (dict(n=10.0), TypeError, "Expected an integer for n, but got 10.0"),
    (dict(n=MAX_STEPS + 1), ValueError, "Expected n of at most 1,000,000,000 steps to draw, but got 1000000001"),
    (dict(n=10, ax=Figure()), TypeError, "for ax, but got"),
    (dict(n=10, momentum="yes"), TypeError, "Expected a bool for momentum, but got 'yes'"),
    (dict(n=10, boundaries=None), TypeError, "Expected a bool for boundaries"),
    (dict(n=10, labels=["a", "b"]), ValueError, "Expected 1 labels, one per schedule, but got 2"),
])
def test_schedule_bad_input(kwargs, error, words):
    kwargs.setdefault("schedule_or_list", pyclr.constant(0.1))
    with pytest.raises(error, match=words):
        plot_schedule(**kwargs)


def test_cycle_boundaries_bad_input():
    with pytest.raises(TypeError, match="for schedule, but got"):
        cycle_boundaries([pyclr.constant(0.1)], 10)
    with pytest.raises(ValueError, match="Expected positive n, but got -1"):
        cycle_boundaries(pyclr.constant(0.1), -1)


# ------------------------------------------------------------------------------ imports
def test_without_matplotlib_the_error_says_how_to_install(monkeypatch, diverged):
    for name in ("matplotlib", "matplotlib.axes", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)  # what a missing package looks like to import
    with pytest.raises(ImportError, match=r"pip install 'pyclr-lr\[plot\]'"):
        plot_schedule(pyclr.constant(0.1), 10)
    with pytest.raises(ImportError, match=r"pip install 'pyclr-lr\[plot\]'"):
        diverged[2].plot()
    # what needs no matplotlib still works
    assert cycle_boundaries(pyclr.sgdr(1.0, 10), 25).tolist() == [10.0, 20.0]


def test_imports_stay_lazy_and_pyplot_untouched(tmp_path):
    code = (
        "import sys, numpy as np, pyclr, pyclr.plot\n"
        "assert 'matplotlib' not in sys.modules, 'import pyclr.plot imported matplotlib'\n"
        "assert 'torch' not in sys.modules\n"
        "lrs = np.geomspace(1e-5, 10, 100); x = np.log10(lrs)\n"
        "a = pyclr.analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))\n"
        "a.plot(anchors=True).figure.savefig(sys.argv[1])\n"
        "pyclr.plot.plot_schedule(pyclr.cyclic(0.1, 1.0, step_size_up=5), 50, momentum=True)\n"
        "bad = sorted(m for m in ('matplotlib.pyplot', 'torch', 'keras', 'jax', 'lightning') if m in sys.modules)\n"
        "assert not bad, bad\n"
    )
    out = tmp_path / "lazy.png"
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the default backend, never selected
    subprocess.run([sys.executable, "-c", code, str(out)], check=True, env=env, timeout=120)
    assert out.read_bytes()[:8] == PNG


def test_documentation_pictures_script(tmp_path):
    """docs/img/make_images.py (the README's and the docs' pictures) runs and stays small."""
    import importlib.util

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "docs", "img", "make_images.py")
    spec = importlib.util.spec_from_file_location("pyclr_docs_make_images", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    for draw, name in ((script.range_test_picture, "range_test.png"), (script.schedules_picture, "schedules.png")):
        out = tmp_path / name
        draw(str(out))
        data = out.read_bytes()
        assert data[:8] == PNG and 20_000 < len(data) < 100_000, (name, len(data))
