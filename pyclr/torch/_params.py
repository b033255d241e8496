"""Writing precomputed schedule values into an optimizer's parameter groups.

Shared by :class:`pyclr.torch.ScheduledLR` and :func:`pyclr.torch.attach`. The
engine asks the schedule for a window of steps at a time (a *chunk*), so memory
stays bounded for unbounded cycles, and turns the window into whatever the
per-step write needs:

* plain Python floats (``group["lr"] = v``) for float hyperparameters, because a
  dict store is the cheapest thing Python can do per step;
* a tensor on the hyperparameter's own device and dtype for tensor
  hyperparameters (``lr=torch.tensor(...)`` as used by compiled, fused and
  capturable optimizers), copied in place with one ``torch._foreach_copy_`` per
  step, so the tensor object the compiled graph closed over stays the same and
  no value travels from the host per step.

Nothing here validates user arguments except what only this module can see
(the optimizer's groups); the public constructors do the rest.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

__all__ = ["ParamWriter", "momentum_targets", "check_optimizer", "schedule_name", "adopt_state", "group_scales"]

DEFAULT_CHUNK = 4096


def schedule_name(schedule: Any) -> str:
    d = None
    try:
        d = schedule.to_dict()
    except Exception:  # pragma: no cover - any spec without to_dict still gets a name
        pass
    if isinstance(d, dict):
        for key in ("policy", "kind", "type", "name"):
            if isinstance(d.get(key), str):
                return d[key]
    return type(schedule).__name__


def check_optimizer(optimizer: Any, who: str) -> None:
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"{who} expects a torch.optim.Optimizer, but got {type(optimizer).__name__}")
    if not optimizer.param_groups:
        raise ValueError(f"{who}: the optimizer has no parameter groups")
    for i, group in enumerate(optimizer.param_groups):
        if "lr" not in group:
            raise ValueError(
                f"{who}: optimizer {type(optimizer).__name__} has no 'lr' in param_groups[{i}]; "
                "only optimizers with a learning rate can be scheduled"
            )


def momentum_targets(optimizer: torch.optim.Optimizer, who: str, groups: list | None = None) -> list[tuple]:
    """Where each group keeps the value that momentum cycling writes.

    Adam-family optimizers keep it as ``betas[0]``, SGD-like ones as ``momentum``.
    ``betas`` wins when a group has both (as torch's CyclicLR decides), because
    an Adam-family ``momentum`` key, where one exists, means something else.
    ``groups`` defaults to ``optimizer.param_groups``.
    """
    targets: list[tuple] = []
    for i, group in enumerate(optimizer.param_groups if groups is None else groups):
        if "betas" in group:
            targets.append(("betas", 0))
        elif "momentum" in group:
            value = group["momentum"]
            if not isinstance(value, torch.Tensor) and value == 0:
                # SGD(momentum=0) runs plain SGD with no momentum buffer; cycling
                # would silently switch momentum on (torch's CyclicLR does that).
                raise ValueError(
                    f"{who}: param_groups[{i}] has momentum=0, so momentum is switched off in "
                    f"{type(optimizer).__name__}; build the optimizer with momentum > 0 "
                    "(for example 0.9) to cycle it, or pass momentum=False"
                )
            targets.append(("momentum",))
        else:
            raise ValueError(
                f"{who}: momentum=True needs an optimizer whose param groups have 'momentum' (SGD, RMSprop) "
                f"or 'betas' (Adam, AdamW, NAdam, ...), but {type(optimizer).__name__} param_groups[{i}] "
                f"has neither (keys: {sorted(k for k in group if k != 'params')})"
            )
    return targets


def _get(group: dict, target: tuple) -> Any:
    value = group[target[0]]
    return value[target[1]] if len(target) == 2 else value


def _set_float(group: dict, target: tuple, value: float) -> None:
    if len(target) == 2:
        old = group[target[0]]
        # keep the container type (tuple for betas) and every other element as it was
        group[target[0]] = type(old)((value, *old[1:])) if isinstance(old, tuple) else [value, *old[1:]]
    else:
        group[target[0]] = value


class _Channel:
    """One hyperparameter (lr or momentum) across all groups, for one chunk."""

    __slots__ = ("targets", "float_idx", "tensor_sets", "rows", "single", "mode", "key")

    def __init__(self, targets: list[tuple]):
        self.targets = targets
        self.float_idx: list[int] = []
        # [(group indices, [tensors], device chunk (n, k) or None)]
        self.tensor_sets: list[list] = []
        self.rows: Any = None  # list of floats (single) or list of tuples/lists per step
        self.single = False
        # how the float groups are written, chosen once per plan so the per-step loop has
        # no per-group branching: "key" (every group a float under one key),
        # "betas" (every group a float pair of betas), or "general"
        self.mode = "general"
        self.key = targets[0][0] if targets else None


class ParamWriter:
    """Chunked schedule table plus in-place writes into ``optimizer.param_groups``.

    ``apply(t)`` writes the values of optimizer step ``t`` (0-based; see the step
    convention in the schedule docs) into every group.

    **Groups added later** (``optimizer.add_param_group`` after the schedule was
    attached) are scheduled too: such a group follows the schedule of group 0,
    multiplied by the ratio of its own LR to group 0's scheduled LR at the moment
    it was added (the step whose values the groups held then), so its next LR
    continues from the one it was added with and it keeps that ratio to group 0
    from then on (the rule ``range_test`` uses for differential LRs). Its momentum
    (``betas[0]``), when cycled, follows group 0's momentum unscaled. The ratios
    are part of the state (``group_scales``), so a resumed run continues them.
    Removing groups raises.
    """

    def __init__(self, optimizer, schedule, *, momentum: bool, chunk: int, who: str):
        self.optimizer = optimizer
        self.schedule = schedule
        self.who = who
        self.chunk = chunk
        self.momentum = momentum
        ngroups = len(optimizer.param_groups)
        sgroups = getattr(schedule, "groups", None)
        if sgroups is not None and sgroups != ngroups:
            raise ValueError(
                f"{who}: the schedule has {sgroups} per-group rows but the optimizer has {ngroups} "
                "param groups; build it with pyclr.per_group([...]) or .scaled([...]) with one entry per group"
            )
        self.ngroups = ngroups
        self.per_group = sgroups is not None
        self.rows_n = sgroups if sgroups is not None else 1  # rows of the schedule's own table
        self.total = getattr(schedule, "total_steps", None)
        if momentum:
            if not getattr(schedule, "has_momentum", False):
                raise ValueError(
                    f"{who}: momentum=True, but the schedule {schedule_name(schedule)} carries no momentum channel; "
                    "build it with base_momentum/max_momentum (cyclic, one_cycle) or pass momentum=False"
                )
            self.mom_targets: list[tuple] | None = momentum_targets(optimizer, who)
        else:
            self.mom_targets = None
        # One factor per group: 1 for the groups the schedule was built for, the ratio to
        # group 0 for groups added later. May run ahead of the optimizer after
        # load_state_dict (groups the resumed run has yet to add again).
        self.scales: list[float] = [1.0] * ngroups
        self.mapped = False  # True once a group reads another row, or a scaled one
        self.t_last: int | None = None  # the step whose values the groups hold
        self.c0 = 0
        self.cn = 0  # empty: the first apply() loads a chunk
        self.row0 = None  # the schedule's own row 0 of the loaded chunk, to measure added groups
        self.groups_ref: list | None = None  # the param_groups list the plan was made for
        self.lr = _Channel([("lr",)] * ngroups)
        self.mom = _Channel(self.mom_targets) if self.mom_targets is not None else None  # set iff momentum
        self.fast = 0  # 1: one float lr, no momentum; 2: float lrs, no momentum; 0: general

    # -- planning: which groups hold floats and which hold tensors ------------------
    def _plan(self, groups: list) -> None:
        n = len(groups)
        if n < self.ngroups:
            raise ValueError(
                f"{self.who}: the optimizer now has {n} param groups, but had {self.ngroups} when the schedule "
                "last wrote them; groups cannot be removed from a running schedule (it cannot tell which ones "
                "went): attach a new schedule to the optimizer as it is now"
            )
        scales = list(self.scales)
        for gi in range(len(scales), n):
            scales.append(self._measure(groups, gi))
        # everything that can raise runs before any state changes: a failed plan is retried
        # (and raises again) at the next step
        mom_targets = momentum_targets(self.optimizer, self.who, groups) if self.mom is not None else None
        self.scales = scales
        self.ngroups = n
        self.mapped = any(s != 1.0 for s in scales[:n]) or n > self.rows_n > 1
        self.lr.targets = [("lr",)] * n
        if mom_targets is not None and self.mom is not None:  # (mom_targets is only built with self.mom)
            self.mom_targets = mom_targets
            self.mom.targets = mom_targets
            self.mom.key = mom_targets[0][0]
        for ch in (self.lr, self.mom):
            if ch is None:
                continue
            ch.float_idx = []
            sets: dict[tuple, list] = {}
            for gi, (group, target) in enumerate(zip(groups, ch.targets)):
                value = _get(group, target)
                if isinstance(value, torch.Tensor):
                    sets.setdefault((value.device, value.dtype), [[], [], None])
                    entry = sets[(value.device, value.dtype)]
                    entry[0].append(gi)
                    entry[1].append(value)
                else:
                    ch.float_idx.append(gi)
            ch.tensor_sets = list(sets.values())
            ch.mode = "general"
            if not ch.tensor_sets:
                if all(len(t) == 1 and t[0] == ch.targets[0][0] for t in ch.targets):
                    ch.mode = "key"
                elif all(t == ("betas", 0) and isinstance(g["betas"], tuple) and len(g["betas"]) == 2
                         for g, t in zip(groups, ch.targets)):
                    ch.mode = "betas"
        self.groups_ref = groups
        all_float = not self.lr.tensor_sets and self.mom is None
        self.fast = (1 if self.ngroups == 1 else 2) if all_float else 0
        self.cn = 0  # the table layout depends on the plan: rebuild on next apply

    def _measure(self, groups: list, gi: int) -> float:
        """The factor of a group added after the schedule was attached (see the class notes)."""
        lr = groups[gi]["lr"]
        try:
            lr = float(lr)  # a tensor LR: one host read, once
        except (TypeError, ValueError, RuntimeError):
            raise TypeError(
                f"{self.who}: param_groups[{gi}] was added with lr={lr!r}; expected a number or a one-element tensor"
            ) from None
        if not (math.isfinite(lr) and lr >= 0):
            raise ValueError(
                f"{self.who}: param_groups[{gi}] was added with lr={lr!r}; expected a finite lr >= 0 "
                "(the added group follows the schedule scaled by its lr / group 0's scheduled lr)"
            )
        t = self.t_last if self.t_last is not None else 0
        ref = self._row0_value(t)
        if not (math.isfinite(ref) and ref > 0):
            raise ValueError(
                f"{self.who}: param_groups[{gi}] was added at step {t}, where group 0's scheduled lr is {ref!r}, "
                "so its ratio to the schedule is undefined; add the group at another step, or attach a "
                "per-group schedule (pyclr.per_group / .scaled) to the optimizer with all its groups"
            )
        return lr / ref

    def _row0_value(self, t: int) -> float:
        """Group 0's row of the schedule at step ``t``, from the same aligned window ``apply`` reads."""
        if self.row0 is not None and 0 <= t - self.c0 < len(self.row0):
            return float(self.row0[t - self.c0])
        start, _, lr, _ = self._tables(t, False)
        return float(lr[0, t - start])

    def sync(self) -> None:
        """Take in groups added (or a group list replaced) since the last write, without writing."""
        groups: list = self.optimizer.param_groups
        if groups is not self.groups_ref or len(groups) != self.ngroups:
            self._plan(groups)

    def set_scales(self, scales: Any) -> None:
        """Adopt the ``group_scales`` of a saved state (validated here, where the groups are known)."""
        if not isinstance(scales, (list, tuple)) or not all(
            isinstance(s, (int, float)) and not isinstance(s, bool) and math.isfinite(s) and s >= 0 for s in scales
        ):
            raise ValueError(
                f"{self.who}: expected 'group_scales' in the state to be a list of finite numbers >= 0, "
                f"but got {scales!r}"
            )
        if len(scales) < self.rows_n:
            raise ValueError(
                f"{self.who}: the state has {len(scales)} group_scales, but the schedule has {self.rows_n} "
                "per-group rows"
            )
        # groups this optimizer has beyond the saved ones keep what they have
        self.scales = [float(s) for s in scales] + self.scales[len(scales):]
        self.groups_ref = None  # replan (and re-measure nothing) at the next write

    # -- chunks ------------------------------------------------------------------
    def _values(self, n: int, start: int, momentum: bool) -> np.ndarray:
        fn = self.schedule.momentum if momentum else self.schedule.values
        out = fn(n, start=start)
        if out is None:  # pragma: no cover - guarded in __init__
            raise ValueError(f"{self.who}: the schedule returned no momentum values")
        out = np.asarray(out, dtype=np.float64)
        if out.ndim == 1:
            out = out[None, :]
        return out  # (rows, n): rows is 1 (shared by all groups) or the schedule's groups

    def _tables(self, t: int, strict_end: bool) -> tuple:
        """``(start, n, lr, momentum)``: the schedule's own window holding step ``t``."""
        total = self.total
        # Windows start at multiples of the chunk size, whatever step the run starts or
        # resumes at: a kernel's last bit may depend on the window it computes, and
        # aligned windows make a resumed run read exactly the table an
        # uninterrupted one reads.
        start, n = (t // self.chunk) * self.chunk, self.chunk
        if total is not None:
            if t < total:
                n = min(n, total - start)
            else:
                start = max(start, total)
        try:
            lr = self._values(n, start, False)
            mom = self._values(n, start, True) if self.mom is not None else None
        except (ValueError, IndexError) as exc:
            if total is None or t < total:
                raise
            # The schedule was built to raise past its end. torch's canonical loop
            # computes index total_steps in its last scheduler.step() without ever
            # using it, so ScheduledLR holds the last value there and raises one step
            # later, where torch's OneCycleLR raises too.
            if t == total and not strict_end:
                lr = self._values(1, total - 1, False)
                mom = self._values(1, total - 1, True) if self.mom is not None else None
                start, n = t, 1
            else:
                raise ValueError(
                    f"{self.who}: optimizer step {t} is past the end of the schedule "
                    f"({schedule_name(self.schedule)} with total_steps={total}); build a longer schedule "
                    f"or one that holds its final value (overrun='hold')"
                ) from exc
        return start, n, lr, mom

    def _per_group(self, table: np.ndarray, scaled: bool) -> np.ndarray:
        """The schedule's rows -> one row per group: added groups read row 0 (times their factor)."""
        rows = table.shape[0]
        idx = [gi if gi < rows else 0 for gi in range(self.ngroups)]
        out = table[idx]
        if scaled:
            # groups the schedule was built for have factor 1.0: their values stay bit for bit
            out = out * np.asarray(self.scales[: self.ngroups], dtype=np.float64)[:, None]
        return out

    def _load(self, t: int, strict_end: bool) -> None:
        start, n, lr, mom = self._tables(t, strict_end)
        self.c0, self.cn = start, n
        self.row0 = lr[0]
        for ch, table in ((self.lr, lr), (self.mom, mom)):
            if ch is None:
                continue
            if self.mapped:
                table = self._per_group(table, ch is self.lr)
            elif table.shape[0] == 1 and self.ngroups > 1:
                table = np.broadcast_to(table, (self.ngroups, table.shape[1]))
            if self.ngroups == 1:
                ch.rows = table[0].tolist()
                ch.single = True
            else:
                ch.rows = table.T.tolist()  # one list per step, one float per group
                ch.single = False
            for entry in ch.tensor_sets:
                idx, tensors, _ = entry
                dtype, device = tensors[0].dtype, tensors[0].device
                host = torch.from_numpy(np.ascontiguousarray(table[idx].T)).to(dtype)
                if device.type == "cuda":
                    host = host.pin_memory()
                # (n, k): row i holds step c0+i for the k groups of this device and dtype;
                # uploaded once per chunk, then read on the device at every step
                entry[2] = host.to(device, non_blocking=True)

    # -- the per-step write -------------------------------------------------------
    def apply(self, t: int, *, strict_end: bool = False) -> None:
        groups: list = self.optimizer.param_groups
        # add_param_group appends to the same list: its length tells
        if groups is not self.groups_ref or len(groups) != self.ngroups:
            self._plan(groups)
        i = t - self.c0
        if not (0 <= i < self.cn):
            self._load(t, strict_end)
            i = t - self.c0
        self.t_last = t
        if self.fast == 1:
            groups[0]["lr"] = self.lr.rows[i]
            return
        if self.fast == 2:
            for group, value in zip(groups, self.lr.rows[i]):
                group["lr"] = value
            return
        self._write(groups, self.lr, i)
        if self.mom is not None:
            self._write(groups, self.mom, i)

    @staticmethod
    def _write(groups: list, ch: _Channel, i: int) -> None:
        mode = ch.mode
        if mode == "key":
            key = ch.key
            if ch.single:
                groups[0][key] = ch.rows[i]
            else:
                for group, value in zip(groups, ch.rows[i]):
                    group[key] = value
            return
        if mode == "betas":
            if ch.single:
                group = groups[0]
                group["betas"] = (ch.rows[i], group["betas"][1])
            else:
                for group, value in zip(groups, ch.rows[i]):
                    group["betas"] = (value, group["betas"][1])
            return
        if ch.float_idx:
            row = ch.rows[i]
            for gi in ch.float_idx:
                value = row if ch.single else row[gi]
                target = ch.targets[gi]
                if len(target) == 1:
                    groups[gi][target[0]] = value
                else:
                    _set_float(groups[gi], target, value)
        for _, tensors, table in ch.tensor_sets:
            # in place, from the device table: same tensor objects, no host value, no sync
            torch._foreach_copy_(tensors, table[i].unbind(0))

    def current(self, t: int) -> list[float]:
        """The LR of step ``t`` per group, as floats (for get_last_lr and logging)."""
        self.sync()
        i = t - self.c0
        if 0 <= i < self.cn:
            row = self.lr.rows[i]
            return [row] * self.ngroups if self.lr.single else list(row)
        # the aligned window apply() reads: the same bits as the step itself
        start, _, table, _ = self._tables(t, False)
        vals = table[:, t - start:t - start + 1]
        if self.mapped:
            return [float(v) for v in self._per_group(vals, True)[:, 0]]
        vals = vals[:, 0]
        return [float(vals[0])] * self.ngroups if vals.shape[0] == 1 else [float(v) for v in vals]


#: Largest window of steps generated at once (16M steps: 128 MiB of float64 per group).
MAX_CHUNK = 1 << 24


def validate_chunk(chunk: Any, who: str) -> int:
    from pyclr._validate import int_at_least

    chunk = int_at_least("chunk", chunk, 1)
    if chunk > MAX_CHUNK:  # a window is chunk x groups values held in memory at once
        raise ValueError(f"Expected chunk from 1 to {MAX_CHUNK} steps, but got {chunk}")
    return chunk


def validate_num_steps(schedule: Any, num_steps: Any, who: str) -> int | None:
    """Refuse a schedule that ends before the run does, when the run length is known."""
    if num_steps is None:
        return None
    from pyclr._validate import int_at_least

    num_steps = int_at_least("num_steps", num_steps, 1)
    total = getattr(schedule, "total_steps", None)
    if total is not None and total < num_steps:
        raise ValueError(
            f"{who}: the schedule {schedule_name(schedule)} has total_steps={total}, "
            f"shorter than the run (num_steps={num_steps}); build it with total_steps >= {num_steps}"
        )
    return num_steps


def check_schedule(schedule: Any, who: str) -> None:
    for attr in ("values", "to_dict"):
        if not callable(getattr(schedule, attr, None)):
            raise TypeError(
                f"{who} expects a pyclr schedule (pyclr.cyclic, pyclr.one_cycle, pyclr.sgdr, ...), "
                f"but got {type(schedule).__name__}"
            )


def spec_diff(a: Any, b: Any, path: str = "") -> list[str]:
    """Human-readable differences between two spec dicts (first few only)."""
    out: list[str] = []
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            p = f"{path}.{key}" if path else str(key)
            if key not in a:
                out.append(f"{p}: missing in the saved state, {b[key]!r} here")
            elif key not in b:
                out.append(f"{p}: {a[key]!r} in the saved state, missing here")
            else:
                out.extend(spec_diff(a[key], b[key], p))
    elif isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        for k, (x, y) in enumerate(zip(a, b)):
            out.extend(spec_diff(x, y, f"{path}[{k}]"))
    else:
        same = a == b
        if not same and isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            same = True
        if not same:
            out.append(f"{path or 'schedule'}: {a!r} in the saved state, {b!r} here")
    return out


def check_state_schedule(saved: Any, schedule: Any, who: str, hint: str) -> None:
    mine = schedule.to_dict()
    if saved == mine:
        return
    diff = spec_diff(saved, mine)
    if not diff:  # equal up to list/tuple spelling
        return
    shown = "; ".join(diff[:5]) + ("; ..." if len(diff) > 5 else "")
    raise ValueError(
        f"{who}: the state was saved from a different schedule ({shown}). "
        f"Build the same schedule to resume, or {hint} to keep this schedule and continue from the saved step"
    )


def adopt_chunk(writer: "ParamWriter", state: dict) -> None:
    """Use the saved run's chunk size: windows then align exactly as they did before."""
    chunk = state.get("chunk")
    if isinstance(chunk, int) and not isinstance(chunk, bool) and 1 <= chunk <= MAX_CHUNK and chunk != writer.chunk:
        writer.chunk = chunk
        writer.cn = 0
        writer.row0 = None  # measured from the saved run's windows from now on


def adopt_state(writer: "ParamWriter", state: dict, step: int) -> None:
    """The saved chunk size and group factors; ``step`` is the step whose values are written next.

    A group the saved state does not know (added to the fresh optimizer and not to
    the saved one) is measured against the values of ``step``, what the groups hold
    once the state is loaded.
    """
    scales = state.get("group_scales")
    if scales is not None:
        writer.set_scales(scales)  # validates before anything changes
    adopt_chunk(writer, state)
    writer.t_last = step


def group_scales(writer: "ParamWriter") -> list[float]:
    """The per-group factors for a state dict (groups added since the last write included)."""
    writer.sync()
    return [float(x) for x in writer.scales]


def saved_step(state: Any, key: str, who: str) -> int:
    if not isinstance(state, dict) or "schedule" not in state or key not in state:
        raise ValueError(
            f"{who}: expected a state dict from {who}.state_dict() with 'schedule' and '{key}', "
            f"but got {type(state).__name__}"
            + (f" with keys {sorted(map(str, state))}" if isinstance(state, dict) else "")
        )
    step = state[key]
    if isinstance(step, bool) or not isinstance(step, int) or step < -1:
        raise ValueError(f"{who}: expected an integer '{key}' >= -1 in the state, but got {step!r}")
    return step

