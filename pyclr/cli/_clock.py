"""When the command started: timings the ``pyclr`` command prints match the wall time a user
waits, interpreter start-up and imports included.

The start is the process's own start time where the system tells it (Linux: ``/proc/self/stat``
against the boot-time clock; elsewhere ``psutil`` where installed), checked for sanity, and
otherwise the moment this module was first imported (by ``pyclr.cli``, before any subcommand's
imports), which misses only the interpreter's start-up.
"""
from __future__ import annotations

import importlib
import os
import time
from typing import Optional

__all__ = ["command_start", "process_age", "IMPORTED"]

#: perf_counter() when pyclr.cli was first imported: the fallback start.
IMPORTED = time.perf_counter()
#: A process age longer than this beyond the time since the import above is not believed (a
#: container's clock that disagrees with the kernel's start time, say); Python's own start-up
#: and ``import pyclr`` take well under a second on a normal machine.
_PLAUSIBLE_STARTUP_S = 60.0


def _proc_age() -> Optional[float]:
    """Seconds since this process started, from /proc/self/stat (Linux), or None."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        # field 22, starttime, in clock ticks after boot; the command name (field 2) is in
        # parentheses and may hold spaces, so count from the last ')'
        start_ticks = int(stat[stat.rindex(b")") + 2:].split()[19])
        hz = os.sysconf("SC_CLK_TCK")
        if hasattr(time, "CLOCK_BOOTTIME"):
            now = time.clock_gettime(time.CLOCK_BOOTTIME)
        else:  # pragma: no cover - Linux has had CLOCK_BOOTTIME since 2.6.39
            with open("/proc/uptime") as f:
                now = float(f.read().split()[0])
        return now - start_ticks / hz
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _psutil_age() -> Optional[float]:
    try:  # optional (macOS, Windows); by name, so type checkers need no stubs for it
        psutil = importlib.import_module("psutil")
    except ImportError:
        return None
    try:
        return time.time() - psutil.Process().create_time()
    except Exception:  # psutil.Error and platform quirks: fall back
        return None


def process_age() -> Optional[float]:
    """Seconds since this process started, where the system says so plausibly; else None."""
    since_import = time.perf_counter() - IMPORTED
    for probe in (_proc_age, _psutil_age):
        age = probe()
        # the process cannot be younger than this module (tick resolution aside) and did not
        # spend minutes starting up
        if age is not None and since_import - 0.05 <= age <= since_import + _PLAUSIBLE_STARTUP_S:
            return max(age, since_import)
    return None


def command_start(from_command_line: bool) -> float:
    """The perf_counter() value the command's timings count from: the process start when
    ``pyclr`` runs as a command (interpreter start-up and imports included), else (``main(argv)``
    called from Python, as tests do) the call itself."""
    now = time.perf_counter()
    if not from_command_line:
        return now
    age = process_age()
    return now - age if age is not None else IMPORTED
