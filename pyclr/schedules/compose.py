"""Composition: joins at step boundaries, per-parameter-group schedules, scale factors."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .. import _validate as v
from ._program import Program
from .base import Schedule
from .cyclic import FOREVER

__all__ = ["Join", "PerGroup", "Scaled"]


def _schedules(name: str, items) -> tuple[Schedule, ...]:
    if not isinstance(items, (list, tuple)) or not items:
        raise TypeError(f"Expected a non-empty list of pyclr schedules for {name}, but got {items!r}")
    for i, s in enumerate(items):
        if not isinstance(s, Schedule):
            raise TypeError(f"Expected a pyclr schedule for {name}[{i}], but got {s!r}")
        if s.groups is not None:
            raise ValueError(f"Expected single-group schedules in {name}, but {name}[{i}] has {s.groups} groups")
    return tuple(items)


@dataclass(frozen=True)
class Join(Schedule):
    """Schedules one after another: ``schedules[i]`` runs on ``[boundaries[i-1], boundaries[i])``.

    Each schedule sees its own local step (0 at its boundary), as in optax's ``join_schedules``.

    Examples
    --------
    >>> import pyclr
    >>> warm = pyclr.warmup_decay(1.0, 2, 2, decay="constant")
    >>> pyclr.join([warm, pyclr.constant(0.5)], [2]).values(4).tolist()
    [0.0, 0.5, 0.5, 0.5]
    """

    policy: ClassVar[str] = "join"
    schedules: tuple[Schedule, ...]
    boundaries: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "schedules", _schedules("schedules", self.schedules))
        if not isinstance(self.boundaries, (list, tuple)):
            raise TypeError(f"Expected a list of step boundaries, but got {self.boundaries!r}")
        bounds = tuple(v.int_at_least(f"boundaries[{i}]", b, 1) for i, b in enumerate(self.boundaries))
        if len(bounds) != len(self.schedules) - 1:
            raise ValueError(f"Expected {len(self.schedules) - 1} boundaries for {len(self.schedules)} schedules, "
                             f"but got {len(bounds)}")
        if any(b1 <= b0 for b0, b1 in zip(bounds, bounds[1:])):
            raise ValueError(f"Expected strictly increasing boundaries, but got {list(bounds)}")
        object.__setattr__(self, "boundaries", bounds)

    @property
    def has_momentum(self) -> bool:
        return all(s.has_momentum for s in self.schedules)

    @property
    def total_steps(self) -> int | None:
        last = self.schedules[-1].total_steps
        return None if last is None else (self.boundaries[-1] if self.boundaries else 0) + last

    def _program(self, start: int, stop: int, channel: str) -> Program:
        edges = (0,) + self.boundaries + (FOREVER,)
        program = Program.empty()
        for s, lo, hi in zip(self.schedules, edges, edges[1:]):
            if hi <= start or lo >= stop:
                continue
            local = s._program(max(0, start - lo), min(hi, stop) - lo, channel)
            program = program.add(local.shift(lo).clip(lo, hi))
        return program


@dataclass(frozen=True)
class Scaled(Schedule):
    """``factor`` times a schedule's learning rate (momentum unchanged).

    Examples
    --------
    >>> import pyclr
    >>> pyclr.Scaled(pyclr.constant(1.0), 0.1).values(2).tolist()
    [0.1, 0.1]
    >>> pyclr.constant(1.0).scaled([1.0, 0.1]).values(2).tolist()   # one row per param group
    [[1.0, 1.0], [0.1, 0.1]]
    """

    policy: ClassVar[str] = "scaled"
    schedule: Schedule
    factor: float

    def __post_init__(self):
        object.__setattr__(self, "schedule", _schedules("schedule", [self.schedule])[0])
        object.__setattr__(self, "factor", v.nonnegative("factor", self.factor))

    @property
    def has_momentum(self) -> bool:
        return self.schedule.has_momentum

    @property
    def total_steps(self) -> int | None:
        return self.schedule.total_steps

    def _program(self, start: int, stop: int, channel: str) -> Program:
        program = self.schedule._program(start, stop, channel)
        return program.scale(self.factor) if channel == "lr" else program


@dataclass(frozen=True)
class PerGroup(Schedule):
    """One schedule per optimizer parameter group; ``values(n)`` has shape ``(groups, n)``.

    >>> import pyclr
    >>> s = pyclr.per_group([pyclr.constant(0.1), pyclr.constant(0.01)])
    >>> s.values(2).tolist()
    [[0.1, 0.1], [0.01, 0.01]]
    """

    policy: ClassVar[str] = "per_group"
    schedules: tuple[Schedule, ...]

    def __post_init__(self):
        object.__setattr__(self, "schedules", _schedules("schedules", self.schedules))

    @property
    def groups(self) -> int:
        return len(self.schedules)

    @property
    def has_momentum(self) -> bool:
        return all(s.has_momentum for s in self.schedules)

    @property
    def total_steps(self) -> int | None:
        lengths = [s.total_steps for s in self.schedules]
        return max(n for n in lengths if n is not None) if None not in lengths else None

    def _run(self, channel: str, out: np.ndarray, start: int, threads: int) -> None:
        for row, s in zip(out, self.schedules):
            s._run(channel, row, start, threads)

    def cycles_in(self, n: int) -> float | None:
        return self.schedules[0].cycles_in(n)
