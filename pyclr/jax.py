"""JAX / optax adapter: a pyclr schedule as a jit-compatible ``step -> lr`` function.

:func:`optax_schedule` (also ``Schedule.as_optax(n)``) turns the first ``n`` steps of any
pyclr schedule into an :class:`OptaxSchedule`: a lookup into a device array holding
``schedule.values(n)``, usable wherever optax takes a schedule (``optax.sgd(learning_rate=fn)``,
``optax.inject_hyperparams``, ``optax.scale_by_schedule``) and inside ``jax.jit``, ``vmap`` and
``lax.scan``. :func:`optax_momentum` does the same for the momentum channel (one-cycle and
cyclic schedules), for ``optax.inject_hyperparams(optax.sgd)(momentum=...)`` or Adam's ``b1``.

Step convention: element ``t`` of ``values(n)`` is the LR of optimizer step ``t`` (0-based),
and optax calls a schedule with the count of updates already applied (0 for the first), so
update ``t`` uses ``fn(t) == values(n)[t]``.

jax is imported when one of these functions is called, not when this module is imported;
without jax they raise ImportError saying ``pip install 'pyclr-lr[jax]'``. The mapping from
optax's own schedule factories to pyclr's is in ``docs/jax.md``.
"""
from __future__ import annotations

import numbers
from typing import Any, cast

import numpy as np

from . import _validate as v
from .schedules.base import Schedule

__all__ = ["OptaxSchedule", "optax_schedule", "optax_momentum"]

_INSTALL = "pip install 'pyclr-lr[jax]'"
#: optax counts updates in int32 (``optax.inject_hyperparams``, ``scale_by_schedule``): a table
#: longer than that could never be reached, and would take 8 GiB or more of device memory.
MAX_STEPS = 2**31 - 1


def _import_jax() -> Any:
    try:
        import jax
        import jax.numpy  # noqa: F401  (jax.numpy is a submodule: make sure it loads)
    except ImportError as exc:  # ModuleNotFoundError where jax is missing, as pytest.importorskip expects
        error = ModuleNotFoundError if isinstance(exc, ModuleNotFoundError) else ImportError
        raise error(f"pyclr.jax needs jax: {_INSTALL} (or pip install jax optax)", name=exc.name) from exc
    return jax


def _resolve_dtype(jax: Any, dtype: Any) -> np.dtype:
    """float32 or float64; the default follows jax's x64 mode (float64 only when it is on)."""
    x64 = jax.dtypes.canonicalize_dtype(np.float64) == np.dtype(np.float64)
    if dtype is None:
        return np.dtype(np.float64 if x64 else np.float32)
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"Expected dtype float32 or float64, but got {dtype!r}") from exc
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError(f"Expected dtype float32 or float64, but got {dtype!r}")
    if resolved == np.float64 and not x64:
        # jax would silently store float32 and warn; say what to do instead
        raise ValueError("Expected dtype float32 while jax's x64 mode is off, but got float64: enable it first with "
                         "jax.config.update('jax_enable_x64', True)")
    return resolved


def _check_n(n: Any) -> int:
    n = v.int_at_least("n", n, 1)
    if n > MAX_STEPS:
        raise ValueError(f"Expected n <= 2**31 - 1 (optax counts steps in int32), but got {n}")
    return n


