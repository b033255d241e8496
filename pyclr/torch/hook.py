"""``attach``: drive an optimizer's learning rate from a step pre-hook."""
from __future__ import annotations

from typing import Any

import torch

from pyclr._validate import boolean, int_at_least
from pyclr.torch._params import (
    DEFAULT_CHUNK,
    ParamWriter,
    check_optimizer,
    check_schedule,
    check_state_schedule,
    adopt_state,
    group_scales,
    saved_step,
    validate_chunk,
    validate_num_steps,
)

__all__ = ["attach", "ScheduleHandle"]

_FORMAT = "pyclr.torch.attach"


def _eval_frame_switch():
    try:
        from torch._C._dynamo.eval_frame import set_eval_frame
    except ImportError:  # pragma: no cover
        return None
    return set_eval_frame


class ScheduleHandle:
    """What :func:`attach` returns: the hook's step counter, ``remove()`` and state.

    Attributes
    ----------
    step : int
        Index of the next optimizer step: the number of real ``optimizer.step()``
        calls seen so far (plus the starting step).
    schedule : pyclr.Schedule
        The attached spec.

    Examples
    --------
    >>> import torch, pyclr
    >>> from pyclr.torch import attach
    >>> model = torch.nn.Linear(4, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> with attach(opt, pyclr.cyclic(0.01, 0.1, step_size_up=4)) as handle:
    ...     for _ in range(2):
    ...         opt.step()
    ...     state = handle.state_dict()                  # plain data: checkpoint it
    >>> handle.attached, state["step"], [round(lr, 6) for lr in handle.last_lr()]
    (False, 2, [0.0325])

    Resuming: a new optimizer and hook continue at the saved step.

    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> handle = attach(opt, pyclr.cyclic(0.01, 0.1, step_size_up=4))
    >>> handle.load_state_dict(state)
    >>> handle.step, round(opt.param_groups[0]["lr"], 6)
    (2, 0.055)
    >>> handle.remove()
    """

    def __init__(self, optimizer, schedule, writer: ParamWriter, step: int, momentum: bool):
        self.optimizer = optimizer
        self.schedule = schedule
        self.momentum = momentum
        self.step = step
        self._writer = writer
        self._handle: torch.utils.hooks.RemovableHandle | None = None

        def _advance(_self=self, _writer=writer):
            t = _self.step
            _writer.apply(t, strict_end=True)  # past a raising schedule's end: raise before the update
            _self.step = t + 1

        # torch.compile traces optimizer.step together with its hooks; a Python step
        # counter read inside the graph would be guarded on and recompile every step,
        # so the hook must run outside any graph. torch.compiler.disable does that but
        # costs more per call than the write itself; the hook therefore switches the
        # frame evaluator off directly (what that wrapper does inside), and falls back
        # to the public wrapper where the private switch is missing.
        _disabled = torch.compiler.disable(_advance)
        _is_compiling = torch.compiler.is_compiling
        _set_eval_frame = _eval_frame_switch()

        if _set_eval_frame is None:  # pragma: no cover - other torch versions
            _pre_hook = torch.compiler.disable(lambda opt, args, kwargs: _advance())
        else:

            def _pre_hook(opt, args, kwargs):
                if _is_compiling():  # being traced: break the graph here, run eagerly
                    _disabled()
                    return
                prior = _set_eval_frame(None)  # eager (or a graph-break fallback): no tracing inside
                try:
                    _advance()
                finally:
                    _set_eval_frame(prior)

        _pre_hook._pyclr_schedule_hook = True  # range_test sets such hooks aside while it sweeps
        self._pre_hook = _pre_hook

    @property
    def attached(self) -> bool:
        return self._handle is not None

    def remove(self) -> None:
        """Detach the hook; the optimizer keeps the values of the last step."""
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def last_lr(self) -> list[float]:
        """The LR per group used by the last optimizer step (or, before any, by the first)."""
        return self._writer.current(max(self.step - 1, 0))

    def state_dict(self) -> dict[str, Any]:
        """The schedule spec and the step: plain Python data, safe for ``weights_only`` loading."""
        return {
            "format": _FORMAT,
            "version": 1,
            "schedule": self.schedule.to_dict(),
            "step": int(self.step),
            "momentum": bool(self.momentum),
            "chunk": int(self._writer.chunk),
            "group_scales": group_scales(self._writer),
        }

    def load_state_dict(self, state_dict: dict[str, Any], *, retarget: bool = False) -> None:
        """Resume at the saved step (see :meth:`pyclr.torch.ScheduledLR.load_state_dict`)."""
        who = "ScheduleHandle.load_state_dict"
        step = saved_step(state_dict, "step", who)
        if step < 0:
            raise ValueError(f"{who}: expected a non-negative 'step' in the state, but got {step}")
        if not boolean("retarget", retarget):
            check_state_schedule(state_dict["schedule"], self.schedule, who, "pass retarget=True")
        adopt_state(self._writer, state_dict, step)
        self._writer.apply(step)
        self.step = step

    def __enter__(self) -> "ScheduleHandle":
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"ScheduleHandle(schedule={self.schedule!r}, step={self.step}, attached={self.attached})"


