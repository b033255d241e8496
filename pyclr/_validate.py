"""Argument validation, in one place.

Every public function validates through these helpers, so a bad value gets the same
message everywhere: ``Expected positive step_size_up, but got 0``. Kernels never
validate; they only ever see what passed through here.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterable

import numpy as np

__all__ = [
    "as_int",
    "as_float",
    "positive",
    "nonnegative",
    "in_range",
    "choice",
    "boolean",
    "int_at_least",
    "float_list",
    "momentum_bounds",
    "schedule",
]


def _describe(value: Any) -> str:
    return repr(value)


def as_float(name: str, value: Any) -> float:
    """A finite real number (bool rejected); returns a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"Expected a real number for {name}, but got {_describe(value)} of type {type(value).__name__}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"Expected finite {name}, but got {_describe(value)}")
    return result


#: Largest integer argument accepted (steps, counts, sizes): every integer up to it is exact in
#: float64, in which the kernels place steps, and sums of a few of them stay far inside int64.
MAX_INT = 2**53
#: Most threads one call may ask for (schedule windows, batched analyses): a pool of 10**12 workers
#: is a typo, not a request.
MAX_THREADS = 1024


def as_int(name: str, value: Any) -> int:
    """An integer (Python or NumPy; bool and floats rejected) of magnitude at most :data:`MAX_INT`;
    returns a Python int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"Expected an integer for {name}, but got {_describe(value)} of type {type(value).__name__}")
    result = int(value)
    if abs(result) > MAX_INT:
        raise ValueError(f"Expected {name} of magnitude at most 2**53 ({MAX_INT}), but got {_describe(value)}")
    return result


def positive(name: str, value: Any) -> float:
    result = as_float(name, value)
    if result <= 0:
        raise ValueError(f"Expected positive {name}, but got {_describe(value)}")
    return result


def nonnegative(name: str, value: Any) -> float:
    result = as_float(name, value)
    if result < 0:
        raise ValueError(f"Expected non-negative {name}, but got {_describe(value)}")
    return result


def in_range(name: str, value: Any, low: float, high: float, *, low_open: bool = False, high_open: bool = False) -> float:
    """A finite float in [low, high] (ends open where asked)."""
    result = as_float(name, value)
    too_low = result <= low if low_open else result < low
    too_high = result >= high if high_open else result > high
    if too_low or too_high:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise ValueError(f"Expected {name} in {lo}{low}, {high}{hi}, but got {_describe(value)}")
    return result


def int_at_least(name: str, value: Any, minimum: int) -> int:
    result = as_int(name, value)
    if result < minimum:
        what = "positive" if minimum == 1 else ("non-negative" if minimum == 0 else f">= {minimum}")
        raise ValueError(f"Expected {what} {name}, but got {_describe(value)}")
    return result


def choice(name: str, value: Any, options: Iterable[str]) -> str:
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"Expected {name} in {options}, but got {_describe(value)}")
    return value


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"Expected a bool for {name}, but got {_describe(value)} of type {type(value).__name__}")
    return bool(value)


def schedule(name: str, value: Any, one_group: str = "") -> Any:
    """``value`` if it is a pyclr schedule, else TypeError naming ``name``. With ``one_group`` (what
    to do instead, for a caller that drives a single learning rate), a per-group schedule is a
    ValueError."""
    from .schedules.base import Schedule  # here, not at the top: the schedules import this module

    if not isinstance(value, Schedule):
        raise TypeError(f"Expected a pyclr schedule for {name}, but got {value!r:.80} of type {type(value).__name__}")
    if one_group and value.groups is not None:
        raise ValueError(f"Expected a single-group schedule for {name}, but got one with {value.groups} groups: "
                         f"{one_group}")
    return value


def momentum_bounds(base_momentum: Any, max_momentum: Any) -> tuple[float | None, float | None]:
    """Both momenta in [0, 1), or both None (no momentum channel)."""
    if (base_momentum is None) != (max_momentum is None):
        raise ValueError("Expected base_momentum and max_momentum both set or both None, "
                         f"but got {base_momentum!r} and {max_momentum!r}")
    if base_momentum is None:
        return None, None
    return (in_range("base_momentum", base_momentum, 0.0, 1.0, high_open=True),
            in_range("max_momentum", max_momentum, 0.0, 1.0, high_open=True))


def float_list(name: str, value: Any, check=positive) -> tuple[float, ...]:
    """A non-empty list/tuple/1-D array of numbers, each checked by ``check``; returns a tuple."""
    if isinstance(value, np.ndarray):
        if value.ndim != 1:
            raise ValueError(f"Expected a 1-D sequence for {name}, but got an array of shape {value.shape}")
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or len(value) == 0:
        raise TypeError(f"Expected a non-empty list of numbers for {name}, but got {_describe(value)}")
    return tuple(check(f"{name}[{i}]", v) for i, v in enumerate(value))