class OptaxSchedule:
    r"""The first ``n`` steps of a pyclr schedule as an optax schedule: ``step -> lr``.

    Calling it looks ``step`` up in :attr:`table`, a device array of ``schedule.values(n)``
    (or ``schedule.momentum(n)``), with the step clamped to ``[0, n - 1]``:

    .. math:: \mathrm{fn}(t) = \mathrm{table}[\min(\max(t, 0), n - 1)]

    so steps past the end hold the last tabulated value and negative steps give the first.
    Build it with :func:`optax_schedule`, :func:`optax_momentum` or ``Schedule.as_optax(n)``.

    Attributes
    ----------
    schedule : pyclr.Schedule
        The spec the table was filled from.
    n : int
        Number of tabulated steps.
    channel : str
        ``"lr"`` or ``"momentum"``.
    dtype : numpy.dtype
        float32, or float64 where jax's x64 mode is on (or as asked).
    table : jax.Array
        The tabulated values, shape ``(n,)``.

    Notes
    -----
    * **Negative steps clamp to 0** rather than raise: under ``jax.jit`` a step is a traced
      value, which cannot raise, and ``fn`` and ``jax.jit(fn)`` must agree. (Plain jax
      indexing would wrap ``-1`` around to the last value.) optax never passes one.
    * **Past the end** the last tabulated value holds, whatever the policy would do next (a
      cyclic schedule keeps cycling, the table does not). For a finite schedule of
      ``total_steps`` steps, ``n = total_steps + 1`` tabulates its final held value too.
    * The table costs 4 bytes per step (8 in float64) of device memory. Under ``jax.jit`` it
      is a constant of the compiled function: about 0.05 s of compile time for a million
      steps and 1 s for ten million on a CPU.
    * Values are computed in float64 by pyclr's kernels and rounded once to :attr:`dtype`, so
      ``fn(t) == numpy.float32(schedule.values(n)[t])`` exactly.
    * It pickles (the spec and the table), unlike optax's closures.

    Examples
    --------
    >>> import pyclr
    >>> fn = pyclr.one_cycle(1.0, 10).as_optax(10)
    >>> fn  # doctest: +ELLIPSIS
    OptaxSchedule(OneCycle(max_lr=1.0, total_steps=10, ...), n=10, channel='lr', dtype=float32)
    >>> [round(float(fn(t)), 4) for t in (0, 1, 2, 3, 9, 10, 10_000, -1)]
    [0.04, 0.52, 1.0, 0.9505, 0.0, 0.0, 0.0, 0.04]
    """

    def __init__(self, schedule: Schedule, n: int, *, channel: str = "lr", dtype: Any = None) -> None:
        schedule = v.schedule("schedule", schedule, one_group="build one optax_schedule per group (schedule.schedules[g]) "
                                                           "and combine them with optax.multi_transform")
        n = _check_n(n)
        channel = v.choice("channel", channel, ("lr", "momentum"))
        if channel == "momentum" and not schedule.has_momentum:
            raise ValueError(f"Expected a schedule with a momentum channel (one_cycle, cyclic with momenta), but got "
                             f"{schedule!r}, which has none")
        jax = _import_jax()
        self.schedule = schedule
        self.n = n
        self.channel = channel
        self.dtype = _resolve_dtype(jax, dtype)
        # momentum() is not None here: has_momentum was checked above
        host = schedule.values(n) if channel == "lr" else cast(np.ndarray, schedule.momentum(n))
        self.table = jax.numpy.asarray(host.astype(self.dtype))

    def __call__(self, step: Any) -> Any:
        """The tabulated value(s) at ``step``, clamped to ``[0, n - 1]``.

        Parameters
        ----------
        step : int or integer array
            A Python or NumPy integer, or an integer jax array, concrete or traced (under
            ``jax.jit``, ``vmap``, ``lax.scan``): optax passes its int32 update count. An array
            of steps returns an array of the same shape.

        Returns
        -------
        jax.Array
            The value(s), of dtype :attr:`dtype`.

        Raises
        ------
        TypeError
            ``step`` is a float, a bool or no number: a fractional step has no table entry and
            is not rounded behind your back.
        """
        jax = _import_jax()  # already imported by __init__: a dictionary lookup (and no module held, so it pickles)
        jnp = jax.numpy
        last = self.n - 1
        if isinstance(step, (bool, np.bool_)):
            raise TypeError(f"Expected an integer step, but got {step!r} of type {type(step).__name__}")
        if isinstance(step, numbers.Integral):
            # clamp on the host: a Python int beyond int32 would overflow jax's default integer
            return self.table[min(max(int(step), 0), last)]
        if isinstance(step, np.ndarray):
            if not np.issubdtype(step.dtype, np.integer):
                raise TypeError(f"Expected an integer step, but got an array of dtype {step.dtype}")
            return self.table[np.clip(step, 0, last)]
        if isinstance(step, jax.Array):  # concrete or traced
            if not jnp.issubdtype(step.dtype, jnp.integer):
                raise TypeError(f"Expected an integer step, but got an array of dtype {step.dtype}")
            # both bounds must fit the step's own dtype (int8 steps and n = 1000, say)
            high = min(last, int(jnp.iinfo(step.dtype).max))
            return self.table[jnp.clip(step, 0, high)]
        raise TypeError(f"Expected an integer step (int or integer array), but got {step!r} of type "
                        f"{type(step).__name__}")

    def __repr__(self) -> str:
        return f"OptaxSchedule({self.schedule!r}, n={self.n}, channel={self.channel!r}, dtype={self.dtype})"


