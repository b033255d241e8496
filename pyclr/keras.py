"""Keras 3 integration: a serialisable LR schedule, a cyclical-LR callback and an LR range test.

``import pyclr.keras`` imports Keras (``pip install 'pyclr-lr[keras]'``); ``import pyclr`` never
does. Everything here uses ``keras.ops`` and the public optimizer and callback interfaces, so it
runs on every Keras 3 backend (torch, jax, tensorflow): pick one with the ``KERAS_BACKEND``
environment variable before Keras is first imported.

* :class:`KerasSchedule` -- a ``keras.optimizers.schedules.LearningRateSchedule`` reading a
  precomputed pyclr schedule (what ``Schedule.as_keras(n)`` returns); it saves and loads with
  the model.
* :class:`CyclicLR` -- a callback that sets the optimizer's LR (and, if asked, its momentum)
  before every batch, with a per-batch ``history`` like the classic Keras CLR callback.
* :class:`LRFinder` and :func:`range_test` -- the LR range test inside ``model.fit``, on each
  batch's own loss (not Keras' running epoch mean), with pyclr's stop rule; weights and optimizer
  are restored afterwards and the result's ``analyze()`` returns a :class:`pyclr.Analysis`
  (``repeats=N``: N sweeps as a :class:`RangeTestRuns`, combined by ``analyze()``).

Step convention: step ``t`` is the optimizer's iteration count before its ``t``-th update
(0-based), and the LR it uses is ``schedule.values(n)[t]``, as everywhere in pyclr.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

try:
    import keras
    from keras import ops
except ImportError as _exc:  # pragma: no cover - exercised in a subprocess by the tests
    if getattr(_exc, "name", None) in (None, "keras"):  # not installed: ModuleNotFoundError, as importorskip expects
        raise ModuleNotFoundError(
            "pyclr.keras needs Keras 3 and one of its backends: pip install 'pyclr-lr[keras]'", name="keras"
        ) from _exc
    raise ImportError(
        f"Keras could not load its backend ({_exc}); set KERAS_BACKEND to an installed backend "
        "(torch, jax or tensorflow) before Keras is first imported, or install that backend"
    ) from _exc

if not str(getattr(keras, "__version__", "0")).startswith("3."):  # pragma: no cover - Keras 2 installs
    raise ImportError(
        f"pyclr.keras needs Keras 3, but found keras {getattr(keras, '__version__', '?')}: "
        "pip install 'pyclr-lr[keras]'"
    )

from . import _validate as V
from .finder.range_result import RangeTestResult, RangeTestRuns
from .finder.sweep import StopRule, check_stop, check_sweep, lr_grid
from .schedules.base import Schedule

__all__ = ["KerasSchedule", "CyclicLR", "LRFinder", "range_test", "RangeTestResult", "RangeTestRuns"]


# --------------------------------------------------------------------------------- helpers
def _check_schedule(who: str, schedule: Any) -> Schedule:
    if not isinstance(schedule, Schedule):
        raise TypeError(f"{who} expects a pyclr.Schedule for schedule, but got {type(schedule).__name__}")
    if schedule.groups is not None:
        raise ValueError(
            f"{who}: a Keras optimizer has one learning rate, but the schedule {type(schedule).__name__} has "
            f"{schedule.groups} parameter groups; pass one group's schedule"
        )
    return schedule


def _inner_optimizer(optimizer: Any) -> Any:
    """The optimizer that owns the hyperparameters (a LossScaleOptimizer wraps one)."""
    while hasattr(optimizer, "inner_optimizer"):
        optimizer = optimizer.inner_optimizer
    return optimizer


def _compiled_optimizer(who: str, model: Any) -> Any:
    if not isinstance(model, keras.Model):
        raise TypeError(f"{who} expects a keras.Model, but got {type(model).__name__}")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(f"{who}: the model has no optimizer; call model.compile(optimizer=..., loss=...) first")
    if getattr(model, "steps_per_execution", 1) != 1:
        raise ValueError(
            f"{who} works per batch, but the model was compiled with steps_per_execution="
            f"{model.steps_per_execution}, which runs several batches between callbacks; compile with "
            "steps_per_execution=1"
        )
    return optimizer


def _lr_variable(who: str, optimizer: Any) -> Any:
    """The optimizer's learning-rate variable; a clear error when it is a schedule or a callable."""
    inner = _inner_optimizer(optimizer)
    lr = getattr(inner, "_learning_rate", None)
    if isinstance(lr, keras.optimizers.schedules.LearningRateSchedule):
        raise TypeError(
            f"{who} sets the optimizer's learning rate before every batch, but this "
            f"{type(inner).__name__} was built with a LearningRateSchedule ({type(lr).__name__}), which "
            "Keras evaluates itself; either build the optimizer with a float learning_rate, or drop the "
            "callback and pass learning_rate=schedule.as_keras(n) (pyclr.keras.KerasSchedule)"
        )
    if not isinstance(lr, keras.Variable):
        raise TypeError(
            f"{who} needs an optimizer whose learning rate is a variable (built with a float "
            f"learning_rate), but {type(inner).__name__}'s is {type(lr).__name__}"
        )
    return lr


