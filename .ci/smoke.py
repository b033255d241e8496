"""Smoke test of an installed pyclr-lr wheel or sdist: run from outside the source tree.

Used by .ci/package (in fresh virtual environments) and by cibuildwheel's test-command. Needs only
the package and NumPy (no torch). Exits non-zero, saying what failed, on any failure; with
``--allow-fallback`` it accepts a backend other than cpp (not used in CI: the extension must build).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path


def main() -> int:
    import numpy as np

    import pyclr

    here = Path.cwd().resolve()
    package = Path(pyclr.__file__).resolve().parent
    if here in package.parents:
        sys.exit(f"smoke: run me from outside the source tree (pyclr imported from {package})")
    print(f"smoke: pyclr {pyclr.__version__} from {package}")

    assert "matplotlib" not in sys.modules and "torch" not in sys.modules, "import pyclr imported an optional dependency"
    backend = pyclr.backend()
    print(f"smoke: backend {backend}")
    if backend != "cpp" and "--allow-fallback" not in sys.argv:
        sys.exit(f"smoke: expected the compiled backend 'cpp', but got {backend!r}")

    assert metadata.version("pyclr-lr") == pyclr.__version__, (metadata.version("pyclr-lr"), pyclr.__version__)
    for name in ("py.typed", "_core.pyi"):
        assert (package / name).is_file(), f"{name} is missing from the installed package"

    values = pyclr.cyclic(0.1, 1.0, step_size_up=4).values(9)
    assert np.allclose(values, [0.1, 0.325, 0.55, 0.775, 1.0, 0.775, 0.55, 0.325, 0.1]), values
    one = pyclr.one_cycle(1.0, 100)
    assert one.values(100).argmax() == 29 and one.momentum(100) is not None
    assert pyclr.Schedule.from_dict(json.loads(json.dumps(one.to_dict()))) == one

    lrs = np.geomspace(1e-5, 10, 300)
    x = np.log10(lrs)
    losses = 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3))  # falls over 1e-4..1e-1, then diverges
    analysis = pyclr.analyze(lrs, losses)
    print(f"smoke: analyze -> {analysis.verdict}, base_lr {analysis.base_lr:.3g}, max_lr {analysis.max_lr:.3g}")
    assert analysis.verdict == "ok" and 1e-5 < analysis.base_lr < analysis.max_lr < 10, analysis
    assert 1e-5 < pyclr.suggest(lrs, losses, method="valley") < 10

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "lr.npy")
        cmd = ["pyclr", "schedule", "cyclic", "--base-lr", "1e-4", "--max-lr", "1e-2", "--step-size-up", "10",
               "--steps", "100", "--out", out]
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"smoke: {' '.join(cmd)} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
        saved = np.load(out)
        assert saved.shape == (100,) and np.allclose(saved, pyclr.cyclic(1e-4, 1e-2, step_size_up=10).values(100))
    print("smoke: CLI `pyclr schedule cyclic ...` wrote the schedule")
    print("smoke: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
