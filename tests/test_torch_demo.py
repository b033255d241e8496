"""`pyclr demo` end to end: the report, the progress lines, what the bounds mean and the code
that uses them, the picture written by default, the printed time against the wall time a
user waits, and the promise that `import pyclr` does not import torch."""
from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time

import pytest

pytest.importorskip("torch")
pytest.importorskip("sklearn")

import pyclr  # noqa: E402
from pyclr.cli import _exit as X  # noqa: E402
from pyclr.cli import demo as D  # noqa: E402
from pyclr.cli import main  # noqa: E402

HAS_MPL = importlib.util.find_spec("matplotlib") is not None
#: a small configuration: a few seconds
SMALL = ["--epochs", "2", "--num-iter", "60"]


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
    if not HAS_MPL:
        assert "needs matplotlib" in err and not plot.exists()
    else:
        assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"figure: {plot}" in out


def test_demo_prints_progress_to_stderr_and_quiet_silences_it(capsys, tmp_path):
    assert main(["demo", *SMALL, "--no-plot"]) == 0
    out, err = capsys.readouterr()
    lines = err.splitlines()
    stamped = [line for line in lines if re.match(r"\[ *\d+\.\d s\] ", line)]
    assert stamped == lines and lines, err  # every progress line carries the time since the start
    for phase in ("importing torch", "loading scikit-learn's digits", "range test: 3 sweeps of 60 steps",
                  "range test: sweep 1 of 3", "range test: sweep 2 of 3", "range test: sweep 3 of 3",
                  "analysing the range test", "cyclical LR: epoch 1 of 2", "cyclical LR: epoch 2 of 2",
                  "constant LR 0.01: epoch 2 of 2"):
        assert sum(phase in line for line in lines) == 1, (phase, err)
    times = [float(re.match(r"\[ *(\d+\.\d) s\]", line).group(1)) for line in lines]
    assert times == sorted(times)
    assert "[" not in out.split("\n")[0]  # the report itself is on stdout, without the stamps
    assert main(["demo", *SMALL, "--no-plot", "--quiet"]) == 0
    quiet_out, quiet_err = capsys.readouterr()
    assert quiet_err == ""
    strip = lambda text: re.sub(r"done in .*", "", text)  # noqa: E731
    assert strip(quiet_out) == strip(out)  # seeded: the same report


def _code_lines(out: str):
    m = re.search(r"^  sched = pyclr\.cyclic\(([^,]+), ([^,]+), step_size_up=(\d+)\)$", out, re.M)
    assert m, out
    return float(m.group(1)), float(m.group(2)), int(m.group(3))


def test_demo_explains_the_bounds_and_prints_the_code_that_uses_them(capsys):
    assert main(["demo", *SMALL, "--no-plot", "--epochs-per-half-cycle", "3"]) == 0
    out = capsys.readouterr().out
    base, top, up = _code_lines(out)
    shown_base = re.search(r"^  base_lr = (\S+) ", out, re.M).group(1)
    shown_max = re.search(r"^  max_lr  = (\S+) ", out, re.M).group(1)
    assert (base, top) == (float(shown_base), float(shown_max)) and base < top
    assert up == 3 * 23  # 1437 images in batches of 64: 23 steps per epoch, 3 epochs per half cycle
    assert f"step_size_up={up})" in out.split("training:")[1].splitlines()[1]  # the schedule trained with
    assert f"base_lr = {shown_base}: the LR where the loss starts to fall fast" in out
    assert f"max_lr  = {shown_max}: the largest LR before the loss stops improving or turns unstable" in out
    assert "  scheduler = ScheduledLR(optimizer, sched)\n" in out
    assert "  scheduler.step()  # after every optimizer.step(), once per batch\n" in out
    # the three lines run as printed, and the schedule is the one the demo trained with
    import torch

    from pyclr.torch import ScheduledLR

    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=1.0)
    sched = pyclr.cyclic(base, top, step_size_up=up)
    scheduler = ScheduledLR(optimizer, sched)
    for _ in range(up):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == pytest.approx(top)


def test_demo_one_sweep_shows_its_resampled_interval(capsys):
    assert main(["demo", "--epochs", "1", "--num-iter", "60", "--repeats", "1", "--no-plot"]) == 0
    out, err = capsys.readouterr()
    assert "1 sweep of 60 LR points" in out and "90% with the log's noise resampled" in out
    assert "range test: sweep 1 of 1" in err and "sweep 2" not in err


