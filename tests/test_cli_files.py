"""Output files of the `pyclr` command (issue 15, item 7): a clear error and exit 4 for a
missing folder, a directory, a read-only folder or an existing file without --force; files
written whole or not at all."""
from __future__ import annotations

import os
import stat

import numpy as np
import pytest

import pyclr
from pyclr.cli import _output, main
from pyclr.cli._exit import EXIT_BAD_OUTPUT, EXIT_OK

CYCLIC = ["schedule", "cyclic", "--base-lr", "1e-4", "--max-lr", "1e-2", "--step-size-up", "5", "--steps", "20"]


def _schedule(out, *extra):
    return main([*CYCLIC, "--out", str(out), *extra])


def _no_temporary_files(folder):
    return [p.name for p in folder.iterdir() if ".part" in p.name] == []


@pytest.mark.parametrize("suffix", [".npy", ".csv", ".json"])
def test_existing_file_needs_force(tmp_path, capsys, suffix):
    out = tmp_path / f"lr{suffix}"
    out.write_text("precious")
    assert _schedule(out) == EXIT_BAD_OUTPUT
    err = capsys.readouterr().err
    assert err == (f"pyclr schedule: error: Cannot write --out {str(out)!r}: "
                   "the file exists (pass --force to overwrite it)\n")
    assert out.read_text() == "precious"
    assert _schedule(out, "--force") == EXIT_OK
    assert out.read_bytes() != b"precious" and out.stat().st_size > 100
    assert _no_temporary_files(tmp_path)


def test_force_keeps_the_mode_and_writes_through_a_symlink(tmp_path):
    real = tmp_path / "real.npy"
    np.save(real, np.zeros(3))
    real.chmod(0o640)
    link = tmp_path / "link.npy"
    link.symlink_to(real)
    assert _schedule(link, "--force") == EXIT_OK
    assert link.is_symlink() and np.load(real).shape == (20,)
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


def test_new_file_gets_the_usual_mode(tmp_path):
    out = tmp_path / "lr.npy"
    assert _schedule(out) == EXIT_OK
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(out.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    np.testing.assert_array_equal(np.load(out), pyclr.cyclic(1e-4, 1e-2, 5).values(20))


@pytest.mark.parametrize("make,why", [
    (lambda t: t / "missing" / "lr.npy", "its folder {folder!r} does not exist"),
    (lambda t: (t / "lr.npy").mkdir() or t / "lr.npy", "it is a directory"),
    (lambda t: ((t / "file").write_text("x"), t / "file" / "lr.npy")[1], "its folder {folder!r} is not a directory"),
])
def test_unwritable_targets_exit_4_without_traceback(tmp_path, capsys, make, why):
    out = make(tmp_path)
    assert _schedule(out) == EXIT_BAD_OUTPUT
    err = capsys.readouterr().err
    folder = str(out.parent)
    assert err == f"pyclr schedule: error: Cannot write --out {str(out)!r}: {why.format(folder=folder)}\n"


def test_read_only_folder(tmp_path, capsys, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):  # root writes anywhere: make the check see what a user would
            real = os.access
            monkeypatch.setattr(_output.os, "access", lambda p, m: False if os.fspath(p) == str(ro) else real(p, m))
        assert _schedule(ro / "lr.csv") == EXIT_BAD_OUTPUT
        assert capsys.readouterr().err.endswith(f"its folder {str(ro)!r} is not writable\n")
    finally:
        ro.chmod(0o755)
    assert list(ro.iterdir()) == []


def test_a_failing_write_leaves_the_old_file_and_no_part_file(tmp_path, capsys, monkeypatch):
    out = tmp_path / "lr.npy"
    np.save(out, np.arange(3.0))

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", disk_full)
    assert _schedule(out, "--force") == EXIT_BAD_OUTPUT
    assert capsys.readouterr().err.endswith(f"Cannot write --out {str(out)!r}: No space left on device\n")
    monkeypatch.undo()
    assert np.load(out).tolist() == [0.0, 1.0, 2.0]
    assert _no_temporary_files(tmp_path)


def test_fifo_target_is_refused(tmp_path, capsys):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "lr.csv"
    os.mkfifo(fifo)
    assert _schedule(fifo, "--force") == EXIT_BAD_OUTPUT
    assert "not a regular file" in capsys.readouterr().err


def test_bad_suffix_is_still_a_bad_argument(tmp_path, capsys):
    assert _schedule(tmp_path / "lr.txt") == 2
    assert "Expected --out ending in .npy, .csv or .json" in capsys.readouterr().err


def test_demo_checks_its_outputs_before_running(tmp_path, capsys):
    # Before torch is imported or anything trains: these fail in well under a second, with or
    # without torch installed.
    (tmp_path / "rt_run1.csv").write_text("keep")
    assert main(["demo", "--csv", str(tmp_path / "rt.csv")]) == EXIT_BAD_OUTPUT
    err = capsys.readouterr().err
    assert f"Cannot write --csv {str(tmp_path / 'rt_run1.csv')!r}: the file exists (pass --force" in err
    assert main(["demo", "--plot", str(tmp_path / "no" / "fig.png")]) == EXIT_BAD_OUTPUT
    assert "--plot" in capsys.readouterr().err
    assert main(["demo", "--plot", str(tmp_path)]) == EXIT_BAD_OUTPUT
    assert "is a directory" in capsys.readouterr().err
    assert (tmp_path / "rt_run1.csv").read_text() == "keep"
