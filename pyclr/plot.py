"""Pictures of range tests and schedules with matplotlib (``pip install 'pyclr-lr[plot]'``).

Two functions, each drawing on a matplotlib ``Axes`` and returning it:

* :func:`plot_range_test`: the raw and smoothed loss against the LR on a log axis, the
  ``base_lr .. max_lr`` range shaded, the divergence point, the verdict (and why) in the
  title, and, when asked, where each anchor library's rule (:func:`pyclr.suggest`) would put
  its single LR. Several sweeps or seeds are overlaid.
* :func:`plot_schedule`: the LR of steps ``0 .. n-1`` (and momentum on a second y axis), with
  the cycle boundaries marked (:func:`cycle_boundaries`). Several schedules are overlaid.

Neither calls ``plt.show()`` or touches pyplot: without ``ax`` they draw on a new
``matplotlib.figure.Figure`` that belongs to no GUI backend and no pyplot state, so they are
safe in scripts, servers and threads; save it with ``ax.figure.savefig("lr.png")`` (PNG,
SVG, PDF: matplotlib picks the writer from the file name). In a notebook, display it with
``ax.figure`` as the cell's last line, or pass an ``ax`` from ``plt.subplots()``.

matplotlib is imported when a function draws, not when this module (or ``pyclr``) is
imported; without it they raise ImportError saying how to install it.

Examples
--------
>>> import numpy as np, pyclr
>>> from pyclr.plot import cycle_boundaries, plot_range_test, plot_schedule
>>> lrs = np.geomspace(1e-5, 10, 200)
>>> x = np.log10(lrs)
>>> a = pyclr.analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))
>>> ax = plot_range_test(a, anchors=["valley", "steepest"])
>>> ax.get_xscale(), ax.get_title().split(":")[0]
('log', 'ok')
>>> ax = plot_schedule(pyclr.cyclic(1e-3, 6e-3, step_size_up=50), 300, momentum=True)
>>> [round(b) for b in cycle_boundaries(pyclr.cyclic(1e-3, 6e-3, step_size_up=50), 300)]
[100, 200]
"""
from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING, Any, Optional, Sequence, Union, cast

import numpy as np

from . import _validate as V

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from .schedules import Schedule

__all__ = ["plot_range_test", "plot_schedule", "cycle_boundaries", "MAX_BOUNDARIES", "MAX_POINTS", "MAX_STEPS"]

#: At most this many cycle boundaries are drawn per schedule; more would fill the axes with a
#: grey wash, so beyond it none are drawn (the legend says how many there were).
MAX_BOUNDARIES = 1000
#: Most steps :func:`plot_schedule` draws: it computes every one (ten million took about a second
#: on a busy 2-core machine, so this many take minutes).
MAX_STEPS = 10**9
#: Schedules longer than this many steps are drawn from each stretch's minimum and maximum
#: (in step order), which keeps every peak and trough of the curve with a bounded number of
#: points; shorter ones are drawn step by step.
MAX_POINTS = 20_000

_INSTALL = "pip install 'pyclr-lr[plot]'"
# the anchor rules' lines: colours away from the curves' first ones, and line styles
_ANCHOR_COLORS = ("#7f3c8d", "#11a579", "#3969ac", "#f2b701", "#e73f74", "#80ba5a", "#e68310", "#008695")
_ANCHOR_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1)))


# ------------------------------------------------------------------------------ matplotlib
def _matplotlib():
    """matplotlib's Figure and Axes classes, or ImportError with the install hint."""
    try:
        from matplotlib.axes import Axes
        from matplotlib.figure import Figure
    except ImportError as exc:  # ModuleNotFoundError where matplotlib is missing, as pytest.importorskip expects
        error = ModuleNotFoundError if isinstance(exc, ModuleNotFoundError) else ImportError
        raise error(f"pyclr.plot needs matplotlib: {_INSTALL} (or pip install matplotlib)", name=exc.name) from exc
    return Figure, Axes


def _axes(ax: Any, figsize: tuple):
    """``ax`` checked, or the Axes of a new pyplot-free Figure."""
    Figure, Axes = _matplotlib()
    if ax is None:
        fig = Figure(figsize=figsize, layout="constrained")
        return fig.add_subplot()
    if not isinstance(ax, Axes):
        raise TypeError(f"Expected a matplotlib Axes (or None) for ax, but got {ax!r} of type {type(ax).__name__}")
    return ax


