"""ScheduledLR and attach(): parity with torch's schedulers, state, tensor LRs, momentum, bad input."""
from __future__ import annotations

import io
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pyclr  # noqa: E402
from pyclr.torch import ScheduledLR, attach  # noqa: E402

torch.set_num_threads(1)
LRS = torch.optim.lr_scheduler


def _model(groups: int = 1):
    torch.manual_seed(0)
    return torch.nn.ModuleList([torch.nn.Linear(3, 1) for _ in range(groups)])


def _sgd(groups: int = 1, lr=0.1, momentum=0.9):
    m = _model(groups)
    return torch.optim.SGD([{"params": l.parameters()} for l in m], lr=lr, momentum=momentum)


def _adam(groups: int = 1, lr=0.1, **kw):
    m = _model(groups)
    return torch.optim.Adam([{"params": l.parameters()} for l in m], lr=lr, **kw)


def _mom(group):
    return group["betas"][0] if "betas" in group else group["momentum"]


def _torch_sequence(opt, sched, n, momentum):
    """Values written into the groups after construction and after each of n-1 step() calls."""
    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "scheduler.step() before optimizer.step()"
        for t in range(n):
            row = [float(g["lr"]) for g in opt.param_groups]
            if momentum:
                row += [float(_mom(g)) for g in opt.param_groups]
            out.append(row)
            if t < n - 1:
                sched.step()
    return np.array(out)


def _scheduled_sequence(opt, schedule, n, momentum):
    sched = ScheduledLR(opt, schedule, momentum=momentum, chunk=7)  # small chunks: refills mid-run
    out = []
    for t in range(n):
        row = [float(g["lr"]) for g in opt.param_groups]
        if momentum:
            row += [float(_mom(g)) for g in opt.param_groups]
        out.append(row)
        if t < n - 1:
            sched.step()
    return np.array(out)


def _attached_sequence(opt, schedule, n, momentum):
    """Values each real optimizer.step() used (recorded by a post-hook)."""
    handle = attach(opt, schedule, momentum=momentum, chunk=7)
    seen = []

    def record(o, args, kwargs):
        row = [float(g["lr"]) for g in o.param_groups]
        if momentum:
            row += [float(_mom(g)) for g in o.param_groups]
        seen.append(row)

    post = opt.register_step_post_hook(record)
    params = [p for g in opt.param_groups for p in g["params"]]
    for _ in range(n):
        for p in params:
            p.grad = torch.zeros_like(p)
        opt.step()
    post.remove()
    handle.remove()
    assert handle.step == n
    return np.array(seen)


def _assert_parity(ref, got, what):
    assert ref.shape == got.shape, what
    peak = np.abs(ref).max()
    # the schedule engine's contract: every step within 1e-12 of the run's peak
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12 * peak, err_msg=what)


N = 60

CYCLIC_CASES = [
    dict(mode="triangular", step_size_up=4),
    dict(mode="triangular", step_size_up=3, step_size_down=8),
    dict(mode="triangular2", step_size_up=5),
    dict(mode="exp_range", step_size_up=4, gamma=0.97),
    dict(mode="triangular", step_size_up=2.5, step_size_down=4.5),
]


@pytest.mark.parametrize("case", CYCLIC_CASES, ids=lambda c: "-".join(f"{k}={v}" for k, v in c.items()))
@pytest.mark.parametrize("optim", ["sgd", "adam"])
@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_cyclic_parity_with_momentum(case, optim, driver):
    mk = _sgd if optim == "sgd" else _adam
    kw = dict(case)
    up, down = kw.pop("step_size_up"), kw.pop("step_size_down", None)
    ref_opt = mk(2)
    ref = _torch_sequence(
        ref_opt, LRS.CyclicLR(ref_opt, [0.01, 0.002], [0.1, 0.05], step_size_up=up, step_size_down=down,
                              base_momentum=0.8, max_momentum=0.9, **kw), N, True)
    spec = pyclr.per_group([
        pyclr.cyclic(0.01, 0.1, up, down, base_momentum=0.8, max_momentum=0.9, **kw),
        pyclr.cyclic(0.002, 0.05, up, down, base_momentum=0.8, max_momentum=0.9, **kw),
    ])
    got = (_scheduled_sequence if driver == "scheduler" else _attached_sequence)(mk(2), spec, N, True)
    _assert_parity(ref, got, f"{driver} {optim} {case}")


