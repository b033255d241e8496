"""Validation of a range-test log (lrs, losses): one place for analyze(), suggest() and load_log().

Errors name the parameter and the value, with the same text on every backend (the scan is a
kernel; the checks on its answer are here).
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .. import _backend

__all__ = ["as_vector", "check_pair", "check_lrs", "scan"]


def as_vector(name: str, value: Any, source: Optional[str] = None) -> np.ndarray:
    """``value`` as a contiguous 1-D float64 array, or a TypeError / ValueError naming ``name``
    (and ``source``, the file or object it came from). Accepts sequences, arrays, torch tensors
    (without importing torch) and lists of 0-d tensors; refuses strings, complex numbers and
    integers beyond the float64 range."""
    where = f" in {source}" if source else ""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"Expected a 1-D sequence of numbers for {name}{where}, but got {value!r}")
    kind = getattr(getattr(value, "dtype", None), "kind", None)
    if kind == "c":  # NumPy would drop the imaginary part, and warn
        raise TypeError(f"Expected real numbers for {name}{where}, but got {value.dtype} values")
    if kind in ("U", "S", "V", "M", "m"):  # NumPy would parse "1.5" as a number
        raise TypeError(f"Expected a 1-D sequence of numbers for {name}{where}, but got dtype {value.dtype}")
    try:
        probe = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"Expected a 1-D sequence of numbers for {name}{where}, but got {type(value).__name__}") from exc
    if probe.dtype.kind in ("U", "S", "V", "M", "m", "c"):
        raise TypeError(f"Expected a 1-D sequence of real numbers for {name}{where}, but got dtype {probe.dtype}")
    try:
        try:
            arr = probe.astype(np.float64)
        except (TypeError, ValueError):
            arr = np.asarray([float(e) for e in value], dtype=np.float64)  # lists of 0-d tensors
    except OverflowError as exc:  # a Python int beyond float64, e.g. 10**400 in a JSON file
        raise ValueError(f"Expected {name} values within the float64 range{where}, but: {exc}") from exc
    except Exception as exc:
        raise TypeError(f"Expected a 1-D sequence of numbers for {name}{where}, but got {type(value).__name__}") from exc
    if arr.ndim != 1:
        raise ValueError(f"Expected a 1-D sequence for {name}{where}, but got an array of shape {arr.shape}")
    return np.ascontiguousarray(arr)


def check_pair(lrs: Any, losses: Any, min_points: int = 2, source: Optional[str] = None,
               names: tuple = ("lrs", "losses")) -> tuple[np.ndarray, np.ndarray]:
    """Both columns of a log as float64 vectors of equal length, at least ``min_points`` long."""
    x = as_vector(names[0], lrs, source)
    y = as_vector(names[1], losses, source)
    where = f" in {source}" if source else ""
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Expected {names[0]} and {names[1]} of equal length{where}, but got {x.shape[0]} and "
                         f"{y.shape[0]}")
    if x.shape[0] < min_points:
        what = "row" if source else "point"
        count = "one" if min_points == 1 else str(min_points)
        raise ValueError(f"Expected at least {count} {what}{'s' if min_points > 1 else ''}"
                         f"{where or ' in the log'}, but got {x.shape[0]}")
    return x, y


def check_lrs(x: np.ndarray, stats: np.ndarray) -> None:
    i = int(stats[0])
    if i >= 0:
        raise ValueError(f"Expected positive, finite lr values, but got {float(x[i])!r} at index {i}")


def scan(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    stats = np.empty(6, dtype=np.int64)
    _backend.kernels().scan_log(x, y, stats)
    return stats
