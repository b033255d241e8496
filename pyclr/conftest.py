"""Doctest collection for ``python -m pytest --doctest-modules pyclr`` (not shipped in the wheel).

It lives here, not at the repository root: a root conftest.py would put the checkout on
``sys.path`` for every pytest run, and the test suite would import ``./pyclr`` (without its
compiled extension in a non-editable install) instead of the installed package.

Every docstring example runs in CI (``.ci/docs``). The examples of the framework adapters need
their framework; where one is not installed (the Python 3.9 and 3.13 stages have no torch, Keras
and JAX need Python 3.10+), its modules are not collected, and the few examples elsewhere that
draw a picture are skipped without matplotlib, instead of failing with an ImportError that says
nothing about the code (``PYCLR_DOCTESTS_ALL=1``, set by ``.ci/docs``, makes a missing one an
error instead). The test suite under tests/ is not affected: it imports what it needs itself.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest


def _missing(*modules: str) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


#: Module paths (relative to this file) and the packages their import needs.
_MODULE_NEEDS = {
    "_numba": ("numba",),
    "torch": ("torch",),
    "lightning.py": ("torch", "lightning"),
    "keras.py": ("keras",),
    "jax.py": ("jax", "optax"),
    "plot.py": ("matplotlib",),
}

#: Doctests outside those modules that call into one of them (by the end of their name).
_EXAMPLE_NEEDS = {
    ".plot": ("matplotlib",),  # Analysis.plot, RangeTestResult.plot, ...
    ".as_keras": ("keras",),
    ".as_optax": ("jax", "optax"),
}

collect_ignore = [path for path, needs in _MODULE_NEEDS.items() if _missing(*needs)]

# Keras 3 reads its backend once, at import, from KERAS_BACKEND or ~/.keras/keras.json (whose
# default is TensorFlow). Where TensorFlow is missing but torch is there, the examples run on
# torch, as tests/test_keras.py does; a backend the user chose is left alone.
if ("KERAS_BACKEND" not in os.environ and not _missing("keras", "torch") and _missing("tensorflow")):
    os.environ["KERAS_BACKEND"] = "torch"


def pytest_configure(config: pytest.Config) -> None:
    # .ci/docs sets PYCLR_DOCTESTS_ALL=1: there every example must run, none may be left out.
    if os.environ.get("PYCLR_DOCTESTS_ALL") == "1":
        missing = sorted({m for needs in (*_MODULE_NEEDS.values(), *_EXAMPLE_NEEDS.values()) for m in _missing(*needs)})
        if missing:
            raise pytest.UsageError(f"PYCLR_DOCTESTS_ALL=1 but {', '.join(missing)} not installed: "
                                    "pip install -e '.[test,docs]'")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if type(item).__name__ != "DoctestItem":
            continue
        for suffix, needs in _EXAMPLE_NEEDS.items():
            missing = _missing(*needs)
            if item.name.endswith(suffix) and missing:
                item.add_marker(pytest.mark.skip(reason=f"the example needs {', '.join(missing)}"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """Examples train tiny torch models: on one thread, as fast as on many and without the
    contention that made them take seconds per step on a shared 2-core CI machine."""
    torch = sys.modules.get("torch") if type(item).__name__ == "DoctestItem" else None
    if torch is None:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