def optax_schedule(schedule: Schedule, n: int, *, dtype: Any = None) -> OptaxSchedule:
    """The learning rates of the first ``n`` steps of ``schedule`` as a jit-compatible optax schedule.

    ``fn(t)`` is ``schedule.values(n)[t]`` (rounded to ``dtype``) for ``0 <= t < n``; steps past
    the end hold ``values(n)[n - 1]`` and negative steps give ``values(n)[0]``. optax calls the
    schedule with the number of updates already applied, so update ``t`` uses ``values(n)[t]``,
    pyclr's step convention. See :class:`OptaxSchedule` for what a call accepts.

    Parameters
    ----------
    schedule : pyclr.Schedule
        A single-group schedule (``pyclr.one_cycle``, ``pyclr.sgdr``, ``pyclr.cyclic``, ...). For a
        per-group one, build one function per ``schedule.schedules[g]`` and route them with
        ``optax.multi_transform``.
    n : int
        Number of steps to tabulate, from 1 to 2**31 - 1: the length of the run in updates.
    dtype : float32 or float64, optional
        Dtype of the returned values. Default: float32, or float64 where jax's x64 mode is on
        (``jax.config.update("jax_enable_x64", True)``) when this function is called; float64
        with x64 off raises ``ValueError`` (jax would store float32 anyway).

    Returns
    -------
    OptaxSchedule
        Callable ``step -> lr``, usable as ``optax.sgd(learning_rate=fn)``, in
        ``optax.inject_hyperparams(...)(learning_rate=fn)``, ``optax.scale_by_schedule(fn)``
        and under ``jax.jit``.

    Raises
    ------
    TypeError
        ``schedule`` is no pyclr schedule, ``n`` no integer, or ``dtype`` neither float32 nor float64.
    ValueError
        ``n`` out of range, a per-group schedule, float64 with x64 off.
    ImportError
        jax is missing: ``pip install 'pyclr-lr[jax]'``.

    Examples
    --------
    >>> import jax, jax.numpy as jnp, optax, pyclr
    >>> from pyclr.jax import optax_schedule
    >>> fn = optax_schedule(pyclr.warmup_cosine(0.1, 8, warmup_steps=2), 9)
    >>> [round(float(x), 4) for x in fn(jnp.arange(10))]
    [0.0, 0.05, 0.1, 0.0933, 0.075, 0.05, 0.025, 0.0067, 0.0, 0.0]
    >>> float(jax.jit(fn)(3)) == float(fn(3))
    True

    In a training loop, update ``t`` uses ``values(n)[t]``:

    >>> opt = optax.inject_hyperparams(optax.sgd)(learning_rate=fn)
    >>> params = jnp.ones(2)
    >>> state = opt.init(params)
    >>> for t in range(3):
    ...     updates, state = opt.update(params, state, params)   # the gradient of |w|^2 / 2 is w
    ...     params = optax.apply_updates(params, updates)
    ...     print(t, round(float(state.hyperparams["learning_rate"]), 4), round(float(params[0]), 4))
    0 0.0 1.0
    1 0.05 0.95
    2 0.1 0.855
    """
    return OptaxSchedule(schedule, n, channel="lr", dtype=dtype)


def optax_momentum(schedule: Schedule, n: int, *, dtype: Any = None) -> OptaxSchedule:
    """The momentum of the first ``n`` steps of ``schedule`` as a jit-compatible optax schedule.

    Same lookup and step convention as :func:`optax_schedule`, over ``schedule.momentum(n)``.
    Pass it where optax takes the momentum as a hyperparameter:
    ``optax.inject_hyperparams(optax.sgd)(learning_rate=lr_fn, momentum=fn)`` (SGD's
    ``momentum``), or ``b1=fn`` for ``optax.adam`` (what torch's one-cycle cycles as
    ``betas[0]``).

    Raises
    ------
    ValueError
        The schedule carries no momentum channel (``schedule.momentum(n)`` is None): ``sgdr``,
        ``warmup_cosine``, or ``one_cycle``/``cyclic`` built with ``base_momentum=None``.

    Examples
    --------
    >>> import pyclr
    >>> from pyclr.jax import optax_momentum
    >>> m = optax_momentum(pyclr.one_cycle(1.0, 10), 10)
    >>> [round(float(m(t)), 4) for t in (0, 2, 9)]
    [0.95, 0.85, 0.95]
    >>> optax_momentum(pyclr.sgdr(0.1, 10), 10)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
        ...
    ValueError: Expected a schedule with a momentum channel (one_cycle, cyclic with momenta), but got SGDR(...), which has none
    """
    return OptaxSchedule(schedule, n, channel="momentum", dtype=dtype)