@pytest.mark.parametrize("kw", [
    dict(),
    dict(anneal_strategy="linear"),
    dict(three_phase=True),
    dict(three_phase=True, anneal_strategy="linear", pct_start=0.25, div_factor=10.0, final_div_factor=100.0),
])
@pytest.mark.parametrize("optim", ["sgd", "adam"])
@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_one_cycle_parity(kw, optim, driver):
    mk = _sgd if optim == "sgd" else _adam
    total = 40
    ref_opt = mk(1)
    # the canonical loop: total optimizer steps use indices 0 .. total-1
    ref = _torch_sequence(ref_opt, LRS.OneCycleLR(ref_opt, 0.5, total_steps=total, **kw), total, True)
    spec = pyclr.one_cycle(0.5, total, **kw)
    got = (_scheduled_sequence if driver == "scheduler" else _attached_sequence)(mk(1), spec, total, True)
    _assert_parity(ref, got, f"{driver} {optim} {kw}")


@pytest.mark.parametrize("T_0,T_mult,eta_min", [(5, 1, 0.0), (3, 2, 0.001), (1, 3, 0.0)])
@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_cawr_parity(T_0, T_mult, eta_min, driver):
    ref_opt = _sgd(1, lr=0.2)
    n = 150  # crosses step 121, where torch's closed form misplaces the restart (its step() path is right)
    ref = _torch_sequence(ref_opt, LRS.CosineAnnealingWarmRestarts(ref_opt, T_0, T_mult, eta_min), n, False)
    spec = pyclr.sgdr(0.2, T_0, T_mult=T_mult, eta_min=eta_min)
    got = (_scheduled_sequence if driver == "scheduler" else _attached_sequence)(_sgd(1, lr=0.2), spec, n, False)
    _assert_parity(ref, got, f"{driver} CAWR")


def test_scalar_schedule_sets_every_group_and_scaled_keeps_ratios():
    opt = _sgd(3)
    ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4))
    assert [g["lr"] for g in opt.param_groups] == [0.01] * 3
    opt = _sgd(3)
    s = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4).scaled([1.0, 0.5, 0.1]))
    for _ in range(4):
        s.step()
    np.testing.assert_allclose([g["lr"] for g in opt.param_groups], [0.1, 0.05, 0.01], rtol=1e-15)


def test_get_last_lr_and_step_counts():
    opt = _sgd(2)
    s = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4))
    assert s.last_epoch == 0 and s.get_last_lr() == [0.01, 0.01]
    for _ in range(3):
        s.step()
    assert s.last_epoch == 3
    assert s.get_last_lr() == [g["lr"] for g in opt.param_groups]
    assert isinstance(s, LRS.LRScheduler)
    assert s.get_last_momentum() is None
    assert "initial_lr" not in opt.param_groups[0]  # nothing depends on it


def test_momentum_is_never_cycled_unless_asked():
    opt = _sgd(1, momentum=0.9)
    s = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4))  # carries momentum, not asked for
    for _ in range(3):
        s.step()
    assert opt.param_groups[0]["momentum"] == 0.9
    opt = _adam(1)
    h = attach(opt, pyclr.one_cycle(0.1, 20))
    opt.param_groups[0]["params"][0].grad = torch.zeros(1, 3)
    opt.step()
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    h.remove()


