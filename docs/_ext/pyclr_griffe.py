"""griffe extensions for pyclr's API reference: Sphinx markup as Markdown, and spec signatures.

**SphinxRoles**: render the Sphinx markup of pyclr's docstrings as Markdown.

pyclr's docstrings are numpydoc with Sphinx roles (``:func:`analyze```, ``:class:`~pyclr.torch.ScheduledLR```,
``:math:`...```) and ``.. math::`` blocks, so that ``help()`` and Sphinx-style readers see
what they expect. mkdocstrings renders Markdown, where those would show as raw text. This
extension rewrites each docstring once, after griffe has loaded the package:

* a cross-reference role becomes an optional autorefs link: a link to the object's entry in
  the API reference where there is one, plain code where there is none (a private helper,
  say), never a broken-link warning;
* ``:math:`x``` becomes inline code, a ``.. math::`` block a code block (the site stays
  offline: no MathJax);
* an RST simple table (``====  ====`` rules) becomes a Markdown table; a row whose first cell
  is empty continues the row above it.

**SpecSignatures**: the policies are frozen dataclasses made by pyclr's own ``@spec(...)``
decorator (``dataclasses.KW_ONLY`` on every Python), which griffe's static analysis does not know;
this gives each one the ``__init__`` signature the decorator builds at run time (read from the
imported class: the fields in order, those named in ``spec(...)`` positional, the others
keyword-only, with their defaults).

mkdocs.yml loads both with ``extensions: [docs/_ext/pyclr_griffe.py]``.
"""
from __future__ import annotations

import html
import importlib
import inspect
import re
from typing import Any

import griffe

_ROLE = re.compile(r":(?:py:)?(func|class|meth|mod|attr|data|obj|exc|const):`(~?)([^`<>]+?)(\(\))?`")
_MATH_ROLE = re.compile(r":math:`([^`]*)`")
_MATH_BLOCK = re.compile(r"^(?P<indent>[ \t]*)\.\. math::[ \t]*(?P<first>.*)\n(?P<rest>(?:(?P=indent)[ \t]+\S.*\n|[ \t]*\n)*)",
                         re.MULTILINE)


def _lookup(root: griffe.Module, path: str) -> bool:
    """Whether ``path`` names an object of the loaded package (aliases followed)."""
    parts = path.split(".")
    if parts[0] != root.name:
        return False
    obj: Any = root
    try:
        for part in parts[1:]:
            obj = obj.members[part]
    except (KeyError, griffe.AliasResolutionError, griffe.CyclicAliasError):
        return False
    return True


def _resolve(obj: griffe.Object, root: griffe.Module, target: str) -> str | None:
    """The full path that ``target`` names as seen from ``obj``, or None."""
    if target.startswith("."):  # relative to the module, as Sphinx reads `.analysis` in pyclr.finder
        module = obj.module
        base = module.path if module.is_init_module else module.parent.path  # type: ignore[union-attr]
        candidate = f"{base}.{target.lstrip('.')}"
        return candidate if _lookup(root, candidate) else None
    if _lookup(root, target):
        return target
    head, _, tail = target.partition(".")
    scope: Any = obj
    while scope is not None:  # the object, its class, its module, the packages above
        try:
            full = scope.resolve(head)
        except (griffe.NameResolutionError, griffe.AliasResolutionError, KeyError):
            full = None
        if full:
            candidate = f"{full}.{tail}" if tail else full
            if _lookup(root, candidate):
                return candidate
        scope = scope.parent
    return None


_RULE = re.compile(r"^(?P<indent>[ \t]*)(=+)(?:[ \t]+=+)+[ \t]*$")


def _cells(line: str, spans: list[tuple[int, int]]) -> list[str]:
    """The cells of one table line, cut at the rule's columns (the last one runs to the end)."""
    cells = [line[a:b].strip() for a, b in spans[:-1]]
    return cells + [line[spans[-1][0]:].strip()]