def _numpy_dtype(variable: Any) -> np.dtype:
    return np.dtype(keras.backend.standardize_dtype(variable.dtype))


def _runs_eagerly(model: Any) -> bool:
    """Whether the train step reads Python attributes afresh on every batch (no traced graph)."""
    if getattr(model, "run_eagerly", False):
        return True
    return keras.backend.backend() == "torch" and not getattr(model, "jit_compile", False)


# --------------------------------------------------------------------------------- schedule
@keras.saving.register_keras_serializable(package="pyclr")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):
    r"""A pyclr schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.

    ``KerasSchedule(s, n)(step)`` is ``s.values(n)[step]`` (in ``keras.backend.floatx()``),
    clamped to ``s.values(n)[n - 1]`` past the end: a lookup into the array computed once, with
    ``keras.ops.take``, so it works inside compiled train steps on every backend. Keras calls
    it with the optimizer's iteration count before the update, so optimizer step ``t``
    (0-based) uses ``values(n)[t]``: pyclr's step convention. (With
    ``gradient_accumulation_steps`` Keras passes the count of batches, not of updates.)

    It serialises with the model: the config holds ``schedule.to_dict()`` and ``n``, never
    the array, and the class is registered as ``"pyclr>KerasSchedule"``, so
    ``keras.models.load_model`` rebuilds it once ``pyclr.keras`` has been imported.
    ``Schedule.as_keras(n)`` is the short way to build one.

    Parameters
    ----------
    schedule : pyclr.Schedule
        Any single-group pyclr schedule.
    n : int
        Steps to precompute (at least 1): the length of the run.

    Examples
    --------
    >>> import pyclr, pyclr.keras
    >>> s = pyclr.cyclic(0.001, 0.01, step_size_up=4)
    >>> lr = s.as_keras(100)                    # pyclr.keras.KerasSchedule(s, 100)
    >>> [round(float(lr(t)), 6) for t in (0, 2, 4, 6, 99, 500)]   # past step 99: clamped
    [0.001, 0.0055, 0.01, 0.0055, 0.00775, 0.00775]
    >>> lr.get_config()["n"], lr.get_config()["schedule"]["policy"]
    (100, 'cyclic')
    >>> optimizer = keras.optimizers.SGD(learning_rate=lr, momentum=0.9)
    """

    def __init__(self, schedule: Schedule, n: int):
        self.schedule = _check_schedule("KerasSchedule", schedule)
        self.n = V.int_at_least("n", n, 1)
        self._values = self.schedule.values(self.n)
        # made here, outside any trace: a tensor first made inside a jitted train step (jax) or
        # a tf.function graph is a tracer or graph tensor that must not outlive that trace
        self._dtype = keras.backend.floatx()
        self._table = ops.convert_to_tensor(self._values.astype(self._dtype))

    @property
    def values(self) -> np.ndarray:
        """The precomputed learning rates, float64, shape ``(n,)`` (element ``t``: step ``t``)."""
        return self._values

    def __call__(self, step: Any) -> Any:
        table = self._table
        if keras.backend.floatx() != self._dtype:  # floatx changed since: cast, never cache
            table = ops.cast(table, keras.backend.floatx())
        step = ops.convert_to_tensor(step)
        if not keras.backend.standardize_dtype(step.dtype).startswith(("int", "uint")):
            step = ops.cast(ops.floor(step), "int32")
        return ops.take(table, ops.clip(step, 0, self.n - 1))

    def get_config(self) -> dict:
        """``{"schedule": schedule.to_dict(), "n": n}`` (JSON-safe; no array)."""
        return {"schedule": self.schedule.to_dict(), "n": self.n}

    @classmethod
    def from_config(cls, config: dict) -> "KerasSchedule":
        """Rebuild from :meth:`get_config` output."""
        if not isinstance(config, dict) or "schedule" not in config or "n" not in config:
            raise ValueError(f"Expected a KerasSchedule config with 'schedule' and 'n', but got {config!r}")
        return cls(Schedule.from_dict(config["schedule"]), config["n"])

    def __repr__(self) -> str:
        return f"KerasSchedule({self.schedule!r}, n={self.n})"