def test_momentum_errors_name_the_problem():
    m = torch.nn.Linear(2, 1)
    before = [dict(g) for g in torch.optim.Adagrad(m.parameters(), lr=0.3).param_groups]
    opt = torch.optim.Adagrad(m.parameters(), lr=0.3)
    with pytest.raises(ValueError, match="Adagrad.*neither"):
        ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4), momentum=True)
    assert opt.param_groups[0]["lr"] == before[0]["lr"]  # untouched
    with pytest.raises(ValueError, match="no momentum channel"):
        ScheduledLR(_sgd(1), pyclr.sgdr(0.1, 10), momentum=True)
    opt = _sgd(1, momentum=0.0)
    with pytest.raises(ValueError, match="momentum=0"):
        attach(opt, pyclr.cyclic(0.01, 0.1, 4), momentum=True)
    assert opt.param_groups[0]["lr"] == 0.1 and not opt._optimizer_step_pre_hooks


def test_tensor_betas_written_in_place():
    m = torch.nn.Linear(2, 1)
    b1 = torch.tensor(0.9)
    opt = torch.optim.Adam(m.parameters(), lr=torch.tensor(0.01), betas=(b1, torch.tensor(0.999)), foreach=False)
    s = ScheduledLR(opt, pyclr.one_cycle(0.1, 10), momentum=True)
    s.step()
    assert opt.param_groups[0]["betas"][0] is b1
    assert b1.item() == pytest.approx(pyclr.one_cycle(0.1, 10).momentum(2)[1], rel=1e-6)


# --------------------------------------------------------------------------- state
@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_resume_mid_cycle_continues_to_the_bit(driver):
    spec = pyclr.cyclic(1e-3, 1e-1, 7, 11, mode="exp_range", gamma=0.999)
    total, cut = 100, 37
    if driver == "attach":
        spec = pyclr.one_cycle(0.1, total)  # a kernel whose last bit depends on the window

    def run(opt, n, obj):
        seen = []
        params = [p for g in opt.param_groups for p in g["params"]]
        for _ in range(n):
            for p in params:
                p.grad = torch.ones_like(p)
            if driver == "attach":
                opt.step()
                seen.append(opt.param_groups[0]["lr"])
            else:
                seen.append(opt.param_groups[0]["lr"])
                opt.step()
                obj.step()
        return seen

    make = (lambda o: ScheduledLR(o, spec, chunk=16)) if driver == "scheduler" else (lambda o: attach(o, spec, chunk=16))
    opt = _sgd(1)
    full = run(opt, total, make(opt))

    opt = _sgd(1)
    obj = make(opt)
    first = run(opt, cut, obj)
    buf = io.BytesIO()
    torch.save({"sched": obj.state_dict(), "opt": opt.state_dict()}, buf)
    buf.seek(0)
    ckpt = torch.load(buf, weights_only=True)  # plain data only

    opt2 = _sgd(1, lr=123.0)  # a fresh process: a different LR in the optimizer
    obj2 = ScheduledLR(opt2, spec, chunk=5) if driver == "scheduler" else attach(opt2, spec, chunk=5)
    opt2.load_state_dict(ckpt["opt"])
    obj2.load_state_dict(ckpt["sched"])
    rest = run(opt2, total - cut, obj2)
    assert first + rest == full  # exact, not approx


def test_loading_a_different_schedule_raises_and_retarget_continues():
    opt = _sgd(1)
    s = ScheduledLR(opt, pyclr.one_cycle(0.1, 100))
    for _ in range(10):
        s.step()
    state = s.state_dict()
    longer = pyclr.one_cycle(0.1, 200)
    s2 = ScheduledLR(_sgd(1), longer)
    with pytest.raises(ValueError, match="different schedule.*total_steps: 100 in the saved state, 200 here"):
        s2.load_state_dict(state)
    assert s2.last_epoch == 0  # unchanged
    s2.load_state_dict(state, retarget=True)
    assert s2.last_epoch == 10
    ref = ScheduledLR(_sgd(1), longer)
    for _ in range(10):
        ref.step()
    assert s2.optimizer.param_groups[0]["lr"] == ref.optimizer.param_groups[0]["lr"]
    h = attach(_sgd(1), longer)
    with pytest.raises(ValueError, match="different schedule"):
        h.load_state_dict({"schedule": state["schedule"], "step": 10})
    with pytest.raises(ValueError, match="expected a state dict"):
        s2.load_state_dict({"last_epoch": 3})