def attach(
    optimizer: torch.optim.Optimizer,
    schedule: Any,
    *,
    momentum: bool = False,
    chunk: int = DEFAULT_CHUNK,
    num_steps: int | None = None,
    start_step: int = 0,
) -> ScheduleHandle:
    r"""Set the LR of every optimizer step from ``schedule``, with no ``scheduler.step()``.

    Registers ``optimizer.register_step_pre_hook``: right before the ``t``-th real
    ``optimizer.step()`` (0-based), the hook writes ``schedule`` element ``t``
    into every param group. The counter advances only on real steps, so

    * an AMP ``GradScaler`` that skips a step (inf/NaN gradients; it then does
      not call ``optimizer.step``) keeps the schedule in step with the updates;
    * gradient accumulation (``optimizer.step()`` every ``k`` micro-batches)
      counts updates, not micro-batches;
    * there is no ``scheduler.step()`` to forget or to call in the wrong order.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
    schedule : pyclr.Schedule
        As for :class:`~pyclr.torch.ScheduledLR` (per-group schedules need one
        row per param group).
    momentum : bool, default False
        Also cycle SGD-like ``momentum`` or Adam-family ``betas[0]``.
    chunk : int, default 4096
        Steps generated per refill of the table.
    num_steps : int, optional
        Length of the run; a finite schedule that is shorter raises now.
    start_step : int, default 0
        Index of the next optimizer step (to resume without a state dict).

    Returns
    -------
    ScheduleHandle
        ``remove()``, ``step``, ``state_dict()`` / ``load_state_dict()``; also a
        context manager that removes the hook on exit.

    Notes
    -----
    The values of ``start_step`` are also written at once, so code that reads
    ``param_groups`` before the first step (loggers) sees the LR it will use.
    A group added with ``optimizer.add_param_group`` after ``attach`` is
    scheduled from the next optimizer step on: it follows group 0's schedule
    times the ratio of the LR it was added with to group 0's scheduled LR at that
    moment (the values the groups held then), so it keeps that ratio to group 0
    (see :class:`~pyclr.torch.ScheduledLR`, where the rule and its errors are
    spelled out; the factors are saved in ``state_dict()``).
    Past the end of a schedule built to raise, the hook raises *before* the
    update, so the parameters are not touched by an unscheduled step. Tensor
    LRs and betas are written in place from a device table, as in
    :class:`~pyclr.torch.ScheduledLR`; the hook runs outside ``torch.compile``
    graphs, so a compiled ``optimizer.step`` does not recompile per step.

    Examples
    --------
    >>> import torch, pyclr
    >>> from pyclr.torch import attach
    >>> model = torch.nn.Linear(4, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1)
    >>> handle = attach(opt, pyclr.cyclic(0.01, 0.1, step_size_up=4))
    >>> for _ in range(3):
    ...     model(torch.ones(1, 4)).sum().backward()
    ...     opt.step()            # the hook sets the LR of this step first: values[t]
    ...     opt.zero_grad()
    >>> handle.step, round(opt.param_groups[0]["lr"], 6)
    (3, 0.055)
    >>> handle.remove()

    The three steps used ``values(3) = [0.01, 0.0325, 0.055]``: the optimizer shows the LR of the
    last step taken, ``values[2]``. A :class:`~pyclr.torch.ScheduledLR` stepped after each of them
    would show ``values[3] = 0.0775`` instead: the LR of the step to come, as torch schedulers do.
    """
    who = "attach"
    check_optimizer(optimizer, who)
    check_schedule(schedule, who)
    momentum = boolean("momentum", momentum)
    chunk = validate_chunk(chunk, who)
    validate_num_steps(schedule, num_steps, who)
    start_step = int_at_least("start_step", start_step, 0)
    writer = ParamWriter(optimizer, schedule, momentum=momentum, chunk=chunk, who=who)
    writer.apply(start_step, strict_end=True)
    handle = ScheduleHandle(optimizer, schedule, writer, start_step, momentum)
    handle._handle = optimizer.register_step_pre_hook(handle._pre_hook)
    return handle