# --------------------------------------------------------------------------------- CyclicLR
class CyclicLR(keras.callbacks.Callback):
    """Set the optimizer's LR (and momentum) before every batch from a pyclr schedule.

    Batch ``t`` of the run (counted across epochs, and across ``fit`` calls with the same
    callback, from 0) trains with ``schedule.values(...)[t]``, the same step convention as
    :class:`KerasSchedule`; use this callback instead of a ``KerasSchedule`` when you want the
    per-batch ``history``, momentum cycling, or an optimizer that keeps a plain LR variable
    (which ``ModelCheckpoint`` and ``ReduceLROnPlateau`` expect).

    Parameters
    ----------
    schedule : pyclr.Schedule
        Any single-group pyclr schedule: ``pyclr.cyclic(...)`` reproduces the classic Keras CLR
        callback's ``triangular``, ``triangular2`` and ``exp_range`` modes.
    n : int, optional
        Steps to precompute at once. By default ``epochs * steps`` from the ``fit`` call's
        parameters where Keras knows them; steps past the precomputed ones are computed
        when reached (``schedule.values(m, start=...)``), so ``n`` never limits the run.
    momentum : bool, default False
        Cycle momentum too (the schedule needs a momentum channel: ``base_momentum`` /
        ``max_momentum``): the optimizer's ``momentum`` attribute (``SGD``, ``RMSprop``) or
        else ``beta_1`` (``Adam``, ``AdamW``, ``Adamax``, ``Nadam``, ``Lion``, ``Lamb``).
        Keras keeps these as Python floats that a compiled train step reads once, when it is
        traced, so momentum cycling needs a step that runs eagerly: the torch backend (its
        default ``jit_compile=False``) or ``model.compile(..., run_eagerly=True)``; anything
        else raises ``ValueError`` at the start of ``fit``. ``SGD(momentum=0.0)`` is refused
        too (Keras builds no momentum buffers for it).

    Attributes
    ----------
    step : int
        The next batch's step (the number of batches scheduled so far); settable to resume.
    history : dict of list
        Per batch: ``"lr"`` (the LR the batch trained with, as the optimizer holds it),
        ``"iterations"`` (1, 2, ... over all batches, as in bckenstler's ``CyclicLR``),
        ``"momentum"`` when cycled, and every key of the batch logs. Keras' ``logs["loss"]``
        is the running mean over the epoch so far, not the batch's own loss.

    Examples
    --------
    >>> import numpy as np, keras, pyclr
    >>> from pyclr.keras import CyclicLR
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    >>> clr = CyclicLR(pyclr.cyclic(0.001, 0.01, step_size_up=2))
    >>> x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    >>> _ = model.fit(x, y, batch_size=2, epochs=2, callbacks=[clr], verbose=0)
    >>> np.round(clr.history["lr"], 4).tolist()
    [0.001, 0.0055, 0.01, 0.0055, 0.001, 0.0055, 0.01, 0.0055]
    >>> clr.history["iterations"][-1], clr.step
    (8, 8)
    """

    def __init__(self, schedule: Schedule, n: int | None = None, *, momentum: bool = False):
        super().__init__()
        self.schedule = _check_schedule("CyclicLR", schedule)
        self.n = None if n is None else V.int_at_least("n", n, 1)
        self.momentum = V.boolean("momentum", momentum)
        if self.momentum and not self.schedule.has_momentum:
            raise ValueError(
                f"CyclicLR: momentum=True, but the schedule {type(self.schedule).__name__} carries no momentum "
                "channel; build it with base_momentum/max_momentum (cyclic, one_cycle) or pass momentum=False"
            )
        self.step = 0
        self.history: dict[str, list] = {}
        self._lrs = np.empty(0, dtype=np.float64)
        self._moms: np.ndarray = np.empty(0, dtype=np.float64)
        self._lr_var: Any = None
        self._lr_dtype = np.dtype(np.float32)
        self._mom_attr: str | None = None

    def _grow(self, needed: int) -> None:
        """Have the LRs (and momenta) of steps ``0 .. needed - 1`` at hand."""
        have = len(self._lrs)
        if needed <= have:
            return
        stop = max(needed, 2 * have, 256)
        self._lrs = np.concatenate([self._lrs, self.schedule.values(stop - have, start=have)])
        if self._mom_attr is not None:
            self._moms = np.concatenate([self._moms, self.schedule.momentum(stop - have, start=have)])

    def on_train_begin(self, logs: dict | None = None) -> None:
        who = "CyclicLR"
        model = self.model
        optimizer = _compiled_optimizer(who, model)
        self.step = V.int_at_least("step", self.step, 0)
        self._lr_var = _lr_variable(who, optimizer)
        self._lr_dtype = _numpy_dtype(self._lr_var)
        self._mom_attr = None
        if self.momentum:
            inner = _inner_optimizer(optimizer)
            attr = "momentum" if isinstance(getattr(inner, "momentum", None), (int, float)) else "beta_1"
            value = getattr(inner, attr, None)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(
                    f"{who}: momentum=True needs an optimizer with a float 'momentum' (SGD, RMSprop) or "
                    f"'beta_1' (Adam, AdamW, Adamax, Nadam, Lion, Lamb), but {type(inner).__name__} has neither"
                )
            if attr == "momentum" and value == 0:
                raise ValueError(
                    f"{who}: {type(inner).__name__} was built with momentum=0.0, so Keras keeps no momentum "
                    "buffers for it; build it with momentum > 0 (for example 0.9) to cycle it, or pass momentum=False"
                )
            if not _runs_eagerly(model):
                raise ValueError(
                    f"{who}: momentum=True changes the optimizer's Python float '{attr}' before every batch, but "
                    f"this model's train step is compiled ({keras.backend.backend()} backend"
                    f"{', jit_compile=True' if getattr(model, 'jit_compile', False) else ''}) and reads it only "
                    "once, when traced; compile the model with run_eagerly=True (or, on the torch backend, "
                    "jit_compile=False), or pass momentum=False"
                )
            self._mom_attr = attr
            moms = self.schedule.momentum(len(self._lrs))  # not None: has_momentum was checked
            self._moms = np.empty(0) if moms is None else moms
        planned = self.n
        if planned is None:
            epochs, steps = self.params.get("epochs"), self.params.get("steps")
            planned = self.step + epochs * steps if isinstance(epochs, int) and isinstance(steps, int) else 0
        self._grow(planned)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        model = self.model  # on jax this syncs the train state, so the assignment below is seen
        t = self.step
        self._grow(t + 1)
        self._lr_var.assign(self._lrs[t])
        if self._mom_attr is not None:
            setattr(_inner_optimizer(model.optimizer), self._mom_attr, float(self._moms[t]))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        t = self.step
        history = self.history
        # the value the variable holds (the assignment rounds to its dtype), without a device sync
        history.setdefault("lr", []).append(float(np.asarray(self._lrs[t], dtype=self._lr_dtype)))
        history.setdefault("iterations", []).append(t + 1)
        if self._mom_attr is not None:
            history.setdefault("momentum", []).append(float(self._moms[t]))
        for key, value in (logs or {}).items():
            history.setdefault(key, []).append(value)
        self.step = t + 1


