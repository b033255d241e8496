"""PyTorch Lightning adapters: a range-test callback and a one-call scheduler config.

``pip install 'pyclr-lr[lightning]'``. Importing this module imports ``lightning.pytorch``
(and torch); ``import pyclr`` never does.

* :class:`RangeTest` -- a callback that runs :func:`pyclr.torch.range_test` when training
  starts, logs the analysis and its picture, and installs :class:`~pyclr.torch.ScheduledLR`
  with the bounds it found (Lightning's ``LearningRateFinder`` with pyclr's multi-sweep test,
  both cyclical bounds, a verdict, and a schedule instead of one LR).
* :func:`scheduler_config` -- the ``lr_scheduler`` entry for ``configure_optimizers`` that
  steps a pyclr schedule once per optimizer step.

Examples
--------
>>> import lightning.pytorch as L, pyclr
>>> from pyclr.lightning import RangeTest, scheduler_config
>>> callback = RangeTest(num_iter=200, policy="one_cycle")
>>> trainer = L.Trainer(max_epochs=3, callbacks=[callback])  # doctest: +SKIP
>>> trainer.fit(model, train_loader)                          # doctest: +SKIP
>>> callback.analysis.base_lr, callback.analysis.max_lr        # doctest: +SKIP
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable, Iterable, Mapping

_INSTALL = "pip install 'pyclr-lr[lightning]'"

try:
    import lightning.pytorch as L
    import torch
    from lightning.pytorch.utilities.rank_zero import rank_zero_info, rank_zero_warn
    from lightning.pytorch.utilities.types import LRSchedulerConfig
except ImportError as exc:  # pragma: no cover - exercised in a subprocess by the tests
    # ModuleNotFoundError where a package is missing, as pytest.importorskip expects
    _error = ModuleNotFoundError if isinstance(exc, ModuleNotFoundError) else ImportError
    raise _error(
        f"pyclr.lightning needs PyTorch Lightning (the 'lightning' package): {_INSTALL} ({exc})", name=exc.name
    ) from exc

from pyclr import _validate as V
from pyclr.finder.sweep import check_stop, check_sweep
from pyclr.torch._params import DEFAULT_CHUNK, check_optimizer, check_schedule, momentum_targets
from pyclr.torch.range_test import SWEEP_ITER, _default_batch_fn, range_test
from pyclr.torch.scheduler import ScheduledLR

__all__ = ["RangeTest", "scheduler_config"]

_POLICIES = ("triangular", "one_cycle")
_PICTURE = "pyclr_range_test.png"
_LOG = "pyclr_range_test.csv"


def scheduler_config(
    optimizer: torch.optim.Optimizer,
    schedule: Any,
    *,
    momentum: bool = False,
    num_steps: int | None = None,
    name: str | None = None,
    chunk: int = DEFAULT_CHUNK,
) -> dict[str, Any]:
    """The ``lr_scheduler`` entry of ``configure_optimizers`` for a pyclr schedule.

    Returns ``{"scheduler": ScheduledLR(optimizer, schedule, ...), "interval": "step",
    "frequency": 1, "name": name}``: Lightning then calls ``scheduler.step()`` after every
    optimizer step, so optimizer step ``t`` of the run uses ``schedule.values(n)[t]``
    (without ``"interval": "step"`` Lightning would step it once per *epoch*). Its state
    (the schedule spec and the step) goes into Lightning's checkpoints, and
    ``trainer.fit(..., ckpt_path=...)`` continues the exact LR sequence.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer ``configure_optimizers`` returns.
    schedule : pyclr.Schedule
        ``pyclr.cyclic(...)``, ``pyclr.one_cycle(...)``, ``Analysis.to_schedule(...)``, ...
    momentum : bool, default False
        Cycle momentum (or Adam's ``betas[0]``) too; the schedule must carry it.
    num_steps : int, optional
        The run's length in optimizer steps (``int(self.trainer.estimated_stepping_batches)``):
        a finite schedule shorter than that raises ``ValueError`` now, not mid-run.
    name : str, optional
        The name ``LearningRateMonitor`` logs the LR under (Lightning's default when None).
    chunk : int, default 4096
        Steps of the schedule generated at a time (see :class:`~pyclr.torch.ScheduledLR`).

    Returns
    -------
    dict
        An ``LRSchedulerConfigType`` dict.

    Raises
    ------
    TypeError, ValueError
        For an ``optimizer`` that is not a torch optimizer, a ``schedule`` that is not a pyclr
        schedule, a ``name`` that is not a string, and what :class:`~pyclr.torch.ScheduledLR`
        refuses (``momentum``, ``num_steps``, ``chunk``).

    Examples
    --------
    >>> import torch, pyclr
    >>> from pyclr.lightning import scheduler_config
    >>> opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
    >>> config = scheduler_config(opt, pyclr.one_cycle(0.1, 100), momentum=True, num_steps=100)
    >>> config["interval"], config["frequency"], type(config["scheduler"]).__name__
    ('step', 1, 'ScheduledLR')
    >>> round(opt.param_groups[0]["lr"], 6)     # step 0 of the one-cycle: max_lr / div_factor
    0.004

    In a LightningModule:

    ```python
    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        steps = int(self.trainer.estimated_stepping_batches)
        s = pyclr.one_cycle(0.1, steps)
        return {"optimizer": opt, "lr_scheduler": scheduler_config(opt, s, num_steps=steps)}
    ```
    """
    check_optimizer(optimizer, "scheduler_config")
    check_schedule(schedule, "scheduler_config")
    if name is not None and not isinstance(name, str):
        raise TypeError(f"Expected a str or None for name, but got {name!r} of type {type(name).__name__}")
    scheduler = ScheduledLR(optimizer, schedule, momentum=momentum, num_steps=num_steps, chunk=chunk)
    return {"scheduler": scheduler, "interval": "step", "frequency": 1, "name": name}


class _Batches:
    """The trainer's training batches, re-iterable, moved to the device by the strategy
    (``LightningModule.transfer_batch_to_device`` and its hooks included)."""

    def __init__(self, loader: Any, strategy: Any):
        self.loader, self.strategy = loader, strategy
        self.combined = isinstance(loader, (Mapping, list, tuple))

    def __iter__(self):
        loader = self.loader
        if self.combined:
            # several training loaders: batches as Lightning builds them ({name: batch} or
            # [batch, ...]); CombinedLoader yields (batch, batch_idx, dataloader_idx)
            from lightning.pytorch.utilities import CombinedLoader

            loader = (item[0] for item in CombinedLoader(self.loader, "max_size_cycle"))
        for batch in loader:
            yield self.strategy.batch_to_device(batch)


class _Loss(torch.nn.Module):
    """``forward(batch) -> loss``: the LightningModule's ``training_step`` (through the
    strategy, so DDP and precision plugins apply), or ``criterion(module(x), y)``.

    The LightningModule is a child module, so the range test's snapshot covers its
    parameters, buffers and train/eval flags."""

    def __init__(self, trainer: Any, module: Any, criterion: Callable | None, batch_fn: Callable):
        super().__init__()
        self.module = module
        self._trainer_ref = trainer
        self._criterion = criterion
        self._batch_fn = batch_fn
        self.batch_idx = 0

    def forward(self, batch: Any) -> torch.Tensor:
        trainer, index = self._trainer_ref, self.batch_idx
        self.batch_idx += 1
        if self._criterion is None:
            return _loss_of(trainer.strategy.training_step(batch, index), index)
        inputs, targets = self._batch_fn(batch)
        with trainer.precision_plugin.train_step_context():
            return self._criterion(self.module(inputs), targets)


def _loss_of(output: Any, index: int) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Mapping) and "loss" in output:
        return output["loss"]
    what = "None (a skipped batch)" if output is None else f"{type(output).__name__} without a 'loss' key"
    raise ValueError(
        f"RangeTest: training_step returned {what} for range-test batch {index}, but the range test needs "
        "the loss of every batch; return the loss (or {'loss': loss}) or pass RangeTest(criterion=...)"
    )


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


class RangeTest(L.Callback):
    r"""Run pyclr's LR range test when training starts, then train with the bounds it found.

    At ``on_train_start`` the callback runs :func:`pyclr.torch.range_test` on the
    LightningModule with the trainer's optimizer and training batches, analyses it
    (:meth:`~pyclr.torch.RangeTestRuns.analyze`: both cyclical bounds and a verdict), logs
    the result and its picture, and, when the verdict is ``"ok"``, installs a
    :class:`~pyclr.torch.ScheduledLR` stepped once per optimizer step with a schedule over
    those bounds (``Analysis.to_schedule``). The model, the optimizer (state, LRs, every
    hyperparameter), the AMP GradScaler and the RNG states are restored bit for bit before
    training starts, so training begins exactly where it would have without the test.

    *Why* ``on_train_start``: it is the first hook where everything the test needs exists --
    the optimizer (``configure_optimizers`` ran in the strategy's setup, before
    ``on_fit_start`` too), the model on its device, and the training dataloader
    (``trainer.train_dataloader`` is set up by the fit loop *after* ``on_fit_start``) -- and
    it comes after a checkpoint was restored, so a resumed run neither repeats the test nor
    has its optimizer state overwritten afterwards. It runs once per ``fit``.

    *How the schedule is installed*: the ``LRSchedulerConfig`` list of the trainer's strategy
    (``trainer.strategy.lr_scheduler_configs``) is replaced, as Lightning's own LR finder
    does to put its sweep scheduler in place; the optimizer object stays the same, so
    ``configure_optimizers`` is not called again (calling it again through
    ``trainer.strategy.setup_optimizers``, as ``LearningRateFinder`` does after changing
    ``lr``, would build a new optimizer and need a module that reads its LR from an
    attribute). A scheduler ``configure_optimizers`` returned is replaced, with a warning.

    Parameters
    ----------
    start_lr, end_lr : float, default 1e-7 and 10
        The sweep, ``0 < start_lr < end_lr``.
    num_iter : int, default 400
        Optimizer steps the test may spend (at least 2).
    sweep_iter : int or None, default 100
        Steps per sweep: by default ``num_iter`` is spent as 4 sweeps of 100 steps from the
        same start, combined by median (see :func:`~pyclr.torch.range_test`); ``None`` runs
        one classic sweep of ``num_iter`` steps.
    step_mode : {"exp", "linear"}, default "exp"
    diverge_th : float, default 4.0
        The test stops when the smoothed loss exceeds this multiple of its best (> 1).
    criterion : callable, optional
        ``criterion(module(inputs), targets) -> loss`` with ``batch_fn(batch) -> (inputs,
        targets)``. By default the loss is what the LightningModule's ``training_step``
        returns (a tensor or ``{"loss": ...}``); ``self.log`` calls in it are ignored during
        the test. Needed with manual optimization.
    batch_fn : callable, optional
        Splits a batch for ``criterion`` (default: a 2-tuple or a dict with
        ``input``/``target``-like keys). Only with ``criterion``.
    install : bool, default True
        Install the schedule. ``False`` only tests, analyses and logs.
    policy : {"triangular", "one_cycle"} or callable, default "triangular"
        ``"triangular"``: ``pyclr.cyclic(base_lr, max_lr, step_size_up)`` with
        ``step_size_up = epochs_per_half_cycle`` epochs of optimizer steps (Smith 2017: 2 to
        10). ``"one_cycle"``: ``pyclr.one_cycle(max_lr, total_steps, div_factor=max_lr /
        base_lr)`` over the rest of the run (``trainer.estimated_stepping_batches``). A
        callable ``policy(analysis, trainer) -> pyclr.Schedule`` builds any other.
    epochs_per_half_cycle : float, default 4.0
        For ``"triangular"``.
    step_size_up, total_steps : int, optional
        Override the step counts derived from the trainer (needed where the trainer cannot
        know them: a dataloader without ``len``, or no ``max_epochs``/``max_steps``).
    momentum : bool, default False
        Cycle momentum (SGD's ``momentum`` or Adam's ``betas[0]``) with the schedule's
        momentum channel (``cyclic``: 0.9 down to 0.8, ``one_cycle``: 0.95 down to 0.85).
    name : str, optional
        The installed scheduler's name for ``LearningRateMonitor``.
    plot : bool, default True
        Save the picture (:func:`pyclr.plot.plot_range_test`) as ``pyclr_range_test.png`` in
        ``dirpath`` and, for a TensorBoard logger, add it with ``add_figure``. Without
        matplotlib the picture is skipped with a warning.
    save_log : bool, default True
        Save the test's points as CSV (``pyclr_range_test.csv``, or ``..._run0.csv``,
        ``..._run1.csv``, ... for several sweeps) in ``dirpath``; ``pyclr analyze`` reads them.
    dirpath : str or os.PathLike, optional
        Where the files go: by default ``trainer.log_dir`` (the logger's version folder), or
        ``trainer.default_root_dir`` without a logger.
    progress : bool, optional
        A progress bar for the test (default: when stderr is a terminal).

    Attributes
    ----------
    result : RangeTestResult or RangeTestRuns or None
        The test, after ``fit`` started (None before, and in a resumed run).
    analysis : pyclr.Analysis or None
        Its analysis: ``base_lr``, ``max_lr``, ``verdict``, ``reasons`` (None before, and in a
        resumed run, which has ``summary``).
    schedule : pyclr.Schedule or None
        The installed schedule (None while nothing was installed).
    scheduler : ScheduledLR or None
        The installed scheduler, stepped by Lightning after every optimizer step.
    summary : dict or None
        ``analysis.to_dict()``; kept in checkpoints, so a resumed run has it too.
    paths : dict
        The files written: ``{"picture": path, "log": [paths]}``.

    Notes
    -----
    * Logged (``trainer.loggers``): hyperparameters ``pyclr/verdict``, ``pyclr/base_lr``,
      ``pyclr/max_lr``, ``pyclr/reasons``, ``pyclr/installed``, ``pyclr/policy`` and the
      sweep settings; metrics ``pyclr/base_lr``, ``pyclr/max_lr`` (when known) and
      ``pyclr/verdict_ok`` (1 or 0) at the current step. A summary line goes to Lightning's
      console logger (rank zero) in any case.
    * A verdict other than ``"ok"`` installs nothing: a warning says why and what to do, and
      training goes on with the optimizer and schedulers of ``configure_optimizers``.
    * Resuming (``fit(..., ckpt_path=...)``): the callback's state in the checkpoint holds
      the installed scheduler; it is installed again at the saved step and the test is not
      run again.
    * Under DDP every rank runs the test (losses averaged over ranks, the same result on
      every rank); files and logs are written by rank zero. Gradient accumulation
      (``accumulate_grad_batches``) and AMP precision plugins (autocast and their GradScaler)
      apply to the test's steps; gradient clipping does not.
    * ``fast_dev_run`` skips the test with a warning, as Lightning's finder does. One
      optimizer only.
    * To test again later in a run (fine-tuning milestones), call :meth:`run` from another
      hook, as with Lightning's ``LearningRateFinder.lr_find``; a test whose verdict is not
      ``"ok"`` leaves the schedule installed before in place.

    Examples
    --------
    >>> import lightning.pytorch as L
    >>> from pyclr.lightning import RangeTest
    >>> rt = RangeTest(policy="one_cycle", momentum=True)
    >>> rt.install, rt.policy
    (True, 'one_cycle')
    >>> trainer = L.Trainer(max_epochs=8, callbacks=[rt])            # doctest: +SKIP
    >>> trainer.fit(model, train_loader)                              # doctest: +SKIP
    >>> rt.analysis.verdict, rt.analysis.base_lr, rt.analysis.max_lr  # doctest: +SKIP
    """

    def __init__(
        self,
        *,
        start_lr: float = 1e-7,
        end_lr: float = 10.0,
        num_iter: int = 400,
        sweep_iter: int | None = SWEEP_ITER,
        step_mode: str = "exp",
        diverge_th: float = 4.0,
        criterion: Callable[[Any, Any], Any] | None = None,
        batch_fn: Callable[[Any], tuple[Any, Any]] | None = None,
        install: bool = True,
        policy: str | Callable[[Any, Any], Any] = "triangular",
        epochs_per_half_cycle: float = 4.0,
        step_size_up: int | None = None,
        total_steps: int | None = None,
        momentum: bool = False,
        name: str | None = None,
        plot: bool = True,
        save_log: bool = True,
        dirpath: str | os.PathLike | None = None,
        progress: bool | None = None,
    ) -> None:
        super().__init__()
        self.start_lr, self.end_lr, self.num_iter, self.step_mode = check_sweep(start_lr, end_lr, num_iter, step_mode)
        self.sweep_iter = None if sweep_iter is None else V.int_at_least("sweep_iter", sweep_iter, 2)
        self.diverge_th = check_stop(diverge_th, 0.98)[0]  # range_test's smooth_beta, which this callback keeps
        if criterion is not None and not callable(criterion):
            raise TypeError(f"Expected a callable or None for criterion, but got {criterion!r}")
        if batch_fn is not None:
            if not callable(batch_fn):
                raise TypeError(f"Expected a callable or None for batch_fn, but got {batch_fn!r}")
            if criterion is None:
                raise ValueError("Expected batch_fn only with criterion (training_step takes the whole batch), "
                                 f"but got batch_fn={batch_fn!r} and criterion=None")
        self.criterion, self.batch_fn = criterion, batch_fn
        self.install = V.boolean("install", install)
        self.policy = policy if callable(policy) else V.choice("policy", policy, _POLICIES)
        self.epochs_per_half_cycle = V.positive("epochs_per_half_cycle", epochs_per_half_cycle)
        self.step_size_up = None if step_size_up is None else V.int_at_least("step_size_up", step_size_up, 1)
        self.total_steps = None if total_steps is None else V.int_at_least("total_steps", total_steps, 2)
        self.momentum = V.boolean("momentum", momentum)
        if name is not None and not isinstance(name, str):
            raise TypeError(f"Expected a str or None for name, but got {name!r} of type {type(name).__name__}")
        self.name = name
        self.plot = V.boolean("plot", plot)
        self.save_log = V.boolean("save_log", save_log)
        if dirpath is not None and not isinstance(dirpath, (str, os.PathLike)):
            raise TypeError(f"Expected a path or None for dirpath, but got {dirpath!r} of type {type(dirpath).__name__}")
        self.dirpath = dirpath
        self.progress = None if progress is None else V.boolean("progress", progress)

        self.result: Any = None
        self.analysis: Any = None
        self.schedule: Any = None
        self.scheduler: ScheduledLR | None = None
        self.summary: dict | None = None
        self.paths: dict = {}
        self._resume: dict | None = None

    # -- Lightning hooks ---------------------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Run the test (:meth:`run`), or, when resuming from a checkpoint that holds this
        callback's state, install the saved scheduler again at its step."""
        if self._resume is not None:
            self._reinstall(trainer)
            return
        self.run(trainer, pl_module)

    def run(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """Run the range test now, log it, and install the schedule (see the class).

        ``on_train_start`` calls it; call it from another hook to test again later in a run
        (the schedule then starts at the step it is installed at), as Lightning's
        ``LearningRateFinder.lr_find`` is called for fine-tuning milestones.
        """
        if getattr(trainer, "fast_dev_run", False):
            rank_zero_warn("RangeTest: skipping the range test because fast_dev_run is enabled.")
            return
        optimizer = self._optimizer(trainer)
        if self.criterion is None and not pl_module.automatic_optimization:
            raise ValueError(
                "RangeTest: the LightningModule uses manual optimization (automatic_optimization=False), so its "
                "training_step steps the optimizer itself; pass RangeTest(criterion=...) to compute the loss instead"
            )
        steps = self._steps(trainer, optimizer)  # fails before the test, not after it
        loader = trainer.train_dataloader
        if loader is None:
            raise ValueError("RangeTest: the trainer has no training dataloader")
        batches = _Batches(loader, trainer.strategy)
        loss_module = _Loss(trainer, pl_module, self.criterion, self.batch_fn or _default_batch_fn)
        scaler = getattr(trainer.precision_plugin, "scaler", None)
        saved = {k: pl_module.__dict__[k] for k in ("log", "log_dict") if k in pl_module.__dict__}
        # self.log is not allowed in on_train_start, and the test's losses are no training metrics
        pl_module.__dict__["log"] = pl_module.__dict__["log_dict"] = _noop
        try:
            self.result = range_test(
                loss_module, optimizer, _identity_loss, batches, start_lr=self.start_lr, end_lr=self.end_lr,
                num_iter=self.num_iter, sweep_iter=self.sweep_iter, step_mode=self.step_mode,
                diverge_th=self.diverge_th, accumulation_steps=trainer.accumulate_grad_batches,
                grad_scaler=scaler, batch_fn=_whole_batch, progress=self.progress,
            )
        finally:
            for key in ("log", "log_dict"):
                if key in saved:
                    pl_module.__dict__[key] = saved[key]
                else:
                    pl_module.__dict__.pop(key, None)
        self.analysis = self.result.analyze()
        self.summary = self.analysis.to_dict()
        installed = False
        if self.analysis.ok and self.install:
            schedule = self._build(trainer, steps)
            self._put(trainer, ScheduledLR(optimizer, schedule, momentum=self.momentum, num_steps=steps["remaining"]),
                      warn=True)
            self.schedule, installed = schedule, True
        self._report(trainer, installed)

    def state_dict(self) -> dict[str, Any]:
        if self.summary is None:
            return {}
        state: dict[str, Any] = {"version": 1, "summary": self.summary, "scheduler": None, "index": None}
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
            configs = [c.scheduler for c in self._trainer_configs()]
            state["index"] = next((i for i, s in enumerate(configs) if s is self.scheduler), None)
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        if state_dict:
            self._resume = dict(state_dict)
            self.summary = state_dict.get("summary")

    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        # The checkpoint's scheduler states are loaded into configure_optimizers' schedulers in
        # order; ours is installed again from this callback's state instead, so take it out of
        # that list (a user's own ScheduledLR would refuse a state of another schedule).
        state = checkpoint.get("callbacks", {}).get(self.state_key) or {}
        index, saved = state.get("index"), checkpoint.get("lr_schedulers")
        if index is not None and isinstance(saved, list) and index < len(saved):
            checkpoint["lr_schedulers"] = saved[:index] + saved[index + 1:]

    # -- helpers -----------------------------------------------------------------------
    def _trainer_configs(self) -> list:
        trainer = getattr(self, "_trainer", None)
        return list(trainer.strategy.lr_scheduler_configs) if trainer is not None else []

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self._trainer = trainer

    @staticmethod
    def _optimizer(trainer: L.Trainer) -> torch.optim.Optimizer:
        optimizers = trainer.optimizers
        if len(optimizers) != 1:
            raise ValueError(
                f"RangeTest: configure_optimizers returned {len(optimizers)} optimizers, but the range test "
                "works with exactly one"
            )
        return optimizers[0]

    def _steps(self, trainer: L.Trainer, optimizer: torch.optim.Optimizer) -> dict:
        """Optimizer steps per epoch and in the rest of the run, and the checks the schedule
        will need, before the test spends its steps."""
        if self.momentum:
            momentum_targets(optimizer, "RangeTest(momentum=True)")
        batches = trainer.num_training_batches
        accumulate = trainer.accumulate_grad_batches
        per_epoch = math.ceil(batches / accumulate) if math.isfinite(batches) and batches > 0 else None
        total = trainer.estimated_stepping_batches
        remaining = int(total) - trainer.global_step if math.isfinite(total) else None
        if remaining is not None and remaining < 1:
            remaining = None
        if self.install and self.policy == "triangular" and self.step_size_up is None and per_epoch is None:
            raise ValueError(
                "RangeTest: the training dataloader has no length, so an epoch's optimizer steps are unknown; "
                "pass step_size_up=... for policy='triangular'"
            )
        if self.install and self.policy == "one_cycle" and self.total_steps is None and remaining is None:
            raise ValueError(
                "RangeTest: the run's length is unknown (no max_epochs/max_steps, or a dataloader without a "
                "length); pass total_steps=... for policy='one_cycle'"
            )
        return {"per_epoch": per_epoch, "remaining": remaining}

    def _build(self, trainer: L.Trainer, steps: dict) -> Any:
        from pyclr.schedules.base import Schedule

        a = self.analysis
        if callable(self.policy):
            schedule = self.policy(a, trainer)
            if not isinstance(schedule, Schedule):
                raise TypeError(f"RangeTest: policy(analysis, trainer) must return a pyclr.Schedule, but "
                                f"returned {type(schedule).__name__}")
            return schedule
        if self.policy == "triangular":
            up = self.step_size_up
            if up is None:
                up = max(1, int(round(self.epochs_per_half_cycle * steps["per_epoch"])))
            return a.to_schedule(policy="triangular", step_size_up=up)
        total = self.total_steps if self.total_steps is not None else steps["remaining"]
        return a.to_schedule(policy="one_cycle", total_steps=max(2, total))

    def _put(self, trainer: L.Trainer, scheduler: ScheduledLR, warn: bool = False) -> None:
        strategy = trainer.strategy
        mine = [c for c in strategy.lr_scheduler_configs
                if c.scheduler.optimizer is scheduler.optimizer and c.scheduler is not self.scheduler]
        if mine and warn:
            names = ", ".join(type(c.scheduler).__name__ for c in mine)
            rank_zero_warn(f"RangeTest: replacing the scheduler(s) {names} from configure_optimizers with the "
                           "pyclr schedule it found (RangeTest(install=False) keeps yours)")
        others = [c for c in strategy.lr_scheduler_configs if c.scheduler.optimizer is not scheduler.optimizer]
        strategy.lr_scheduler_configs = others + [LRSchedulerConfig(scheduler, name=self.name, interval="step",
                                                                     frequency=1)]
        self.scheduler = scheduler

    def _reinstall(self, trainer: L.Trainer) -> None:
        from pyclr.schedules.base import Schedule

        state = (self._resume or {}).get("scheduler")
        where = ""
        if state is not None:
            optimizer = self._optimizer(trainer)
            self.schedule = Schedule.from_dict(state["schedule"])
            scheduler = ScheduledLR(optimizer, self.schedule, momentum=bool(state.get("momentum", False)),
                                    chunk=int(state.get("chunk", DEFAULT_CHUNK)))
            scheduler.load_state_dict(state)
            self._put(trainer, scheduler)
            where = f", the schedule continues at step {scheduler.last_epoch}"
        rank_zero_info(f"RangeTest: resumed from a checkpoint; the range test is not run again{where}")

    def _report(self, trainer: L.Trainer, installed: bool) -> None:
        a = self.analysis
        dirpath = os.fspath(self.dirpath) if self.dirpath is not None else (trainer.log_dir or trainer.default_root_dir)
        policy = self.policy if isinstance(self.policy, str) else getattr(self.policy, "__name__", "callable")
        if trainer.is_global_zero:
            os.makedirs(dirpath, exist_ok=True)
            self.paths = {}
            if self.save_log:
                target = os.path.join(dirpath, _LOG)
                saved = self.result.save(target)
                self.paths["log"] = list(saved) if saved else [target]
            if self.plot:
                self._picture(trainer, dirpath)
            params = {
                "pyclr/verdict": a.verdict, "pyclr/base_lr": a.base_lr, "pyclr/max_lr": a.max_lr,
                "pyclr/reasons": " ".join(a.reasons), "pyclr/installed": installed,
                "pyclr/policy": policy, "pyclr/start_lr": self.start_lr, "pyclr/end_lr": self.end_lr,
                "pyclr/num_iter": self.num_iter, "pyclr/sweep_iter": self.sweep_iter,
            }
            metrics = {"pyclr/verdict_ok": 1.0 if a.ok else 0.0}
            for key in ("base_lr", "max_lr"):
                value = getattr(a, key)
                if value is not None and math.isfinite(value):
                    metrics[f"pyclr/{key}"] = float(value)
            for logger in trainer.loggers:
                logger.log_hyperparams(params)
                logger.log_metrics(metrics, step=trainer.global_step)
        bounds = f"base_lr={_fmt(a.base_lr)} max_lr={_fmt(a.max_lr)}"
        if installed:
            rank_zero_info(f"RangeTest: verdict ok, {bounds}; training with ScheduledLR({_describe(self.schedule)}), "
                           "stepped every optimizer step")
        elif a.ok:
            rank_zero_info(f"RangeTest: verdict ok, {bounds}; nothing installed (install=False)")
        else:
            rank_zero_warn(
                f"RangeTest: verdict {a.verdict!r} ({bounds}, provisional): {' '.join(a.reasons)} No schedule was "
                "installed; training goes on with the optimizer and scheduler from configure_optimizers."
            )

    def _picture(self, trainer: L.Trainer, dirpath: str) -> None:
        try:
            from pyclr.plot import plot_range_test

            ax = plot_range_test(self.analysis)
        except ImportError as exc:
            rank_zero_warn(f"RangeTest: no picture of the range test: {exc}")
            return
        figure: Any = ax.figure
        path = os.path.join(dirpath, _PICTURE)
        figure.savefig(path, dpi=100)
        self.paths["picture"] = path
        for logger in trainer.loggers:
            add_figure = getattr(getattr(logger, "experiment", None), "add_figure", None)
            if callable(add_figure):  # TensorBoard's SummaryWriter, tensorboardX
                add_figure("pyclr/range_test", figure, global_step=trainer.global_step, close=False)


def _identity_loss(loss: torch.Tensor, _targets: Any) -> torch.Tensor:
    return loss


def _whole_batch(batch: Any) -> tuple[Any, None]:
    return batch, None


def _describe(schedule: Any) -> str:
    """A short account of the installed schedule for the console line."""
    fields = {"cyclic": ("base_lr", "max_lr", "step_size_up"), "one_cycle": ("max_lr", "total_steps", "div_factor")}
    names = fields.get(getattr(schedule, "policy", ""), ())
    parts = [f"{n}={_fmt(getattr(schedule, n))}" for n in names if hasattr(schedule, n)]
    return f"{type(schedule).__name__}({', '.join(parts)})" if parts else repr(schedule)


def _fmt(value: float | None) -> str:
    return "None" if value is None else f"{value:.3g}"
