"""Warmup, stable and decay phases; constant and step-decay schedules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from ._program import ONE, Cycles, Program, Segment, cycle_range, ramp
from .base import Schedule, spec
from .cyclic import FOREVER

__all__ = ["WarmupDecay", "Constant", "StepDecay"]

_DECAYS = ("cos", "linear", "poly", "exp", "1-sqrt", "constant")


@spec("max_lr", "total_steps", "warmup_steps")
class WarmupDecay(Schedule):
    r"""Warmup, an optional stable phase, a decay, then hold: warmup+cosine, WSD and friends.

    With ``W = warmup_steps``, ``D = decay_steps`` (default: everything after the warmup) and
    ``T = total_steps``:

    * steps ``0 .. W-1`` ramp from ``start_lr`` towards ``max_lr`` (``warmup="linear"``:
      ``start_lr + (max_lr - start_lr) t/W``, torch's ``LinearLR``; ``"exp"``: geometric);
    * steps ``W .. T-D-1`` hold ``max_lr`` (the stable phase of warmup-stable-decay);
    * steps ``T-D .. T`` decay from ``max_lr`` to ``min_lr`` (``cos``: torch's
      ``CosineAnnealingLR``; ``linear``; ``poly`` with ``power``, torch's ``PolynomialLR``;
      ``exp``: geometric; ``1-sqrt``; ``constant``: no decay);
    * from ``T`` on, ``min_lr`` is held (torch's cosine would swing back up).

    ``skip_start=True`` drops the first warmup step (often an LR of 0, a wasted update):
    the whole schedule moves one step earlier.

    Examples
    --------
    >>> import pyclr
    >>> pyclr.warmup_cosine(1.0, 8, warmup_steps=3).values(9).round(3).tolist()
    [0.0, 0.333, 0.667, 1.0, 0.905, 0.655, 0.345, 0.095, 0.0]
    >>> pyclr.warmup_decay(1.0, 6, 1, decay="linear", decay_steps=2).values(7).tolist()   # WSD
    [0.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0]

    References
    ----------
    P. Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
    arXiv:1706.02677, 2017 (linear warmup).
    I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts",
    ICLR 2017 (cosine decay).
    S. Hu et al., "MiniCPM: Unveiling the Potential of Small Language Models with Scalable
    Training Strategies", arXiv:2404.06395, 2024 (warmup-stable-decay).
    A. Hägele et al., "Scaling Laws and Compute-Optimal Training Beyond Fixed Training
    Durations", arXiv:2405.18392, 2024 (the ``1-sqrt`` cooldown).
    """

    policy: ClassVar[str] = "warmup_decay"

    max_lr: float
    total_steps: int
    warmup_steps: int = 0
    decay: str = "cos"
    decay_steps: int | None = None
    start_lr: float = 0.0
    min_lr: float = 0.0
    warmup: str = "linear"
    power: float = 1.0
    skip_start: bool = False

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("max_lr", v.nonnegative("max_lr", self.max_lr))
        set_("total_steps", v.int_at_least("total_steps", self.total_steps, 1))
        set_("warmup_steps", v.int_at_least("warmup_steps", self.warmup_steps, 0))
        if self.warmup_steps > self.total_steps:
            raise ValueError(f"Expected warmup_steps <= total_steps, but got {self.warmup_steps} > {self.total_steps}")
        v.choice("decay", self.decay, _DECAYS)
        if self.decay_steps is not None:
            set_("decay_steps", v.int_at_least("decay_steps", self.decay_steps, 0))
            if self.warmup_steps + self.decay_steps > self.total_steps:
                raise ValueError("Expected warmup_steps + decay_steps <= total_steps, but got "
                                 f"{self.warmup_steps} + {self.decay_steps} > {self.total_steps}")
        set_("start_lr", v.nonnegative("start_lr", self.start_lr))
        set_("min_lr", v.nonnegative("min_lr", self.min_lr))
        if self.min_lr > self.max_lr or self.start_lr > self.max_lr:
            raise ValueError(f"Expected start_lr and min_lr <= max_lr, but got start_lr={self.start_lr}, "
                             f"min_lr={self.min_lr}, max_lr={self.max_lr}")
        v.choice("warmup", self.warmup, ("linear", "exp"))
        if self.warmup == "exp" and self.warmup_steps and self.start_lr == 0:
            raise ValueError("Expected positive start_lr with warmup='exp', but got 0.0")
        if self.decay == "exp" and self.min_lr == 0:
            raise ValueError("Expected positive min_lr with decay='exp', but got 0.0")
        set_("power", v.positive("power", self.power))
        set_("skip_start", v.boolean("skip_start", self.skip_start))

    def _program(self, start: int, stop: int, channel: str) -> Program:
        W, T = self.warmup_steps, self.total_steps
        D = T - W if self.decay_steps is None else self.decay_steps
        decay_from = T - D
        final = self.max_lr if self.decay == "constant" else self.min_lr
        program = Program(
            [ramp(self.warmup, 0, W, 0.0, W, self.start_lr, self.max_lr),
             Segment(W, decay_from, float(W), self.max_lr, 0.0, ONE),
             ramp(self.decay, decay_from, T, float(decay_from), D, self.max_lr, self.min_lr, self.power),
             Segment(T, FOREVER, float(T), final, 0.0, ONE)],
            [], [],
        ).clip(0, FOREVER)
        return program.shift(-1).clip(0, FOREVER) if self.skip_start else program


@dataclass(frozen=True)
class Constant(Schedule):
    """A constant learning rate: ``lr_t = lr``.

    Examples
    --------
    >>> import pyclr
    >>> pyclr.constant(0.1).values(3).tolist()
    [0.1, 0.1, 0.1]
    """

    policy: ClassVar[str] = "constant"
    lr: float

    def __post_init__(self):
        object.__setattr__(self, "lr", v.nonnegative("lr", self.lr))

    def _program(self, start: int, stop: int, channel: str) -> Program:
        return Program.constant(self.lr, 0, FOREVER)


@spec("lr", "step_size")
class StepDecay(Schedule):
    """``lr_t = lr * gamma**floor(t / step_size)``, torch's ``StepLR``.

    Examples
    --------
    >>> import pyclr
    >>> pyclr.step_decay(1.0, 2, gamma=0.5).values(5).tolist()
    [1.0, 1.0, 0.5, 0.5, 0.25]
    """

    policy: ClassVar[str] = "step_decay"
    lr: float
    step_size: int
    gamma: float = 0.1

    def __post_init__(self):
        object.__setattr__(self, "lr", v.nonnegative("lr", self.lr))
        object.__setattr__(self, "step_size", v.int_at_least("step_size", self.step_size, 1))
        object.__setattr__(self, "gamma", v.in_range("gamma", self.gamma, 0.0, 1.0, low_open=True))

    def _program(self, start: int, stop: int, channel: str) -> Program:
        j0, j1 = cycle_range(0, FOREVER, 0.0, float(self.step_size), start, stop)
        levels = self.lr * np.power(self.gamma, np.arange(j0, j1, dtype=np.float64))
        block = Cycles(0, FOREVER, 0.0, float(self.step_size), j0, levels, np.zeros_like(levels), ((0.0, ONE),))
        return Program([], [block], [])
