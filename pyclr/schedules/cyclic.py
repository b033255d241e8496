"""Cyclical learning rates (Smith 2017) and their generalisations."""
from __future__ import annotations

import functools
import math
import numbers
from typing import Any, Callable, ClassVar, cast

import numpy as np

from .. import _validate as v
from ._program import COS, LINEAR, POW, Cycles, Post, Program, Wave, cycle_range, ramp
from .base import Schedule, spec
from .scale import Scale

__all__ = ["Cyclic"]

FOREVER = 2**62
#: Bounds of step_size_up and step_size_down. A cyclic schedule compiles into the list of its
#: cycles in the window, so a cycle must span at least one step (step_size_up=1e-9 asked for
#: 37 GiB); a phase of less than a millionth of a step is no phase a run can have, and its
#: reciprocal would overflow long before 5e-324; beyond 2**53 steps are not exact in float64.
_MIN_STEP_SIZE = 1e-6
_MAX_STEP_SIZE = float(v.MAX_INT)
_MODES = ("triangular", "triangular2", "exp_range")
_WAVES = ("triangular", "sine", "parabolic")


def _wave_pieces(wave: str, up: float, down: float, e: float) -> tuple[tuple[float, Wave], ...]:
    """Unit wave s(x) of one cycle (0 at x = 0, 1 at x = up, 0 at x = up + down), as two pieces."""
    period = up + down
    if wave == "triangular":  # torch: x/r rising, (x - 1)/(r - 1) falling
        rise = Wave(LINEAR, e=e, q=1.0 / up)
        fall = Wave(LINEAR, e=e, p=period / down, q=-1.0 / down)
    elif wave == "sine":  # half-cosines: (1 - cos(pi x/up))/2, then (1 + cos(pi (x - up)/down))/2
        rise = Wave(COS, e=e, u=0.5, w=-0.5, q=math.pi / up)
        fall = Wave(COS, e=e, u=0.5, w=0.5, p=-math.pi * up / down, q=math.pi / down)
    else:  # parabolic (Welch): 1 - (1 - x/up)^2, then 1 - ((x - up)/down)^2
        rise = Wave(POW, e=e, u=1.0, w=-1.0, p=1.0, q=-1.0 / up, k=2.0)
        fall = Wave(POW, e=e, u=1.0, w=-1.0, p=-up / down, q=1.0 / down, k=2.0)
    return ((0.0, rise), (up, fall))


def _step_size(name: str, value: Any) -> float:
    size = v.positive(name, value)
    if not _MIN_STEP_SIZE <= size <= _MAX_STEP_SIZE:
        raise ValueError(f"Expected {name} in [1e-06, 2**53], but got {value!r}")
    # a whole number of steps given as an int stays one (to_dict, repr and the CLI show 2000,
    # not 2000.0); the arithmetic is the same either way
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    return size


def _evaluate_scale(fn: Any, u: np.ndarray) -> np.ndarray:
    """A scale evaluated on an array: vectorised when the callable accepts arrays, else per element."""
    try:
        result = np.asarray(fn(u), dtype=np.float64)
        if result.shape != u.shape:
            result = np.broadcast_to(result, u.shape).astype(np.float64)
    except Exception:  # a scalar-only callable (e.g. using math.*): call it per element
        result = np.array([float(fn(float(x))) for x in u], dtype=np.float64)
    if not np.all(np.isfinite(result)):
        raise ValueError("Expected finite values from scale_fn, but got NaN or inf")
    return result


