"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017)."""
from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from .. import _validate as v
from ._program import COS, Cycles, Program, Segment, Wave, cycle_range
from ._restarts import check_cycle_count, cycle_starts
from .base import Schedule, spec
from .cyclic import FOREVER

__all__ = ["SGDR"]


@spec("max_lr", "T_0")
class SGDR(Schedule):
    r"""Cosine annealing with warm restarts, as torch's ``CosineAnnealingWarmRestarts`` stepped with ``step()``.

    Cycle ``i`` has ``T_i = T_0 * T_mult**i`` steps (rounded to an integer, at least 1, when
    ``T_mult`` is fractional; ``T_mult < 1`` shrinks the cycles), and at position ``x`` in it

    .. math:: \mathrm{lr} = \eta_{min} + (\eta_i - \eta_{min}) \frac{1 + \cos(\pi x / T_i)}{2},
              \qquad \eta_i = \mathrm{max\_lr} \cdot \mathrm{decay}^i

    Restart steps come from exact integer arithmetic. After ``cycles`` cycles (if given) the
    schedule holds ``eta_min``. Like torch, ``eta_min`` itself is reached only at the restart.

    Examples
    --------
    >>> import pyclr
    >>> pyclr.sgdr(1.0, 3, T_mult=2).values(9).round(3).tolist()
    [1.0, 0.75, 0.25, 1.0, 0.933, 0.75, 0.5, 0.25, 0.067]

    References
    ----------
    I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017.
    """

    policy: ClassVar[str] = "sgdr"

    max_lr: float
    T_0: int
    T_mult: float = 1
    eta_min: float = 0.0
    decay: float = 1.0
    cycles: int | None = None

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("max_lr", v.nonnegative("max_lr", self.max_lr))
        set_("T_0", v.int_at_least("T_0", self.T_0, 1))
        mult = self.T_mult
        # an int stays an int (its restarts are exact integer products); a bool is no number here
        is_int = isinstance(mult, int) and not isinstance(mult, bool)
        set_("T_mult", int(mult) if is_int else v.positive("T_mult", mult))
        if is_int and mult < 1:
            raise ValueError(f"Expected positive T_mult, but got {mult!r}")
        set_("eta_min", v.nonnegative("eta_min", self.eta_min))
        if self.eta_min > self.max_lr:
            raise ValueError(f"Expected eta_min <= max_lr, but got eta_min={self.eta_min} > max_lr={self.max_lr}")
        set_("decay", v.in_range("decay", self.decay, 0.0, 1.0, low_open=True))
        if self.cycles is not None:
            set_("cycles", v.int_at_least("cycles", self.cycles, 1))
        check_cycle_count("T_mult", self.T_0, self.T_mult, self.cycles)

    def cycles_in(self, n: int) -> float:
        if self.T_mult == 1:  # equal cycles: no list of restarts (it would have n / T_0 entries)
            count = n / self.T_0
            return float(min(count, self.cycles)) if self.cycles is not None else count
        starts = cycle_starts(self.T_0, self.T_mult, n, self.cycles)
        full = int(np.searchsorted(starts, n, side="right")) - 1
        if full >= len(starts) - 1:
            return float(len(starts) - 1)
        return full + (n - starts[full]) / (starts[full + 1] - starts[full])

    def _cosine(self, peak: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray, Wave]:
        return np.full_like(peak, self.eta_min), (peak - self.eta_min) / 2.0, Wave(COS, u=1.0, w=1.0, q=math.pi / length)

    def _program(self, start: int, stop: int, channel: str) -> Program:
        if channel != "lr":
            raise ValueError("sgdr carries no momentum channel")  # unreachable: has_momentum is False
        if self.T_mult == 1:
            end = FOREVER if self.cycles is None else min(self.cycles * self.T_0, FOREVER)
            return self._periodic(0, end, 0, self.T_0, start, stop).add(Program.constant(self.eta_min, end, FOREVER))
        starts = cycle_starts(self.T_0, self.T_mult, stop, self.cycles)
        segments = []
        first = max(0, int(np.searchsorted(starts, start, side="right")) - 1)
        for i in range(first, len(starts) - 1):
            b0, b1 = int(starts[i]), int(starts[i + 1])
            a, b, wave = self._cosine(np.array([self.max_lr * self.decay**i]), b1 - b0)
            segments.append(Segment(b0, b1, float(b0), float(a[0]), float(b[0]), wave))
        program = Program(segments, [], [])
        end, done = int(starts[-1]), len(starts) - 1
        if self.cycles is not None and done == self.cycles:
            return program.add(Program.constant(self.eta_min, end, FOREVER))
        if self.T_mult < 1 and end < stop:  # cycles have shrunk to one step: a restart every step
            tail_end = FOREVER if self.cycles is None else end + self.cycles - done
            tail = self._periodic(end, tail_end, done, 1, start, stop)
            return program.add(tail).add(Program.constant(self.eta_min, tail_end, FOREVER))
        return program

    def _periodic(self, begin: int, end: int, first_cycle: int, length: int, start: int, stop: int) -> Program:
        """Equal cycles of ``length`` steps from ``begin``; cycle j of the block is restart ``first_cycle + j``."""
        j0, j1 = cycle_range(begin, end, float(begin), float(length), start, stop)
        peaks = self.max_lr * np.power(self.decay, np.arange(j0, j1, dtype=np.float64) + first_cycle)
        a, b, wave = self._cosine(peaks, length)
        return Program([], [Cycles(begin, end, float(begin), float(length), j0, a, b, ((0.0, wave),))], [])
