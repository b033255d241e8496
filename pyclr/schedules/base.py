"""The Schedule base class: an immutable, picklable, JSON-serialisable policy spec.

Step convention: element ``t`` of ``values(n)`` is the learning rate used by optimizer
step ``t`` (0-based). For every torch scheduler pyclr mirrors, ``values(n)[t]`` equals
``optimizer.param_groups[g]["lr"]`` after the scheduler was built and ``scheduler.step()``
was called ``t`` times.
"""
from __future__ import annotations

import dataclasses
import functools
import inspect
import os
from typing import TYPE_CHECKING, Any, Callable, ClassVar, TypeVar, cast

import numpy as np

from .. import _validate as v
from ._program import Program

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform

    from .compose import Join, PerGroup
else:
    def dataclass_transform(**kwargs: Any) -> Callable[[Any], Any]:
        """typing.dataclass_transform (3.11+) only informs type checkers: a no-op at run time."""
        return lambda decorator: decorator

__all__ = ["Schedule", "spec"]

_T = TypeVar("_T", bound=type)

_MAX_STEP = v.MAX_INT  # steps stay exact in float64 arithmetic
_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))
_REGISTRY: dict[str, type["Schedule"]] = {}


@dataclass_transform(frozen_default=True)
def spec(*positional: str) -> Callable[[_T], _T]:
    """Class decorator: a frozen dataclass whose fields other than ``positional`` are keyword-only.

    What ``dataclasses.KW_ONLY`` does from Python 3.10 on, here on every supported Python (3.9
    has no KW_ONLY): fields keep their order, the generated ``__init__`` refuses more than
    ``len(positional)`` positional arguments, and its signature (which the factories bind and
    ``help()`` shows) marks the others keyword-only.
    """
    def wrap(cls: _T) -> _T:
        # dataclass takes a field's default from getattr(cls, name): a field without one of its own
        # would inherit Schedule.total_steps = None and become optional (warmup_decay(1.0) accepted
        # by the signature, refused by validation); an explicit field() keeps it required.
        for name in cls.__dict__.get("__annotations__", {}):
            if name not in cls.__dict__ and hasattr(cls, name):
                setattr(cls, name, dataclasses.field())
        cls = cast(_T, dataclasses.dataclass(frozen=True)(cls))  # the same class, made a dataclass
        init: Callable[..., None] = getattr(cls, "__init__")
        names = [f.name for f in dataclasses.fields(cls)]
        if names[: len(positional)] != list(positional):  # a typo here would silently change the API
            raise TypeError(f"{cls.__name__}: positional fields {positional} must lead its fields {names}")
        signature = inspect.signature(init)
        keyword = inspect.Parameter.KEYWORD_ONLY
        params = [p if p.name == "self" or p.name in positional else p.replace(kind=keyword)
                  for p in signature.parameters.values()]

        @functools.wraps(init)
        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            if len(args) > len(positional):
                raise TypeError(f"{cls.__name__}() takes at most {len(positional)} positional arguments "
                                f"({', '.join(positional)}), but {len(args)} were given")
            init(self, *args, **kwargs)

        setattr(__init__, "__signature__", signature.replace(parameters=params))
        setattr(cls, "__init__", __init__)
        return cls

    return wrap


def _check_window(n: Any, start: Any) -> tuple[int, int]:
    n = v.int_at_least("n", n, 0)
    start = v.int_at_least("start", start, 0)
    if start + n > _MAX_STEP:
        raise ValueError(f"Expected start + n <= 2**53, but got start={start}, n={n}")
    return n, start


def _check_threads(threads: Any) -> int:
    if threads is None:
        return 1
    if isinstance(threads, str) and threads == "auto":
        return os.cpu_count() or 1
    threads = v.int_at_least("threads", threads, 1)
    if threads > v.MAX_THREADS:
        raise ValueError(f"Expected threads from 1 to {v.MAX_THREADS} (or 'auto'), but got {threads}")
    return threads


