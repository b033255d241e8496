"""Schedule specs: every policy becomes a whole-run array in one kernel call.

Step convention: element ``t`` of ``values(n)`` is the learning rate used by optimizer
step ``t`` (0-based); for every torch scheduler pyclr mirrors it equals
``optimizer.param_groups[g]["lr"]`` after construction and ``t`` calls to ``step()``.
"""
from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import numpy as np

from .base import Schedule
from .compose import Join, PerGroup, Scaled
from .cyclic import Cyclic
from .decay import Constant, StepDecay, WarmupDecay
from .multiplicative import MultiplicativeCycles
from .one_cycle import OneCycle
from .scale import Scale
from .sgdr import SGDR

__all__ = [
    "Schedule", "Scale", "Cyclic", "OneCycle", "SGDR", "WarmupDecay", "Constant", "StepDecay",
    "MultiplicativeCycles", "Join", "PerGroup", "Scaled",
    "cyclic", "one_cycle", "sgdr", "warmup_decay", "warmup_cosine", "wsd", "constant", "step_decay",
    "multiplicative_cycles", "join", "per_group",
]


if TYPE_CHECKING:
    from typing_extensions import ParamSpec

    _P = ParamSpec("_P")
_S = TypeVar("_S", bound=Schedule)


def _per_group_factory(cls: Callable[_P, _S], name: str,
                       list_params: tuple[str, ...]) -> Callable[_P, _S | PerGroup]:
    """A factory for ``cls`` that builds a PerGroup schedule when any of ``list_params`` is a list.

    Its signature is the class's, returning ``cls | PerGroup`` (the class's own ``__init__``
    says ``-> None``), so ``help()`` and ``inspect.signature`` show what a call returns.
    """
    signature = inspect.signature(cls)

    @functools.wraps(cls, assigned=("__doc__",), updated=())
    def factory(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise TypeError(f"{name}(): {exc}") from None
        lists = {k: val for k, val in bound.arguments.items()
                 if k in list_params and isinstance(val, (list, tuple, np.ndarray))}
        if not lists:
            return cls(*args, **kwargs)
        lengths = {k: len(val) for k, val in lists.items()}
        if len(set(lengths.values())) != 1 or 0 in lengths.values():
            raise ValueError(f"Expected non-empty per-group lists of one length, but got lengths {lengths}")
        groups = next(iter(lengths.values()))
        build: Callable[..., Schedule] = cls  # the bound arguments, by name
        return PerGroup(tuple(
            build(**{**bound.arguments, **{k: val[g] for k, val in lists.items()}}) for g in range(groups)
        ))

    factory.__name__ = factory.__qualname__ = name
    returns = f"{getattr(cls, '__name__')} | PerGroup"
    setattr(factory, "__signature__", signature.replace(return_annotation=returns))
    return factory


cyclic = _per_group_factory(Cyclic, "cyclic", ("base_lr", "max_lr", "base_momentum", "max_momentum"))
one_cycle = _per_group_factory(OneCycle, "one_cycle", ("max_lr", "base_momentum", "max_momentum"))
sgdr = _per_group_factory(SGDR, "sgdr", ("max_lr", "eta_min"))
warmup_decay = _per_group_factory(WarmupDecay, "warmup_decay", ("max_lr", "start_lr", "min_lr"))
multiplicative_cycles = _per_group_factory(MultiplicativeCycles, "multiplicative_cycles", ("max_lr", "min_lr"))
constant = _per_group_factory(Constant, "constant", ("lr",))
step_decay = _per_group_factory(StepDecay, "step_decay", ("lr",))


def warmup_cosine(max_lr, total_steps, warmup_steps=0, **kwargs) -> Schedule:
    """Linear (or exponential) warmup then cosine decay to ``min_lr``: :class:`WarmupDecay` with ``decay="cos"``.

    >>> import pyclr
    >>> pyclr.warmup_cosine(1.0, 4, warmup_steps=2).values(5).round(3).tolist()
    [0.0, 0.5, 1.0, 0.5, 0.0]
    """
    return warmup_decay(max_lr, total_steps, warmup_steps, decay="cos", **kwargs)


def wsd(max_lr, total_steps, warmup_steps=0, decay_steps=None, *, decay="1-sqrt", **kwargs) -> Schedule:
    """Warmup-stable-decay: warmup, hold ``max_lr``, then decay over the last ``decay_steps`` steps.

    ``decay_steps`` defaults to a fifth of ``total_steps``; ``decay`` is ``"1-sqrt"`` (the
    common WSD choice), ``"linear"`` or ``"cos"``.

    >>> import pyclr
    >>> pyclr.wsd(1.0, 6, warmup_steps=1, decay_steps=2, decay="linear").values(7).tolist()
    [0.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.0]
    """
    if decay_steps is None:
        decay_steps = max(1, total_steps // 5) if isinstance(total_steps, int) else decay_steps
    return warmup_decay(max_lr, total_steps, warmup_steps, decay=decay, decay_steps=decay_steps, **kwargs)


def join(schedules, boundaries) -> Join:
    """Run ``schedules`` one after another, switching at ``boundaries`` (see :class:`Join`).

    Each schedule restarts from its own step 0 at its boundary.

    Examples
    --------
    >>> import pyclr
    >>> pyclr.join([pyclr.constant(1.0), pyclr.sgdr(1.0, 2)], [2]).values(6).tolist()
    [1.0, 1.0, 1.0, 0.5, 1.0, 0.5]
    """
    return Join(tuple(schedules) if isinstance(schedules, list) else schedules,
                tuple(boundaries) if isinstance(boundaries, list) else boundaries)


def per_group(schedules) -> PerGroup:
    """One schedule per parameter group (see :class:`PerGroup`): ``values(n)`` has one row per group.

    Examples
    --------
    >>> import pyclr
    >>> s = pyclr.per_group([pyclr.constant(0.1), pyclr.cyclic(0.1, 1.0, step_size_up=2)])
    >>> s.groups, s.values(3).round(3).tolist()
    (2, [[0.1, 0.1, 0.1], [0.1, 0.55, 1.0]])
    """
    return PerGroup(tuple(schedules) if isinstance(schedules, list) else schedules)


def _scaled(self: Schedule, factors: Any) -> PerGroup:
    """Per-group copies of this schedule multiplied by ``factors`` (e.g. layer-wise LR scales)."""
    from .. import _validate as v

    return PerGroup(tuple(Scaled(self, f) for f in v.float_list("factors", factors, v.nonnegative)))


def _then(self: Schedule, other: Schedule, at: int) -> Join:
    """This schedule until step ``at``, then ``other`` (from its own step 0)."""
    return join([self, other], [at])


# Declared on Schedule for type checkers (under TYPE_CHECKING); defined here, where PerGroup and Join exist.
setattr(Schedule, "scaled", _scaled)
setattr(Schedule, "then", _then)
