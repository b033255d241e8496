"""Multiplicative cyclic schedules (Portes et al. 2022): one run, many training budgets."""
from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from ._program import Program, Segment, interpolation
from ._restarts import cycle_starts
from .base import Schedule
from .cyclic import FOREVER

__all__ = ["MultiplicativeCycles"]


@dataclass(frozen=True)
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
    _: KW_ONLY
    factor: float = 2
    min_lr: float = 0.0
    n_cycles: int | None = None
    anneal: str = "linear"

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("max_lr", v.nonnegative("max_lr", self.max_lr))
        set_("first_cycle", v.int_at_least("first_cycle", self.first_cycle, 2))
        factor = self.factor
        set_("factor", int(factor) if isinstance(factor, int) else v.positive("factor", factor))
        if self.factor < 1:
            raise ValueError(f"Expected factor >= 1, but got {factor!r}")
        set_("min_lr", v.nonnegative("min_lr", self.min_lr))
        if self.min_lr > self.max_lr:
            raise ValueError(f"Expected min_lr <= max_lr, but got min_lr={self.min_lr} > max_lr={self.max_lr}")
        if self.n_cycles is not None:
            set_("n_cycles", v.int_at_least("n_cycles", self.n_cycles, 1))
        v.choice("anneal", self.anneal, ("linear", "cos"))

    def cycle_ends(self, n: int | None = None) -> list[int]:
        """Last step of every cycle (of the first ``n`` steps when the cycle count is unbounded)."""
        if self.n_cycles is None and n is None:
            raise ValueError("Expected n (a number of steps) for a schedule without n_cycles, but got None")
        stop = FOREVER if n is None else v.int_at_least("n", n, 0)
        starts = cycle_starts(self.first_cycle, self.factor, stop, self.n_cycles)
        ends = (starts[1:] - 1).tolist()
        return [e for e in ends if e < stop]

    def cycles_in(self, n: int) -> float:
        return float(len(self.cycle_ends(n)))

    def _program(self, start: int, stop: int, channel: str) -> Program:
        starts = cycle_starts(self.first_cycle, self.factor, stop, self.n_cycles)
        first = max(0, int(np.searchsorted(starts, start, side="right")) - 1)
        segments = []
        for i in range(first, len(starts) - 1):
            b0, b1 = int(starts[i]), int(starts[i + 1])
            a, b, wave = interpolation(self.anneal, self.max_lr, self.min_lr, b1 - b0 - 1)
            segments.append(Segment(b0, b1, float(b0), a, b, wave))
        program = Program(segments, [], [])
        if self.n_cycles is not None:
            program = program.add(Program.constant(self.min_lr, int(starts[-1]), FOREVER))
        return program
