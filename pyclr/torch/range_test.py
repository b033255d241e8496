"""The LR range test for torch models: ``range_test`` (its results: :mod:`pyclr.finder.range_result`)."""
from __future__ import annotations

import contextlib
import math
import sys
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import torch

from pyclr.finder.range_result import RangeTestResult, RangeTestRuns
from pyclr.finder.sweep import StopRule, check_stop, check_sweep, lr_grid
from pyclr._validate import boolean, choice, int_at_least, positive
from pyclr.torch._snapshot import Snapshot

__all__ = ["range_test", "RangeTestResult", "RangeTestRuns", "SWEEP_ITER"]

#: Steps per sweep by default: a budget of ``num_iter`` steps runs ``num_iter // SWEEP_ITER``
#: sweeps of this length (see :func:`range_test`'s ``sweep_iter``).
SWEEP_ITER = 100


# ---------------------------------------------------------------------------------
def _default_batch_fn(batch: Any) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    if isinstance(batch, dict):
        for xk, yk in (("input", "target"), ("inputs", "targets"), ("x", "y"), ("image", "label")):
            if xk in batch and yk in batch:
                return batch[xk], batch[yk]
    raise ValueError(
        f"range_test cannot split a batch of type {type(batch).__name__}"
        + (f" with {len(batch)} elements" if isinstance(batch, (tuple, list)) else "")
        + " into (inputs, targets); pass batch_fn=lambda batch: (inputs, targets)"
    )


def _to_device(value: Any, device: torch.device | None) -> Any:
    if device is None:
        return value
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, (tuple, list)):
        return type(value)(_to_device(v, device) for v in value)
    if isinstance(value, dict):
        return {k: _to_device(v, device) for k, v in value.items()}
    return value


def _cycle(loader: Iterable, name: str) -> Iterator:
    """Batches from ``loader`` for ever: a loader shorter than the test starts over."""
    seen = 0
    while True:
        count = 0
        for batch in loader:
            count += 1
            yield batch
        if count == 0:
            if seen:
                # a one-shot iterator (a generator, iter(loader)) ends for good after one pass
                raise ValueError(
                    f"range_test: {name} was exhausted after {seen} batches and cannot be restarted "
                    f"(a one-shot iterator such as a generator?), but the test needs more; pass a "
                    f"re-iterable {name} (a DataLoader, a list) or a smaller num_iter"
                )
            raise ValueError(f"range_test: {name} is empty (it yielded no batches)")
        seen += count


def _model_device(model: torch.nn.Module) -> torch.device | None:
    devices = {p.device for p in model.parameters()} | {b.device for b in model.buffers()}
    if len(devices) == 1:
        return next(iter(devices))
    return None  # no parameters, or spread over devices (model parallel): leave batches alone


def _check_devices(model, optimizer) -> None:
    model_params = {id(p) for p in model.parameters()}
    for gi, group in enumerate(optimizer.param_groups):
        for p in group["params"]:
            state = optimizer.state.get(p, {})
            for key, value in state.items():
                # 0-d state such as Adam's 'step' may live on the CPU by design
                if isinstance(value, torch.Tensor) and value.dim() > 0 and value.device != p.device:
                    raise ValueError(
                        f"range_test: mismatched devices: optimizer state '{key}' of a parameter in "
                        f"param_groups[{gi}] is on {value.device} but the parameter is on {p.device}; "
                        "load the optimizer state after moving the model (optimizer.load_state_dict casts it)"
                    )
    if not any(id(p) in model_params for g in optimizer.param_groups for p in g["params"]):
        raise ValueError("range_test: the optimizer holds none of the model's parameters")


def _set_lrs(groups: list, lr: float, ratios: tuple) -> None:
    for group, ratio in zip(groups, ratios):
        value = lr * ratio
        current = group["lr"]
        if isinstance(current, torch.Tensor):
            current.fill_(value)  # in place: tensor LRs keep their identity
        else:
            group["lr"] = value


