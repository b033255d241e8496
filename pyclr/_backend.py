"""Choose the kernel backend: the C++ extension, numba, or the NumPy reference.

Every backend module exposes the same kernels under the same names and signatures
(see ``pyclr/_reference`` for the readable definitions). Kernels never validate and
never allocate; the Python front end does both once, so errors are identical on
every backend.

The choice is made lazily, on the first kernel call, so ``import pyclr`` imports
neither numba nor the extension. ``PYCLR_BACKEND=cpp|numba|numpy`` forces one and
raises if it cannot be loaded.
"""
from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType

__all__ = ["BACKENDS", "backend", "kernels", "load"]

BACKENDS = ("cpp", "numba", "numpy")
_MODULES = {"cpp": "pyclr._core", "numba": "pyclr._numba", "numpy": "pyclr._reference"}
_active: tuple[str, ModuleType] | None = None


def load(name: str) -> ModuleType:
    """Import and return the kernel module of backend ``name`` (raises ImportError if missing)."""
    if name not in _MODULES:
        raise ValueError(f"Expected backend in {BACKENDS}, but got {name!r}")
    if name == "numba":
        importlib.import_module("numba")  # a clear ImportError when numba itself is missing
        try:
            return importlib.import_module(_MODULES[name])
        except RuntimeError as exc:
            # numba raises "cannot cache function ..." while decorating a cache=True kernel when no
            # cache directory is writable (NUMBA_CACHE_DIR, the package's, the user's): a backend
            # that cannot load, like a missing one, not a crash of the first call
            raise ImportError(f"numba cannot load pyclr's kernels ({exc}); point NUMBA_CACHE_DIR "
                              "at a writable directory") from exc
    return importlib.import_module(_MODULES[name])


def _choose() -> tuple[str, ModuleType]:
    forced = os.environ.get("PYCLR_BACKEND", "").strip().lower()
    if forced:
        if forced not in BACKENDS:
            raise ValueError(f"Expected PYCLR_BACKEND in {BACKENDS}, but got {forced!r}")
        try:
            return forced, load(forced)
        except ImportError as exc:
            raise ImportError(f"PYCLR_BACKEND={forced} was requested but cannot be loaded: {exc}") from exc
    failures = []
    for name in BACKENDS:
        try:
            module = load(name)
        except ImportError as exc:
            failures.append(f"{name}: {exc}")
            continue
        if failures:
            warnings.warn(
                f"pyclr is running on the {name} backend ({'; '.join(failures)}). "
                "Reinstall with a C++ compiler available for the fastest kernels.",
                RuntimeWarning,
                stacklevel=3,
            )
        return name, module
    raise ImportError("no pyclr backend could be loaded: " + "; ".join(failures))  # numpy never fails


def _state() -> tuple[str, ModuleType]:
    global _active
    if _active is None:
        _active = _choose()
    return _active


def kernels() -> ModuleType:
    """The kernel module of the active backend."""
    return _state()[1]


def backend() -> str:
    """Name of the active backend: ``"cpp"``, ``"numba"`` or ``"numpy"``.

    >>> import pyclr
    >>> pyclr.backend() in ("cpp", "numba", "numpy")
    True
    """
    return _state()[0]