def _labels(labels: Any, count: int, what: str) -> Optional[list]:
    if labels is None:
        return None
    if isinstance(labels, str):
        labels = [labels]
    if not isinstance(labels, (list, tuple)) or not all(isinstance(s, str) for s in labels):
        raise TypeError(f"Expected a list of strings (or None) for labels, but got {labels!r}")
    if len(labels) != count:
        raise ValueError(f"Expected {count} labels, one per {what}, but got {len(labels)}: {list(labels)!r}")
    return list(labels)


def _fmt(value: float) -> str:
    return f"{value:.3g}"


# ------------------------------------------------------------------------------ range tests
class _Test:
    """One range test to draw: its analysis and one (raw, smoothed) curve per run."""

    def __init__(self, analysis: Any, runs: list, label: str, stop: Optional[str] = None):
        self.analysis = analysis
        # (raw lrs, raw losses, smoothed lrs, smoothed losses) per run; any may be empty
        self.runs = runs
        self.label = label
        self.stop = stop  # a RangeTestResult's stop_reason when it stopped early


def _arr(values: Any) -> np.ndarray:
    return np.empty(0) if values is None else np.asarray(values, dtype=np.float64).ravel()


def _from_analysis(a: Any) -> list:
    if a.runs:
        return [(_arr(r.lrs), _arr(r.losses), _arr(r.lrs), _arr(r.smoothed)) for r in a.runs]
    return [(_arr(a.lrs), _arr(a.losses), _arr(a.lrs), _arr(a.smoothed))]


def _as_test(obj: Any, name: str, label: str) -> _Test:
    from .finder import Analysis
    from .finder.range_result import RangeTestResult, RangeTestRuns

    if isinstance(obj, Analysis):
        return _Test(obj, _from_analysis(obj), label)
    if isinstance(obj, RangeTestResult):
        a = obj._analysis if obj._analysis is not None else obj.analyze()
        stop = obj.stop_reason if obj.stop_reason != "num_iter" else None
        return _Test(a, [(_arr(obj.lrs), _arr(obj.losses), _arr(a.lrs), _arr(a.smoothed))], label, stop)
    if isinstance(obj, RangeTestRuns):
        a = obj.analyze()
        # analyze() keeps runs[i] for sweep i, also for a sweep that logged nothing
        per = a.runs if len(a.runs) == len(obj.runs) else [None] * len(obj.runs)
        runs = [(_arr(r.lrs), _arr(r.losses), _arr(None if p is None else p.lrs),
                 _arr(None if p is None else p.smoothed)) for r, p in zip(obj.runs, per)]
        return _Test(a, runs, label)
    hint = ""
    if hasattr(obj, "lrs") and hasattr(obj, "losses"):  # a log from pyclr.load_log, say
        hint = "; to draw a log, pass pyclr.analyze(log.lrs, log.losses)"
    raise TypeError(
        f"Expected a pyclr.Analysis, a RangeTestResult or RangeTestRuns (or a list of them) for "
        f"{name}, but got {obj!r:.80} of type {type(obj).__name__}{hint}")


def _tests(obj: Any, labels: Any) -> list:
    name = "result_or_analysis"
    if isinstance(obj, (list, tuple)):
        if not obj:
            raise ValueError(f"Expected at least one range test in {name}, but got an empty {type(obj).__name__}")
        given = _labels(labels, len(obj), "range test")
        return [_as_test(item, f"{name}[{i}]", given[i] if given else f"test {i}") for i, item in enumerate(obj)]
    given = _labels(labels, 1, "range test")
    return [_as_test(obj, name, given[0] if given else "")]


def _anchor_methods(anchors: Any) -> tuple:
    from .finder.anchors import METHODS

    if isinstance(anchors, (bool, np.bool_)):
        return METHODS if anchors else ()
    if isinstance(anchors, str):
        anchors = [anchors]
    if not isinstance(anchors, (list, tuple)):
        raise TypeError(f"Expected a bool or a list of method names from {METHODS} for anchors, "
                        f"but got {anchors!r} of type {type(anchors).__name__}")
    return tuple(V.choice(f"anchors[{i}]", m, METHODS) for i, m in enumerate(anchors))


def _suggestion(method: str, runs: list) -> tuple:
    """The rule's LR on each run, combined by the median in log-LR (as :func:`pyclr.analyze`
    combines runs), and how many runs it answered on."""
    from .finder import suggest

    found = []
    for lrs, losses, _, _ in runs:
        if lrs.size == 0:
            continue
        try:
            found.append(suggest(lrs, losses, method))
        except ValueError:  # the library itself gives no answer here (too few points, ...)
            continue
    if not found:
        return None, 0
    return float(10 ** np.median(np.log10(found))), len(found)


