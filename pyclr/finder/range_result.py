"""What an LR range test recorded: :class:`RangeTestResult` (one sweep) and
:class:`RangeTestRuns` (several sweeps from the same start), whichever framework ran it.

:func:`pyclr.torch.range_test` and :func:`pyclr.keras.range_test` return them; they need
neither torch nor Keras (analysing, plotting and saving a test work without the framework).
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from .._json import json_safe
from ..logs import sweep_paths

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from ..schedules import Schedule
    from .result import Analysis

__all__ = ["RangeTestResult", "RangeTestRuns"]


@dataclass
class RangeTestResult:
    """One sweep of an LR range test: one point per logged optimizer step.

    :func:`pyclr.torch.range_test` and :func:`pyclr.keras.range_test` return it.

    Attributes
    ----------
    lrs : numpy.ndarray
        The LR (of param group 0 in torch) used by each logged optimizer step.
    losses : numpy.ndarray
        The loss that step produced: the training loss of its own batch (torch: the
        mean over accumulated micro-batches, averaged over ranks under DDP; Keras: the
        compiled loss with its sample and class weights and regularisation, not Keras'
        running epoch mean), or, with torch's ``val_loader``, the validation loss
        measured right after the step.
    smoothed : numpy.ndarray
        The online bias-corrected causal EMA of ``losses`` used for the stop rule.
    steps : numpy.ndarray
        Index of the LR point (0 .. num_iter-1) of each logged loss.
    train_losses : numpy.ndarray or None
        With ``val_loader``: the training losses of the same steps.
    stop_reason : str
        ``"num_iter"`` (ran to the end), ``"diverged"`` (smoothed loss above
        ``diverge_th`` times its best), ``"non-finite loss"`` (NaN/inf, logged
        as the last point), ``"skipped steps"`` (torch: AMP kept skipping) or
        ``"fit ended"`` (Keras: ``fit`` ran out of batches first).
    skipped_steps : int
        Optimizer steps skipped by the AMP GradScaler (not logged).
    group_ratios : tuple of float
        LR of each param group relative to group 0 (kept during the test).
    start_lr, end_lr, num_iter, step_mode :
        The sweep that was asked for.

    Examples
    --------
    :func:`range_test` returns it; here one built by hand from a synthetic log:

    >>> import numpy as np
    >>> from pyclr.torch import RangeTestResult
    >>> lrs = np.geomspace(1e-5, 10, 200); x = np.log10(lrs)
    >>> losses = 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3))
    >>> res = RangeTestResult(lrs, losses, smoothed=losses, steps=np.arange(200))
    >>> len(res), res.stop_reason, res.analyze().verdict
    (200, 'num_iter', 'ok')
    >>> res.to_schedule(50_000, batch_size=100, epochs_per_half_cycle=2).step_size_up
    1000
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    steps: np.ndarray
    train_losses: np.ndarray | None = None
    stop_reason: str = "num_iter"
    skipped_steps: int = 0
    group_ratios: tuple = (1.0,)
    start_lr: float = float("nan")
    end_lr: float = float("nan")
    num_iter: int = 0
    step_mode: str = "exp"
    _analysis: Any = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.lrs)

    def analyze(self, **kwargs: Any) -> Analysis:
        """``pyclr.analyze(self.lrs, self.losses, **kwargs)``: bounds, verdict and reasons.

        A test that stopped before it could log two usable points (a NaN loss at
        the first step, every step skipped by the AMP GradScaler) gets the verdict
        ``"too_short"`` with the reason, not an exception.

        Examples
        --------
        A result built by hand from a synthetic log (:func:`range_test` builds it from a real
        model):

        >>> import numpy as np
        >>> from pyclr.torch import RangeTestResult
        >>> lrs = np.geomspace(1e-5, 10, 200); x = np.log10(lrs)
        >>> losses = 1.5 - np.tanh(2 * (x + 2.5)) + np.exp(3 * (x - 0.3))
        >>> res = RangeTestResult(lrs, losses, smoothed=losses, steps=np.arange(200))
        >>> a = res.analyze()
        >>> a.verdict, a.reasons, bool(a.base_lr < a.max_lr)
        ('ok', (), True)
        """
        from . import analyze

        analysis = _empty_analysis(self) if len(self.lrs) == 0 else analyze(self.lrs, self.losses, **kwargs)
        if not kwargs:
            self._analysis = analysis
        return analysis

    def to_schedule(self, *args: Any, **kwargs: Any) -> Schedule:
        """A cyclical schedule from the analysed bounds: ``self.analyze().to_schedule(...)``."""
        analysis = self._analysis if self._analysis is not None else self.analyze()
        return analysis.to_schedule(*args, **kwargs)

    def plot(self, ax: Axes | None = None, anchors: bool | str | Sequence[str] = False, *,
             labels: Sequence[str] | None = None) -> Axes:
        """Draw this test: :func:`pyclr.plot.plot_range_test` (``pip install 'pyclr-lr[plot]'``).

        The loss of every step and the smoothed loss of :meth:`analyze` (its defaults) against
        the LR on a log axis, ``base_lr .. max_lr`` shaded, where it diverged (or the last step
        of a test that stopped early), the verdict and reasons in the title, and with
        ``anchors=True`` (or a list of :data:`pyclr.finder.METHODS`) each anchor rule's
        suggestion. Returns the matplotlib Axes: ``result.plot().figure.savefig("rt.png")``.
        """
        from ..plot import plot_range_test

        return plot_range_test(self, ax=ax, anchors=anchors, labels=labels)

    def save(self, path: str | os.PathLike) -> None:
        """Write a CSV with columns ``lr,loss,step,smoothed_loss`` (and ``train_loss``).

        ``pyclr.load_log(path)`` and ``pyclr analyze PATH`` read it back. Values
        are written with ``repr`` precision, so they round-trip exactly.
        """
        header = ["lr", "loss", "step", "smoothed_loss"]
        if self.train_losses is not None:
            header.append("train_loss")
        with open(path, "w", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(header)
            for i in range(len(self.lrs)):
                row = [repr(float(self.lrs[i])), repr(float(self.losses[i])), int(self.steps[i]),
                       repr(float(self.smoothed[i]))]
                if self.train_losses is not None:
                    row.append(repr(float(self.train_losses[i])))
                writer.writerow(row)

    def to_dict(self) -> dict:
        """JSON-safe: lists of floats (a non-finite loss, such as the one the test stopped on,
        as None: strict JSON has no NaN) and the run's settings."""
        out = {
            "lrs": self.lrs.tolist(), "losses": self.losses.tolist(), "smoothed": self.smoothed.tolist(),
            "steps": self.steps.tolist(), "stop_reason": self.stop_reason, "skipped_steps": self.skipped_steps,
            "group_ratios": list(self.group_ratios), "start_lr": self.start_lr, "end_lr": self.end_lr,
            "num_iter": self.num_iter, "step_mode": self.step_mode,
        }
        if self.train_losses is not None:
            out["train_losses"] = self.train_losses.tolist()
        return json_safe(out)


@dataclass(frozen=True)
class RangeTestRuns:
    """Several sweeps of a range test, one :class:`RangeTestResult` each (what
    :func:`pyclr.torch.range_test` returns by default, and with ``repeats``).

    All sweeps start from the same state; they differ in the batches they saw and in
    random draws (dropout, augmentation), the noise that moves one sweep's bounds.

    Attributes
    ----------
    runs : tuple of RangeTestResult
        The sweeps, in the order they ran (also ``runs[i]``, ``len(runs)``, iteration).
    lrs, losses : list of numpy.ndarray
        Each sweep's ``lrs`` and ``losses`` (ragged where a sweep stopped early), the
        form ``pyclr.analyze`` takes for several runs.

    Examples
    --------
    >>> import torch
    >>> from pyclr.torch import range_test
    >>> _ = torch.manual_seed(0)
    >>> X = torch.randn(512, 8); y = X[:, :2].argmax(1)
    >>> loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True)
    >>> model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    >>> runs = range_test(model, opt, torch.nn.functional.cross_entropy, loader,
    ...                   start_lr=1e-4, end_lr=10, num_iter=200)       # two sweeps of 100 steps
    >>> type(runs).__name__, len(runs), bool(runs[0].lrs[0] == runs[1].lrs[0])
    ('RangeTestRuns', 2, True)
    >>> a = runs.analyze()                  # the median bounds over the sweeps
    >>> a.verdict, len(a.runs), sorted(a.spread)
    ('ok', 2, ['base_lr', 'max_lr'])
    """

    runs: tuple

    def __len__(self) -> int:
        return len(self.runs)

    def __iter__(self) -> Iterator[RangeTestResult]:
        return iter(self.runs)

    def __getitem__(self, index: int) -> RangeTestResult:
        return self.runs[index]

    @property
    def lrs(self) -> list:
        return [r.lrs for r in self.runs]

    @property
    def losses(self) -> list:
        return [r.losses for r in self.runs]

    def analyze(self, **kwargs: Any) -> Analysis:
        """``pyclr.analyze(self.lrs, self.losses, **kwargs)``: the sweeps combined.

        The median bounds in log-LR over the sweeps with an ``ok`` verdict, ``spread``
        (max/min over them) and each sweep's analysis in ``runs``. A sweep that logged
        no point at all is left out of the combination (its entry in ``runs`` says
        why), and when none logged any the verdict is ``"too_short"``.
        """
        from dataclasses import replace

        from . import analyze

        empty = [i for i, r in enumerate(self.runs) if len(r.lrs) == 0]
        if not empty:
            return analyze(self.lrs, self.losses, **kwargs)
        if len(empty) == len(self.runs):
            runs = tuple(_empty_analysis(r) for r in self.runs)
            return replace(_empty_analysis(self.runs[0], len(self.runs)), runs=runs)
        # pyclr.analyze needs at least one point per run: combine the others, then put the
        # empty sweeps' verdicts back in their places so runs[i] is still sweep i
        kept = [r for r in self.runs if len(r.lrs)]
        combined = analyze([r.lrs for r in kept], [r.losses for r in kept], **kwargs)
        per_run = list(combined.runs)
        for i in empty:
            per_run.insert(i, _empty_analysis(self.runs[i]))
        note = (f"Sweep{'s' if len(empty) > 1 else ''} {', '.join(map(str, empty))} logged no points "
                f"and {'were' if len(empty) > 1 else 'was'} left out of the combination.")
        return replace(combined, runs=tuple(per_run), reasons=tuple(combined.reasons) + (note,))

    def to_schedule(self, *args: Any, **kwargs: Any) -> Schedule:
        """A cyclical schedule from the combined bounds: ``self.analyze().to_schedule(...)``."""
        return self.analyze().to_schedule(*args, **kwargs)

    def plot(self, ax: Axes | None = None, anchors: bool | str | Sequence[str] = False, *,
             labels: Sequence[str] | None = None) -> Axes:
        """Draw the sweeps: :func:`pyclr.plot.plot_range_test` (``pip install 'pyclr-lr[plot]'``).

        Every sweep's loss and smoothed loss in its own colour under the combined bounds of
        :meth:`analyze` (shaded), where the combined curve diverged, the verdict, the spread of
        ``max_lr`` over the sweeps and the reasons in the title, and with ``anchors=True`` (or
        a list of :data:`pyclr.finder.METHODS`) each anchor rule's suggestion, the median over
        the sweeps. Returns the matplotlib Axes: ``runs.plot().figure.savefig("rt.png")``.
        """
        from ..plot import plot_range_test

        return plot_range_test(self, ax=ax, anchors=anchors, labels=labels)

    def save(self, path: str | os.PathLike) -> list:
        """Write one CSV per sweep (:meth:`RangeTestResult.save`): ``rt.csv`` gives
        ``rt_run0.csv``, ``rt_run1.csv``, ... Returns their paths.

        ``pyclr analyze rt_run*.csv --combine`` analyses them together again.
        """
        paths = sweep_paths(path, len(self.runs))
        for run, target in zip(self.runs, paths):
            run.save(target)
        return paths

    def to_dict(self) -> dict:
        """JSON-safe: ``{"runs": [each sweep's to_dict()]}``."""
        return {"runs": [r.to_dict() for r in self.runs]}


def _empty_analysis(result: RangeTestResult, sweeps: int = 1):
    """The ``too_short`` verdict of a test that logged no point (``pyclr.analyze`` needs one)."""
    from .result import Analysis

    why = {
        "skipped steps": (f"the AMP GradScaler skipped every optimizer step ({result.skipped_steps} in a row: "
                          "inf/NaN gradients at every scale it tried); check the model and the inputs for "
                          "values that overflow in half precision, or run without amp"),
        "fit ended": "Keras' fit ran out of batches before the first one",
    }.get(result.stop_reason, f"it stopped with {result.stop_reason!r} before the first step")
    if sweeps > 1:
        reason = f"None of the {sweeps} sweeps logged a point; the first: {why}."
    else:
        reason = f"The range test logged no points: {why}."
    empty = np.empty(0, dtype=np.float64)
    return Analysis(None, None, None, "too_short", (reason,), lrs=empty, losses=empty, smoothed=empty, slope=empty)
