"""Validation of a range-test log (lrs, losses): one place for analyze(), suggest() and load_log().

Errors name the parameter and the value, with the same text on every backend (the scan is a
kernel; the checks on its answer are here).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .. import _backend

__all__ = ["as_vector", "check_pair", "check_lrs", "scan"]


def as_vector(name: str, value: Any) -> np.ndarray:
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"Expected a 1-D sequence of numbers for {name}, but got {value!r}")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"Expected a 1-D sequence of numbers for {name}, but got {type(value).__name__}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"Expected a 1-D sequence of numbers for {name}, but got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"Expected real numbers for {name}, but got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"Expected a 1-D sequence for {name}, but got an array of shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def check_pair(lrs: Any, losses: Any, min_points: int = 2) -> tuple[np.ndarray, np.ndarray]:
    x = as_vector("lrs", lrs)
    y = as_vector("losses", losses)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"Expected lrs and losses of equal length, but got {x.shape[0]} and {y.shape[0]}")
    if x.shape[0] < min_points:
        raise ValueError(f"Expected at least {min_points} point{'s' if min_points > 1 else ''} in the log, "
                         f"but got {x.shape[0]}")
    return x, y


def check_lrs(x: np.ndarray, stats: np.ndarray) -> None:
    i = int(stats[0])
    if i >= 0:
        raise ValueError(f"Expected positive, finite lr values, but got {float(x[i])!r} at index {i}")


def scan(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    stats = np.empty(6, dtype=np.int64)
    _backend.kernels().scan_log(x, y, stats)
    return stats