# --------------------------------------------------------------------------------- range test
class _BatchLossMean(keras.metrics.Mean):
    """Keras' loss tracker (the running mean of the epoch, weighted by batch size) that also
    keeps the last value it was given -- the loss of the batch that just ran, exactly as the
    train step computed it -- and counts its updates, so a train step that bypasses it is
    detected instead of read."""

    def __init__(self, name: str = "loss", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)
        self.last = self.add_variable(shape=(), initializer="zeros", dtype=self.dtype, name="last")
        self.updates = self.add_variable(shape=(), initializer="zeros", dtype="int32", name="updates")

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        super().update_state(values, sample_weight=sample_weight)
        value = ops.cast(values, self.dtype)
        if len(value.shape):
            value = ops.mean(value)
        self.last.assign(value)
        self.updates.assign_add(ops.cast(1, "int32"))
    # reset_state (each epoch) resets the mean only: ``updates`` counts over the whole fit


class _State:
    """Copies of a model's and its optimizer's variables (weights, non-trainable state, seed
    generators; slots, iteration count, LR), put back bit for bit by :meth:`restore`."""

    def __init__(self, model: Any):
        if not model.optimizer.built:  # its slots appear when built: build them now to snapshot them
            model.optimizer.build(model.trainable_variables)
        self.variables = list(model.variables) + list(model.optimizer.variables)
        self.values = [np.array(keras.ops.convert_to_numpy(v.value), copy=True) for v in self.variables]

    def restore(self) -> None:
        for variable, value in zip(self.variables, self.values):
            variable.assign(value)


