"""The documentation's own checks: examples everywhere, docstrings mkdocstrings can render,
the quickstart that runs.

The doctests themselves run with ``python -m pytest --doctest-modules pyclr`` and the site with
``mkdocs build --strict`` (both in ``.ci/docs``); these tests guard what those two cannot see:
a public function that lost its example, a numpydoc section griffe cannot parse (mkdocstrings
only warns for what a page renders), the Sphinx-role rewriting of the site, and the code on the
home page.
"""
from __future__ import annotations

import importlib.util
import importlib
import inspect
import logging
import os
import re

import pytest

import pyclr

pytestmark = pytest.mark.all_backends  # docstrings and pages, not kernels: one pass

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir)
DOCS = os.path.join(ROOT, "docs")

#: Public names whose docstring must carry a doctested example (``>>>``).
SCHEDULE_METHODS = ("values", "momentum", "at", "to_dict", "from_dict", "describe")


def _public_objects():
    names = [(f"pyclr.{n}", getattr(pyclr, n)) for n in pyclr.__all__ if n != "__version__"]
    names += [(f"pyclr.Schedule.{m}", getattr(pyclr.Schedule, m)) for m in SCHEDULE_METHODS]
    if importlib.util.find_spec("torch") is not None:
        torch_api = importlib.import_module("pyclr.torch")
        names += [(f"pyclr.torch.{n}", getattr(torch_api, n)) for n in torch_api.__all__]
    return names


@pytest.mark.parametrize("name, obj", _public_objects(), ids=lambda x: x if isinstance(x, str) else "")
def test_public_api_has_an_example(name, obj):
    doc = inspect.getdoc(obj) or ""
    assert ">>>" in doc, f"{name} has no doctested example"


def _load_extension():
    path = os.path.join(DOCS, "_ext", "pyclr_griffe.py")
    spec = importlib.util.spec_from_file_location("pyclr_docs_griffe", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def griffe_package():
    griffe = pytest.importorskip("griffe")
    ext = _load_extension()
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Collect(level=logging.WARNING)
    logger = logging.getLogger("griffe")
    logger.addHandler(handler)
    try:
        pkg = griffe.load("pyclr", search_paths=[ROOT], docstring_parser="numpy",
                          extensions=griffe.load_extensions(ext.SphinxRoles))
        parsed = []
        stack = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.parse("numpy", warn_unknown_params=True)
                parsed.append(obj.path)
            stack.extend(member for member in obj.members.values() if not member.is_alias)
    finally:
        logger.removeHandler(handler)
    return pkg, parsed, messages


def test_every_docstring_parses_as_numpydoc_without_warnings(griffe_package):
    """What mkdocstrings reports in strict mode, for every docstring, rendered or not."""
    _, parsed, messages = griffe_package
    assert len(parsed) > 200  # the whole package was walked, not an empty tree
    assert messages == []


def test_sphinx_roles_become_links_or_code(griffe_package):
    pkg, _, _ = griffe_package
    text = pkg["finder.analysis.analyze"].docstring.value
    # :func:`pyclr.load_log` resolves: an optional autorefs link to the API entry
    assert '<autoref identifier="pyclr.load_log" optional><code>pyclr.load_log</code></autoref>' in text
    # :math:`...` becomes inline code, and no Sphinx role is left anywhere
    assert "`x = \\log_{10}(lr)`" in text
    stack, leftovers = [pkg], []
    while stack:
        obj = stack.pop()
        if obj.docstring is not None:
            leftovers += re.findall(r":(?:func|class|meth|mod|attr|data|math):`", obj.docstring.value)
            leftovers += re.findall(r"^\s*\.\. math::", obj.docstring.value, re.MULTILINE)
        stack.extend(member for member in obj.members.values() if not member.is_alias)
    assert leftovers == []
    # an RST simple table becomes a Markdown one, continuation lines joined to their row
    table = pkg["finder.anchors.suggest"].docstring.value
    assert "| ``method`` | mirrors |\n|---|---|\n" in table
    assert "| ``\"valley\"`` | fastai 2.8 ``valley`` (default of ``lr_find``): debiased EMA" in table
    assert "=====" not in table
    # a .. math:: block becomes a code block
    assert "```\n\\mathrm{lr}_t = b_c" in pkg["schedules.cyclic.Cyclic"].docstring.value


def test_role_rewriting_resolves_relative_and_tilde_names():
    griffe = pytest.importorskip("griffe")
    ext = _load_extension()
    pkg = griffe.load("pyclr", search_paths=[ROOT])
    hook = pkg["torch.hook.attach"]
    out = ext._rewrite("see :class:`~pyclr.torch.ScheduledLR` and :func:`_private_helper`", hook, pkg)
    assert '<autoref identifier="pyclr.torch.ScheduledLR" optional><code>ScheduledLR</code></autoref>' in out
    assert "<code>_private_helper</code>" in out and "autoref identifier=\"_private" not in out
    finder = pkg["finder"]
    out = ext._rewrite(":mod:`.anchors`", finder, pkg)
    assert 'identifier="pyclr.finder.anchors"' in out


def _python_blocks(page: str) -> list[str]:
    with open(os.path.join(DOCS, page), encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.DOTALL)


@pytest.mark.slow
def test_home_page_examples_run():
    """The quickstart's code (a range test, the bounds, a schedule, a training loop) runs as shown."""
    torch = pytest.importorskip("torch")
    blocks = _python_blocks("index.md")
    assert len(blocks) >= 2
    spaces = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model: threads only contend on a shared CI machine
    try:
        for block in blocks:
            namespace: dict = {}
            exec(compile(block, "docs/index.md", "exec"), namespace)
            spaces.append(namespace)
    finally:
        torch.set_num_threads(threads)
    # the torch block trained with a cyclical schedule built from bounds the analysis trusted
    assert spaces[0]["a"].verdict == "ok"
    assert isinstance(spaces[0]["scheduler"].schedule, pyclr.Cyclic)
    assert spaces[0]["scheduler"].last_epoch == 8 * len(spaces[0]["loader"])


def test_spec_signatures_in_the_reference_match_the_runtime_ones():
    """The site shows each policy's signature as ``@spec`` builds it: names, kinds, defaults."""
    griffe = pytest.importorskip("griffe")
    ext = _load_extension()
    pkg = griffe.load("pyclr", search_paths=[ROOT], extensions=griffe.load_extensions(ext.SpecSignatures))
    checked = 0
    for name in pyclr.__all__:
        cls = getattr(pyclr, name)
        if not (inspect.isclass(cls) and issubclass(cls, pyclr.Schedule)):
            continue
        doc_class = pkg[cls.__module__.split(".", 1)[1] + "." + cls.__qualname__]
        if "__init__" not in doc_class.members:
            continue  # a plain @dataclass: griffe's own dataclass support builds it
        shown = [(p.name, p.kind.value, None if p.default is None else str(p.default))
                 for p in doc_class.members["__init__"].parameters][1:]
        runtime = [(p.name, p.kind.description, None if p.default is inspect.Parameter.empty else repr(p.default))
                   for p in inspect.signature(cls).parameters.values()]
        assert shown == runtime, name
        checked += 1
    assert checked >= 6  # Cyclic, OneCycle, SGDR, WarmupDecay, StepDecay, MultiplicativeCycles
