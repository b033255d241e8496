"""``ScheduledLR``: a torch ``LRScheduler`` that reads a precomputed pyclr schedule."""
from __future__ import annotations

from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler

from pyclr._validate import as_int, boolean
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

__all__ = ["ScheduledLR"]

_FORMAT = "pyclr.torch.ScheduledLR"


class ScheduledLR(LRScheduler):
    r"""A ``torch.optim.lr_scheduler.LRScheduler`` driven by a pyclr schedule.

    The schedule is a whole-run table: element ``t`` is the learning rate of
    optimizer step ``t`` (0-based). Exactly as with torch's schedulers, the
    constructor writes ``values[0]`` into the optimizer and the ``t``-th call to
    :meth:`step` writes ``values[t]``, so the documented loop
    ``optimizer.step(); scheduler.step()`` runs step ``t`` with ``values[t]``.
    Values are generated lazily, ``chunk`` steps at a time, so an unbounded
    cyclic schedule costs ``chunk x groups`` floats of memory for any run length.

    Parameters
    ----------
    optimizer : torch.optim.Optimizer
        The optimizer whose ``param_groups`` are written.
    schedule : pyclr.Schedule
        A pyclr spec (``pyclr.cyclic``, ``pyclr.one_cycle``, ``pyclr.sgdr``, ...).
        A per-group schedule (``pyclr.per_group`` or ``.scaled``) must have one
        row per param group; a plain schedule sets every group to the same value,
        as torch's schedulers do with a scalar LR.
    momentum : bool, default False
        Cycle momentum as well: SGD-like ``momentum`` or Adam-family ``betas[0]``.
        Needs a schedule that carries a momentum channel. Nothing switches
        momentum cycling on behind your back (torch's ``CyclicLR`` does, by
        default, even on ``SGD(momentum=0)``).
    chunk : int, default 4096
        Steps generated per refill of the table.
    num_steps : int, optional
        Length of the run in optimizer steps. When given, a finite schedule that
        is shorter raises ``ValueError`` now instead of running out later.
    last_epoch : int, default -1
        As in torch: the index of the last step taken. The constructor writes the
        values of step ``last_epoch + 1``. Unlike torch, resuming this way needs
        no ``initial_lr`` in the param groups.

    Notes
    -----
    * Tensor learning rates (``lr=torch.tensor(0.01)``, capturable/fused/compiled
      optimizers) are updated in place with ``torch._foreach_copy_`` from a copy of
      the table on the tensor's device: the tensor object never changes, the
      step needs no host-device sync, and a ``torch.compile``\ d optimizer step
      does not recompile. Tensor ``betas`` likewise.
    * :meth:`state_dict` holds the schedule spec and the step, nothing else, and
      loads under ``torch.load(weights_only=True)``. Loading a state saved from a
      different schedule raises ``ValueError`` (torch's schedulers silently
      overwrite the constructor's arguments); pass ``retarget=True`` to keep the
      new schedule and continue from the saved step.
    * **Groups added later.** A group added with ``optimizer.add_param_group``
      after the scheduler was built is scheduled from the next :meth:`step` on:
      it follows group 0's schedule times a fixed factor, the ratio of the LR it
      was added with to group 0's scheduled LR at that moment (the step of the
      last :meth:`step`). Its LR thus continues from the one it was added with
      and keeps that ratio to group 0, as with torch's per-group ``base_lrs``
      (and as :func:`~pyclr.torch.range_test` treats differential LRs): for
      progressive unfreezing, add the backbone at ``lr = head_lr / 10`` and it
      stays at a tenth. Its momentum (``betas[0]``), when cycled, follows group
      0's unscaled. The factors are in :meth:`state_dict` (``group_scales``): to
      resume, add the groups again (before or after building the scheduler) and
      load the states. A group added where group 0's scheduled LR is 0, or with a
      non-finite LR, raises ``ValueError`` at the next :meth:`step`, as does
      removing groups. (torch's ``CyclicLR`` and ``OneCycleLR`` silently leave
      such a group at the LR it was added with.)
    * A finite schedule (``one_cycle``) holds its final value past its end, or,
      if built to raise there, raises at the ``total_steps + 1``-th call to
      :meth:`step`, where torch's ``OneCycleLR`` raises too. Index
      ``total_steps`` itself (computed by the last ``step()`` of the canonical
      loop, never used by an optimizer step) holds the final value instead of
      extrapolating.

    Examples
    --------
    >>> import torch, pyclr
    >>> from pyclr.torch import ScheduledLR
    >>> model = torch.nn.Linear(4, 1)
    >>> opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> sched = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, step_size_up=4))
    >>> for _ in range(4):
    ...     opt.step()
    ...     sched.step()
    >>> round(sched.get_last_lr()[0], 6)
    0.1
    >>> state = sched.state_dict()   # {'format': ..., 'schedule': {...}, 'last_epoch': 4, ...}
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Any,
        *,
        momentum: bool = False,
        chunk: int = DEFAULT_CHUNK,
        num_steps: int | None = None,
        last_epoch: int = -1,
    ) -> None:
        who = "ScheduledLR"
        check_optimizer(optimizer, who)
        check_schedule(schedule, who)
        momentum = boolean("momentum", momentum)
        chunk = validate_chunk(chunk, who)
        validate_num_steps(schedule, num_steps, who)
        last_epoch = as_int("last_epoch", last_epoch)
        if last_epoch < -1:
            raise ValueError(f"Expected last_epoch >= -1, but got {last_epoch}")
        # Build the writer first: every check that can fail runs before the
        # optimizer is touched, so a bad argument leaves it as it was.
        self._writer = ParamWriter(optimizer, schedule, momentum=momentum, chunk=chunk, who=who)
        self.optimizer = optimizer
        self.schedule = schedule
        self.momentum = momentum
        self.num_steps = num_steps
        self.last_epoch = last_epoch + 1
        self._step_count = 1
        self._writer.apply(self.last_epoch)
        # torch's attribute, kept for code that reads it (e.g. warm-start utilities)
        self.base_lrs = list(self._writer.current(0))

    # LRScheduler's own __init__ is not called: it would write 'initial_lr' into the
    # groups and wrap optimizer.step, neither of which a table-driven schedule needs.

    def step(self, epoch: int | None = None) -> None:
        """Advance to the next optimizer step and write its values.

        ``epoch``, if given, jumps to that step index (torch's deprecated form;
        here exact, since every value comes from the table).
        """
        if epoch is None:
            t = self.last_epoch + 1
        else:
            t = as_int("epoch", epoch)
            if t < 0:
                raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        self._step_count += 1
        self._writer.apply(t)
        self.last_epoch = t  # only after a successful write: a raise leaves the state as it was

    def get_lr(self) -> list[float]:  # type: ignore[override]  # floats only, narrower than torch's list[float | Tensor]
        """The learning rates of the current step, per group (floats)."""
        return self._writer.current(self.last_epoch)

    def get_last_lr(self) -> list[float | torch.Tensor]:
        """The learning rates written by the last :meth:`step`, per param group.

        Same types as the groups' ``lr`` (clones for tensors, as torch returns).
        """
        return [g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"] for g in self.optimizer.param_groups]

    @property
    def _last_lr(self) -> list[float | torch.Tensor]:  # type: ignore[override]  # read-only: from the groups
        return self.get_last_lr()

    def get_last_momentum(self) -> list[float] | None:
        """The momentum (or ``betas[0]``) per group, or ``None`` when momentum is not cycled."""
        if not self.momentum:
            return None
        self._writer.sync()
        targets = self._writer.mom_targets or []  # never None when momentum is cycled
        out = []
        for g, target in zip(self.optimizer.param_groups, targets):
            v = g[target[0]][target[1]] if len(target) == 2 else g[target[0]]
            out.append(float(v))
        return out

    def state_dict(self) -> dict[str, Any]:
        """The schedule spec and the step: plain Python data, safe for ``weights_only`` loading."""
        return {
            "format": _FORMAT,
            "version": 1,
            "schedule": self.schedule.to_dict(),
            "last_epoch": int(self.last_epoch),
            "_step_count": int(self._step_count),
            "momentum": bool(self.momentum),
            "chunk": int(self._writer.chunk),
            "group_scales": group_scales(self._writer),
        }

    def load_state_dict(self, state_dict: dict[str, Any], *, retarget: bool = False) -> None:
        """Resume at the saved step and write its values into the optimizer.

        Parameters
        ----------
        state_dict : dict
            From :meth:`state_dict`.
        retarget : bool, default False
            Keep this scheduler's schedule even if the saved one differs (for
            example a longer run) and continue from the saved step. Without it a
            different schedule raises ``ValueError``.
        """
        who = "ScheduledLR.load_state_dict"
        step = saved_step(state_dict, "last_epoch", who)
        if not boolean("retarget", retarget):
            check_state_schedule(state_dict["schedule"], self.schedule, who, "pass retarget=True")
        adopt_state(self._writer, state_dict, max(step, 0))
        self._writer.apply(max(step, 0))
        self.last_epoch = step
        self._step_count = int(state_dict.get("_step_count", step + 1))

    def __repr__(self) -> str:
        return f"ScheduledLR(schedule={self.schedule!r}, last_epoch={self.last_epoch}, momentum={self.momentum})"