def _prepare_out(out: Any, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    try:
        dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"Expected dtype float64 or float32, but got {dtype!r}") from exc
    if dtype not in _DTYPES:
        raise TypeError(f"Expected dtype float64 or float32, but got {dtype}")
    if out is None:
        try:
            return np.empty(shape, dtype=dtype)
        except (MemoryError, ValueError) as exc:
            raise ValueError(f"Cannot allocate an array of shape {shape} and dtype {dtype} (n too large): {exc}") from None
    if not isinstance(out, np.ndarray):
        raise TypeError(f"Expected a numpy.ndarray for out, but got {type(out).__name__}")
    if out.dtype not in _DTYPES:
        raise TypeError(f"Expected out of dtype float64 or float32, but got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"Expected out of shape {shape}, but got {out.shape}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("Expected a C-contiguous, writeable out array, but got one that is not")
    return out


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_dict()
    if isinstance(value, tuple):
        return [_to_jsonable(x) for x in value]
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if callable(value):
        raise TypeError(
            f"Cannot serialise the callable {value!r}: use a pyclr.Scale spec instead of a function to save this schedule"
        )
    return value


class Schedule:
    """Base class of every policy. Subclasses are frozen dataclasses registered by ``policy``.

    Subclasses implement ``_program(start, stop, channel)`` returning the :class:`Program`
    of the window ``[start, stop)`` for ``channel`` ``"lr"`` or ``"momentum"``.

    Step convention: element ``t`` of :meth:`values` is the LR used by optimizer step ``t``
    (0-based); for every torch scheduler pyclr mirrors, the group LR after the scheduler was
    built and ``scheduler.step()`` was called ``t`` times.

    Examples
    --------
    >>> import pickle, pyclr
    >>> s = pyclr.one_cycle(0.1, total_steps=1000)
    >>> isinstance(s, pyclr.Schedule), s.total_steps, s.has_momentum
    (True, 1000, True)
    >>> pickle.loads(pickle.dumps(s)) == s == pyclr.Schedule.from_dict(s.to_dict())
    True
    """

    policy: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.policy:
            _REGISTRY[cls.policy] = cls

    # --------------------------------------------------------------- to override
    def _program(self, start: int, stop: int, channel: str) -> Program:
        raise NotImplementedError

    @property
    def has_momentum(self) -> bool:
        """Whether :meth:`momentum` returns a channel (it is never applied unless asked for)."""
        return False

    @property
    def groups(self) -> int | None:
        """Number of parameter groups for per-group schedules, ``None`` for a single schedule."""
        return None

    if TYPE_CHECKING:  # a field of some specs, a property of the compositions: read-only to a type checker
        @property
        def total_steps(self) -> int | None:
            """Length of a finite schedule (values past it hold the final value), ``None`` if unbounded."""
    else:
        #: Length of a finite schedule (values past it hold the final value), ``None`` if unbounded.
        total_steps = None

    # --------------------------------------------------------------- evaluation
    def _fill(self, channel: str, n: Any, start: Any, dtype: Any, out: Any, threads: Any) -> np.ndarray:
        n, start = _check_window(n, start)
        threads = _check_threads(threads)
        groups = self.groups
        shape = (n,) if groups is None else (groups, n)
        out = _prepare_out(out, shape, dtype)
        self._run(channel, out, start, threads)
        return out

    def _run(self, channel: str, out: np.ndarray, start: int, threads: int) -> None:
        self._program(start, start + out.shape[-1], channel).run(out, start, threads)

    def values(self, n: int, *, start: int = 0, dtype: Any = np.float64, out: np.ndarray | None = None,
               threads: int | str | None = None) -> np.ndarray:
        """Learning rates of optimizer steps ``start .. start + n - 1``.

        Element ``t`` is the LR used by optimizer step ``start + t`` (0-based): for a mirrored
        torch scheduler, the group LR after construction and ``start + t`` calls to ``step()``.

        Parameters
        ----------
        n : int
            Number of steps (>= 0).
        start : int
            First step of the window (>= 0); ``values(n, start=k)`` equals ``values(k + n)[k:]``.
        dtype : float64 or float32
            Output dtype (values are computed in float64 and rounded; with float32, an LR beyond
            its range, about 3.4e38, would round to inf).
        out : ndarray, optional
            C-contiguous array of shape ``(n,)`` (or ``(groups, n)``) and the requested dtype to fill.
        threads : int or "auto", optional
            Split the window over this many threads (the kernels release the GIL).

        Returns
        -------
        ndarray
            Of shape ``(n,)``, or ``(groups, n)`` for per-group schedules.

        Examples
        --------
        >>> import numpy as np, pyclr
        >>> s = pyclr.cyclic(0.1, 1.0, step_size_up=2)
        >>> s.values(6).round(3).tolist()                 # steps 0 .. 5
        [0.1, 0.55, 1.0, 0.55, 0.1, 0.55]
        >>> s.values(3, start=3).round(3).tolist()        # steps 3 .. 5: a window of the same run
        [0.55, 0.1, 0.55]
        >>> buf = np.empty(6, dtype=np.float32)
        >>> s.values(6, out=buf) is buf                   # fills a reused buffer, no allocation
        True
        """
        return self._fill("lr", n, start, dtype, out, threads)

    def momentum(self, n: int, *, start: int = 0, dtype: Any = np.float64, out: np.ndarray | None = None,
                 threads: int | str | None = None) -> np.ndarray | None:
        """Momentum (SGD ``momentum`` or Adam ``betas[0]``) of steps ``start .. start + n - 1``.

        Same step convention and arguments as :meth:`values`; ``None`` when the policy
        carries no momentum channel.

        Returns
        -------
        ndarray or None
            Of shape ``(n,)`` (``(groups, n)`` for per-group schedules), or None.

        Examples
        --------
        >>> import pyclr
        >>> pyclr.one_cycle(1.0, 10).momentum(4).round(4).tolist()   # falls while the LR rises
        [0.95, 0.9, 0.85, 0.855]
        >>> pyclr.sgdr(1.0, 4).momentum(4) is None
        True
        """
        if not self.has_momentum:
            _check_window(n, start)
            return None
        return self._fill("momentum", n, start, dtype, out, threads)

    def at(self, t: int) -> float | tuple[float, ...]:
        """The LR of step ``t`` (a tuple per group for per-group schedules): ``values(t + 1)[t]``.

        Examples
        --------
        >>> import pyclr
        >>> s = pyclr.cyclic(0.1, 1.0, step_size_up=2)
        >>> s.at(2)
        1.0
        >>> pyclr.per_group([s, pyclr.constant(0.5)]).at(1)
        (0.55, 0.5)
        """
        t = v.int_at_least("t", t, 0)  # errors name t, not the window's start
        row = self.values(1, start=t)
        return float(row[0]) if row.ndim == 1 else tuple(float(x) for x in row[:, 0])

    # --------------------------------------------------------------- serialisation
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe description; ``Schedule.from_dict(s.to_dict()) == s``.

        Examples
        --------
        >>> import json, pyclr
        >>> s = pyclr.sgdr(0.1, 1000, T_mult=2)
        >>> d = s.to_dict()
        >>> d["policy"], d["max_lr"], d["T_0"], d["T_mult"]
        ('sgdr', 0.1, 1000, 2)
        >>> pyclr.Schedule.from_dict(json.loads(json.dumps(d))) == s
        True
        """
        fields = {f.name: _to_jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]
        return {"policy": self.policy, **fields}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> "Schedule":
        """Rebuild a schedule from :meth:`to_dict` output (validated like any construction).

        Examples
        --------
        >>> import pyclr
        >>> pyclr.Schedule.from_dict({"policy": "constant", "lr": 0.01})
        Constant(lr=0.01)
        """
        if not isinstance(data, dict) or "policy" not in data:
            raise ValueError(f"Expected a dict with a 'policy' key, but got {data!r}")
        data = dict(data)
        name = data.pop("policy")
        if not isinstance(name, str) or name not in _REGISTRY:
            raise ValueError(f"Expected policy in {sorted(_REGISTRY)}, but got {name!r}")
        cls = _REGISTRY[name]
        return cls._from_fields(data)

    @classmethod
    def _from_fields(cls, data: dict[str, Any]) -> "Schedule":
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"Unknown parameters for policy {cls.policy!r}: {sorted(unknown)}")
        return cls(**{k: _from_jsonable(val) for k, val in data.items()})

    def describe(self, n: int) -> dict[str, Any]:
        """Summary of the first ``n`` steps: first, last, min, max and, where defined, cycles.

        Examples
        --------
        >>> import pyclr
        >>> pyclr.cyclic(0.1, 1.0, step_size_up=2).describe(6)
        {'steps': 6, 'first': 0.1, 'last': 0.55, 'min': 0.1, 'max': 1.0, 'cycles': 1.5}
        """
        vals = self.values(n)
        info: dict[str, Any] = {"steps": n}
        if n:
            info.update(first=vals[..., 0].tolist(), last=vals[..., -1].tolist(),
                        min=vals.min(axis=-1).tolist(), max=vals.max(axis=-1).tolist())
        cycles = self.cycles_in(n)
        if cycles is not None:
            info["cycles"] = cycles
        return info

    def cycles_in(self, n: int) -> float | None:
        """Number of cycles (possibly fractional) within the first ``n`` steps, where the policy has cycles."""
        return None

    if TYPE_CHECKING:  # defined in pyclr/schedules/__init__.py, where PerGroup and Join exist
        def scaled(self, factors: Any) -> PerGroup:
            """Per-group copies of this schedule multiplied by ``factors`` (e.g. layer-wise LR scales)."""

        def then(self, other: Schedule, at: int) -> Join:
            """This schedule until step ``at``, then ``other`` (from its own step 0)."""

    # --------------------------------------------------------------- other frameworks
    def as_keras(self, n: int) -> Any:
        """A ``keras.optimizers.schedules.LearningRateSchedule`` of the first ``n`` steps (see :mod:`pyclr.keras`)."""
        from ..keras import KerasSchedule

        return KerasSchedule(self, n)

    def as_optax(self, n: int) -> Callable[[Any], Any]:
        """A jit-compatible ``step -> lr`` function of the first ``n`` steps for optax (see :mod:`pyclr.jax`)."""
        from ..jax import optax_schedule

        return optax_schedule(self, n)


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, dict) and "policy" in value:
        return Schedule.from_dict(value)
    if isinstance(value, dict) and "scale" in value:
        from .scale import Scale

        return Scale.from_dict(value)
    if isinstance(value, list):
        return tuple(_from_jsonable(x) for x in value)
    return value

