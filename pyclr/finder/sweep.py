"""The LR sweep of a range test, the same for every framework's runner
(:func:`pyclr.torch.range_test`, :mod:`pyclr.lightning`, :mod:`pyclr.keras`): its settings
checked in one place, its grid of LRs and the online stop rule. Imports no framework."""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import numpy as np

from .. import _validate as V

__all__ = ["check_sweep", "check_stop", "lr_grid", "StopRule"]

STEP_MODES = ("exp", "linear")


def check_sweep(start_lr: float, end_lr: float, num_iter: int, step_mode: str) -> Tuple[float, float, int, str]:
    """The sweep's settings, validated (errors name the parameter): ``0 < start_lr < end_lr``,
    ``num_iter >= 2``, ``step_mode`` in ``("exp", "linear")``.

    >>> check_sweep(1e-7, 10, 100, "exp")
    (1e-07, 10.0, 100, 'exp')
    """
    start_lr = V.positive("start_lr", start_lr)
    end_lr = V.positive("end_lr", end_lr)
    if end_lr <= start_lr:
        raise ValueError(f"Expected end_lr > start_lr, but got start_lr={start_lr!r}, end_lr={end_lr!r}")
    return start_lr, end_lr, V.int_at_least("num_iter", num_iter, 2), V.choice("step_mode", step_mode, STEP_MODES)


def check_stop(diverge_th: float, smooth_beta: float) -> Tuple[float, float]:
    """The stop rule's settings, validated: ``diverge_th > 1``, ``0 <= smooth_beta < 1``.

    >>> check_stop(4, 0.98)
    (4.0, 0.98)
    """
    diverge_th = V.positive("diverge_th", diverge_th)
    if diverge_th <= 1:
        raise ValueError(f"Expected diverge_th > 1, but got {diverge_th!r}")
    return diverge_th, V.in_range("smooth_beta", smooth_beta, 0.0, 1.0, high_open=True)


def lr_grid(start_lr: float, end_lr: float, num_iter: int, step_mode: str) -> np.ndarray:
    """The LR of sweep step ``k = 0 .. num_iter-1`` (torch-lr-finder's grid: it reaches ``end_lr``):
    ``start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))`` for ``"exp"``,
    ``start_lr + k / (num_iter - 1) * (end_lr - start_lr)`` for ``"linear"``.

    >>> lr_grid(1e-3, 10, 5, "exp").tolist()
    [0.001, 0.01, 0.1, 1.0, 10.0]
    """
    k = np.arange(num_iter, dtype=np.float64) / (num_iter - 1)
    if step_mode == "exp":
        return start_lr * (end_lr / start_lr) ** k
    return start_lr + k * (end_lr - start_lr)


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