def _short_reasons(reasons: Sequence[str], width: int = 78, lines: int = 3) -> list:
    """The reasons without their parenthesised figures, wrapped to at most ``lines`` lines."""
    import re

    text = " ".join(re.sub(r"\s*\([^()]*\)", "", r).strip() for r in reasons)
    wrapped = textwrap.wrap(text, width)
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = textwrap.shorten(wrapped[-1] + " ...", width - 2, placeholder="") + " ..."
    return wrapped


def _title(tests: list) -> str:
    if len(tests) == 1:
        a = tests[0].analysis
        head = f"{a.verdict}"
        notes = []
        if a.base_lr is not None and a.max_lr is not None:
            head += f": base_lr {_fmt(a.base_lr)}, max_lr {_fmt(a.max_lr)}"
            if a.verdict != "ok":
                notes.append("provisional")
        if a.runs:  # a sweep that logged nothing is in runs but not in the combination
            notes.append(f"{sum(r.lrs is not None and len(r.lrs) > 0 for r in a.runs)} runs combined")
            spread = a.spread.get("max_lr") if a.spread else None
            if spread is not None and math.isfinite(spread):
                notes.append(f"max_lr spread x{spread:.2f}")
        if notes:
            head += f" ({', '.join(notes)})"
        if tests[0].label:
            head = f"{tests[0].label}: {head}"
        reasons = _short_reasons(a.reasons)  # an "ok" may carry a note too (a sweep left out)
        return "\n".join([head] + reasons)
    head = "; ".join(f"{t.label}: {t.analysis.verdict}" for t in tests)
    lines = textwrap.wrap(head, 78)
    bad = next((t for t in tests if t.analysis.verdict != "ok"), None)
    if bad is not None:
        lines += _short_reasons([f"{bad.label}: " + " ".join(bad.analysis.reasons)], lines=2)
    return "\n".join(lines)


def _finite(x: np.ndarray, y: np.ndarray) -> tuple:
    keep = np.isfinite(x) & np.isfinite(y) & (x > 0)
    return x[keep], y[keep]


def _loss_at(lr: float, runs: list) -> float:
    """The smoothed loss at ``lr`` (median over runs), interpolated in log-LR."""
    values = []
    for _, _, sx, sy in runs:
        sx, sy = _finite(sx, sy)
        if sx.size:
            values.append(float(np.interp(np.log10(lr), np.log10(sx), sy)))
    return float(np.median(values)) if values else float("nan")


def _y_limits(tests: list) -> Optional[tuple]:
    """Limits that show the descent and the turn-up but not the whole blow-up of a diverged
    test (which would flatten everything else to a line at the bottom)."""
    starts, lows, highs = [], [], []
    for t in tests:
        for rx, ry, sx, sy in t.runs:
            _, ry = _finite(rx, ry)
            _, sy = _finite(sx, sy)
            if ry.size:
                starts.append(float(np.median(ry[:5])))
                lows.append(float(np.percentile(ry, 1)))
                highs.append(float(ry.max()))
            if sy.size:
                starts.append(float(sy[0]))
                lows.append(float(sy.min()))
                highs.append(float(sy.max()))
    if not starts:
        return None
    start, low, high = max(starts), min(lows), max(highs)
    # room above the start for the turn-up: half the descent, and a quarter of the loss itself
    # for a curve that barely fell (or only rose)
    top = min(high, start + max(0.5 * (start - low), 0.25 * abs(start)))
    if not top > low:
        return None
    pad = 0.06 * (top - low)
    return low - pad, top + pad