def test_pickle_and_state_json_safe():
    import json
    import pickle

    opt = _sgd(1)
    s = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4), momentum=True)
    json.dumps(s.state_dict())
    pickle.loads(pickle.dumps(s.schedule))


# --------------------------------------------------------------------------- finite schedules
def test_one_cycle_end_holds_then_raise_mode_raises_like_torch():
    opt = _sgd(1)
    spec = pyclr.one_cycle(0.1, 10, overrun="raise")
    s = ScheduledLR(opt, spec)
    for _ in range(10):  # the canonical loop computes index 10 in its last step() and never uses it
        s.step()
    assert opt.param_groups[0]["lr"] == spec.values(10)[9]  # held, not extrapolated
    with pytest.raises(ValueError, match="past the end"):
        s.step()  # the 11th call, where torch's OneCycleLR raises
    assert s.last_epoch == 10

    opt = _sgd(1)
    h = attach(opt, spec)
    p = opt.param_groups[0]["params"][0]
    for _ in range(10):
        p.grad = torch.ones_like(p)
        opt.step()
    before = p.detach().clone()
    with pytest.raises(ValueError, match="past the end"):
        opt.step()  # raised before the update
    assert torch.equal(p, before) and h.step == 10


def test_schedule_shorter_than_run_is_refused():
    with pytest.raises(ValueError, match="shorter than the run"):
        ScheduledLR(_sgd(1), pyclr.one_cycle(0.1, 100), num_steps=500)
    with pytest.raises(ValueError, match="shorter than the run"):
        attach(_sgd(1), pyclr.one_cycle(0.1, 100), num_steps=500)
    ScheduledLR(_sgd(1), pyclr.cyclic(0.01, 0.1, 4), num_steps=10**9)  # unbounded: fine


def test_unbounded_schedule_memory_is_bounded():
    opt = _sgd(1)
    s = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 1000), chunk=256)
    s.step(10**9)  # jump far ahead (torch's deprecated epoch form): exact, no history kept
    assert opt.param_groups[0]["lr"] == pytest.approx(pyclr.cyclic(0.01, 0.1, 1000).values(1, start=10**9)[0])
    assert len(s._writer.lr.rows) <= 256


# --------------------------------------------------------------------------- bad input
def test_bad_input_leaves_optimizer_unchanged():
    opt = _sgd(2, lr=0.3)
    with pytest.raises(TypeError, match="Optimizer"):
        ScheduledLR(object(), pyclr.cyclic(0.01, 0.1, 4))
    with pytest.raises(TypeError, match="pyclr schedule"):
        ScheduledLR(opt, 0.1)
    with pytest.raises(ValueError, match="3 per-group rows but the optimizer has 2"):
        ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4).scaled([1, 1, 1]))
    with pytest.raises(TypeError, match="momentum"):
        attach(opt, pyclr.cyclic(0.01, 0.1, 4), momentum="yes")
    with pytest.raises(ValueError, match="chunk"):
        attach(opt, pyclr.cyclic(0.01, 0.1, 4), chunk=0)
    assert [g["lr"] for g in opt.param_groups] == [0.3, 0.3]
    assert not opt._optimizer_step_pre_hooks


