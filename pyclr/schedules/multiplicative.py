"""Multiplicative cyclic schedules (Portes et al. 2022): one run, many training budgets."""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from .. import _validate as v
from ._program import Cycles, Program, cycle_range, ramp
from ._restarts import check_cycle_count, cycle_starts
from .base import Schedule, spec
from .cyclic import FOREVER

__all__ = ["MultiplicativeCycles"]


@spec("max_lr", "first_cycle")
class MultiplicativeCycles(Schedule):
    r"""Cycles whose lengths grow by ``factor``, each annealing from ``max_lr`` to ``min_lr``.

    Cycle ``i`` has ``L_i = first_cycle * factor**i`` steps (rounded when ``factor`` is
    fractional) and reaches ``min_lr`` exactly on its last step, so the model at the end of
    every cycle stands for a fully annealed run of that budget: one training run gives the
    accuracy-versus-budget curve. :meth:`cycle_ends` lists those steps. Within a cycle the
    LR follows ``anneal`` (``linear`` or ``cos``). After ``n_cycles`` cycles it holds ``min_lr``.

    Examples
    --------
    >>> import pyclr
    >>> s = pyclr.multiplicative_cycles(1.0, 3, factor=2, n_cycles=2)
    >>> s.values(9).round(3).tolist()
    [1.0, 0.5, 0.0, 1.0, 0.8, 0.6, 0.4, 0.2, 0.0]
    >>> s.cycle_ends()
    [2, 8]

    References
    ----------
    J. Portes, D. Blalock, C. Stephenson, J. Frankle, "Fast Benchmarking of Accuracy vs.
    Training Time with Cyclic Learning Rates", arXiv:2206.00832, 2022.
    """

    policy: ClassVar[str] = "multiplicative_cycles"

    max_lr: float
    first_cycle: int
    factor: float = 2
    min_lr: float = 0.0
    n_cycles: int | None = None
    anneal: str = "linear"

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("max_lr", v.nonnegative("max_lr", self.max_lr))
        set_("first_cycle", v.int_at_least("first_cycle", self.first_cycle, 2))
        factor = self.factor
        # an int stays an int (its cycle lengths are exact integer products); a bool is no number here
        is_int = isinstance(factor, int) and not isinstance(factor, bool)
        set_("factor", int(factor) if is_int else v.positive("factor", factor))
        if self.factor < 1:
            raise ValueError(f"Expected factor >= 1, but got {factor!r}")
        set_("min_lr", v.nonnegative("min_lr", self.min_lr))
        if self.min_lr > self.max_lr:
            raise ValueError(f"Expected min_lr <= max_lr, but got min_lr={self.min_lr} > max_lr={self.max_lr}")
        if self.n_cycles is not None:
            set_("n_cycles", v.int_at_least("n_cycles", self.n_cycles, 1))
        v.choice("anneal", self.anneal, ("linear", "cos"))
        check_cycle_count("factor", self.first_cycle, self.factor, self.n_cycles)

    def cycle_ends(self, n: int | None = None) -> list[int]:
        """Last step of every cycle (of the first ``n`` steps when the cycle count is unbounded)."""
        if self.n_cycles is None and n is None:
            raise ValueError("Expected n (a number of steps) for a schedule without n_cycles, but got None")
        stop = FOREVER if n is None else v.int_at_least("n", n, 0)
        if self.factor == 1:  # equal cycles, in closed form
            count = -(-stop // self.first_cycle) if self.n_cycles is None else self.n_cycles
            ends = self.first_cycle * np.arange(1, count + 1, dtype=np.int64) - 1
            return ends[ends < stop].tolist()
        starts = cycle_starts(self.first_cycle, self.factor, stop, self.n_cycles)
        ends = (starts[1:] - 1).tolist()
        return [e for e in ends if e < stop]

    def cycles_in(self, n: int) -> float:
        return float(len(self.cycle_ends(n)))

    def _program(self, start: int, stop: int, channel: str) -> Program:
        if self.factor == 1:
            return self._periodic(start, stop)
        starts = cycle_starts(self.first_cycle, self.factor, stop, self.n_cycles)
        first = max(0, int(np.searchsorted(starts, start, side="right")) - 1)
        segments = []
        for i in range(first, len(starts) - 1):
            b0, b1 = int(starts[i]), int(starts[i + 1])
            segments.append(ramp(self.anneal, b0, b1, float(b0), b1 - b0 - 1, self.max_lr, self.min_lr))
        program = Program(segments, [], [])
        if self.n_cycles is not None:
            program = program.add(Program.constant(self.min_lr, int(starts[-1]), FOREVER))
        return program

    def _periodic(self, start: int, stop: int) -> Program:
        """factor=1: equal cycles as one repeating template (listing them from the first one took
        time and memory in proportion to the step, and hung far into a run)."""
        length = self.first_cycle
        end = FOREVER if self.n_cycles is None else min(self.n_cycles * length, FOREVER)
        j0, j1 = cycle_range(0, end, 0.0, float(length), start, stop)
        one = ramp(self.anneal, 0, length, 0.0, length - 1, self.max_lr, self.min_lr)
        block = Cycles(0, end, 0.0, float(length), j0, np.full(j1 - j0, one.a), np.full(j1 - j0, one.b),
                       ((0.0, one.wave),))
        program = Program([], [block], [])
        if self.n_cycles is not None:
            program = program.add(Program.constant(self.min_lr, end, FOREVER))
        return program