def plot_range_test(result_or_analysis: Any, ax: Optional[Axes] = None,
                    anchors: Union[bool, str, Sequence[str]] = False, *,
                    labels: Optional[Sequence[str]] = None) -> Axes:
    """Draw a range test: loss against LR, the bounds, the divergence point and the verdict.

    The raw loss of every step (thin, faint) and the smoothed loss :func:`pyclr.analyze`
    used (solid) against the LR on a log axis; ``base_lr .. max_lr`` shaded and labelled
    (hatched when the verdict is not ``"ok"`` and the bounds are provisional); a cross where
    the loss diverged (``Analysis.divergence_lr``, or the last step of a test that stopped
    early); the verdict, the bounds and the reasons (every verdict but ``"ok"`` has some; an
    ``"ok"`` of combined runs may carry a note) without their figures, in the title. The y axis
    shows the descent and the turn-up, not all of a blow-up.

    Parameters
    ----------
    result_or_analysis : Analysis, RangeTestResult, RangeTestRuns, or a list or tuple of them
        What to draw. An :class:`~pyclr.Analysis` of several combined runs (``a.runs``) and a
        ``RangeTestRuns`` draw every run in its own colour under the combined bounds. A list
        overlays several tests, each in its own colour with its own shaded bounds (to combine
        seeds into one pair of bounds instead, pass ``pyclr.analyze([lrs...], [losses...])``).
        A ``RangeTestResult`` is analysed with :meth:`~RangeTestResult.analyze`'s defaults.
    ax : matplotlib.axes.Axes, optional
        Where to draw. By default a new ``matplotlib.figure.Figure`` (no pyplot, no GUI
        backend; 7 x 4.4 inches, constrained layout) with one Axes.
    anchors : bool or list of str
        ``True`` marks the LR every rule in :data:`pyclr.finder.METHODS` suggests
        (:func:`pyclr.suggest` on the raw log, as each library would have printed it); a list
        marks the named ones. On several runs each rule's LRs are combined by their median in
        log-LR. A rule that gives no answer on this log (too few points after its own stop)
        is listed in the legend as ``no answer``.
    labels : list of str, optional
        One label per test of a list (default ``"test 0"``, ``"test 1"``, ...), or one for a
        single test (shown in the title).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes drawn on (``ax.figure.savefig(path)`` writes the picture).

    Raises
    ------
    TypeError
        ``result_or_analysis``, ``ax``, ``anchors`` or ``labels`` of a wrong type.
    ValueError
        An unknown anchor method, an empty list, or a number of labels that does not match.
    ImportError
        Without matplotlib (``pip install 'pyclr-lr[plot]'``).

    Examples
    --------
    >>> import numpy as np, pyclr
    >>> from pyclr.plot import plot_range_test
    >>> lrs = np.geomspace(1e-5, 10, 200)
    >>> x = np.log10(lrs)
    >>> a = pyclr.analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))
    >>> ax = plot_range_test(a, anchors=True)
    >>> ax.get_title().splitlines()[0] == f"ok: base_lr {a.base_lr:.3g}, max_lr {a.max_lr:.3g}"
    True
    >>> ax.figure.savefig("range_test.png")     # doctest: +SKIP
    """
    tests = _tests(result_or_analysis, labels)
    methods = _anchor_methods(anchors)
    ax = _axes(ax, (7.0, 4.4))
    from matplotlib.lines import Line2D
    from matplotlib.transforms import blended_transform_factory

    single = len(tests) == 1
    top_text = blended_transform_factory(ax.transData, ax.transAxes)
    colour = 0
    for t in tests:
        a = t.analysis
        test_colour = f"C{colour}"
        for i, (rx, ry, sx, sy) in enumerate(t.runs):
            c = f"C{colour}"
            many = len(t.runs) > 1
            if single:
                raw_label = "loss" if not many else ("loss, each run" if i == 0 else "_nolegend_")
                sm_label = "smoothed" if not many else f"smoothed, run {i}"
            else:
                raw_label = "_nolegend_"
                sm_label = t.label if i == 0 else "_nolegend_"
            x, y = _finite(rx, ry)
            if x.size:
                ax.plot(x, y, color=c if single else test_colour, lw=0.8, alpha=0.35, label=raw_label)
            x, y = _finite(sx, sy)
            if x.size:
                ax.plot(x, y, color=c if single else test_colour, lw=1.8, label=sm_label)
            if single and many:
                colour += 1
        if not single or len(t.runs) == 1:
            colour += 1
        span_colour = "tab:green" if single else test_colour
        if a.base_lr is not None and a.max_lr is not None and a.max_lr > a.base_lr > 0:
            provisional = a.verdict != "ok"
            name = "base_lr .. max_lr" + (" (provisional)" if provisional else "")
            what = f"{name}: {_fmt(a.base_lr)} .. {_fmt(a.max_lr)}"
            ax.axvspan(a.base_lr, a.max_lr, color=span_colour, alpha=0.12 if provisional else 0.18,
                       hatch="//" if provisional else None, lw=0,
                       label=what if single else f"{t.label}: {_fmt(a.base_lr)} .. {_fmt(a.max_lr)}")
            if single and a.max_lr / a.base_lr >= 2:  # each bound's name outside its edge
                for lr, text, ha in ((a.base_lr, "base_lr ", "right"), (a.max_lr, " max_lr", "left")):
                    ax.text(lr, 0.97, text, transform=top_text, ha=ha, va="top", fontsize=8, color="darkgreen")
            elif single:  # too close for two names: one over the middle
                ax.text(math.sqrt(a.base_lr * a.max_lr), 0.97, "base_lr .. max_lr", transform=top_text, ha="center",
                        va="top", fontsize=8, color="darkgreen")
        point, why = a.divergence_lr, "diverged"
        if point is None and t.stop is not None and t.runs and t.runs[0][0].size:
            point, why = float(t.runs[0][0][-1]), f"stopped: {t.stop}"
        if point is not None and point > 0:
            y = _loss_at(point, t.runs)
            if not math.isfinite(y):
                y = ax.get_ylim()[1]
            ax.plot([point], [y], "X", color="tab:red", ms=9, mec="white", mew=0.8, zorder=5,
                    label=f"{why} at {_fmt(point)}" if single else (why if t is tests[0] else "_nolegend_"))
    extra = []
    for k, method in enumerate(methods):
        style: dict[str, Any] = dict(color=_ANCHOR_COLORS[k % len(_ANCHOR_COLORS)],
                                     ls=_ANCHOR_STYLES[k % len(_ANCHOR_STYLES)], lw=1.3)
        drawn = False
        for t in tests:
            lr, count = _suggestion(method, t.runs)
            if lr is None:
                continue
            label = "_nolegend_"
            if not drawn:
                label = method if not single else f"{method}: {_fmt(lr)}" + (
                    f" (median of {count})" if len(t.runs) > 1 else "")
            ax.axvline(lr, **style, label=label)
            drawn = True
        if not drawn:
            extra.append(Line2D([], [], **style, label=f"{method}: no answer"))
    ax.set_xscale("log")
    limits = _y_limits(tests)
    if limits is not None:
        ax.set_ylim(*limits)
    ax.set_xlabel("learning rate")
    ax.set_ylabel("loss")
    ax.set_title(_title(tests), fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    handles, texts = ax.get_legend_handles_labels()
    handles += extra
    if handles:
        # a range test starts high on the left and turns up on the right: lower left is free
        ax.legend(handles=handles, fontsize=7.5, loc="lower left", framealpha=0.85)
    return ax


# ------------------------------------------------------------------------------ schedules
def _schedule_types():
    from .schedules import (SGDR, Constant, Cyclic, Join, MultiplicativeCycles, OneCycle, PerGroup, Scaled,
                            StepDecay, WarmupDecay)

    return SGDR, Constant, Cyclic, Join, MultiplicativeCycles, OneCycle, PerGroup, Scaled, StepDecay, WarmupDecay


def _boundaries(s: Any, n: int, limit: Optional[int]) -> Optional[np.ndarray]:
    """Cycle boundaries of ``s`` in ``(0, n)``, or None when there are more than ``limit``."""
    from .schedules._restarts import cycle_starts

    SGDR, Constant, Cyclic, Join, Multiplicative, OneCycle, PerGroup, Scaled, StepDecay, WarmupDecay = _schedule_types()
    too_many = (lambda count: limit is not None and count > limit)
    empty = np.empty(0)
    if isinstance(s, Cyclic):
        period = s.period
        # cycle k + 1 starts at k * period; with a cycle limit, the last cycle's end is the tail's start
        count = math.ceil(n / period) if s.cycles is None else min(s.cycles - 1, math.ceil(n / period))
        if too_many(count):
            return None
        points = list(np.arange(1, count + 1, dtype=np.float64) * period)
        if s.cycles is not None:  # the cycles end where the tail (or the hold) begins
            points.append(float(s.cycles_end))
            if s.tail_steps:
                points.append(float(s.cycles_end + s.tail_steps))
        return _inside(points, n)
    if isinstance(s, SGDR) or isinstance(s, Multiplicative):
        first, factor, limit_cycles = ((s.T_0, s.T_mult, s.cycles) if isinstance(s, SGDR)
                                       else (s.first_cycle, s.factor, s.n_cycles))
        if factor == 1:
            count = math.ceil(n / first) if limit_cycles is None else min(limit_cycles, math.ceil(n / first))
            if too_many(count):
                return None
            return _inside(first * np.arange(1, count + 1, dtype=np.float64), n)
        starts = cycle_starts(first, factor, n, limit_cycles)[1:]
        starts = starts[starts < n]
        return None if too_many(starts.size) else starts.astype(np.float64)
    if isinstance(s, OneCycle):
        return _inside([float(s.total_steps)], n)  # one cycle: after it, the LR holds
    if isinstance(s, WarmupDecay):
        return _inside([float(s.total_steps - (1 if s.skip_start else 0))], n)
    if isinstance(s, (Scaled,)):
        return _boundaries(s.schedule, n, limit)
    if isinstance(s, PerGroup):
        parts = []
        for group in s.schedules:
            part = _boundaries(group, n, limit)
            if part is None:
                return None
            parts.append(part)
        merged = np.unique(np.concatenate(parts))
        return None if too_many(merged.size) else merged
    if isinstance(s, Join):
        edges = (0,) + tuple(s.boundaries) + (None,)
        points = [float(b) for b in s.boundaries]
        for child, lo, hi in zip(s.schedules, edges, edges[1:]):
            if lo >= n:
                break
            stop = n - lo if hi is None else min(hi, n) - lo
            inner = _boundaries(child, stop, limit)
            if inner is None:
                return None
            points.extend(inner + lo)
        merged = _inside(np.unique(np.asarray(points, dtype=np.float64)), n)
        return None if too_many(merged.size) else merged
    return empty  # constant, step decay and other policies without cycles


def _inside(points: Any, n: int) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    return np.unique(points[(points > 0) & (points < n)])


def cycle_boundaries(schedule: Schedule, n: int) -> np.ndarray:
    """The steps in ``1 .. n-1`` at which a new cycle of ``schedule`` begins.

    What :func:`plot_schedule` marks. A boundary ``b`` lies between steps ``b - 1`` and ``b``
    (it may be fractional where a cyclic step size is):

    * ``cyclic``: every ``k * (step_size_up + step_size_down)``, the return to ``base_lr``;
      with ``cycles`` the end of the last cycle (where the tail or the hold begins) and the
      end of the tail.
    * ``sgdr`` and ``multiplicative_cycles``: every restart, from exact integer arithmetic
      (so ``T_mult`` and ``factor`` restarts land where the schedule restarts); with a cycle
      limit, the step where the LR starts to hold.
    * ``one_cycle`` and ``warmup_decay`` (``warmup_cosine``, ``wsd``): one cycle, so only its
      end, ``total_steps``, when the window runs past it.
    * ``join``: the join points and each part's own boundaries; ``per_group``: those of every
      group; a scaled schedule: those of the schedule it scales.
    * ``constant``, ``step_decay``: none.

    Parameters
    ----------
    schedule : Schedule
        A pyclr schedule.
    n : int
        Number of steps (>= 1).

    Returns
    -------
    numpy.ndarray of float64
        The boundaries, increasing.

    Examples
    --------
    >>> import pyclr
    >>> from pyclr.plot import cycle_boundaries
    >>> cycle_boundaries(pyclr.sgdr(0.1, 10, T_mult=2), 100).tolist()
    [10.0, 30.0, 70.0]
    >>> cycle_boundaries(pyclr.cyclic(0.01, 0.1, step_size_up=5, cycles=3, tail_steps=10), 100).tolist()
    [10.0, 20.0, 30.0, 40.0]
    >>> cycle_boundaries(pyclr.one_cycle(0.1, 50), 80).tolist()
    [50.0]
    """
    schedule = V.schedule("schedule", schedule)
    n = V.int_at_least("n", n, 1)
    # without a limit there is always a list (None only says "more than the limit")
    return cast(np.ndarray, _boundaries(schedule, n, None))


def _schedule_label(s: Any) -> str:
    """A short call-like label: ``cyclic(0.001, 0.006, 200)``, ``sgdr(0.005, 100, T_mult=2)``.

    Fields without a default are shown by value, others only where they differ from their
    default (at most four in all)."""
    import dataclasses

    if not dataclasses.is_dataclass(s):
        return type(s).__name__

    def show(value: Any) -> str:
        if hasattr(value, "policy"):
            return value.policy or type(value).__name__
        if isinstance(value, tuple):
            return "[" + ", ".join(show(x) for x in value) + "]"
        if isinstance(value, float):
            return _fmt(value)
        return str(value)

    parts = []
    for f in dataclasses.fields(s):
        value = getattr(s, f.name)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            parts.append(show(value))
            continue
        if value is None or value == f.default:
            continue
        if f.name == "step_size_down" and value == getattr(s, "step_size_up", None):
            continue  # the default: as long as the way up
        if f.name == "step_size_up" and len(parts) == 2:
            parts.append(show(value))  # cyclic(base_lr, max_lr, step_size_up), as it is called
            continue
        parts.append(f"{f.name}={show(value)}")
    text = ", ".join(parts[:4]) + (", ..." if len(parts) > 4 else "")
    return f"{getattr(s, 'policy', '') or type(s).__name__}({text})"


def _series(get: Any, n: int) -> tuple:
    """Steps and values of ``get(count, start)`` over ``0 .. n-1``: every step up to
    :data:`MAX_POINTS`, else each stretch's minimum and maximum in step order (computed in
    chunks, so a long run never needs one array of all its steps)."""
    if n <= MAX_POINTS:
        values = get(n, 0)
        return np.arange(n, dtype=np.float64), values
    bucket = -(-n // (MAX_POINTS // 2))
    chunk = bucket * max(1, (1 << 22) // bucket)  # whole stretches, about 4 million steps (32 MiB) at a time
    xs, ys = [], []
    for start in range(0, n, chunk):
        count = min(chunk, n - start)
        values = np.atleast_2d(get(count, start))
        buckets = -(-count // bucket)
        pad = buckets * bucket - count
        if pad:
            values = np.pad(values, ((0, 0), (0, pad)), mode="edge")
        blocks = values.reshape(values.shape[0], buckets, bucket)
        lo_i, hi_i = blocks.argmin(axis=-1), blocks.argmax(axis=-1)
        lo_v = np.take_along_axis(blocks, lo_i[..., None], -1)[..., 0]
        hi_v = np.take_along_axis(blocks, hi_i[..., None], -1)[..., 0]
        first = lo_i <= hi_i
        origin = start + bucket * np.arange(buckets)
        # both extremes of a stretch, the earlier first; one x row serves every group
        x = np.stack([origin + np.minimum(lo_i[0], hi_i[0]), origin + np.maximum(lo_i[0], hi_i[0])], -1).ravel()
        y = np.stack([np.where(first, lo_v, hi_v), np.where(first, hi_v, lo_v)], -1).reshape(values.shape[0], -1)
        xs.append(np.minimum(x, n - 1).astype(np.float64))
        ys.append(y)
    y = np.concatenate(ys, axis=-1)
    return np.concatenate(xs), y if y.shape[0] > 1 else y[0]


def plot_schedule(schedule_or_list: Union[Schedule, Sequence[Schedule]], n: int, ax: Optional[Axes] = None,
                  momentum: bool = False, *, labels: Optional[Sequence[str]] = None,
                  boundaries: bool = True) -> Axes:
    """Draw the LR of steps ``0 .. n-1`` of one or several schedules, with cycle boundaries.

    x is the optimizer step (the step convention of :meth:`pyclr.Schedule.values`: point
    ``t`` is the LR used by step ``t``), y the LR. Each schedule gets its own colour and a
    legend entry; a per-group schedule draws one line per group. Dotted vertical lines in
    the schedule's colour mark its cycle boundaries (:func:`cycle_boundaries`), unless there
    are more than :data:`MAX_BOUNDARIES` of them. Runs longer than :data:`MAX_POINTS` steps
    are drawn from each stretch's extremes, so no peak or trough is lost.

    Parameters
    ----------
    schedule_or_list : Schedule or list or tuple of Schedule
        What to draw.
    n : int
        Number of steps (>= 1).
    ax : matplotlib.axes.Axes, optional
        Where to draw. By default a new ``matplotlib.figure.Figure`` (no pyplot, no GUI
        backend; 7 x 3.8 inches, constrained layout) with one Axes.
    momentum : bool
        Also draw the momentum of each schedule that carries a momentum channel
        (:meth:`pyclr.Schedule.momentum`; ``cyclic`` and ``one_cycle`` do), dashed, on a
        second y axis sharing x (a twin Axes, the last of ``ax.figure.axes``). Schedules
        without one are drawn without it (and with none, no second axis is made).
    labels : list of str, optional
        One legend label per schedule (default: the policy and the parameters that differ
        from their defaults, e.g. ``cyclic(base_lr=0.001, max_lr=0.006, ...)``).
    boundaries : bool
        Mark the cycle boundaries (default True).

    Returns
    -------
    matplotlib.axes.Axes
        The Axes of the LR (``ax.figure.savefig(path)`` writes the picture).

    Raises
    ------
    TypeError
        Not a schedule (or a list of them), ``n`` not an integer, a wrong ``ax``, ``momentum``,
        ``boundaries`` or ``labels``.
    ValueError
        ``n < 1`` or above :data:`MAX_STEPS`, an empty list, or a number of labels that does not match.
    ImportError
        Without matplotlib (``pip install 'pyclr-lr[plot]'``).

    Examples
    --------
    >>> import pyclr
    >>> from pyclr.plot import plot_schedule
    >>> ax = plot_schedule([pyclr.one_cycle(0.1, 1000), pyclr.sgdr(0.1, 100, T_mult=2)], 1000, momentum=True)
    >>> len(ax.get_lines()), len(ax.figure.axes)
    (2, 2)
    >>> ax.figure.savefig("schedules.svg")     # doctest: +SKIP
    """
    name = "schedule_or_list"
    if isinstance(schedule_or_list, (list, tuple)):
        if not schedule_or_list:
            raise ValueError(f"Expected at least one schedule in {name}, "
                             f"but got an empty {type(schedule_or_list).__name__}")
        schedules = [V.schedule(f"{name}[{i}]", s) for i, s in enumerate(schedule_or_list)]
    else:
        schedules = [V.schedule(name, schedule_or_list)]
    n = V.int_at_least("n", n, 1)
    if n > MAX_STEPS:
        raise ValueError(f"Expected n of at most {MAX_STEPS:,} steps to draw, but got {n!r}")
    momentum = V.boolean("momentum", momentum)
    boundaries = V.boolean("boundaries", boundaries)
    given = _labels(labels, len(schedules), "schedule")
    names = given or [_schedule_label(s) for s in schedules]
    ax = _axes(ax, (7.0, 3.8))

    twin = None
    boundary_labelled = False
    momentum_missing = []
    notes = []  # legend lines without a drawn artist
    for i, (s, label) in enumerate(zip(schedules, names)):
        colour = f"C{i}"
        x, y = _series(lambda count, start: s.values(count, start=start), n)
        if y.ndim == 1:
            ax.plot(x, y, color=colour, lw=1.6, label=label)
        else:
            for g, row in enumerate(y):
                ax.plot(x, row, color=colour, lw=1.6, alpha=1.0 - 0.6 * g / max(1, len(y) - 1),
                        label=f"{label}, group {g}")
        if momentum and s.has_momentum:
            if twin is None:
                twin = ax.twinx()
                twin.set_ylabel("momentum")
            mx, my = _series(lambda count, start: s.momentum(count, start=start), n)
            for g, row in enumerate(np.atleast_2d(my)):
                twin.plot(mx, row, color=colour, lw=1.1, ls="--", alpha=0.8,
                          label=("momentum" if len(schedules) == 1 else f"{label} momentum")
                          + (f", group {g}" if my.ndim > 1 else ""))
        elif momentum:
            momentum_missing.append(label)
        if boundaries:
            points = _boundaries(s, n, MAX_BOUNDARIES)
            if points is None:
                notes.append(f"{label}: over {MAX_BOUNDARIES} cycle boundaries, not drawn")
            elif points.size:
                ax.vlines(points, 0, 1, transform=ax.get_xaxis_transform(), colors=colour, linestyles=":", lw=1.0,
                          alpha=0.7, label="_nolegend_" if boundary_labelled else "cycle boundaries")
                boundary_labelled = True
    ax.set_xlim(0, max(n - 1, 1))
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate")
    ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
    ax.grid(True, alpha=0.3)
    if len(schedules) == 1:
        s = schedules[0]
        cycles = s.cycles_in(n)
        what = f"{n} steps" if cycles is None else f"{cycles:.3g} cycle{'' if cycles == 1 else 's'} in {n} steps"
        title = f"{names[0]}\n{what}"
        ax.set_title(title, fontsize=10)
    handles, texts = ax.get_legend_handles_labels()
    if twin is not None:
        more, more_texts = twin.get_legend_handles_labels()
        handles, texts = handles + more, texts + more_texts
    # the curves first, then the markers
    order = sorted(range(len(texts)), key=lambda k: texts[k] == "cycle boundaries")
    handles, texts = [handles[k] for k in order], [texts[k] for k in order]
    if momentum_missing and twin is not None:
        notes.append("no momentum: " + ", ".join(momentum_missing))
    if notes:
        from matplotlib.lines import Line2D

        handles += [Line2D([], [], ls=" ") for _ in notes]
        texts += notes
    # below the axes: over them it would hide some schedule's line (and a twin axis draws over
    # a legend of the LR axis)
    from matplotlib.transforms import ScaledTranslation

    below_label = ax.transAxes + ScaledTranslation(0, -30 / 72, ax.figure.dpi_scale_trans)  # under "step"
    ax.legend(handles, texts, fontsize=7.5, loc="upper center", bbox_to_anchor=(0.5, 0), bbox_transform=below_label,
              ncol=1 if max(len(t) for t in texts) > 40 else 2, frameon=False)
    return ax
