"""Shared fixtures: run kernel tests on every backend that can be loaded.

Two switches keep CI from running a test twice and the default run fast:

* ``--slow`` runs the tests marked ``slow`` (training small models end to end); without it they
  are skipped, so plain ``pytest`` is the fast suite.
* Tests that already cover every backend (through the ``kernels`` or ``use_backend`` fixture, or
  by looping over :data:`BACKENDS` themselves), and tests that use no kernel at all, are marked
  ``all_backends``: one pass covers them, and CI's ``PYCLR_BACKEND=numba|numpy`` passes select
  ``-m "not all_backends"``.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest
from hypothesis import HealthCheck, settings

from pyclr import _backend

# The backend fixtures are deliberately shared by all examples of a test (they only pick a module).
_shared = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("ci", max_examples=60, derandomize=True, **_shared)
settings.register_profile("dev", max_examples=30, **_shared)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def available_backends() -> list[str]:
    names = []
    for name in _backend.BACKENDS:
        if name == "numba" and importlib.util.find_spec("numba") is None:
            continue
        try:
            _backend.load(name)
        except ImportError:
            continue
        names.append(name)
    return names


BACKENDS = available_backends()


@pytest.fixture(params=BACKENDS)
def kernels(request):
    """The kernel module of each available backend in turn."""
    return _backend.load(request.param)


@pytest.fixture(params=BACKENDS)
def use_backend(request, monkeypatch):
    """Route the public API through each available backend in turn; yields its name."""
    monkeypatch.setattr(_backend, "_active", (request.param, _backend.load(request.param)))
    yield request.param


ALL_BACKEND_FIXTURES = {"kernels", "use_backend"}


def pytest_addoption(parser):
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the tests marked slow (end-to-end training of small models)")


def pytest_configure(config):
    config.addinivalue_line("markers", "all_backends: one pass covers every backend (the test loops over them, or uses no kernel)")


#: Modules whose tests fork worker processes: they run first, before any test has started JAX's
#: (or another library's) thread pools, which a forked child could find holding a lock.
FORKING_MODULES = ("test_processes.py",)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.path.name not in FORKING_MODULES)  # stable: order kept otherwise
    skip_slow = None if config.getoption("--slow") else pytest.mark.skip(reason="slow: run with pytest --slow")
    for item in items:
        if ALL_BACKEND_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.all_backends)
        if skip_slow is not None and "slow" in item.keywords:
            item.add_marker(skip_slow)


def load_benchmark(name: str):
    """The module ``benchmarks/<name>.py`` (tests assert the claims its tables print), loaded once."""
    key = f"pyclr_bench_{name}"
    if key not in sys.modules:
        path = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "benchmarks", f"{name}.py")
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    return sys.modules[key]
