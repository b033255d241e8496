"""The result of :func:`pyclr.analyze`: bounds, verdict, reasons, the curve it used."""
from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Optional, Sequence

import numpy as np

from .. import _validate as V
from .._json import json_safe

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..schedules import Schedule

__all__ = ["Analysis", "VERDICTS"]

#: Verdict codes of :class:`Analysis`.
VERDICTS = ("ok", "no_descent", "no_turn_up", "too_noisy", "too_short")


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` found in a range test.

    Attributes
    ----------
    base_lr, max_lr : float or None
        Cyclical bounds (Smith 2017): ``max_lr`` the LR of the valley anchor (never above the
        smoothed minimum), ``base_lr`` a quarter of ``max_lr`` but not before the descent
        starts (see :func:`analyze`). With a verdict other than ``"ok"`` they are
        *provisional*: where the curve put them although the log does not support them
        (``"no_descent"``, ``"too_noisy"``); :meth:`to_schedule` uses them only with
        ``force=True``. None where there is nothing to place them on: ``"too_short"``, and
        ``"no_turn_up"`` (the loss never turned up, so ``max_lr`` is unknown).
    lr : float or None
        A single LR for one-cycle (its peak): ``max_lr``.
    verdict : str
        ``"ok"`` or why not: ``"no_descent"``, ``"no_turn_up"``, ``"too_noisy"``, ``"too_short"``.
    reasons : tuple of str
        Sentences a person can act on.
    lrs, losses, smoothed, slope : ndarray
        The cleaned log (LR bins for long logs), the smoothed loss and ``d smoothed / d log10(lr)``.
    loss_min_lr, divergence_lr : float or None
        LR where the smoothed loss is lowest (a landmark of the curve, not a bound: ``max_lr``
        is at or below it); first LR after it where the loss climbed above its starting level
        or turned non-finite (None if it never did). ``loss_min_lr`` was called ``min_lr``
        in pyclr 0.1.0; :attr:`min_lr` still reads it, with a DeprecationWarning.
    noise : float
        Robust noise level of the loss (MAD of the residuals, in loss units).
    width : float
        Smoother window in decades of LR.
    sweep : str
        ``"exponential"`` or ``"linear"`` (detected from the LR spacing).
    cleaning : tuple of str
        What was done to the log before analysis.
    runs : tuple of Analysis
        Per-run analyses when several runs were combined (else empty).
    spread : dict
        For combined runs: ``{"base_lr": max/min, "max_lr": max/min}`` over the runs with an
        ``ok`` verdict.
    interval : dict
        With ``analyze(..., resamples=N)``: ``{"base_lr": (lo, hi), "max_lr": (lo, hi)}``, the 5th
        and 95th percentiles of the bounds found on ``N`` copies of the log with its noise
        resampled (:mod:`pyclr.finder.resample`): how far another seed's run might move them. Empty
        otherwise, where there are no bounds or only provisional ones without a descent
        (``no_descent``, ``no_turn_up``, ``too_short``), and for combined runs (see ``spread`` and each of ``runs``).

    Examples
    --------
    >>> import numpy as np, pyclr
    >>> lrs = np.geomspace(1e-5, 10, 200); x = np.log10(lrs)
    >>> a = pyclr.analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))
    >>> a.verdict, a.ok, a.reasons
    ('ok', True, ())
    >>> round(a.base_lr, 4), round(a.max_lr, 4), a.lr == a.max_lr
    (0.0169, 0.0675, True)
    >>> a.to_dict()["verdict"]
    'ok'
    """

    base_lr: Optional[float]
    max_lr: Optional[float]
    lr: Optional[float]
    verdict: str
    reasons: tuple
    lrs: Optional[np.ndarray] = field(repr=False, default=None)
    losses: Optional[np.ndarray] = field(repr=False, default=None)
    smoothed: Optional[np.ndarray] = field(repr=False, default=None)
    slope: Optional[np.ndarray] = field(repr=False, default=None)
    loss_min_lr: Optional[float] = None
    divergence_lr: Optional[float] = None
    noise: float = float("nan")
    width: float = float("nan")
    sweep: str = "exponential"
    cleaning: tuple = ()
    runs: tuple = field(repr=False, default=())
    spread: dict = field(default_factory=dict)
    interval: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the verdict is ``"ok"``."""
        return self.verdict == "ok"

    def plot(self, ax: Optional[Axes] = None, anchors: bool | str | Sequence[str] = False, *,
             labels: Optional[Sequence[str]] = None) -> Axes:
        """Draw this analysis: :func:`pyclr.plot.plot_range_test` (``pip install 'pyclr-lr[plot]'``).

        The raw and smoothed loss against the LR on a log axis, ``base_lr .. max_lr`` shaded,
        the divergence point, the verdict and reasons in the title, each run of a combined
        analysis in its own colour, and with ``anchors=True`` (or a list of
        :data:`pyclr.finder.METHODS`) each anchor rule's suggestion. Returns the matplotlib
        Axes (a new pyplot-free Figure's unless ``ax`` is given): ``a.plot().figure.savefig("rt.png")``.

        >>> import numpy as np, pyclr
        >>> lrs = np.geomspace(1e-5, 10, 200)
        >>> x = np.log10(lrs)
        >>> a = pyclr.analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))
        >>> a.plot().get_xscale()
        'log'
        """
        from ..plot import plot_range_test

        return plot_range_test(self, ax=ax, anchors=anchors, labels=labels)

    @property
    def min_lr(self) -> Optional[float]:
        """Deprecated name of :attr:`loss_min_lr` (the LR of the smoothed loss's minimum, not a
        lower bound); removed in the next release."""
        warnings.warn("Analysis.min_lr is deprecated: use Analysis.loss_min_lr (the LR of the lowest "
                      "smoothed loss, not a lower bound)", DeprecationWarning, stacklevel=2)
        return self.loss_min_lr

    def to_dict(self) -> dict:
        """JSON-safe summary (no arrays; NaN and infinities as None, which strict JSON allows)."""
        d: dict[str, Any] = {
            "base_lr": self.base_lr,
            "max_lr": self.max_lr,
            "lr": self.lr,
            "verdict": self.verdict,
            "reasons": list(self.reasons),
            "loss_min_lr": self.loss_min_lr,
            "divergence_lr": self.divergence_lr,
            "noise": self.noise,
            "width": self.width,
            "sweep": self.sweep,
            "cleaning": list(self.cleaning),
        }
        if self.interval:
            d["interval"] = {k: list(v) for k, v in self.interval.items()}
        if self.runs:
            d["spread"] = dict(self.spread)
            d["runs"] = [r.to_dict() for r in self.runs]
        return json_safe(d)

    def to_schedule(self, dataset_size: Optional[int] = None, batch_size: Optional[int] = None, *,
                    policy: str = "triangular", epochs_per_half_cycle: float = 4.0, epochs: Optional[int] = None,
                    step_size_up: Optional[int] = None, total_steps: Optional[int] = None,
                    force: bool = False) -> Schedule:
        """A schedule spec with these bounds.

        ``policy="triangular"`` returns ``pyclr.cyclic(base_lr, max_lr, step_size_up=...)`` with
        ``step_size_up = round(epochs_per_half_cycle * ceil(dataset_size / batch_size))``, an
        int of at least 1 (Smith 2017: 2 to 10 epochs per half cycle). ``policy="one_cycle"`` returns
        ``pyclr.one_cycle(max_lr, total_steps, div_factor=max_lr / base_lr)`` so that the
        cycle starts at ``base_lr``; ``total_steps = epochs * ceil(dataset_size / batch_size)``.
        Raises ValueError when the verdict is not ``"ok"`` unless ``force=True``
        (then ``max_lr`` falls back to the LR of the smoothed minimum).

        >>> import numpy as np, pyclr
        >>> lrs = np.geomspace(1e-5, 10, 200)
        >>> x = np.log10(lrs)
        >>> a = pyclr.analyze(lrs, 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3)))
        >>> s = a.to_schedule(50_000, 100, epochs_per_half_cycle=2)
        >>> bool(s.values(3)[0] == a.base_lr)
        True
        >>> s.step_size_up, s.step_size_down   # whole optimizer steps
        (1000, 1000)
        """
        import pyclr

        policy = V.choice("policy", policy, ("triangular", "one_cycle"))
        force = V.boolean("force", force)
        if not self.ok and not force:
            raise ValueError(
                f"Expected an analysis with verdict 'ok' to build a schedule, but got {self.verdict!r}: "
                + " ".join(self.reasons) + " Pass force=True to use the provisional bounds.")
        base = self.base_lr
        top = self.max_lr if self.max_lr is not None else self.loss_min_lr
        if base is None or top is None or not base < top:
            raise ValueError(f"Expected base_lr < max_lr to build a schedule, but got {base!r} and {top!r}")
        steps_per_epoch = None
        if dataset_size is not None or batch_size is not None:
            dataset_size = V.int_at_least("dataset_size", dataset_size, 1)
            batch_size = V.int_at_least("batch_size", batch_size, 1)
            steps_per_epoch = -(-dataset_size // batch_size)
        if policy == "triangular":
            if step_size_up is None:
                if steps_per_epoch is None:
                    raise ValueError("Expected dataset_size and batch_size (or step_size_up), but got neither")
                half = V.positive("epochs_per_half_cycle", epochs_per_half_cycle)
                step_size_up = max(1, int(round(half * steps_per_epoch)))
            step_size_up = V.int_at_least("step_size_up", step_size_up, 1)
            return pyclr.cyclic(base, top, step_size_up=step_size_up)
        if total_steps is None:
            if steps_per_epoch is None or epochs is None:
                raise ValueError("Expected dataset_size, batch_size and epochs (or total_steps) for policy 'one_cycle'")
            total_steps = V.int_at_least("epochs", epochs, 1) * steps_per_epoch
        total_steps = V.int_at_least("total_steps", total_steps, 2)
        return pyclr.one_cycle(top, total_steps, div_factor=top / base)
