"""Stateful fuzzing of ScheduledLR and attach() (issue 15's standing adversarial suite).

A hypothesis state machine drives an optimizer through steps, AMP steps (some
skipped by the GradScaler), ``add_param_group``, optimizer reloads, queries and
checkpoint/resume into a fresh optimizer and scheduler, and keeps its own model
of where the schedule must be. The invariant after every rule: each param
group's LR is ``schedule.values(...)`` at the step the model expects, times
that group's factor (1 for the groups the schedule was built for, the ratio to
group 0 measured when a group was added later), and each momentum is the
schedule's momentum at that step; a group the schedule has not seen yet still
holds what it was added with. The comparison is exact (``==``): a resumed run
that satisfies it continues bit for bit.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule  # noqa: E402

import pyclr  # noqa: E402
from pyclr.torch import ScheduledLR, attach  # noqa: E402

torch.set_num_threads(1)

MAX_GROUPS = 5
SETTINGS = settings(max_examples=50, stateful_step_count=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _spec(kind: str, per_group: bool):
    if kind == "cyclic":
        s = pyclr.cyclic(0.01, 0.1, step_size_up=3, step_size_down=5)
    elif kind == "one_cycle":
        s = pyclr.one_cycle(0.1, 500)  # longer than any run here
    else:
        s = pyclr.sgdr(0.1, 4, T_mult=2, eta_min=1e-3)
    return s.scaled([1.0, 0.25]) if per_group else s


class _Reference:
    """The schedule's values as the writer reads them: windows aligned to the chunk size
    (a kernel's last bit may depend on the window), one row per schedule row."""

    def __init__(self, spec):
        self.spec = spec
        self.total = getattr(spec, "total_steps", None)
        self.cache: dict = {}

    def table(self, t: int, chunk: int, momentum: bool) -> tuple[int, np.ndarray]:
        start, n = (t // chunk) * chunk, chunk
        if self.total is not None:
            assert t < self.total  # the runs here stay inside the schedule
            n = min(n, self.total - start)
        key = (start, n, momentum)
        if key not in self.cache:
            fn = self.spec.momentum if momentum else self.spec.values
            self.cache[key] = np.atleast_2d(np.asarray(fn(n, start=start), dtype=np.float64))
        return start, self.cache[key]

    def at(self, t: int, chunk: int, row: int, momentum: bool = False) -> float:
        start, tab = self.table(t, chunk, momentum)
        return float(tab[row if row < tab.shape[0] else 0, t - start])


class _ScheduleMachine(RuleBasedStateMachine):
    DRIVER = "scheduler"

    # ------------------------------------------------------------------ setup
    @initialize(kind=st.sampled_from(["cyclic", "one_cycle", "sgdr"]), n0=st.integers(1, 2),
                per_group=st.booleans(), chunk=st.sampled_from([3, 7, 4096]), momentum=st.booleans())
    def setup(self, kind, n0, per_group, chunk, momentum):
        self.per_group = per_group and n0 == 2
        self.spec = _spec(kind, self.per_group)
        self.momentum = momentum and kind != "sgdr"  # sgdr carries no momentum channel
        self.ref = _Reference(self.spec)
        self.n0 = n0
        self.chunk = chunk
        self.scales = [1.0] * n0  # the model's factor per group the schedule has seen
        self.pending: dict[int, tuple[float, float]] = {}  # added, not yet seen: (lr, momentum)
        # seen (factor fixed by a query or state_dict()) but not written yet: (lr, momentum)
        self.unwritten: dict[int, tuple[float, float]] = {}
        self.opt = self._optimizer(n0, lr=0.05)
        self.obj = self._driver(self.opt, chunk)
        self.held = 0  # the step whose values the groups hold
        self.next = 0  # attach: the index of the next real optimizer step
        self.scaler = torch.amp.GradScaler("cpu", init_scale=2.0**4)

    def _optimizer(self, n, lr):
        return torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(2))]} for _ in range(n)], lr=lr,
                               momentum=0.9)

    def _driver(self, opt, chunk):
        if self.DRIVER == "scheduler":
            return ScheduledLR(opt, self.spec, momentum=self.momentum, chunk=chunk)
        return attach(opt, self.spec, momentum=self.momentum, chunk=chunk)

    def _row(self, g: int) -> int:
        return g if self.per_group and g < self.n0 else 0

    def _settle(self, write: bool = True):
        """The schedule has just seen every group: the added ones get their factor, the
        ratio of the LR they were added with to group 0's value of the held step. A query
        or state_dict() only looks (``write=False``): the groups keep their values until
        the next write."""
        for g in sorted(self.pending):
            lr, _ = self.pending[g]
            assert g == len(self.scales)
            self.scales.append(lr / self.ref.at(self.held, self.chunk, 0))
        self.unwritten.update(self.pending)
        self.pending.clear()
        if write:
            self.unwritten.clear()

    def _params(self):
        return [p for g in self.opt.param_groups for p in g["params"]]

    # ------------------------------------------------------------------ rules
    @rule()
    def step(self):
        for p in self._params():
            p.grad = torch.ones_like(p)
        if self.DRIVER == "scheduler":
            self.opt.step()
            self.obj.step()
            self._settle()
            self.held += 1
        else:
            self.opt.step()  # the pre-hook writes the values of step `next` first
            self._settle()
            self.held = self.next
            self.next += 1
            assert self.obj.step == self.next

    @rule(skip=st.booleans())
    def amp_step(self, skip):
        self.opt.zero_grad(set_to_none=True)
        loss = sum(p.sum() for p in self._params()) * (float("inf") if skip else 1.0)
        self.scaler.scale(loss).backward()
        before = [dict(g) for g in self.opt.param_groups]
        self.scaler.step(self.opt)  # skips optimizer.step() on inf gradients
        self.scaler.update()
        if self.DRIVER == "scheduler":
            self.obj.step()  # the canonical loop steps the scheduler either way
            self._settle()
            self.held += 1
        elif skip:
            # a skipped update must not advance the schedule, nor touch the groups
            assert self.obj.step == self.next
            assert [dict(g) for g in self.opt.param_groups] == before
        else:
            self._settle()
            self.held = self.next
            self.next += 1
        self.opt.zero_grad(set_to_none=True)

    @precondition(lambda self: len(self.opt.param_groups) < MAX_GROUPS)
    @rule(ratio=st.sampled_from([0.0, 0.1, 1.0, 2.5]), mom=st.sampled_from([0.5, 0.95]))
    def add_group(self, ratio, mom):
        lr = ratio * float(self.opt.param_groups[0]["lr"])
        self.opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr, "momentum": mom})
        self.pending[len(self.opt.param_groups) - 1] = (lr, mom)

    @rule()
    def reload_optimizer_in_place(self):
        # a new param_groups list of new dicts: the schedule must follow it
        self.opt.load_state_dict(self.opt.state_dict())

    @rule()
    def query(self):
        if self.DRIVER == "scheduler":
            got, t = self.obj.get_lr(), self.held
        else:
            got, t = self.obj.last_lr(), max(self.next - 1, 0)
        self._settle(write=False)
        want = [self.ref.at(t, self.chunk, self._row(g)) * s for g, s in enumerate(self.scales)]
        assert got == want

    @rule(add_before=st.booleans(), chunk=st.sampled_from([3, 7, 4096]))
    def resume(self, add_before, chunk):
        """Checkpoint, then go on in a fresh optimizer and scheduler (as a new process would)."""
        sched_state = self.obj.state_dict()  # takes in groups added since the last write
        self._settle(write=False)
        assert sched_state["group_scales"] == self.scales
        buf = io.BytesIO()
        torch.save({"opt": self.opt.state_dict(), "sched": sched_state}, buf)
        buf.seek(0)
        ckpt = torch.load(buf, weights_only=True)
        if self.DRIVER == "attach":
            self.obj.remove()
        extra = len(self.opt.param_groups) - self.n0
        opt = self._optimizer(self.n0, lr=7.0)
        if self.per_group:
            add_before = False  # a per-group schedule is built for the groups it has rows for

        def add_again():
            for _ in range(extra):
                opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 3.0, "momentum": 0.7})

        if add_before:
            add_again()
        obj = self._driver(opt, chunk)  # a different chunk: the saved one is adopted
        if not add_before:
            add_again()
        opt.load_state_dict(ckpt["opt"])
        obj.load_state_dict(ckpt["sched"])
        self.opt, self.obj = opt, obj
        self.unwritten.clear()  # loading writes every group
        if self.DRIVER == "attach":
            self.held = self.next  # loading writes the values of the next step at once
            assert obj.step == self.next

    # ------------------------------------------------------------------ the invariant
    @invariant()
    def groups_follow_the_schedule(self):
        if not hasattr(self, "opt"):
            return
        groups = self.opt.param_groups
        assert len(groups) == len(self.scales) + len(self.pending)
        for g, group in enumerate(groups):
            if g in self.pending or g in self.unwritten:
                lr, mom = self.pending.get(g) or self.unwritten[g]
                assert group["lr"] == lr and group["momentum"] == mom, g
                continue
            want = self.ref.at(self.held, self.chunk, self._row(g)) * self.scales[g]
            assert group["lr"] == want, (g, self.held, group["lr"], want)
            if self.momentum:
                assert group["momentum"] == self.ref.at(self.held, self.chunk, self._row(g), momentum=True), g
        if self.DRIVER == "scheduler":
            assert self.obj.last_epoch == self.held


class _AttachMachine(_ScheduleMachine):
    DRIVER = "attach"


_ScheduleMachine.TestCase.settings = SETTINGS
_AttachMachine.TestCase.settings = SETTINGS
TestScheduledLRStateful = _ScheduleMachine.TestCase
TestAttachStateful = _AttachMachine.TestCase
