"""The type stub of the compiled kernels, ``pyclr/_core.pyi``, against the extension and the other backends.

The stub is generated with pybind11-stubgen from the built extension and committed, so that type
checkers and editors see the kernels' signatures without importing ``pyclr._core``. Three checks
keep it honest:

* regenerating it from the installed extension gives the committed file byte for byte (skipped,
  with the reason, where the extension is not built or pybind11-stubgen is not installed);
* it declares exactly the kernels of the NumPy reference backend (``pyclr._reference``), with the
  same parameter names in the same order (the backends' shared contract, see ``_backend.py``);
* its constants equal those of ``pyclr._contract`` and of the reference backend.

The last two read the stub as text and run without the extension.

To refresh the stub after changing a binding (from the repository root, with the extension built)::

    pybind11-stubgen pyclr._core -o /tmp/stubs && cp /tmp/stubs/pyclr/_core.pyi pyclr/_core.pyi
"""
from __future__ import annotations

import ast
import difflib
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

import pyclr
from pyclr import _contract
from pyclr._reference import finder as reference_finder
from pyclr._reference import schedule as reference_schedule

# One pass is enough: nothing here depends on the active backend.
pytestmark = pytest.mark.all_backends

STUB = Path(pyclr.__file__).with_name("_core.pyi")
REGENERATE = "pybind11-stubgen pyclr._core -o /tmp/stubs && cp /tmp/stubs/pyclr/_core.pyi pyclr/_core.pyi"


def _stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"), filename=str(STUB))


def _stub_functions() -> dict[str, list[list[str]]]:
    """Kernel name -> the parameter names of each of its declarations (one per overload)."""
    functions: dict[str, list[list[str]]] = {}
    for node in _stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            functions.setdefault(node.name, []).append([a.arg for a in node.args.posonlyargs + node.args.args])
    return functions


def _stub_constants() -> dict[str, object]:
    constants = {}
    for node in _stub_tree().body:
        if (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None
                and node.target.id != "__all__"):
            constants[node.target.id] = ast.literal_eval(node.value)
    return constants


def _reference_kernels() -> dict[str, list[str]]:
    kernels = {}
    for module in (reference_finder, reference_schedule):
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):
                kernels[name] = list(inspect.signature(value).parameters)
    return kernels


def _reference_constants() -> dict[str, object]:
    return {name: getattr(module, name) for module in (reference_finder, reference_schedule)
            for name in module.__all__ if not callable(getattr(module, name))}


def test_stub_is_shipped_beside_the_package():
    assert STUB.is_file(), f"{STUB} is missing"
    assert STUB.with_name("py.typed").is_file(), "pyclr/py.typed is missing: type checkers would ignore pyclr"


def test_stub_matches_the_compiled_extension(tmp_path):
    if importlib.util.find_spec("pybind11_stubgen") is None:
        pytest.skip("pybind11-stubgen is not installed (pip install 'pyclr-lr[dev]')")
    try:
        import pyclr._core  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"the cpp backend is not built, so there is no extension to compare the stub with: {exc}")
    # From an empty directory, with this interpreter: the installed package (and its extension) is imported.
    proc = subprocess.run(
        [sys.executable, "-m", "pybind11_stubgen", "pyclr._core", "--exit-code", "-o", str(tmp_path / "out")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert proc.returncode == 0, f"pybind11-stubgen failed:\n{proc.stdout}\n{proc.stderr}"
    generated = (tmp_path / "out" / "pyclr" / "_core.pyi").read_text(encoding="utf-8")
    committed = STUB.read_text(encoding="utf-8")
    if generated != committed:
        diff = "".join(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True),
                                            "pyclr/_core.pyi (committed)", "pyclr/_core.pyi (from the extension)"))
        pytest.fail(f"pyclr/_core.pyi is out of date with the compiled extension; regenerate it with\n"
                    f"    {REGENERATE}\n{diff}")


def test_stub_declares_every_reference_kernel_with_its_parameters():
    stub, reference = _stub_functions(), _reference_kernels()
    assert sorted(stub) == sorted(reference), (
        f"kernels only in the stub: {sorted(set(stub) - set(reference))}; "
        f"only in pyclr._reference: {sorted(set(reference) - set(stub))}")
    for name, declarations in stub.items():
        for params in declarations:  # fill_segments / fill_cycles: one overload per dtype of out
            assert params == reference[name], f"{name}: stub parameters {params}, reference {reference[name]}"


def test_stub_overloads_only_the_schedule_fills_by_dtype():
    overloaded = {name for name, declarations in _stub_functions().items() if len(declarations) > 1}
    assert overloaded == {"fill_segments", "fill_cycles"}
    text = STUB.read_text(encoding="utf-8")
    for name in overloaded:
        for dtype in ("float64", "float32"):
            assert f"def {name}(out: numpy.typing.NDArray[numpy.{dtype}]" in text, (name, dtype)


def test_stub_constants_match_the_contract_and_the_reference():
    constants = _stub_constants()
    assert constants["RESULT_SLOTS"] == {name: i for i, name in enumerate(_contract.RESULT_SLOTS)}
    for name in ("ANALYZE_RESULT_SIZE", "LOWESS_WORK_ROWS", "ANALYZE_WORK_ROWS"):
        assert constants[name] == getattr(_contract, name), name
    for name, value in _reference_constants().items():
        assert constants[name] == value, name
    assert set(constants) == {"RESULT_SLOTS"} | set(_reference_constants()), sorted(constants)


def test_stub_all_lists_every_declared_name():
    declared = set(_stub_functions()) | set(_stub_constants())
    exported = None
    for node in _stub_tree().body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__":
            exported = set(ast.literal_eval(node.value))
    assert exported == declared