class LRFinder(keras.callbacks.Callback):
    r"""The LR range test as a callback: pass it to ``model.fit`` (or call :func:`range_test`).

    Batch ``k`` (``k = 0 .. num_iter-1``) of the fit trains at

    * ``step_mode="exp"``: ``lr_k = start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))``
    * ``step_mode="linear"``: ``lr_k = start_lr + k / (num_iter - 1) * (end_lr - start_lr)``

    and logs the loss *of that batch*. Keras' ``logs["loss"]`` cannot give it: it is the
    running mean of the epoch so far (a ``keras.metrics.Mean`` weighted by batch size), so a
    finder reading it sees a lagging average that hides the blow-up at high LR. Undoing the
    average from the logged means is inexact too (float32 running sums), so for the test the
    model's loss tracker is replaced by one that also keeps the last value the train step gave
    it -- the loss that step differentiated, sample weights, class weights and regularisation
    included -- and the original tracker is put back afterwards.

    The test stops after ``num_iter`` batches, when the bias-corrected causal EMA of the
    losses exceeds ``diverge_th`` times its best (pyclr's and fastai's rule, as in
    ``pyclr.torch.range_test``), or at once on a NaN/inf loss (logged as the last point). It
    then sets ``model.stop_training``, and at the end of ``fit`` puts back every model variable
    (weights, non-trainable state such as batch-norm statistics, dropout seed state) and every
    optimizer variable (slots, iteration count, LR) bit for bit, unless ``restore=False``.
    Other callbacks in the same fit see the training the test did. If ``fit`` raises, only
    :func:`range_test` can restore (a callback is not told); use it where that matters.

    Parameters
    ----------
    start_lr, end_lr : float
        The sweep, ``0 < start_lr < end_lr``.
    num_iter : int, default 100
        Batches in the sweep, at least 2; ``fit`` must run that many (``epochs * steps``).
    step_mode : {"exp", "linear"}
    diverge_th : float, default 4.0
        Stop when the smoothed loss exceeds this multiple of its best (> 1).
    smooth_beta : float, default 0.98
        EMA factor of the stop rule, in [0, 1).
    restore : bool, default True
        Put the model and optimizer back after the test.

    Attributes
    ----------
    result : RangeTestResult or None
        Set at the end of ``fit``.

    Notes
    -----
    The optimizer needs a float learning rate (a variable; a ``LearningRateSchedule`` is
    refused) and the model ``steps_per_execution=1``. Every batch is a point, also with an
    optimizer's ``gradient_accumulation_steps`` (which updates the weights every few batches). A custom ``train_step`` must update
    ``self._loss_tracker`` (as Keras' own does) or the test raises ``ValueError``. On the jax
    backend the callback syncs the train state every batch (Keras' documented way for a
    callback to change variables mid-epoch), which costs some speed during the test only.
    """

    def __init__(self, start_lr: float = 1e-7, end_lr: float = 10.0, num_iter: int = 100, *,
                 step_mode: str = "exp", diverge_th: float = 4.0, smooth_beta: float = 0.98,
                 restore: bool = True):
        super().__init__()
        self.start_lr, self.end_lr, self.num_iter, self.step_mode = check_sweep(start_lr, end_lr, num_iter, step_mode)
        self.diverge_th, self.smooth_beta = check_stop(diverge_th, smooth_beta)
        self.restore = V.boolean("restore", restore)
        self.result: RangeTestResult | None = None
        self._active = False
        self._state: _State | None = None

    # ------------------------------------------------------------ fit hooks
    def on_train_begin(self, logs: dict | None = None) -> None:
        who = "LRFinder"
        model = self.model
        optimizer = _compiled_optimizer(who, model)
        tracker = getattr(model, "_loss_tracker", None)
        if not isinstance(tracker, keras.metrics.Mean):
            raise ValueError(f"{who}: the model has no loss to track; compile it with a loss (model.compile(loss=...))")
        self._lr_var = _lr_variable(who, optimizer)
        self._lr_dtype = _numpy_dtype(self._lr_var)
        self._grid = lr_grid(self.start_lr, self.end_lr, self.num_iter, self.step_mode)
        self._lrs_used = np.asarray(self._grid, dtype=self._lr_dtype).astype(np.float64)
        self._losses: list[float] = []
        self._rule = StopRule(self.smooth_beta, self.diverge_th)
        self._stop_reason: str | None = None
        self._updates = 0
        self.result = None
        self._state = _State(model)
        self._original_tracker = tracker
        self._tracker = _BatchLossMean(name=tracker.name, dtype=tracker.dtype)
        model._loss_tracker = self._tracker
        self._active = True
        # the train function may have been traced (jax, tensorflow) with the old tracker
        model.make_train_function(force=True)

    def on_train_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        if not self._active or self._stop_reason is not None:
            return
        _ = self.model  # on jax, reading it syncs the train state, so the new LR is seen
        self._lr_var.assign(self._grid[len(self._losses)])
        # read here, not kept from the last batch: validation between epochs updates it too
        self._updates = int(ops.convert_to_numpy(self._tracker.updates.value))

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if not self._active or self._stop_reason is not None:
            return
        model = self.model  # on jax: syncs the tracker's variables back from the train state
        updates = int(ops.convert_to_numpy(self._tracker.updates.value))
        if updates != self._updates + 1:
            self._finish("error")
            model.stop_training = True
            raise ValueError(
                "LRFinder: the train step updated the model's loss tracker "
                f"{updates - self._updates} times in one batch instead of once (a custom train_step that "
                "does not call self._loss_tracker.update_state(loss)?); the batch's own loss is unknown, so "
                "the range test cannot run on this model. The model and optimizer were restored."
            )
        loss = float(ops.convert_to_numpy(self._tracker.last.value))
        self._losses.append(loss)
        reason = self._rule.add(loss)
        if reason is None and len(self._losses) == self.num_iter:
            reason = "num_iter"
        if reason is not None:
            self._stop_reason = reason
            model.stop_training = True

    def on_train_end(self, logs: dict | None = None) -> None:
        if self._active:
            self._finish(self._stop_reason or "fit ended")

    # ------------------------------------------------------------ the end
    def _finish(self, reason: str) -> None:
        """Record the result, put the loss tracker back and (if asked) the model and optimizer."""
        if not self._active:
            return
        self._active = False
        model = self.model  # on jax: sync before writing the variables
        k = len(self._losses)
        self.result = RangeTestResult(
            lrs=self._lrs_used[:k].copy(),
            losses=np.asarray(self._losses, dtype=np.float64),
            smoothed=np.asarray(self._rule.smoothed, dtype=np.float64),
            steps=np.arange(k, dtype=np.int64),
            stop_reason=reason,
            start_lr=self.start_lr, end_lr=self.end_lr, num_iter=self.num_iter, step_mode=self.step_mode,
        )
        model._loss_tracker = self._original_tracker
        # a traced train function refers to the finder's tracker: the next fit builds a new one
        model.train_function = None
        if (self.restore or reason == "error") and self._state is not None:
            self._state.restore()
        self._state = None

    def _abort(self) -> None:
        """After an exception inside fit: put everything back (on_train_end never ran)."""
        if self._active:
            restore = self.restore
            self.restore = True
            try:
                self._finish("error")
            finally:
                self.restore = restore


