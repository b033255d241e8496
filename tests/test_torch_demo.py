"""`pyclr demo` end to end, and the promise that `import pyclr` does not import torch."""
from __future__ import annotations

import importlib.util
import subprocess
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

from pyclr.cli import main  # noqa: E402


def test_demo_runs_and_reports(capsys, tmp_path):
    csv = tmp_path / "rt.csv"
    plot = tmp_path / "fig.png"
    rc = main(["demo", "--epochs", "3", "--num-iter", "60", "--csv", str(csv), "--plot", str(plot)])
    out, err = capsys.readouterr()
    assert rc == 0, out + err
    assert "range test:" in out and "analysis: verdict" in out
    assert "3 sweeps of 60 LR points" in out and out.count("  sweep ") == 3
    assert "base_lr =" in out and "max_lr  =" in out and "median of 3 sweeps" in out
    assert "cyclical LR" in out and "constant LR" in out and out.count("test accuracy") == 2
    paths = [tmp_path / f"rt_run{i}.csv" for i in range(3)]
    assert all(p.read_text().startswith("lr,loss") for p in paths) and not csv.exists()
    if importlib.util.find_spec("matplotlib") is None:
        assert "needs matplotlib" in err and not plot.exists()
    else:
        assert plot.stat().st_size > 0


def test_demo_one_sweep_shows_its_resampled_interval(capsys):
    assert main(["demo", "--epochs", "1", "--num-iter", "60", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 sweep of 60 LR points" in out and "90% with the log's noise resampled" in out


def test_demo_bad_arguments_exit_2(capsys):
    assert main(["demo", "--epochs", "0"]) == 2
    assert "epochs" in capsys.readouterr().err
    assert main(["demo", "--start-lr", "1", "--end-lr", "0.1"]) == 2
    assert main(["demo", "--repeats", "0"]) == 2
    assert "repeats" in capsys.readouterr().err


def test_import_pyclr_and_cli_help_do_not_import_torch():
    code = (
        "import sys, pyclr; pyclr.cyclic(1e-3, 1e-2, 10).values(5)\n"
        "from pyclr.cli import build_parser; build_parser()\n"
        "assert 'torch' not in sys.modules, 'torch imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