def _amp_settings(amp: Any, device: torch.device | None) -> tuple[bool, torch.dtype | None, str]:
    dev_type = device.type if device is not None else "cpu"
    if amp is False or amp is None:
        return False, None, dev_type
    if amp is True:
        return True, (torch.float16 if dev_type == "cuda" else torch.bfloat16), dev_type
    if isinstance(amp, torch.dtype):
        if amp not in (torch.float16, torch.bfloat16):
            raise ValueError(f"Expected amp in (False, True, torch.float16, torch.bfloat16), but got {amp}")
        return True, amp, dev_type
    raise TypeError(f"Expected amp to be a bool or a torch dtype, but got {amp!r} of type {type(amp).__name__}")


def _distributed(group: Any) -> tuple[bool, int, int]:
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        world = dist.get_world_size(group)
        if world > 1:
            return True, world, dist.get_rank(group)
    return False, 1, 0


def _is_ddp(model: torch.nn.Module) -> bool:
    return isinstance(model, torch.nn.parallel.DistributedDataParallel)


def range_test(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: Callable[[Any, Any], torch.Tensor],
    train_loader: Iterable,
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_iter: int = 400,
    step_mode: str = "exp",
    val_loader: Iterable | None = None,
    accumulation_steps: int = 1,
    amp: bool | torch.dtype = False,
    grad_scaler: Any = None,
    diverge_th: float = 4.0,
    smooth_beta: float = 0.98,
    batch_fn: Callable[[Any], tuple[Any, Any]] | None = None,
    device: torch.device | str | None = None,
    progress: bool | None = None,
    restore: bool = True,
    snapshot: str = "cpu",
    max_skipped: int = 100,
    process_group: Any = None,
    repeats: int | None = None,
    sweep_iter: int | None = SWEEP_ITER,
) -> RangeTestResult | RangeTestRuns:
    r"""Run an LR range test: train while the LR sweeps from ``start_lr`` to ``end_lr``.

    Point ``k`` (``k = 0 .. num_iter-1``) runs one optimizer step at

    * ``step_mode="exp"``: ``lr_k = start_lr * (end_lr / start_lr) ** (k / (num_iter - 1))``
    * ``step_mode="linear"``: ``lr_k = start_lr + k / (num_iter - 1) * (end_lr - start_lr)``

    (torch-lr-finder's grid: it reaches ``end_lr``) and logs the loss that step
    produced next to ``lr_k`` itself, not the next LR (ignite's off-by-one).

    The test stops early when the bias-corrected causal EMA of the loss,
    ``s_k = a_k / (1 - beta**(k+1))`` with ``a_k = beta a_{k-1} + (1-beta) L_k``,
    exceeds ``diverge_th`` times its best value so far (Gugger 2018; fastai's
    rule), and at once on a NaN or infinite loss (logged as the last point).
    Afterwards the model (parameters, buffers, gradients, train/eval flags), the
    optimizer (state, LRs and every group hyperparameter), the GradScaler and the
    Python/NumPy/torch/CUDA RNG states are restored to the bit -- also when the
    test raises or is interrupted -- from a host-side snapshot (``snapshot="cpu"``)
    or a temporary file (``"disk"``), restored in place: no second copy of the
    model is ever held on the device.

    Parameters
    ----------
    model : torch.nn.Module
        Possibly wrapped in ``DistributedDataParallel``.
    optimizer : torch.optim.Optimizer
        Its current state is used (and restored afterwards). With several param
        groups, group 0 sweeps and every other group keeps its LR ratio to group 0
        (differential LRs); ``lrs`` logs group 0.
    criterion : callable
        ``criterion(model(inputs), targets)`` must return a scalar tensor.
    train_loader : iterable
        Yields batches; a loader shorter than needed starts over. A one-shot
        iterator (a generator) cannot start over: it must yield every batch the
        test needs (``num_iter * accumulation_steps``, or that per sweep times ``repeats``), or
        the test raises ``ValueError`` saying after how many batches it ran out.
    start_lr, end_lr : float
        The sweep, ``0 < start_lr < end_lr``.
    num_iter : int, default 400
        The optimizer steps the test may spend, at least 2. They are spent in sweeps of
        ``sweep_iter`` steps (see there): by default four sweeps of 100 steps.
    step_mode : {"exp", "linear"}
    val_loader : iterable, optional
        Smith's original protocol: after every step the mean loss over this
        whole loader is logged as ``losses`` (train losses go to ``train_losses``).
        Read in full after every step, so it must be re-iterable (a DataLoader,
        a list); a one-shot iterator such as a generator raises ``ValueError``.
    accumulation_steps : int, default 1
        Micro-batches per optimizer step; the LR advances per optimizer step and
        the logged loss is the mean over the micro-batches.
    amp : bool or torch.dtype, default False
        Autocast the forward pass (``True``: float16 on CUDA, bfloat16 elsewhere).
    grad_scaler : torch.amp.GradScaler, optional
        Used for backward/step when given (and created for float16 AMP when not).
        Steps it skips (inf/NaN gradients) are not logged and do not advance the
        LR; more than ``max_skipped`` skips in a row stop the test.
    diverge_th : float, default 4.0
        Stop when the smoothed loss exceeds this multiple of its best (> 1).
    smooth_beta : float, default 0.98
        EMA factor of the stop rule, in [0, 1).
    batch_fn : callable, optional
        ``batch -> (inputs, targets)`` for custom batch layouts. By default a
        2-tuple/list or a dict with ``input``/``target``-like keys.
    device : torch.device or str, optional
        Where batches go; by default the device of the model's parameters (left
        alone when they span devices).
    progress : bool, optional
        A tqdm bar with the current LR and smoothed loss. ``None`` (default): only
        when stderr is a terminal (and only on rank 0).
    restore : bool, default True
        Restore everything afterwards. ``False`` leaves the model trained by the
        sweep (the snapshot is still used if the test raises).
    snapshot : {"cpu", "disk"}
        Where the restore snapshot lives.
    max_skipped : int, default 100
    process_group : optional
        The ``torch.distributed`` group to average over (default: the world).
    repeats : int, optional
        Run that many sweeps (at least 1), each from the same starting state (model,
        optimizer and scaler restored in between) but with the next batches of
        ``train_loader`` and the random number generators running on, and return them
        all as a :class:`RangeTestRuns`, whose ``analyze()`` combines them (the median
        bounds in log-LR, their spread, each sweep's own analysis). Most of the
        difference between two range tests of one model is which batches each LR point
        saw, and combining sweeps averages it out: on an MLP on digits (batches of 64
        and 16, SGD-momentum and Adam), three sweeps of 100 to 400 iterations gave
        max_lr within 1.5x over 5 initialisations in all 48 groups, one sweep in 34
        (``python benchmarks/repeats.py``). It costs ``repeats`` times the steps.
        When given, ``sweep_iter`` is not used: each sweep has ``num_iter`` steps.
    sweep_iter : int or None, default 100
        Steps per sweep. ``num_iter`` steps are spent as ``num_iter // sweep_iter``
        sweeps of ``sweep_iter`` steps each (the remainder is not run), combined as with
        ``repeats``; a ``num_iter`` up to ``sweep_iter`` runs one sweep of ``num_iter``
        steps; ``None`` always runs one sweep of ``num_iter`` steps (the classic test of
        torch-lr-finder and fastai). Why: the model trains during a sweep, so a longer
        sweep reaches its instability at a lower LR and its bounds drift with the sweep's
        length (one sweep: up to 3.8x between 50 and 400 steps on an MLP on digits);
        sweeps of one fixed length see the same physics whatever the budget, and more of
        them average out the batches each LR point saw (``docs/finder-evaluation.md``).

    Returns
    -------
    RangeTestResult or RangeTestRuns
        A :class:`RangeTestResult` for one sweep; a :class:`RangeTestRuns` for several, or
        when ``repeats`` is given.

    Notes
    -----
    **DDP.** Under an initialised ``torch.distributed`` with more than one rank,
    each step's loss is summed over ranks with one ``all_reduce`` and divided by
    the world size (ReduceOp.AVG exists on NCCL only; SUM/world works on gloo
    and NCCL alike). Every rank then holds the same bits, so every rank makes the
    same stop decision at the same step and returns the same result. Every rank
    must call ``range_test`` with the same arguments; with NCCL the losses live
    on each rank's GPU, so set ``torch.cuda.set_device(local_rank)`` first.
    Micro-batches before the last of an accumulation window run under
    ``model.no_sync()``.

    **Bad input** (an empty loader, a non-scalar loss, mismatched devices, an
    optimizer group without ``lr``) raises ``ValueError``/``TypeError`` naming
    the problem, after restoring everything.

    Examples
    --------
    A small classifier; one sweep of 100 steps (the default spends 400 as four sweeps):

    >>> import torch
    >>> from pyclr.torch import range_test
    >>> _ = torch.manual_seed(0)
    >>> X = torch.randn(512, 8); y = X[:, :2].argmax(1)
    >>> loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32, shuffle=True)
    >>> model = torch.nn.Sequential(torch.nn.Linear(8, 32), torch.nn.ReLU(), torch.nn.Linear(32, 2))
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    >>> before = [p.detach().clone() for p in model.parameters()]
    >>> res = range_test(model, opt, torch.nn.functional.cross_entropy, loader,
    ...                  start_lr=1e-4, end_lr=10, num_iter=100)
    >>> float(res.lrs[0]), res.stop_reason   # logged from start_lr; stopped when the loss blew up
    (0.0001, 'diverged')
    >>> all(torch.equal(p, b) for p, b in zip(model.parameters(), before)), opt.param_groups[0]["lr"]
    (True, 0.01)
    >>> a = res.analyze()
    >>> a.verdict, bool(1e-3 < a.base_lr < a.max_lr < 1)
    ('ok', True)

    Then ``a.to_schedule(...)`` (:meth:`pyclr.Analysis.to_schedule`) builds the cyclical
    schedule, and ``res.save("range_test.csv")`` writes the log that
    ``pyclr analyze range_test.csv`` reads.
    """
    who = "range_test"
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{who} expects a torch.nn.Module for model, but got {type(model).__name__}")
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"{who} expects a torch.optim.Optimizer, but got {type(optimizer).__name__}")
    if not callable(criterion):
        raise TypeError(f"{who} expects a callable criterion, but got {type(criterion).__name__}")
    if isinstance(train_loader, (torch.Tensor, np.ndarray)) or not isinstance(train_loader, Iterable):
        raise TypeError(f"{who} expects an iterable of batches for train_loader, but got {type(train_loader).__name__}")
    if val_loader is not None and not isinstance(val_loader, Iterable):
        raise TypeError(f"{who} expects an iterable of batches for val_loader, but got {type(val_loader).__name__}")
    if isinstance(val_loader, Iterator):
        # it is read in full after every step, so a generator would be empty from the second step on
        raise ValueError(
            f"{who}: val_loader is a one-shot iterator ({type(val_loader).__name__}), but it is evaluated in "
            "full after every step; pass a re-iterable val_loader (a DataLoader, a list)"
        )
    start_lr, end_lr, num_iter, step_mode = check_sweep(start_lr, end_lr, num_iter, step_mode)
    accumulation_steps = int_at_least("accumulation_steps", accumulation_steps, 1)
    diverge_th, smooth_beta = check_stop(diverge_th, smooth_beta)
    max_skipped = int_at_least("max_skipped", max_skipped, 1)
    if repeats is not None:
        repeats = int_at_least("repeats", repeats, 1)
    if sweep_iter is not None:
        sweep_iter = int_at_least("sweep_iter", sweep_iter, 2)
    # the budget as sweeps x steps per sweep
    if repeats is not None:
        n_sweeps, per_sweep = repeats, num_iter
    elif sweep_iter is None or num_iter <= sweep_iter:
        n_sweeps, per_sweep = 1, num_iter
    else:
        n_sweeps, per_sweep = num_iter // sweep_iter, sweep_iter
    restore = boolean("restore", restore)
    snapshot = choice("snapshot", snapshot, ("cpu", "disk"))
    if progress is not None:
        progress = boolean("progress", progress)
    if batch_fn is None:
        batch_fn = _default_batch_fn
    elif not callable(batch_fn):
        raise TypeError(f"Expected a callable batch_fn, but got {type(batch_fn).__name__}")
    groups = optimizer.param_groups
    for gi, group in enumerate(groups):
        if "lr" not in group:
            raise ValueError(f"{who}: optimizer {type(optimizer).__name__} has no 'lr' in param_groups[{gi}]")
    base = [float(g["lr"]) for g in groups]
    if not base[0] > 0 or not all(math.isfinite(b) and b >= 0 for b in base):
        raise ValueError(
            f"{who}: the optimizer's LRs {base} cannot set the group ratios; group 0 needs a positive LR "
            "(the others keep their ratio to it)"
        )
    ratios = tuple(b / base[0] for b in base)
    if device is not None:
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError, ValueError) as exc:  # torch: "Expected one of cpu, cuda, ... device type"
            raise ValueError(f"Expected a torch device for device, but got {device!r}: {exc}") from None
    else:
        device = _model_device(model)
    _check_devices(model, optimizer)
    amp_on, amp_dtype, dev_type = _amp_settings(amp, device)
    scaler = grad_scaler
    if scaler is None and amp_on and amp_dtype == torch.float16:
        scaler = torch.amp.GradScaler(dev_type)
    if scaler is not None and not scaler.is_enabled():
        scaler = None
    distributed, world, rank = _distributed(process_group)
    if progress is None:
        progress = rank == 0 and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()

    grid = lr_grid(start_lr, end_lr, per_sweep, step_mode)
    grid_list = grid.tolist()

    # Other pyclr schedule hooks on this optimizer would overwrite the sweep's LR;
    # they are set aside for the test (their step counters untouched) and put back.
    hooks: Any = optimizer._optimizer_step_pre_hooks  # an OrderedDict (torch's annotation says dict)
    parked = {hid: h for hid, h in hooks.items() if getattr(h, "_pyclr_schedule_hook", False)}
    snap = Snapshot(model, optimizer, scaler, to_disk=(snapshot == "disk"))
    stepped = [False]

    def _mark(opt, args, kwargs):
        stepped[0] = True

    bar = None
    mark_handle = None
    try:
        for hid in parked:
            del hooks[hid]
        if scaler is not None:  # only a GradScaler can skip optimizer.step()
            mark_handle = optimizer.register_step_pre_hook(_mark)
        if progress:
            try:
                from tqdm.auto import tqdm

                bar = tqdm(total=per_sweep * n_sweeps, desc="range test", leave=False, file=sys.stderr)
            except ImportError:  # pragma: no cover - tqdm ships with the torch extra
                bar = None
        plain = (accumulation_steps == 1 and scaler is None and not amp_on and not distributed
                 and not _is_ddp(model) and val_loader is None and bar is None and len(groups) == 1
                 and not isinstance(groups[0]["lr"], torch.Tensor) and (device is None or device.type == "cpu"))
        # one stream of batches for every sweep: each repeat goes on where the last one stopped
        batches = _cycle(train_loader, "train_loader")
        sweeps: list[RangeTestResult] = []
        result: RangeTestResult | RangeTestRuns
        for sweep in range(n_sweeps):
            if sweep:
                snap.restore(rng=False)  # the same start, with new batches and random draws
            rule = StopRule(smooth_beta, diverge_th)
            if plain:
                result = _run_plain(model, optimizer, criterion, batches, grid_list, rule, batch_fn, device)
            else:
                result = _run(
                    model, optimizer, criterion, batches, val_loader, grid_list, ratios, accumulation_steps,
                    amp_on, amp_dtype, dev_type, scaler, rule, batch_fn, device, max_skipped,
                    distributed, world, process_group, stepped, bar,
                )
            result.start_lr, result.end_lr, result.num_iter, result.step_mode = start_lr, end_lr, per_sweep, step_mode
            result.group_ratios = ratios
            sweeps.append(result)
        result = sweeps[0] if repeats is None and n_sweeps == 1 else RangeTestRuns(tuple(sweeps))
    except BaseException:
        snap.restore()
        raise
    else:
        if restore:
            snap.restore()
    finally:
        if mark_handle is not None:
            mark_handle.remove()
        if parked:
            hooks.update(parked)
            # RemovableHandle ids are increasing; keep registration order
            for hid in sorted(hooks):
                hooks.move_to_end(hid)
        if bar is not None:
            bar.close()
        snap.close()
    return result


