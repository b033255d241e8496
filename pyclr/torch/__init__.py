"""PyTorch integration: a scheduler, an optimizer hook and a range-test runner.

Imported only explicitly (``import pyclr.torch`` / ``from pyclr.torch import ...``);
``import pyclr`` never imports torch.

* :class:`ScheduledLR` -- a ``torch.optim.lr_scheduler.LRScheduler`` reading a
  precomputed pyclr schedule.
* :func:`attach` -- an optimizer step pre-hook that sets the LR of step ``t``
  right before the ``t``-th real ``optimizer.step()``.
* :func:`range_test` -- the LR range test (AMP, accumulation, DDP), returning a
  :class:`RangeTestResult` (:class:`RangeTestRuns` for several sweeps).
"""
from __future__ import annotations

from pyclr.torch.hook import ScheduleHandle, attach
from pyclr.torch.range_test import RangeTestResult, RangeTestRuns, range_test
from pyclr.torch.scheduler import ScheduledLR

__all__ = ["ScheduledLR", "attach", "ScheduleHandle", "range_test", "RangeTestResult", "RangeTestRuns"]
