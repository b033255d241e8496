"""Output files of the ``pyclr`` command: checked before any work is done, never overwritten
without ``--force``, and written whole or not at all."""
from __future__ import annotations

import os
import stat
import tempfile
from typing import Callable

from ._exit import EXIT_BAD_OUTPUT, EXIT_MISSING_DEPENDENCY, CLIError

__all__ = ["check_output", "write_output", "check_plot", "plot_format", "has_matplotlib", "write_figure",
           "new_figure", "PLOT_FORMATS", "PLOT_INSTALL"]

#: Picture formats of ``--plot``, by the file's extension.
PLOT_FORMATS = ("png", "svg")
#: How to get matplotlib, for the messages of ``--plot``.
PLOT_INSTALL = "pip install 'pyclr-lr[plot]'"


def _fail(flag: str, path: str, why: str) -> CLIError:
    return CLIError(f"Cannot write {flag} {path!r}: {why}", EXIT_BAD_OUTPUT)


def check_output(path, force: bool, flag: str = "--out") -> str:
    """The file to write for ``path`` (a symlink's target), or CLIError (exit 4) saying why it
    cannot be written: a directory, not a regular file, its folder missing or read-only, or an
    existing file without ``force``."""
    shown = os.fspath(path)
    if os.path.isdir(shown):
        raise _fail(flag, shown, "it is a directory")
    target = os.path.realpath(shown) if os.path.islink(shown) else shown
    if os.path.lexists(shown):
        if os.path.exists(target) and not stat.S_ISREG(os.stat(target).st_mode):
            raise _fail(flag, shown, "it exists and is not a regular file (a FIFO, socket or device)")
        if not force:
            raise _fail(flag, shown, "the file exists (pass --force to overwrite it)")
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        what = "is not a directory" if os.path.exists(folder) else "does not exist"
        raise _fail(flag, shown, f"its folder {folder!r} {what}")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise _fail(flag, shown, f"its folder {folder!r} is not writable")
    return target


def _new_file_mode(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)  # --force keeps the replaced file's mode
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_output(path, write: Callable[[str], object], force: bool, flag: str = "--out") -> None:
    """Check ``path`` (:func:`check_output`), then call ``write(tmp)`` with a temporary path in
    the same folder that ends with the suffix of ``path`` (NumPy appends ``.npy`` to any other)
    and move it into place: an interrupted or failing write leaves no half file, and
    with ``force`` the old file stays until the new one is complete. OSError: CLIError (exit 4)."""
    shown = os.fspath(path)
    target = check_output(shown, force, flag)
    folder, name = os.path.split(os.path.abspath(target))
    stem, ext = os.path.splitext(name)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{stem}.", suffix=f".part{ext}")
    except OSError as exc:
        raise _fail(flag, shown, exc.strerror or str(exc)) from exc
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _new_file_mode(target))
        os.replace(tmp, target)
    except OSError as exc:
        raise _fail(flag, shown, exc.strerror or str(exc)) from exc
    finally:
        if os.path.lexists(tmp):
            try:
                os.unlink(tmp)
            except OSError:
                pass


def plot_format(path) -> str:
    """``"png"`` or ``"svg"`` from the extension of ``path`` (any case), or a ValueError naming
    ``--plot`` (exit 2: the command line is wrong, not the disk)."""
    shown = os.fspath(path)
    ext = os.path.splitext(shown)[1][1:].lower()
    if ext not in PLOT_FORMATS:
        raise ValueError(f"Expected --plot ending in .png or .svg, but got {shown!r}")
    return ext


def has_matplotlib() -> bool:
    """matplotlib imports (a broken or blocked install counts as missing)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def check_plot(path, force: bool, required: bool = True) -> bool:
    """Before any work: ``--plot``'s format (exit 2), the file (exit 4, as for ``--out``) and
    matplotlib. Without matplotlib: CLIError (exit 5) with the install command when ``required``,
    else False (the caller says so and goes on)."""
    if not os.path.isdir(path):  # a directory is exit 4, as for --out, whatever its name
        plot_format(path)
    check_output(path, force, "--plot")
    if has_matplotlib():
        return True
    if required:
        raise CLIError(f"--plot needs matplotlib, which is not installed: {PLOT_INSTALL}", EXIT_MISSING_DEPENDENCY)
    return False


def new_figure(width: float, height: float, columns: int = 1):
    """A pyplot-free matplotlib Figure (no GUI backend, nothing global) and its Axes."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, columns, squeeze=False)[0]
    return fig, list(axes)


def write_figure(path, fig, force: bool) -> None:
    """Save ``fig`` to ``path`` as :func:`write_output` writes files: whole or not at all."""
    fmt = plot_format(path)
    # the format named, not inferred: the temporary file's name need not end like the target's
    write_output(path, lambda tmp: fig.savefig(tmp, format=fmt, dpi=120), force, "--plot")