def _checked_forward(model, criterion, inputs, targets, device):
    """The first forward of a test: a device mismatch or a non-scalar loss gets a clear error
    (before any backward, so nothing has changed yet)."""
    try:
        loss = criterion(model(inputs), targets)
    except RuntimeError as exc:
        if "device" in str(exc):
            raise ValueError(
                f"range_test: mismatched devices between the model (on {device}) and the batch or "
                f"criterion: {exc}. Pass device=... or a batch_fn that places the batch"
            ) from exc
        raise
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = tuple(loss.shape) if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(
            f"range_test: the criterion must return a scalar loss, but returned {shape}; "
            "use reduction='mean' (or 'sum') or reduce it in the criterion"
        )
    return loss


def _result(grid, losses, rule, stop_reason, skipped=0, train_losses=None) -> RangeTestResult:
    # a point is spent only by a step that happened, so logged point k always has lr grid[k]
    k = len(losses)
    return RangeTestResult(
        lrs=np.asarray(grid[:k], dtype=np.float64),
        losses=np.asarray(losses, dtype=np.float64),
        smoothed=np.asarray(rule.smoothed, dtype=np.float64),
        steps=np.arange(k, dtype=np.int64),
        train_losses=None if train_losses is None else np.asarray(train_losses, dtype=np.float64),
        stop_reason=stop_reason,
        skipped_steps=skipped,
    )