@pytest.mark.skipif(not HAS_MPL, reason="needs matplotlib")
def test_demo_draws_its_picture_by_default_and_replaces_its_own(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ["demo", "--epochs", "1", "--num-iter", "40", "--repeats", "1", "--quiet"]
    assert main(args) == 0
    picture = tmp_path / D.DEFAULT_PLOT
    first = picture.stat()
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"figure: {D.DEFAULT_PLOT}" in capsys.readouterr().out
    time.sleep(0.01)
    assert main(args) == 0  # the demo's own file: replaced, no --force needed
    assert picture.stat().st_mtime_ns > first.st_mtime_ns
    capsys.readouterr()
    picture.unlink()
    assert main(args + ["--no-plot"]) == 0 and not picture.exists()
    assert "figure:" not in capsys.readouterr().out
    assert main(args + ["--plot", "demo.svg"]) == 0
    assert b"<svg" in (tmp_path / "demo.svg").read_bytes()[:400] and not picture.exists()


@pytest.mark.skipif(not HAS_MPL, reason="needs matplotlib")
def test_demo_figure_draws_the_range_test_and_the_schedule(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    saved = []
    monkeypatch.setattr(Figure, "savefig", lambda self, *a, **k: saved.append(self))
    assert main(["demo", "--epochs", "1", "--num-iter", "40", "--repeats", "1", "--quiet",
                 "--plot", str(tmp_path / "x.png")]) == 0
    (fig,) = saved
    left, right = fig.axes[:2]
    assert left.get_xscale() == "log" and left.get_title().startswith(("ok:", "too_noisy", "no_"))
    assert any("base_lr .. max_lr" in str(t.get_text()) for t in left.get_legend().get_texts())
    labels = [line.get_label() for line in right.get_lines()]
    assert any(label.startswith("used for training: pyclr.cyclic(") for label in labels)


def test_demo_plot_rules(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--plot", "x.pdf"]) == X.EXIT_USAGE  # before any work
    assert "Expected --plot ending in .png or .svg, but got 'x.pdf'" in capsys.readouterr().err
    (tmp_path / "taken.png").write_bytes(b"mine")
    assert main(["demo", "--plot", "taken.png"]) == X.EXIT_BAD_OUTPUT
    assert "pass --force" in capsys.readouterr().err and (tmp_path / "taken.png").read_bytes() == b"mine"
    with pytest.raises(SystemExit) as info:  # argparse: one or the other
        main(["demo", "--plot", "a.png", "--no-plot"])
    assert info.value.code == 2


def test_demo_goes_on_when_the_default_picture_cannot_be_written(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / D.DEFAULT_PLOT).mkdir()  # a directory where the picture would go
    assert main(["demo", "--epochs", "1", "--num-iter", "40", "--repeats", "1", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert f"no picture: Cannot write --plot '{D.DEFAULT_PLOT}': it is a directory" in err
    assert "pass --plot PATH or --no-plot" in err and "figure:" not in out


def test_demo_without_matplotlib_says_how_to_install_it_and_succeeds(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    assert main(["demo", "--epochs", "1", "--num-iter", "40", "--repeats", "1", "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "needs matplotlib" in err and "pip install 'pyclr-lr[plot]'" in err
    assert "done in" in out and not (tmp_path / D.DEFAULT_PLOT).exists()


@pytest.mark.slow  # a fresh interpreter importing torch: 10-15 s on a loaded 2-core machine
def test_demo_printed_time_matches_the_wall_time_a_user_sees(tmp_path):
    """`python -m pyclr demo` in a fresh process: the printed time counts from the process
    start (interpreter and imports included) and nothing slow happens after it is printed."""
    cmd = [sys.executable, "-m", "pyclr", "demo", "--epochs", "1", "--num-iter", "30", "--repeats", "1",
           "--no-plot", "--quiet"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env={**os.environ})
    wall = time.perf_counter() - t0
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"^done in (\d+\.\d) s since the command started \((.*); backend", proc.stdout, re.M)
    assert m, proc.stdout
    printed = float(m.group(1))
    assert 0.8 * wall - 0.1 <= printed <= wall + 0.5, (printed, wall)  # 0.1: the printed time is rounded
    phases = {name.strip(): float(sec) for name, sec in re.findall(r"([a-z -]+) (\d+\.\d) s", m.group(2))}
    assert list(phases) == ["start-up", "imports", "data", "range test", "analysis", "training"], phases
    assert phases["start-up"] > 0.0 and phases["imports"] > 0.0  # Python's and torch's start are counted
    assert abs(sum(phases.values()) - printed) <= 0.1 * len(phases)  # the phases add up to the total


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
        "bad = [m for m in ('torch', 'matplotlib', 'sklearn') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.skipif(not HAS_MPL, reason="needs matplotlib")
def test_demo_without_a_schedule_exits_1_and_still_draws_the_range_test(capsys, tmp_path):
    # a sweep that ends long before the loss falls: no descent, bounds too close or missing
    pic = tmp_path / "rt.png"
    rc = main(["demo", "--epochs", "1", "--num-iter", "20", "--repeats", "1", "--start-lr", "1e-7",
               "--end-lr", "2e-7", "--quiet", "--plot", str(pic)])
    out = capsys.readouterr().out
    assert rc == X.EXIT_INCONCLUSIVE and "no schedule could be built" in out
    assert pic.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"figure: {pic} (the range test)" in out
