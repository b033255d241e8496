"""The README's Python examples run as written (the torch one trains, so it is slow)."""
from __future__ import annotations

import os
import re

import numpy as np
import pytest

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "README.md")


def _blocks() -> list:
    with open(README, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), re.S)


def test_schedules_example_runs():
    block = next(b for b in _blocks() if b.lstrip().startswith("s = pyclr.cyclic"))
    ns: dict = {}
    exec("import pyclr\n" + block, ns)
    assert ns["lr"].shape == (100_000,) and ns["lr"].max() == 0.1 and np.all(ns["lr"] >= 0)


@pytest.mark.slow
def test_torch_example_runs(tmp_path, monkeypatch):
    pytest.importorskip("torch")
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)  # it writes range_test.png
    block = next(b for b in _blocks() if "range_test(" in b)
    ns: dict = {}
    exec(block, ns)
    assert ns["a"].verdict == "ok" and 0 < ns["a"].base_lr < ns["a"].max_lr
    assert (tmp_path / "range_test.png").stat().st_size > 10_000
    assert ns["scheduler"].last_epoch == 8 * len(ns["loader"])