def _run_plain(model, optimizer, criterion, batches, grid, rule, batch_fn, device) -> RangeTestResult:
    """``_run`` for the commonest setup (one group with a float LR, no AMP, no accumulation, no
    DDP, no validation loader, no progress bar, batches used where they are): the same steps
    and results, with as little interpreter work per step as a hand-written loop."""
    group = optimizer.param_groups[0]
    zero_grad, step, add = optimizer.zero_grad, optimizer.step, rule.add
    losses: list[float] = []
    model.train()
    for lr in grid:
        group["lr"] = lr
        zero_grad(set_to_none=True)
        inputs, targets = batch_fn(next(batches))
        if losses:
            loss = criterion(model(inputs), targets)
        else:
            loss = _checked_forward(model, criterion, inputs, targets, device)
        loss.backward()
        step()
        value = loss.detach().item()  # the one host sync per step: the stop rule needs the value
        losses.append(value)
        reason = add(value)
        if reason is not None:
            return _result(grid, losses, rule, reason)
    return _result(grid, losses, rule, "num_iter")


def _run(model, optimizer, criterion, batches, val_loader, grid, ratios, accum, amp_on, amp_dtype,
         dev_type, scaler, rule, batch_fn, device, max_skipped, distributed, world, pgroup,
         stepped, bar) -> RangeTestResult:
    dist = torch.distributed
    ddp = _is_ddp(model)
    null = contextlib.nullcontext()  # reusable: one object instead of two per micro-batch
    autocast = (lambda: torch.autocast(dev_type, dtype=amp_dtype)) if amp_on else (lambda: null)
    losses: list[float] = []
    train_losses: list[float] = []
    skipped = consecutive = 0
    stop_reason = "num_iter"
    groups = optimizer.param_groups
    k = 0
    n_points = len(grid)
    model.train()
    first = True
    # CPU batches for a CPU model need no move (a batch on another device then fails the
    # first forward with the clear mismatched-devices error)
    move = device if device is not None and device.type != "cpu" else None
    simple_lr = len(groups) == 1 and not isinstance(groups[0]["lr"], torch.Tensor)
    widen = False  # half-precision losses are summed in float32
    while k < n_points:
        lr = grid[k]
        if simple_lr:
            groups[0]["lr"] = lr
        else:
            _set_lrs(groups, lr, ratios)
        optimizer.zero_grad(set_to_none=True)
        total: Any = None  # the summed loss tensor of the micro-batches
        for micro in range(accum):
            inputs, targets = batch_fn(next(batches))
            if move is not None:
                inputs, targets = _to_device(inputs, move), _to_device(targets, move)
            sync = null if (not ddp or micro == accum - 1) else model.no_sync()
            with sync:
                with autocast():
                    if first:
                        loss = _checked_forward(model, criterion, inputs, targets, device)
                        widen = loss.dtype in (torch.float16, torch.bfloat16)
                        first = False
                    else:
                        loss = criterion(model(inputs), targets)
                scaled = loss / accum if accum > 1 else loss
                (scaled if scaler is None else scaler.scale(scaled)).backward()
            value = loss.detach()
            if widen:
                value = value.float()  # sums of half-precision losses lose digits
            total = value if total is None else total + value
        if scaler is not None:
            stepped[0] = False
            scaler.step(optimizer)
            scaler.update()
            if not stepped[0]:
                # AMP overflow: no update happened, so no LR point is spent and nothing is logged
                skipped += 1
                consecutive += 1
                if consecutive >= max_skipped:
                    stop_reason = "skipped steps"
                    break
                continue
            consecutive = 0
        else:
            optimizer.step()
        mean = total / accum if accum > 1 else total
        if distributed:
            mean = mean.reshape(1).clone()
            dist.all_reduce(mean, op=dist.ReduceOp.SUM, group=pgroup)
            mean = mean / world
        train_loss = float(mean)  # the one host sync per step: the stop rule needs the value
        loss_value = train_loss
        if val_loader is not None:
            loss_value = _validate(model, criterion, val_loader, batch_fn, device, autocast, distributed, pgroup,
                                   bool(train_losses))
            train_losses.append(train_loss)
        losses.append(loss_value)
        k += 1
        reason = rule.add(loss_value)
        if bar is not None:
            bar.update(1)
            if k % 5 == 1 or k == n_points:
                bar.set_postfix(lr=f"{lr:.3g}", loss=f"{rule.smoothed[-1]:.4g}", refresh=False)
        if reason is not None:
            stop_reason = reason
            break
    return _result(grid, losses, rule, stop_reason, skipped, train_losses if val_loader is not None else None)


