"""Range-test analysis: the anchors' single-LR rules, and cyclical bounds with a verdict.

Two entry points:

* :func:`suggest` reproduces one library's own suggestion rule exactly (its smoothing,
  divergence stop and skip window included), for comparison and migration
  (:mod:`.anchors`, the rules as a table).
* :func:`analyze` returns both cyclical bounds (``base_lr``, ``max_lr``), a single LR for
  one-cycle, the curve it used, and a verdict that says when the log cannot support an
  answer (:mod:`.analysis`; the result type in :mod:`.result`). It works on ``log10(lr)``
  with a zero-phase robust smoother whose width is in decades of LR (no EMA lag), measures
  slopes in units of the log's own noise, keeps ``max_lr`` below the first instability burst
  (:mod:`.bursts`) and tests a weak descent against the log's own shuffles (:mod:`.descent`).

Both validate once (:mod:`._input`) and call the active kernel backend (``pyclr._backend``),
so errors are identical on every backend.
"""
from __future__ import annotations

from .analysis import BIN_THRESHOLD, MAX_RESAMPLES, MIN_RESAMPLES, analyze, check_options
from .anchors import METHODS, RULES, suggest
from .result import VERDICTS, Analysis

__all__ = ["Analysis", "analyze", "check_options", "suggest", "METHODS", "RULES", "VERDICTS", "BIN_THRESHOLD",
           "MIN_RESAMPLES", "MAX_RESAMPLES"]
