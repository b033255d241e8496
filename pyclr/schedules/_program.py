"""The compiled form of a schedule: pieces for one window of steps, and the kernel call.

A policy compiles, for a window ``[start, stop)``, into a :class:`Program`: a list of
blocks that the active backend's kernels fill (see ``pyclr/_reference/schedule.py`` for
the piece formula). Joins, shifts and per-group scale factors are transforms of
programs, so every policy composes without new kernels.
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Callable, Sequence

import numpy as np

from .. import _backend

LINEAR, COS, POW = 0, 1, 2


@dataclass(frozen=True)
class Wave:
    """The unit wave ``exp(e*x) * (u + w*F(p + q*x))`` of a piece (``x`` from the piece's origin)."""

    shape: int = LINEAR
    e: float = 0.0
    u: float = 0.0
    w: float = 1.0
    p: float = 0.0
    q: float = 0.0
    k: float = 1.0

    def row(self) -> tuple[float, ...]:
        return (self.e, self.u, self.w, self.p, self.q, self.k)


ONE = Wave(u=1.0, w=0.0)  # constant 1


@dataclass(frozen=True)
class Segment:
    begin: int
    end: int
    origin: float
    a: float
    b: float
    wave: Wave


#: Largest exponent of a decaying or growing envelope anchored at its start: exp(700) ~ 1e304.
_MAX_EXPONENT = 700.0


def ramp(kind: str, begin: int, end: int, origin: float, span: float, v0: float, v1: float,
         power: float = 1.0) -> Segment:
    """The segment on steps [begin, end) going from ``v0`` at x = 0 to ``v1`` at x = ``span`` (x = t - origin).

    With ``s = x/span``: ``linear``: v0 + (v1 - v0) s (torch's ``(end - start) * pct + start``);
    ``cos``: v1 + (v0 - v1)(1 + cos(pi s))/2 (torch's anneal_cos); ``exp``: v0 (v1/v0)^s;
    ``poly``: v1 + (v0 - v1)(1 - s)^power; ``1-sqrt``: v1 + (v0 - v1)(1 - sqrt(s)); ``constant``: v0.

    Every form keeps its intermediate values within the range of its end values (the kernels
    clamp s, and 1 - s, to [0, 1]), so finite, non-negative ends give finite, non-negative values
    at any magnitude: no ``v1 - v0`` divided by a tiny span, no ``v1 / v0`` that overflows.
    """
    def segment(a: float, b: float, wave: Wave, at: float = origin) -> Segment:
        return Segment(begin, end, at, a, b, wave)

    if kind == "constant":
        return segment(v0, 0.0, ONE)
    if span <= 0 or v0 == v1:  # a phase of no length is already at its end value
        return segment(v1, 0.0, ONE)
    if kind == "linear":
        return segment(v0, v1 - v0, Wave(LINEAR, q=1.0 / span))
    if kind == "cos":
        return segment(v1, (v0 - v1) / 2.0, Wave(COS, u=1.0, w=1.0, q=math.pi / span))
    if kind == "exp":
        if not (v0 > 0 and v1 > 0):
            raise ValueError(f"exp interpolation needs positive ends, but got {v0!r} and {v1!r}")  # internal
        exponent = math.log(v1) - math.log(v0)  # v1 / v0 may overflow or underflow
        rate = exponent / span
        if exponent > _MAX_EXPONENT:
            # growth by more than exp(700): anchored at the end, the envelope runs up to 1, not to inf
            return segment(0.0, v1, Wave(LINEAR, e=rate, u=1.0, w=0.0), at=origin + span)
        return segment(0.0, v0, Wave(LINEAR, e=rate, u=1.0, w=0.0))
    if kind == "poly":
        return segment(v1, v0 - v1, Wave(POW, p=1.0, q=-1.0 / span, k=power))
    if kind == "1-sqrt":
        return segment(v1, v0 - v1, Wave(POW, u=1.0, w=-1.0, q=1.0 / span, k=0.5))
    raise ValueError(f"unknown interpolation {kind!r}")  # internal: kinds are validated by the policies


@dataclass(frozen=True)
class Cycles:
    """Cycle j covers ceil(origin + j*period) <= t < ceil(origin + (j+1)*period), j0 <= j < j0 + len(a)."""

    begin: int
    end: int
    origin: float
    period: float
    j0: int
    a: np.ndarray
    b: np.ndarray
    pieces: tuple[tuple[float, Wave], ...]  # (offset within the cycle, wave), offsets increasing from 0


@dataclass(frozen=True)
class Post:
    """out[t] = a + (out[t] - a) * fn(t - shift) on [begin, end): a user's per-step scale function."""

    begin: int
    end: int
    shift: int
    a: float
    fn: Callable[[np.ndarray], np.ndarray]


@dataclass
class Program:
    segments: list[Segment]
    cycles: list[Cycles]
    posts: list[Post]
    #: The largest product of scale factors applied (``Scaled``). Every policy's values stay within
    #: its finite arguments; only a factor above 1 can carry them past the float range, so only
    #: then does ``run`` check them (one more pass over the output).
    factor: float = 1.0

    @classmethod
    def empty(cls) -> "Program":
        return cls([], [], [])

    @classmethod
    def constant(cls, value: float, begin: int, end: int) -> "Program":
        return cls([Segment(begin, end, float(begin), value, 0.0, ONE)], [], [])

    def add(self, other: "Program") -> "Program":
        return Program(self.segments + other.segments, self.cycles + other.cycles, self.posts + other.posts,
                       max(self.factor, other.factor))

    def shift(self, offset: int) -> "Program":
        """The same values ``offset`` steps later."""
        return Program(
            [replace(s, begin=s.begin + offset, end=s.end + offset, origin=s.origin + offset) for s in self.segments],
            [replace(c, begin=c.begin + offset, end=c.end + offset, origin=c.origin + offset) for c in self.cycles],
            [replace(p, begin=p.begin + offset, end=p.end + offset, shift=p.shift + offset) for p in self.posts],
            self.factor,
        )

    def clip(self, begin: int, end: int) -> "Program":
        """Restrict every block to steps in [begin, end)."""
        def cut(block):
            return replace(block, begin=max(block.begin, begin), end=min(block.end, end))

        keep = lambda block: block.begin < block.end  # noqa: E731
        return Program(
            [s for s in map(cut, self.segments) if keep(s)],
            [c for c in map(cut, self.cycles) if keep(c)],
            [p for p in map(cut, self.posts) if keep(p)],
            self.factor,
        )

    def scale(self, factor: float) -> "Program":
        return Program(
            [replace(s, a=s.a * factor, b=s.b * factor) for s in self.segments],
            [replace(c, a=c.a * factor, b=c.b * factor) for c in self.cycles],
            [replace(p, a=p.a * factor) for p in self.posts],
            self.factor * factor,
        )

    # ------------------------------------------------------------------ kernels
    def _segment_tables(self) -> tuple[np.ndarray, np.ndarray]:
        seg_int = np.array([(s.begin, s.end, s.wave.shape) for s in self.segments], dtype=np.int64).reshape(-1, 3)
        seg_flt = np.array([(s.origin, s.a, s.b) + s.wave.row() for s in self.segments], dtype=np.float64).reshape(-1, 9)
        return seg_int, seg_flt

    @staticmethod
    def _cycle_tables(c: Cycles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cyc = np.ascontiguousarray(np.stack([c.a, c.b], axis=1), dtype=np.float64)
        tpl_int = np.array([wave.shape for _, wave in c.pieces], dtype=np.int64)
        tpl_flt = np.array([(lo,) + wave.row() for lo, wave in c.pieces], dtype=np.float64).reshape(-1, 7)
        return cyc, tpl_int, tpl_flt

    def run(self, out: np.ndarray, start: int, threads: int = 1) -> None:
        """Fill ``out`` with the values of steps ``start .. start + len(out) - 1``."""
        kern = _backend.kernels()
        seg_int, seg_flt = self._segment_tables()
        cycle_tables = [(c, self._cycle_tables(c)) for c in self.cycles]

        def fill(lo: int, hi: int) -> None:
            view = out[lo:hi]
            if seg_int.shape[0]:
                kern.fill_segments(view, start + lo, seg_int, seg_flt)
            for c, (cyc, tpl_int, tpl_flt) in cycle_tables:
                kern.fill_cycles(view, start + lo, c.begin, c.end, c.origin, c.period, c.j0, cyc, tpl_int, tpl_flt)

        n = out.shape[0]
        if threads <= 1 or n < 2 * 65536:
            fill(0, n)
        else:
            edges = np.linspace(0, n, threads + 1).astype(np.int64)
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(fill, edges[:-1], edges[1:]))
        for p in self.posts:
            lo, hi = max(p.begin, start), min(p.end, start + n)
            if lo < hi:
                steps = np.arange(lo - p.shift, hi - p.shift, dtype=np.int64)
                view = out[lo - start : hi - start]
                with np.errstate(over="ignore", invalid="ignore"):
                    view[...] = p.a + (view - p.a) * np.asarray(p.fn(steps), dtype=np.float64)
                    finite = np.all(np.isfinite(view))
                if not finite:  # only a scale far above 1 gets here
                    raise ValueError("Expected finite learning rates, but the per-iteration scale_fn scales them to inf")
        if self.factor > 1 and not np.all(np.isfinite(out)):
            raise ValueError(f"Expected finite learning rates, but factor={self.factor!r} scales them beyond "
                             f"the range of {out.dtype}")


def cycle_range(begin: int, end: int, origin: float, period: float, start: int, stop: int) -> tuple[int, int]:
    """Cycles j0 <= j < j1 (j >= 0) that may touch steps [max(begin, start), min(end, stop)); one spare each side."""
    lo, hi = max(begin, start), min(end, stop)
    if lo >= hi:
        return 0, 0
    j0 = max(0, math.floor((lo - origin) / period) - 1)
    j1 = max(j0, math.floor((hi - origin) / period) + 2)
    return j0, j1