def _validate(model, criterion, loader, batch_fn, device, autocast, distributed, pgroup, evaluated) -> float:
    """Mean loss over the whole validation loader (weighted by batch size).

    ``evaluated``: whether it has been evaluated before in this test (for the message
    when a loader that looked re-iterable comes back empty)."""
    was_training = model.training
    model.eval()
    total = torch.zeros((), dtype=torch.float64, device=device)
    count = 0
    try:
        with torch.no_grad():
            for batch in loader:
                inputs, targets = batch_fn(batch)
                inputs, targets = _to_device(inputs, device), _to_device(targets, device)
                with autocast():
                    loss = criterion(model(inputs), targets)
                if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                    raise ValueError("range_test: the criterion must return a scalar loss on val_loader batches too")
                size = len(targets) if hasattr(targets, "__len__") else 1
                total += loss.detach().double().reshape(()) * size
                count += size
    finally:
        model.train(was_training)
    if count == 0:
        if evaluated:
            raise ValueError(
                "range_test: val_loader yielded no batches on this pass, although it did on earlier ones; "
                "pass a val_loader that can be iterated again and again (a DataLoader, a list)"
            )
        raise ValueError("range_test: val_loader is empty (it yielded no batches)")
    if distributed:
        both = torch.stack([total, torch.tensor(float(count), dtype=torch.float64, device=total.device)])
        torch.distributed.all_reduce(both, op=torch.distributed.ReduceOp.SUM, group=pgroup)
        return float(both[0] / both[1])
    return float(total / count)