# --------------------------------------------------------------------------- attach specifics
def test_attach_survives_skipped_amp_steps_and_accumulation():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    spec = pyclr.cyclic(0.01, 0.1, 3)
    handle = attach(opt, spec)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8)
    used = []
    opt.register_step_post_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    accum, updates, skipped = 3, 0, 0
    x = torch.randn(4, 4)
    for micro in range(60):
        loss = model(x).pow(2).mean()
        if micro % 7 == 0:
            loss = loss * float("inf")  # an overflow: the scaler skips this update
        scaler.scale(loss / accum).backward()
        if (micro + 1) % accum == 0:
            before = handle.step
            scaler.step(opt)
            scaler.update()
            opt.zero_grad()
            if handle.step == before:
                skipped += 1
            else:
                updates += 1
    assert skipped > 0 and updates == handle.step == len(used)
    np.testing.assert_array_equal(used, spec.values(updates))  # no value lost to the skips


def test_attach_remove_and_context_manager():
    opt = _sgd(1)
    with attach(opt, pyclr.cyclic(0.01, 0.1, 4)) as h:
        assert h.attached and len(opt._optimizer_step_pre_hooks) == 1
    assert not h.attached and not opt._optimizer_step_pre_hooks
    p = opt.param_groups[0]["params"][0]
    p.grad = torch.ones_like(p)
    lr = opt.param_groups[0]["lr"]
    opt.step()
    assert opt.param_groups[0]["lr"] == lr and h.step == 0


def test_optimizer_load_state_dict_replacing_groups_is_followed():
    opt = _sgd(1)
    s = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4))
    s.step()
    opt.load_state_dict(opt.state_dict())  # new param_groups list and dicts
    s.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(pyclr.cyclic(0.01, 0.1, 4).values(3)[2], rel=1e-15)


# --------------------------------------------------------------------------- tensor LRs and torch.compile
@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_tensor_lr_in_place_and_compiled_step_does_not_recompile(driver):
    from torch._dynamo.testing import CompileCounter

    torch._dynamo.reset()
    m = torch.nn.Linear(4, 2)
    lr = torch.tensor(0.01)
    opt = torch.optim.Adam(m.parameters(), lr=lr, foreach=False)
    for p in m.parameters():
        p.grad = torch.ones_like(p)
    counter = CompileCounter()

    @torch.compile(backend=counter)
    def compiled_step():
        opt.step()

    spec = pyclr.cyclic(0.001, 0.01, 3)
    obj = ScheduledLR(opt, spec, chunk=4) if driver == "scheduler" else attach(opt, spec, chunk=4)
    used = []
    for _ in range(10):  # crosses two chunk refills
        compiled_step()
        used.append(lr.item())
        if driver == "scheduler":
            obj.step()
    assert opt.param_groups[0]["lr"] is lr  # the tensor the graph closed over, updated in place
    assert counter.frame_count == 1  # one compile for the whole run: no recompile per step
    np.testing.assert_array_equal(used, spec.values(10).astype(np.float32))
    torch._dynamo.reset()


# --------------------------------------------------------------------------- groups added later (issue 15)
def _step_all(opt, driver, obj):
    """One optimizer step (gradients on every parameter); the scheduler steps after it."""
    for g in opt.param_groups:
        for p in g["params"]:
            p.grad = torch.ones_like(p)
    opt.step()
    if driver == "scheduler":
        obj.step()


@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_added_group_is_scheduled_at_its_ratio_to_group_0(driver):
    spec = pyclr.cyclic(0.01, 0.1, 4)
    ref = spec.values(64)
    opt = _sgd(1)
    obj = ScheduledLR(opt, spec) if driver == "scheduler" else attach(opt, spec)
    used = []
    opt.register_step_post_hook(lambda o, a, k: used.append([g["lr"] for g in o.param_groups]))
    for _ in range(3):
        _step_all(opt, driver, obj)
    held = 3 if driver == "scheduler" else 2  # the step whose values the groups hold now
    assert opt.param_groups[0]["lr"] == ref[held]
    lr_added = ref[held] / 10
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr_added})
    scale = lr_added / ref[held]
    for _ in range(9):
        _step_all(opt, driver, obj)
    # every step after the add: group 0 on the schedule, the new group at its ratio to it
    assert [u[0] for u in used] == ref[:12].tolist()
    for t in range(3 if driver == "attach" else 4, 12):
        assert used[t][1] == ref[t] * scale, t
    if driver == "scheduler":
        assert used[3][1] == lr_added  # the step right after the add uses the LR it was added with
        assert obj.get_lr() == [ref[12], ref[12] * scale]
    assert obj.state_dict()["group_scales"] == [1.0, scale]


