"""The kernels' shared layout, named once: every backend and the front end import it from here.

``pyclr._core`` (C++) cannot import Python; it keeps the same layout in ``csrc/finder.hpp``
(``enum Slot``) and exports it as ``RESULT_SLOTS``, and ``tests/test_finder_kernels.py`` checks
that the two agree.
"""
from __future__ import annotations

__all__ = [
    "RESULT_SLOTS", "ANALYZE_RESULT_SIZE", "LOWESS_WORK_ROWS", "ANALYZE_WORK_ROWS", "SCAN_STATS",
    "R_BASE", "R_MAX", "R_MIN", "R_DIVERGE", "R_SIGMA", "R_DROP", "R_PLATEAU", "R_UNSTABLE", "R_START",
    "R_STEEPEST", "R_MINSLOPE", "R_FLAGS", "R_XBASE", "R_XMAX", "R_ANCHOR", "R_ONSET",
]

#: The slots of the result row that ``find_bounds`` / ``analyze_run`` write, in order:
#: grid indices of base_lr and max_lr; index of the smoothed minimum (-1: no curve); index of the
#: divergence (n: none); noise sigma; drop of the smoothed curve; indices of the plateau, of the
#: onset of instability, the smoothed start level; index and value of the steepest slope; flags;
#: log10 of base_lr and max_lr; the valley anchor (log10 lr); index of the onset of descent.
RESULT_SLOTS = (
    "base", "max", "min", "diverge", "sigma", "drop", "plateau", "unstable", "start", "steepest", "minslope",
    "flags", "xbase", "xmax", "anchor", "onset",
)
(R_BASE, R_MAX, R_MIN, R_DIVERGE, R_SIGMA, R_DROP, R_PLATEAU, R_UNSTABLE, R_START, R_STEEPEST, R_MINSLOPE, R_FLAGS,
 R_XBASE, R_XMAX, R_ANCHOR, R_ONSET) = range(len(RESULT_SLOTS))
#: Length of the result row.
ANALYZE_RESULT_SIZE = len(RESULT_SLOTS)
#: ``work`` for ``lowess`` holds this many rows of ``n + 1`` values.
LOWESS_WORK_ROWS = 8
#: ``work`` for ``analyze_run`` holds this many rows: lowess's and the clipped losses.
ANALYZE_WORK_ROWS = LOWESS_WORK_ROWS + 1
#: The ``stats`` that ``scan_log`` writes: first bad lr, first non-increase, count of non-finite
#: losses, last finite loss, first non-finite loss, first decrease (-1 where none).
SCAN_STATS = ("bad_lr", "non_increase", "non_finite", "last_finite", "first_non_finite", "decrease")
