"""`pyclr analyze LOG --plot FILE` and `pyclr schedule ... --plot FILE` (issue 16, item 3): PNG or
SVG by extension, another extension exit 2, the file rules of --out (exit 4), no matplotlib
exit 5, every check before any work."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import pyclr
from pyclr.cli import _exit as X
from pyclr.cli import main

SEED_DIR = os.path.join(os.path.dirname(__file__), "data", "seed_runs")
SEED = os.path.join(SEED_DIR, "sgdm_exp_n200_s0.csv")
SCHEDULE = ["schedule", "cyclic", "--base-lr", "1e-3", "--max-lr", "6e-3", "--step-size-up", "50", "--steps", "300"]
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib Figures the command saves (still written to disk)."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    saved = []
    real = Figure.savefig

    def spy(self, *args, **kwargs):
        saved.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    return saved


def test_analyze_plot_png_draws_the_range_test(tmp_path, capsys, figures):
    out = tmp_path / "rt.png"
    assert main(["analyze", SEED, "--plot", str(out)]) == 0
    text, err = capsys.readouterr()
    assert out.read_bytes()[:8] == PNG and f"figure written to {out}" in err
    assert "verdict   ok" in text  # the text report is unchanged
    (fig,) = figures
    ax = fig.axes[0]
    a = pyclr.load_log(SEED).analyze()
    assert ax.get_xscale() == "log" and ax.get_title().startswith(f"sgdm_exp_n200_s0.csv: ok: base_lr {a.base_lr:.3g}")
    assert any(p.get_label().startswith("base_lr .. max_lr") for p in ax.patches)  # the shaded bounds


def test_analyze_plot_svg_with_json_keeps_stdout_pure_json(tmp_path, capsys, figures):
    import json

    out = tmp_path / "rt.SVG"  # any case
    assert main(["analyze", SEED, "--json", "--plot", str(out)]) == 0
    text = capsys.readouterr().out
    json.loads(text)
    assert b"<svg" in out.read_bytes()[:400]


def test_analyze_plot_several_logs_overlaid_or_combined(tmp_path, capsys, figures):
    logs = [os.path.join(SEED_DIR, f"adam_exp_n100_s{i}.csv") for i in range(3)]
    assert main(["analyze", *logs, "--plot", str(tmp_path / "all.png")]) in (0, 1)
    ax = figures[-1].axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert all(any(f"adam_exp_n100_s{i}.csv" in t for t in legend) for i in range(3)), legend
    assert main(["analyze", *logs, "--combine", "--plot", str(tmp_path / "comb.png")]) in (0, 1)
    title = figures[-1].axes[0].get_title()
    assert "3 runs" in title
    assert (tmp_path / "comb.png").read_bytes()[:8] == PNG


def test_analyze_plot_of_an_inconclusive_log_is_drawn_too(tmp_path, capsys, figures):
    p = tmp_path / "flat.csv"
    lrs = np.geomspace(1e-5, 1, 80)
    p.write_text("lr,loss\n" + "".join(f"{a!r},2.3\n" for a in lrs.tolist()))
    assert main(["analyze", str(p), "--plot", str(tmp_path / "flat.png")]) == X.EXIT_INCONCLUSIVE
    assert (tmp_path / "flat.png").read_bytes()[:8] == PNG
    assert figures[-1].axes[0].get_title().split(":")[1].strip().startswith("no_descent")


@pytest.mark.parametrize("argv", [["analyze", SEED], SCHEDULE])
def test_plot_other_extension_exits_2_before_any_work(argv, tmp_path, capsys):
    for bad in ("fig.pdf", "fig", "fig.png.txt"):
        out = tmp_path / "lr.npy"
        extra = ["--out", str(out)] if argv[0] == "schedule" else []
        assert main(argv + extra + ["--plot", str(tmp_path / bad)]) == X.EXIT_USAGE
        err = capsys.readouterr().err
        assert f"Expected --plot ending in .png or .svg, but got '{tmp_path / bad}'" in err
        assert not out.exists() and not (tmp_path / bad).exists()


@pytest.mark.parametrize("argv", [["analyze", SEED], SCHEDULE])
def test_plot_file_rules_are_those_of_out(argv, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "fig.png"
    target.write_bytes(b"keep me")
    out = tmp_path / "lr.npy"
    extra = ["--out", str(out)] if argv[0] == "schedule" else []
    assert main(argv + extra + ["--plot", str(target)]) == X.EXIT_BAD_OUTPUT
    err = capsys.readouterr().err
    assert "Cannot write --plot" in err and "pass --force" in err
    assert target.read_bytes() == b"keep me" and not out.exists()  # checked before --out was written
    assert main(argv + extra + ["--plot", str(target), "--force"]) == 0
    assert target.read_bytes()[:8] == PNG
    capsys.readouterr()
    (tmp_path / "dir.png").mkdir()
    for bad, why in ((tmp_path / "missing" / "f.png", "does not exist"), (tmp_path / "dir.png", "it is a directory")):
        assert main(argv + ["--plot", str(bad), "--force"] + (["--out", str(tmp_path / "o.npy")]
                                                              if argv[0] == "schedule" else [])) == X.EXIT_BAD_OUTPUT
        assert why in capsys.readouterr().err and not (tmp_path / "o.npy").exists()


@pytest.mark.parametrize("argv", [["analyze", SEED], SCHEDULE])
def test_plot_without_matplotlib_exits_5_with_the_install_hint(argv, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    out = tmp_path / "lr.npy"
    extra = ["--out", str(out)] if argv[0] == "schedule" else []
    assert main(argv + extra + ["--plot", str(tmp_path / "f.png")]) == X.EXIT_MISSING_DEPENDENCY
    captured = capsys.readouterr()
    assert "--plot needs matplotlib" in captured.err and "pip install 'pyclr-lr[plot]'" in captured.err
    assert captured.out == "" and not out.exists()


def test_schedule_plot_alone_or_with_out(tmp_path, capsys, figures):
    pic = tmp_path / "lr.svg"
    assert main(SCHEDULE + ["--plot", str(pic)]) == 0  # --plot without --out
    assert b"<svg" in pic.read_bytes()[:400]
    assert "cyclic: 300 steps -> " + str(pic) in capsys.readouterr().out
    ax = figures[-1].axes[0]
    (line,) = [ln for ln in ax.get_lines() if ln.get_label().startswith("cyclic(")]
    np.testing.assert_allclose(line.get_ydata(), pyclr.cyclic(1e-3, 6e-3, 50).values(300))
    out = tmp_path / "lr.npy"
    assert main(SCHEDULE + ["--momentum", "--out", str(out), "--plot", str(tmp_path / "m.png")]) == 0
    assert np.load(out).shape == (2, 300) and len(figures[-1].axes) == 2  # momentum on a twin axis


def test_schedule_needs_out_or_plot(capsys):
    assert main(SCHEDULE) == X.EXIT_USAGE
    assert "Expected --out FILE, --plot FILE or both" in capsys.readouterr().err