def _num_samples(x: Any) -> int | None:
    """The number of samples of array-like input (a NumPy/backend array, or a list/dict of them)."""
    flat = keras.tree.flatten(x) if isinstance(x, (list, tuple, dict)) else [x]
    if flat and hasattr(flat[0], "shape") and len(getattr(flat[0], "shape", ())) >= 1:
        n = flat[0].shape[0]
        return int(n) if n is not None else None
    return None


def range_test(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 100,
    step_mode: str = "exp",
    batch_size: int | None = None,
    sample_weight: Any = None,
    class_weight: dict | None = None,
    steps_per_epoch: int | None = None,
    shuffle: bool = True,
    diverge_th: float = 4.0,
    smooth_beta: float = 0.98,
    restore: bool = True,
    repeats: int | None = None,
    verbose: Any = 0,
    callbacks: list | None = None,
) -> RangeTestResult | RangeTestRuns:
    r"""Run an LR range test on a compiled Keras model: :class:`LRFinder` inside ``model.fit``.

    Fits ``model`` on ``x``/``y`` (anything ``fit`` takes: arrays, a dataset, a
    ``keras.utils.PyDataset``) for as many epochs as ``num_iter`` batches need, sweeping the
    LR from ``start_lr`` to ``end_lr`` and logging each batch's own loss; stops early on
    divergence (see :class:`LRFinder`). Afterwards the model's variables and the optimizer's
    (slots, iteration count, LR) are back to the bit, also when ``fit`` raises; the global
    random generators (data shuffling) run on.

    Parameters
    ----------
    model : keras.Model
        Compiled, with an optimizer built from a float learning rate and a loss.
    x, y, batch_size, sample_weight, class_weight, steps_per_epoch, shuffle, verbose, callbacks :
        Passed to ``model.fit`` (``callbacks`` run alongside the finder).
    start_lr, end_lr, num_iter, step_mode, diverge_th, smooth_beta, restore :
        As for :class:`LRFinder`.
    repeats : int, optional
        Run that many sweeps of ``num_iter`` batches (one ``fit`` each), every one from the
        same starting state (restored in between) but on other batches (``fit`` shuffles
        arrays anew each time; a generator goes on where it stopped), and return them
        as a :class:`RangeTestRuns`, whose ``analyze()`` combines them (median bounds in
        log-LR, their spread): steadier bounds for ``repeats`` times the batches, as with
        ``pyclr.torch.range_test``'s ``repeats``. ``restore=False`` keeps the last sweep's
        training.

    Returns
    -------
    RangeTestResult, or RangeTestRuns with ``repeats``
        ``.lrs``, ``.losses``, ``.stop_reason``; ``.analyze()`` gives the
        :class:`pyclr.Analysis` that ``pyclr.analyze(res.lrs, res.losses)`` gives.

    Examples
    --------
    >>> import numpy as np, keras
    >>> from pyclr.keras import range_test
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(512, 8)).astype("float32")
    >>> y = (x @ rng.normal(size=(8, 1))).astype("float32")
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
    ...                           keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    >>> before = [w.copy() for w in model.get_weights()]
    >>> res = range_test(model, x, y, start_lr=1e-4, end_lr=10, num_iter=50, batch_size=32)
    >>> res.stop_reason in ("diverged", "non-finite loss"), len(res) < 50
    (True, True)
    >>> all((a == b).all() for a, b in zip(before, model.get_weights()))
    True
    >>> a = res.analyze()        # a pyclr.Analysis: a.base_lr, a.max_lr, a.verdict, a.reasons
    """
    finder = LRFinder(start_lr, end_lr, num_iter, step_mode=step_mode, diverge_th=diverge_th,
                      smooth_beta=smooth_beta, restore=restore)
    _compiled_optimizer("range_test", model)
    sweeps = 1 if repeats is None else V.int_at_least("repeats", repeats, 1)
    if batch_size is not None:
        batch_size = V.int_at_least("batch_size", batch_size, 1)
    if steps_per_epoch is not None:
        steps_per_epoch = V.int_at_least("steps_per_epoch", steps_per_epoch, 1)
    if callbacks is None:
        callbacks = []
    elif not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"Expected a list of callbacks for callbacks, but got {type(callbacks).__name__}")
    per_epoch = steps_per_epoch
    if per_epoch is None:
        samples = _num_samples(x)
        if samples is not None and samples > 0:
            per_epoch = math.ceil(samples / (batch_size or 32))  # fit's default batch size is 32
    # with an unknown epoch length, one batch per epoch at least: the finder stops the fit
    epochs = math.ceil(num_iter / per_epoch) if per_epoch else num_iter
    results = []
    for sweep in range(sweeps):
        # every sweep but the last restores, so each starts from the same state
        finder.restore = restore or sweep < sweeps - 1
        try:
            model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=[*callbacks, finder],
                      sample_weight=sample_weight, class_weight=class_weight, steps_per_epoch=steps_per_epoch,
                      shuffle=shuffle)
        except BaseException:
            finder._abort()
            raise
        if finder._active:  # a fit that returned without on_train_end still gets its result and restore
            finder._finish(finder._stop_reason or "fit ended")
        results.append(finder.result)
    if repeats is None:
        return results[0]  # type: ignore[return-value]  # set by _finish
    return RangeTestRuns(tuple(results))