def _simple_tables(text: str) -> str:
    """RST simple tables (header between two rules, body up to a third rule) as Markdown tables."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _RULE.match(lines[i])
        rules = [j for j in range(i, min(len(lines), i + 1000)) if _RULE.match(lines[j])][:3] if m else []
        if len(rules) < 3 or rules[1] != i + 2 or lines[rules[2]] != lines[i]:
            out.append(lines[i])
            i += 1
            continue
        spans = [(c.start(), c.end()) for c in re.finditer(r"=+", lines[i])]
        indent = m["indent"]
        header = _cells(lines[i + 1], spans)
        rows: list[list[str]] = []
        for line in lines[i + 3:rules[2]]:
            if not line.strip():
                continue
            cells = _cells(line, spans)
            if cells[0] or not rows:
                rows.append(cells)
            else:  # a continuation line: its text joins the row above, cell by cell
                rows[-1] = [f"{a} {b}".strip() for a, b in zip(rows[-1], cells)]
        out.append(indent + "| " + " | ".join(header) + " |")
        out.append(indent + "|" + "---|" * len(header))
        out.extend(indent + "| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows)
        i = rules[2] + 1
    return "\n".join(out)


def _rewrite(text: str, obj: griffe.Object, root: griffe.Module) -> str:
    def role(match: re.Match) -> str:
        _kind, tilde, target, call = match.groups()
        target = target.strip()
        shown = target.rsplit(".", 1)[-1] if tilde else target.lstrip(".")
        shown = html.escape(shown + (call or ""))
        full = _resolve(obj, root, target)
        if full is None:
            return f"<code>{shown}</code>"
        return f'<autoref identifier="{html.escape(full)}" optional><code>{shown}</code></autoref>'

    def block(match: re.Match) -> str:
        indent = match["indent"]
        lines = [match["first"].strip()] + [line.strip() for line in match["rest"].splitlines()]
        body = "\n".join(indent + line for line in lines if line)
        return f"{indent}```\n{body}\n{indent}```\n\n"

    text = _simple_tables(text)
    text = _MATH_BLOCK.sub(block, text)
    text = _MATH_ROLE.sub(lambda m: f"`{m[1]}`", text)
    return _ROLE.sub(role, text)


class SphinxRoles(griffe.Extension):
    """Rewrite Sphinx roles and math in every docstring of a loaded package."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.docstring is not None:
                obj.docstring.value = _rewrite(obj.docstring.value, obj, pkg)
            stack.extend(member for member in obj.members.values() if not member.is_alias)


def _is_spec(cls: griffe.Class) -> bool:
    """Whether the class is decorated with ``@spec(...)``."""
    return any(isinstance(d.value, griffe.ExprCall) and str(d.value.function).split(".")[-1] == "spec"
               for d in cls.decorators)


def _spec_init(cls: griffe.Class) -> griffe.Function | None:
    """``__init__`` as ``@spec`` builds it at run time (the runtime signature is the truth: a
    field without a default of its own takes a base class attribute's, as dataclasses do),
    with the annotations as written in the source."""
    try:
        runtime = getattr(importlib.import_module(cls.module.path), cls.name)
        signature = inspect.signature(runtime)
    except (ImportError, AttributeError, TypeError, ValueError):
        return None
    params = [griffe.Parameter("self", kind=griffe.ParameterKind.positional_or_keyword)]
    for p in signature.parameters.values():
        member = cls.members.get(p.name)
        params.append(griffe.Parameter(
            p.name,
            annotation=getattr(member, "annotation", None),
            kind=griffe.ParameterKind.keyword_only if p.kind is p.KEYWORD_ONLY else griffe.ParameterKind.positional_or_keyword,
            default=None if p.default is p.empty else repr(p.default),
            docstring=getattr(member, "docstring", None),
        ))
    return griffe.Function("__init__", lineno=0, endlineno=0, parent=cls,
                           parameters=griffe.Parameters(*params), returns="None")


class SpecSignatures(griffe.Extension):
    """Give every ``@spec`` policy class the ``__init__`` signature the decorator builds."""

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        stack: list[griffe.Object] = [pkg]
        while stack:
            obj = stack.pop()
            if obj.is_class and "__init__" not in obj.members:
                init = _spec_init(obj) if _is_spec(obj) else None  # type: ignore[arg-type]
                if init is not None:
                    obj.set_member("__init__", init)
                    obj.labels.add("dataclass")
            stack.extend(member for member in obj.members.values()
                         if not member.is_alias and (member.is_module or member.is_class))