@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_added_group_resumes_from_the_state_in_either_order(driver):
    spec = pyclr.one_cycle(0.1, 40)
    make = (lambda o: ScheduledLR(o, spec, chunk=8)) if driver == "scheduler" else (lambda o: attach(o, spec, chunk=8))

    def run(opt, obj, n):
        seen = []
        for _ in range(n):
            _step_all(opt, driver, obj)
            seen.append([g["lr"] for g in opt.param_groups])
        return seen

    def with_group(opt):
        opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(3))], "lr": 0.004})

    opt = _sgd(1)
    obj = make(opt)
    head = run(opt, obj, 5)
    with_group(opt)
    full = head + run(opt, obj, 30)

    opt = _sgd(1)
    obj = make(opt)
    run(opt, obj, 5)
    with_group(opt)
    run(opt, obj, 10)
    ckpt = {"opt": opt.state_dict(), "sched": obj.state_dict()}
    for add_first in (True, False):  # the group added again before or after the scheduler is built
        opt2 = _sgd(1, lr=7.0)
        if add_first:
            with_group(opt2)
            obj2 = make(opt2)
        else:
            obj2 = make(opt2)
            with_group(opt2)
        opt2.load_state_dict(ckpt["opt"])
        obj2.load_state_dict(ckpt["sched"])
        assert run(opt2, obj2, 20) == full[15:], add_first  # exact


def test_added_group_follows_group_0_momentum_unscaled_and_tensor_lrs():
    spec = pyclr.one_cycle(0.1, 30)
    opt = _adam(1)
    s = ScheduledLR(opt, spec, momentum=True)
    s.step()
    lr_t = torch.tensor(0.002, dtype=torch.float64)
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": lr_t, "betas": (0.5, 0.99)})
    for _ in range(4):
        s.step()
    lr, mom = spec.values(8), spec.momentum(8)
    assert opt.param_groups[1]["lr"] is lr_t  # in place
    assert lr_t.item() == lr[5] * (0.002 / lr[1])
    assert opt.param_groups[1]["betas"] == (mom[5], 0.99)
    assert s.get_last_momentum() == [mom[5], mom[5]]


@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_added_or_removed_groups_that_cannot_be_scheduled_raise_naming_the_problem(driver):
    opt = _sgd(1)
    obj = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4)) if driver == "scheduler" else attach(opt, pyclr.cyclic(0.01, 0.1, 4))
    p = torch.nn.Parameter(torch.zeros(2))
    opt.add_param_group({"params": [p], "lr": float("nan")})
    with pytest.raises(ValueError, match=r"param_groups\[1\] was added with lr=nan"):
        _step_all(opt, driver, obj)
    opt.param_groups[1]["lr"] = 0.0  # frozen: factor 0, and it stays frozen
    _step_all(opt, driver, obj)
    assert opt.param_groups[1]["lr"] == 0.0
    del opt.param_groups[1]
    with pytest.raises(ValueError, match="cannot be removed"):
        _step_all(opt, driver, obj)
    # a per-group schedule: the added group reads row 0
    opt = _sgd(2)
    s = ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 4).scaled([1.0, 0.5]))
    opt.add_param_group({"params": [torch.nn.Parameter(torch.zeros(2))], "lr": 0.002})
    s.step()
    ref = pyclr.cyclic(0.01, 0.1, 4).values(2)
    assert [g["lr"] for g in opt.param_groups] == [ref[1], ref[1] * 0.5, ref[1] * (0.002 / ref[0])]
    with pytest.raises(ValueError, match="group_scales"):
        s.load_state_dict({**s.state_dict(), "group_scales": [1.0, "x"]})
