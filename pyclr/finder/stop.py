"""The online stop rule of a range test, shared by :func:`pyclr.torch.range_test` and
:mod:`pyclr.keras` (it imports neither torch nor keras)."""
from __future__ import annotations

import math
from typing import List, Optional

__all__ = ["StopRule"]


class StopRule:
    """The bias-corrected causal EMA of the logged losses, ``s_k = a_k / (1 - beta**(k+1))``
    with ``a_k = beta * a_(k-1) + (1 - beta) * loss_k``, stops the test above ``threshold``
    times its best value so far; a non-finite loss stops it at once.

    Examples
    --------
    >>> rule = StopRule(beta=0.5, threshold=2.0)
    >>> [rule.add(v) for v in (1.0, 0.8, 0.9, 5.0)]
    [None, None, None, 'diverged']
    >>> rule.add(float("nan"))
    'non-finite loss'
    """

    __slots__ = ("beta", "threshold", "avg", "best", "smoothed")

    def __init__(self, beta: float, threshold: float):
        self.beta, self.threshold = beta, threshold
        self.avg, self.best = 0.0, math.inf
        self.smoothed: List[float] = []

    def add(self, value: float) -> Optional[str]:
        """Log one loss; the stop reason (``"diverged"``, ``"non-finite loss"``), or None to go on."""
        smoothed = self.smoothed
        if not math.isfinite(value):
            smoothed.append(value)
            return "non-finite loss"
        self.avg = self.beta * self.avg + (1.0 - self.beta) * value
        s = self.avg / (1.0 - self.beta ** (len(smoothed) + 1))
        smoothed.append(s)
        if s > self.threshold * self.best:
            return "diverged"
        if s < self.best:
            self.best = s
        return None