@spec("base_lr", "max_lr", "step_size_up", "step_size_down")
class Cyclic(Schedule):
    r"""Cyclical learning rate (Smith 2017), a superset of torch's ``CyclicLR``.

    With ``T = step_size_up + step_size_down`` and cycle ``c = floor(1 + t/T)`` (1-based),

    .. math:: \mathrm{lr}_t = b_c + (m_c - b_c)\, s(x_t)\, f

    where ``x_t`` is the position in the cycle, ``s`` the unit wave (``triangular``: linear up
    then down, torch's formula; ``sine``: half-cosines; ``parabolic``: Welch arcs), ``f`` the
    amplitude scale (``mode`` or ``scale_fn``), and ``b_c = base_lr * base_decay**(c-1)``,
    ``m_c = max_lr * max_decay**(c-1)`` the (optionally decaying) bounds. ``exp_range``
    scales by ``gamma**t`` with ``t`` the *global* step, exactly as torch does.

    ``step_size_up`` and ``step_size_down`` count steps and may be fractional, as in torch; each
    lies in [1e-6, 2**53] and a cycle spans at least one step (their sum >= 1).

    Momentum cycles inversely (``max_momentum`` at the bounds' base, ``base_momentum`` at the
    peak), like torch's; it is only computed by :meth:`momentum` and never applied unless asked.

    After ``cycles`` cycles (if given) the LR anneals from the last base to ``tail_lr`` over
    ``tail_steps`` (``tail_shape`` linear, cos or exp) and holds.

    Step convention: ``values(n)[t]`` is the LR of optimizer step ``t``, equal to torch's
    ``CyclicLR`` group LR after ``t`` calls to ``step()``.

    Examples
    --------
    >>> import pyclr
    >>> pyclr.cyclic(0.1, 1.0, step_size_up=4).values(9).round(3).tolist()
    [0.1, 0.325, 0.55, 0.775, 1.0, 0.775, 0.55, 0.325, 0.1]

    References
    ----------
    L. N. Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017, arXiv:1506.01186.
    """

    policy: ClassVar[str] = "cyclic"

    base_lr: float
    max_lr: float
    step_size_up: float = 2000
    step_size_down: float | None = None
    mode: str = "triangular"
    gamma: float = 1.0
    scale_fn: Scale | Callable[[Any], Any] | None = None
    scale_mode: str = "cycle"
    wave: str = "triangular"
    base_decay: float = 1.0
    max_decay: float = 1.0
    cycles: int | None = None
    tail_steps: int = 0
    tail_lr: float | None = None
    tail_shape: str = "linear"
    base_momentum: float | None = 0.8
    max_momentum: float | None = 0.9

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731
        set_("base_lr", v.nonnegative("base_lr", self.base_lr))
        set_("max_lr", v.nonnegative("max_lr", self.max_lr))
        if self.max_lr < self.base_lr:
            raise ValueError(f"Expected max_lr >= base_lr, but got max_lr={self.max_lr} < base_lr={self.base_lr}")
        set_("step_size_up", _step_size("step_size_up", self.step_size_up))
        down = self.step_size_up if self.step_size_down is None else self.step_size_down
        set_("step_size_down", _step_size("step_size_down", down))
        if self.period < 1:
            raise ValueError("Expected step_size_up + step_size_down >= 1 (a cycle of at least one step), "
                             f"but got {self.step_size_up!r} + {self.step_size_down!r}")
        v.choice("mode", self.mode, _MODES)
        set_("gamma", v.in_range("gamma", self.gamma, 0.0, 1.0, low_open=True))
        if self.scale_fn is not None and not (isinstance(self.scale_fn, Scale) or callable(self.scale_fn)):
            raise TypeError(f"Expected a pyclr.Scale or a callable for scale_fn, but got {self.scale_fn!r}")
        v.choice("scale_mode", self.scale_mode, ("cycle", "iterations"))
        v.choice("wave", self.wave, _WAVES)
        set_("base_decay", v.in_range("base_decay", self.base_decay, 0.0, 1.0, low_open=True))
        set_("max_decay", v.in_range("max_decay", self.max_decay, 0.0, 1.0, low_open=True))
        if self.cycles is not None:
            set_("cycles", v.int_at_least("cycles", self.cycles, 1))
        set_("tail_steps", v.int_at_least("tail_steps", self.tail_steps, 0))
        if self.tail_lr is not None:
            set_("tail_lr", v.nonnegative("tail_lr", self.tail_lr))
        v.choice("tail_shape", self.tail_shape, ("linear", "cos", "exp"))
        if self.tail_shape == "exp" and self.tail_lr == 0.0:
            raise ValueError("Expected positive tail_lr with tail_shape='exp', but got 0.0")
        if (self.tail_shape == "exp" and self.tail_lr is not None and self.cycles is not None
                and self._last_base() == 0.0):  # a geometric ramp cannot leave 0
            raise ValueError("Expected a positive last base LR base_lr * base_decay**(cycles - 1) with "
                             f"tail_shape='exp', but got {self.base_lr!r} * {self.base_decay!r}**{self.cycles - 1} = 0.0")
        base_m, max_m = v.momentum_bounds(self.base_momentum, self.max_momentum)
        set_("base_momentum", base_m)
        set_("max_momentum", max_m)
        if self._scale_mode() == "iterations" and not self._is_power_scale() and (self.base_decay != 1.0 or self.max_decay != 1.0):
            raise ValueError("A per-iteration scale_fn cannot be combined with base_decay/max_decay != 1")

    # ---------------------------------------------------------------- helpers
    @property
    def period(self) -> float:
        return self.step_size_up + self._down

    @property
    def _down(self) -> float:
        return cast(float, self.step_size_down)  # __post_init__ replaces None by step_size_up

    def _scale(self) -> Any:
        if self.scale_fn is not None:
            return self.scale_fn
        if self.mode == "triangular2":
            return Scale.power(0.5, offset=1)
        if self.mode == "exp_range":
            return Scale.power(self.gamma)
        return None

    def _scale_mode(self) -> str:
        if self.scale_fn is not None:
            return self.scale_mode
        return "iterations" if self.mode == "exp_range" else "cycle"

    def _is_power_scale(self) -> bool:
        scale = self._scale()
        return isinstance(scale, Scale) and scale.kind == "power"

    @property
    def has_momentum(self) -> bool:
        return self.base_momentum is not None

    def cycles_in(self, n: int) -> float:
        count = n / self.period
        return min(count, self.cycles) if self.cycles is not None else count

    @property
    def cycles_end(self) -> int:
        """First step after the cycle limit (a huge number when cycles is None)."""
        return FOREVER if self.cycles is None else min(math.ceil(self.cycles * self.period), FOREVER)

    def _last_base(self) -> float:
        return self.base_lr * self.base_decay ** (cast(int, self.cycles) - 1)  # only with cycles set

    # ---------------------------------------------------------------- program
    def _program(self, start: int, stop: int, channel: str) -> Program:
        period, end = self.period, self.cycles_end
        scale, per_iteration = self._scale(), self._scale_mode() == "iterations"
        envelope = math.log(scale.gamma) if per_iteration and self._is_power_scale() else 0.0

        j0, j1 = cycle_range(0, end, 0.0, period, start, stop)
        j = np.arange(j0, j1, dtype=np.float64)
        f = _evaluate_scale(scale, j + 1) if scale is not None and not per_iteration else np.ones_like(j)
        if envelope:  # gamma**t = gamma**(cycle origin - offset) * gamma**x
            f = f * np.power(scale.gamma, j * period - scale.offset)
        if channel == "lr":
            low = self.base_lr * np.power(self.base_decay, j)
            amp = (self.max_lr * np.power(self.max_decay, j) - low) * f
        else:  # only asked for when has_momentum: both bounds set
            top, bottom = cast(float, self.max_momentum), cast(float, self.base_momentum)
            low = np.full_like(j, top)
            amp = -(top - bottom) * f
        with np.errstate(over="ignore", invalid="ignore"):
            finite = np.all(np.isfinite(low + amp))
        if not finite:  # only a scale_fn far above 1 gets here
            raise ValueError(f"Expected finite cycle bounds, but scale_fn={scale!r} scales the amplitude to inf")
        pieces = _wave_pieces(self.wave, self.step_size_up, self._down, envelope)
        program = Program([], [Cycles(0, end, 0.0, period, j0, low, amp, pieces)], [])
        if per_iteration and not envelope and scale is not None:
            program.posts.append(Post(0, end, 0, float(low[0]) if low.size else 0.0, functools.partial(_evaluate_scale, scale)))
        if self.cycles is not None:
            program = program.add(self._tail(channel, end))
        return program

    def _tail(self, channel: str, end: int) -> Program:
        if channel == "momentum":
            return Program.constant(cast(float, self.max_momentum), end, FOREVER)
        last_base = self._last_base()
        target = last_base if self.tail_lr is None else self.tail_lr
        tail = ramp(self.tail_shape, end, end + self.tail_steps, float(end), self.tail_steps, last_base, target)
        return Program([tail], [], []).add(Program.constant(target, end + self.tail_steps, FOREVER))
