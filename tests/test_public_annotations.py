"""Every public callable says what it returns, at run time (``inspect.signature``, ``help()``) and to a type checker.

The public API is ``pyclr.__all__``, ``pyclr.torch``, ``pyclr.finder`` and ``pyclr.logs``: each
function there, and each public method and property of each class there (inherited ones from pyclr's
own base classes included), has a return annotation; it is ``None`` only for the procedures listed
in :data:`RETURNS_NONE`, and the annotation names real types. The schedule factories
(``pyclr.cyclic`` ...) share the signature of their class, whose generated ``__init__`` says
``-> None``: theirs must say the schedule they build. Finally mypy, given a user's script, sees those
types through ``py.typed``.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

import pyclr

pytestmark = pytest.mark.all_backends  # nothing here depends on the kernel backend

MODULES = ["pyclr", "pyclr.torch", "pyclr.finder", "pyclr.logs"]

#: Public callables that return nothing; every other one must annotate a real return type.
RETURNS_NONE = {
    "pyclr.torch.ScheduledLR.step", "pyclr.torch.ScheduledLR.load_state_dict",
    "pyclr.torch.ScheduleHandle.remove", "pyclr.torch.ScheduleHandle.load_state_dict",
    "pyclr.torch.RangeTestResult.save",
}

FACTORIES = ["cyclic", "one_cycle", "sgdr", "warmup_decay", "constant", "step_decay", "multiplicative_cycles"]


def _module(name: str):
    if name == "pyclr.torch":
        pytest.importorskip("torch")
    return importlib.import_module(name)


def _public_callables(module_name: str):
    """(qualified name, function) of every public function, method and property getter of ``module_name``."""
    module = _module(module_name)
    found = []
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj):
            seen = set()
            for klass in obj.__mro__:
                if not klass.__module__.startswith("pyclr"):
                    continue  # torch's LRScheduler, object, ...
                for attr, value in vars(klass).items():
                    if attr in seen or (attr.startswith("_") and attr != "__call__"):
                        continue
                    seen.add(attr)
                    if isinstance(value, (staticmethod, classmethod)):
                        value = value.__func__
                    elif isinstance(value, property):
                        value = value.fget
                    if inspect.isfunction(value):
                        found.append((f"{module_name}.{name}.{attr}", value))
        elif callable(obj):
            found.append((f"{module_name}.{name}", obj))
    return found


def _namespace(func) -> dict:
    """The names an annotation of ``func`` can use: its module's globals and its ``if TYPE_CHECKING:``
    imports; the names of those whose package is not installed here are in ``namespace["__optional__"]``."""
    module = sys.modules[func.__module__]
    namespace = dict(vars(module))
    optional: set = set()
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            for stmt in node.body:
                if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                    code = compile(ast.Module(body=[stmt], type_ignores=[]), module.__file__, "exec")
                    try:
                        exec(code, namespace)  # noqa: S102 -- the module's own import lines
                    except ImportError:  # an optional dependency that is not installed here
                        optional.update(alias.asname or alias.name.split(".")[0] for alias in stmt.names)
    namespace["__optional__"] = optional
    return namespace


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_callable_annotates_its_return(module_name):
    missing, none = [], []
    for qualname, func in _public_callables(module_name):
        returns = inspect.signature(func).return_annotation
        if returns is inspect.Signature.empty:
            missing.append(qualname)
        elif returns in (None, "None") and qualname not in RETURNS_NONE:
            none.append(qualname)
        elif qualname in RETURNS_NONE and returns not in (None, "None"):
            none.append(f"{qualname} (listed in RETURNS_NONE but returns {returns!r})")
    assert not missing, f"no return annotation: {missing}"
    assert not none, f"'-> None' on a callable that returns something: {none}"


def test_returns_none_list_is_not_stale():
    pytest.importorskip("torch")
    public = {q for m in MODULES for q, _ in _public_callables(m)}
    assert RETURNS_NONE <= public, sorted(RETURNS_NONE - public)


@pytest.mark.parametrize("module_name", ["pyclr.plot", "pyclr.keras", "pyclr.jax", "pyclr.lightning"])
def test_adapters_annotate_every_return(module_name, monkeypatch):
    """The optional adapters too (where their framework is installed): some return value, even if None."""
    if module_name == "pyclr.keras" and importlib.util.find_spec("tensorflow") is None:
        monkeypatch.setenv("KERAS_BACKEND", "torch")  # Keras' default backend is TensorFlow (as tests/test_keras.py)
    pytest.importorskip(module_name)
    module = sys.modules[module_name]
    missing = [f"{module_name}.{name}" for name in module.__all__ if callable(getattr(module, name))
               and not inspect.isclass(getattr(module, name))
               and inspect.signature(getattr(module, name)).return_annotation is inspect.Signature.empty]
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj):
            for attr, value in vars(obj).items():
                value = value.fget if isinstance(value, property) else getattr(value, "__func__", value)
                if inspect.isfunction(value) and (not attr.startswith("_") or attr == "__call__"):
                    if inspect.signature(value).return_annotation is inspect.Signature.empty:
                        missing.append(f"{module_name}.{name}.{attr}")
    assert not missing, f"no return annotation: {missing}"


@pytest.mark.skipif(sys.version_info < (3, 10), reason="'X | Y' annotations evaluate from Python 3.10 on")
@pytest.mark.parametrize("module_name", MODULES)
def test_return_annotations_name_real_types(module_name):
    for qualname, func in _public_callables(module_name):
        returns = inspect.signature(func).return_annotation
        if isinstance(returns, str):
            namespace = _namespace(func)
            try:
                eval(returns, namespace)  # noqa: S307 -- our own annotation strings
            except NameError as exc:
                if exc.name not in namespace["__optional__"]:  # matplotlib's Axes where it is not installed
                    pytest.fail(f"{qualname}: return annotation {returns!r} does not evaluate: {exc!r}")
            except Exception as exc:  # a typo, or a name the module cannot see
                pytest.fail(f"{qualname}: return annotation {returns!r} does not evaluate: {exc!r}")


@pytest.mark.parametrize("name", FACTORIES)
def test_factories_return_their_schedule_or_per_group(name):
    factory = getattr(pyclr, name)
    cls = factory.__wrapped__
    signature = inspect.signature(factory)
    assert signature.return_annotation == f"{cls.__name__} | PerGroup"
    assert list(signature.parameters) == list(inspect.signature(cls).parameters)  # the class's own parameters
    assert inspect.signature(cls).return_annotation in (None, "None")  # why the factories need their own


def test_factory_annotations_match_what_they_build():
    s = pyclr.cyclic(0.1, 1.0, step_size_up=4)
    assert type(s) is pyclr.Cyclic
    groups = pyclr.cyclic([0.1, 0.2], 1.0, step_size_up=4)
    assert type(groups) is pyclr.PerGroup and groups.groups == 2
    assert type(pyclr.one_cycle(1.0, 10)) is pyclr.OneCycle
    assert type(pyclr.sgdr([1.0, 2.0], 10)) is pyclr.PerGroup
    assert isinstance(pyclr.warmup_cosine(1.0, 10), pyclr.WarmupDecay)


def _mypy_env(tmp_path: Path) -> dict:
    """mypy finds an installed pyclr through site-packages; a source checkout (editable install) needs MYPYPATH."""
    env = {**os.environ, "MYPY_CACHE_DIR": str(tmp_path / "cache")}
    parent = Path(pyclr.__file__).resolve().parent.parent
    site = {Path(p).resolve() for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}
    if parent not in site:
        env["MYPYPATH"] = str(parent)
    return env


def test_mypy_sees_the_public_types(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install 'pyclr-lr[dev]')")
    script = tmp_path / "user.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import pyclr

        s = pyclr.cyclic(1e-4, 1e-2, step_size_up=2000)
        reveal_type(s)
        reveal_type(s.values(10))
        reveal_type(pyclr.one_cycle(0.1, 100).at(5))
        reveal_type(pyclr.analyze(np.geomspace(1e-5, 1, 50), np.ones(50)))
        reveal_type(pyclr.suggest(np.geomspace(1e-5, 1, 50), np.ones(50)))
        reveal_type(pyclr.Schedule.from_dict(s.to_dict()))
        reveal_type(pyclr.sgdr(0.1, 10).then(pyclr.constant(0.01), 5))
        lr: str = pyclr.one_cycle(0.1, 100).at(5)
    """))
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary", "--follow-imports=silent",
         "--ignore-missing-imports", str(script)],
        cwd=tmp_path, capture_output=True, text=True, timeout=600, env=_mypy_env(tmp_path),
    )
    out = proc.stdout + proc.stderr
    # mypy before 2.0 spells builtins as builtins.float; numpy 1.x and 2.x spell ndarray's shape differently
    revealed = [line.split("Revealed type is ", 1)[1].strip('"').replace("builtins.", "")
                for line in out.splitlines() if "Revealed type" in line]
    assert len(revealed) == 7 and revealed[1].startswith("numpy.ndarray["), out
    revealed[1] = "numpy.ndarray"
    assert revealed == [
        "pyclr.schedules.cyclic.Cyclic | pyclr.schedules.compose.PerGroup",
        "numpy.ndarray",
        "float | tuple[float, ...]",
        "pyclr.finder.result.Analysis",
        "float",
        "pyclr.schedules.base.Schedule",
        "pyclr.schedules.compose.Join",
    ], out
    # and it catches a wrong use: at() returns a float (or a tuple per group), not a str
    wrong = script.read_text().splitlines().index("lr: str = pyclr.one_cycle(0.1, 100).at(5)") + 1
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1 and "Incompatible types in assignment" in errors[0], out
    assert f"user.py:{wrong}:" in errors[0], out
