"""The one-cycle policy (Smith & Topin 2017), exactly as torch's ``OneCycleLR``."""
from __future__ import annotations

import math
from typing import ClassVar, cast

from .. import _validate as v
from ._program import Program, ramp
from .base import Schedule, spec
from .cyclic import FOREVER

__all__ = ["OneCycle"]


@spec("max_lr", "total_steps")
class OneCycle(Schedule):
    r"""One-cycle learning rate, identical to torch's ``OneCycleLR`` on every step it defines.

    ``initial_lr = max_lr / div_factor`` and ``min_lr = initial_lr / final_div_factor``. Two
    phases (default): ``initial_lr -> max_lr`` ending at step ``pct_start*T - 1``, then
    ``max_lr -> min_lr`` ending at ``T - 1``. With ``three_phase=True``: up, back down to
    ``initial_lr`` at ``2*pct_start*T - 2``, then to ``min_lr`` at ``T - 1``. Each phase
    interpolates with ``anneal_strategy`` (``cos``: ``b + (a - b)(1 + cos(pi p))/2``;
    ``linear``: ``a + p (b - a)``) where ``p`` is the position within the phase.

    Momentum moves inversely between ``max_momentum`` and ``base_momentum`` (held at
    ``max_momentum`` in the third phase), as in torch.

    ``T = total_steps``, or ``epochs * steps_per_epoch``. Past step ``T - 1`` the schedule
    holds ``min_lr`` (``overrun="hold"``) or raises (``overrun="raise"``); it never
    extrapolates (torch's step ``T`` overshoots, and goes negative with linear annealing).

    Examples
    --------
    >>> import pyclr
    >>> pyclr.one_cycle(1.0, 10).values(4).round(4).tolist()
    [0.04, 0.52, 1.0, 0.9505]

    References
    ----------
    L. N. Smith and N. Topin, "Super-Convergence", arXiv:1708.07120, 2017.
    """

    policy: ClassVar[str] = "one_cycle"

    max_lr: float
    total_steps: int | None = None
    epochs: int | None = None
    steps_per_epoch: int | None = None
    pct_start: float = 0.3
    anneal_strategy: str = "cos"
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    three_phase: bool = False
    base_momentum: float | None = 0.85
    max_momentum: float | None = 0.95
    overrun: str = "hold"

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("max_lr", v.nonnegative("max_lr", self.max_lr))
        if self.total_steps is None:
            if self.epochs is None or self.steps_per_epoch is None:
                raise ValueError("You must define either total_steps OR (epochs AND steps_per_epoch)")
            epochs = v.int_at_least("epochs", self.epochs, 1)
            per_epoch = v.int_at_least("steps_per_epoch", self.steps_per_epoch, 1)
            set_("total_steps", epochs * per_epoch)
            set_("epochs", None)
            set_("steps_per_epoch", None)
        else:
            set_("total_steps", v.int_at_least("total_steps", self.total_steps, 1))
            if self.epochs is not None or self.steps_per_epoch is not None:
                raise ValueError("Expected either total_steps or epochs and steps_per_epoch, but got both")
        set_("pct_start", v.in_range("pct_start", self.pct_start, 0.0, 1.0))
        v.choice("anneal_strategy", self.anneal_strategy, ("cos", "linear"))
        set_("div_factor", v.positive("div_factor", self.div_factor))
        set_("final_div_factor", v.positive("final_div_factor", self.final_div_factor))
        if not math.isfinite(self.max_lr / self.div_factor):
            raise ValueError(f"Expected a finite initial LR max_lr / div_factor, but got {self.max_lr!r} / {self.div_factor!r}")
        if not math.isfinite(self.max_lr / self.div_factor / self.final_div_factor):
            raise ValueError("Expected a finite final LR max_lr / div_factor / final_div_factor, but got "
                             f"{self.max_lr!r} / {self.div_factor!r} / {self.final_div_factor!r}")
        set_("three_phase", v.boolean("three_phase", self.three_phase))
        base_m, max_m = v.momentum_bounds(self.base_momentum, self.max_momentum)
        set_("base_momentum", base_m)
        set_("max_momentum", max_m)
        v.choice("overrun", self.overrun, ("hold", "raise"))

    @property
    def has_momentum(self) -> bool:
        return self.base_momentum is not None

    def cycles_in(self, n: int) -> float:
        return min(1.0, n / cast(int, self.total_steps))  # __post_init__ sets total_steps

    def _phases(self, channel: str) -> list[tuple[float, float, float]]:
        """(end_step, start_value, end_value) of each phase, torch's ``_schedule_phases``."""
        T, pct = cast(int, self.total_steps), self.pct_start  # __post_init__ sets total_steps
        initial = self.max_lr / self.div_factor
        low = initial / self.final_div_factor
        if channel == "lr":
            hi, lo, fin = self.max_lr, initial, low
        else:  # momentum runs inversely (only asked for when has_momentum: both bounds set)
            hi, lo = cast(float, self.base_momentum), cast(float, self.max_momentum)
            fin = lo
        if self.three_phase:
            return [(pct * T - 1, lo, hi), (2 * pct * T - 2, hi, lo), (T - 1, lo, fin)]
        return [(pct * T - 1, lo, hi), (T - 1, hi, fin)]

    def _program(self, start: int, stop: int, channel: str) -> Program:
        T = cast(int, self.total_steps)  # __post_init__ sets total_steps
        if self.overrun == "raise" and stop > T:
            raise ValueError(f"Tried to compute step {stop - 1} of a one-cycle schedule of total_steps={T}")
        segments = []
        previous_end, first = 0.0, 0
        phases = self._phases(channel)
        for i, (end, v0, v1) in enumerate(phases):
            # step k belongs to the first phase with k <= end; the last takes the rest
            last = T - 1 if i == len(phases) - 1 else math.floor(end)
            if last >= first:
                segments.append(ramp(self.anneal_strategy, first, last + 1, previous_end, end - previous_end, v0, v1))
                first = last + 1
            previous_end = end
        final = phases[-1][2]
        return Program(segments, [], []).add(Program.constant(final, T, FOREVER))
