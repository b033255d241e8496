"""The finder evaluation suite (``studies/``) end to end on its quick subset, into a fresh cache.

``studies`` lives in the checkout, not in the installed package, and ``pytest tests`` does not
put the repository root on ``sys.path``, so the suite runs as its users run it:
``python -m studies all --quick`` from the repository root.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
pytest.importorskip("torch")
pytest.importorskip("sklearn")


def _run(*args, cache):
    env = dict(os.environ, PYCLR_STUDIES_CACHE=str(cache))
    proc = subprocess.run([sys.executable, "-m", "studies", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def _tables(text: str) -> list:
    """Every markdown table as a list of rows (lists of cells), separator lines dropped."""
    tables, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            if not set(line) <= set("|-"):
                current.append([c.strip() for c in line.strip("|").split("|")])
        elif current:
            tables.append(current)
            current = []
    return tables


def _numbers(cell: str) -> list:
    return [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?|nan|inf", cell)]


def test_quick_suite_end_to_end(tmp_path):
    out = _run("all", "--quick", "--jobs", "1", cache=tmp_path)
    tables = _tables(out)
    assert len(tables) == 4, out  # the summary and one per configuration
    summary = tables[0]
    header, rows = summary[0], summary[1:]
    assert header[0] == "rule" and "verdict errors" in header[-1]
    by_rule = {r[0].split(" (")[0]: r for r in rows}
    pyclr_row = by_rule["pyclr"]
    # regret mean / worst, 1cycle regret, diverged, seed and length spreads: all present and finite
    for cell in (pyclr_row[1], pyclr_row[2], pyclr_row[5], pyclr_row[6]):
        values = _numbers(cell)
        assert values and all(math.isfinite(v) for v in values), (cell, out)
    assert re.fullmatch(r"\d+/\d+", pyclr_row[3]) and re.fullmatch(r"\d+/\d+", pyclr_row[7])
    for anchor in ("steepest", "valley", "minimum"):
        assert all(math.isfinite(v) for v in _numbers(by_rule[anchor][1]) + _numbers(by_rule[anchor][5]))
    # the spreads are ratios: at least 1
    assert min(_numbers(pyclr_row[5])[:2]) >= 1.0
    assert "Pure-noise logs" in out and "(design)" in out and "(heldout)" not in out
    # a second run reads everything from the cache: nothing is trained or run again
    before = _files(tmp_path)
    assert any("logs" in f for f in before) and any("train" in f for f in before)
    again = _run("all", "--quick", "--jobs", "1", "--summary-only", cache=tmp_path)
    assert _tables(again)[0] == summary
    assert _files(tmp_path) == before


def _files(folder) -> dict:
    out = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            out[path] = os.stat(path).st_mtime_ns
    return out
