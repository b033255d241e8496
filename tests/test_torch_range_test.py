"""range_test(): LR bookkeeping, stop rules, bit-exact restore, accumulation, AMP, repeats, bad input."""
from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import pyclr  # noqa: E402
from pyclr.torch import RangeTestResult, RangeTestRuns, attach, range_test  # noqa: E402

torch.set_num_threads(1)
F = torch.nn.functional


def _data(n=192, d=12, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    w = torch.randn(d, classes, generator=g)
    y = (x @ w).argmax(1)
    return x, y


def _loader(batch=32, shuffle=True, **kw):
    x, y = _data(**kw)
    ds = torch.utils.data.TensorDataset(x, y)
    return torch.utils.data.DataLoader(ds, batch_size=batch, shuffle=shuffle)


def _setup(opt="sgd", seed=0, **kw):
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                                torch.nn.Linear(16, 3))
    if opt == "sgd":
        o = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, **kw)
    else:
        o = torch.optim.Adam(model.parameters(), lr=1e-3, **kw)
    return model, o


def _fingerprint(model, opt, scaler=None):
    """Everything range_test promises to restore, as host copies."""
    fp = {
        "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "grads": [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        "training": [m.training for m in model.modules()],
        "groups": [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups],
        "state": {i: {k: (v.clone() if torch.is_tensor(v) else v) for k, v in opt.state[p].items()}
                  for i, p in enumerate(model.parameters()) if p in opt.state},
        "rng": (torch.get_rng_state(), np.random.get_state()[1].copy(), random.getstate()),
    }
    if scaler is not None:
        fp["scaler"] = scaler.state_dict()
    return fp


def _assert_same(a, b):
    assert a["model"].keys() == b["model"].keys()
    for k in a["model"]:
        assert torch.equal(a["model"][k], b["model"][k]), k
    for x, y in zip(a["grads"], b["grads"]):
        assert (x is None and y is None) or torch.equal(x, y)
    assert a["training"] == b["training"]
    assert a["groups"] == b["groups"]
    assert a["state"].keys() == b["state"].keys()
    for i in a["state"]:
        assert a["state"][i].keys() == b["state"][i].keys()
        for k in a["state"][i]:
            va, vb = a["state"][i][k], b["state"][i][k]
            assert torch.equal(va, vb) if torch.is_tensor(va) else va == vb
    assert torch.equal(a["rng"][0], b["rng"][0])
    assert np.array_equal(a["rng"][1], b["rng"][1]) and a["rng"][2] == b["rng"][2]
    assert a.get("scaler") == b.get("scaler")


def _warm(model, opt, steps=3):
    """Give the optimizer some state, and leave gradients behind, so restore has work to do."""
    x, y = _data(n=32, seed=5)
    for _ in range(steps):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()  # restored as found, not forced to train mode


def test_grid_logged_lr_is_the_lr_used_and_everything_restored():
    model, opt = _setup()
    _warm(model, opt)
    before = _fingerprint(model, opt)
    used = []
    post = opt.register_step_post_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    res = range_test(model, opt, F.cross_entropy, _loader(), start_lr=1e-4, end_lr=1.0, num_iter=20,
                     diverge_th=1e9, progress=False)
    post.remove()
    assert isinstance(res, RangeTestResult) and res.stop_reason == "num_iter" and len(res) == 20
    grid = 1e-4 * (1.0 / 1e-4) ** (np.arange(20) / 19)
    np.testing.assert_allclose(res.lrs, grid, rtol=1e-15)
    assert res.lrs[0] == 1e-4 and res.lrs[-1] == pytest.approx(1.0, rel=1e-15)
    assert used == res.lrs.tolist()  # the LR logged with each loss is the LR of that step
    np.testing.assert_array_equal(res.steps, np.arange(20))
    _assert_same(before, _fingerprint(model, opt))


def test_linear_mode_grid():
    model, opt = _setup()
    res = range_test(model, opt, F.cross_entropy, _loader(), start_lr=0.01, end_lr=0.2, num_iter=5,
                     step_mode="linear", diverge_th=1e9, progress=False)
    np.testing.assert_allclose(res.lrs, np.linspace(0.01, 0.2, 5), rtol=1e-14)


def _hand_loop(model, opt, loader, lrs, accum):
    """The plain loop range_test must equal: same batches, same ops, same order."""
    it = iter(loader)
    out = []
    for lr in lrs:
        for g in opt.param_groups:
            g["lr"] = lr
        opt.zero_grad(set_to_none=True)
        total = None
        for _ in range(accum):
            try:
                x, y = next(it)
            except StopIteration:
                it = iter(loader)
                x, y = next(it)
            loss = F.cross_entropy(model(x), y)
            (loss / accum if accum > 1 else loss).backward()
            total = loss.detach() if total is None else total + loss.detach()
        opt.step()
        out.append(float(total / accum if accum > 1 else total))
    return out


@pytest.mark.parametrize("accum", [1, 3])
def test_losses_equal_a_hand_written_loop_with_accumulation_and_cycling(accum):
    loader = _loader(n=96, batch=32)  # 3 batches: a loader shorter than the test cycles
    model, opt = _setup()
    torch.manual_seed(1)
    res = range_test(model, opt, F.cross_entropy, loader, start_lr=1e-3, end_lr=0.5, num_iter=8,
                     accumulation_steps=accum, diverge_th=1e9, progress=False)
    model2, opt2 = _setup()
    torch.manual_seed(1)
    ref = _hand_loop(model2, opt2, loader, res.lrs.tolist(), accum)
    assert res.losses.tolist() == ref


def test_stops_on_divergence_with_bias_corrected_ema():
    model, opt = _setup()
    res = range_test(model, opt, F.cross_entropy, _loader(), start_lr=1e-3, end_lr=1e4, num_iter=60,
                     progress=False)
    assert res.stop_reason in ("diverged", "non-finite loss")
    assert len(res) < 60
    beta, a, s = 0.98, 0.0, []
    for k, loss in enumerate(res.losses):
        if not np.isfinite(loss):
            s.append(loss)
            break
        a = beta * a + (1 - beta) * loss
        s.append(a / (1 - beta ** (k + 1)))
    np.testing.assert_allclose(res.smoothed, s, rtol=1e-12)
    if res.stop_reason == "diverged":
        assert res.smoothed[-1] > 4.0 * res.smoothed[:-1].min()
        assert np.all(res.smoothed[:-1] <= 4.0 * np.minimum.accumulate(res.smoothed[:-1]))


def test_stops_at_once_on_nan_loss():
    model, opt = _setup()
    calls = [0]

    def crit(out, y):
        calls[0] += 1
        loss = F.cross_entropy(out, y)
        return loss * float("nan") if calls[0] == 6 else loss

    before = _fingerprint(model, opt)
    res = range_test(model, opt, crit, _loader(), num_iter=30, progress=False)
    assert res.stop_reason == "non-finite loss" and len(res) == 6 and np.isnan(res.losses[-1])
    _assert_same(before, _fingerprint(model, opt))  # NaN weights are not left behind


@pytest.mark.parametrize("exc", [RuntimeError("boom"), KeyboardInterrupt()])
def test_restore_after_exception_and_interrupt(exc):
    model, opt = _setup("adam")
    _warm(model, opt)
    before = _fingerprint(model, opt)
    calls = [0]

    def crit(out, y):
        calls[0] += 1
        if calls[0] == 5:
            raise exc
        return F.cross_entropy(out, y)

    with pytest.raises(type(exc)):
        range_test(model, opt, crit, _loader(), num_iter=20, progress=False)
    _assert_same(before, _fingerprint(model, opt))


def test_fresh_adam_state_is_removed_and_disk_snapshot():
    model, opt = _setup("adam")
    before = _fingerprint(model, opt)
    assert not before["state"]
    range_test(model, opt, F.cross_entropy, _loader(), num_iter=5, snapshot="disk", progress=False)
    assert not opt.state  # moments created by the test are gone
    _assert_same(before, _fingerprint(model, opt))


def test_tensor_lr_identity_kept():
    model, opt = _setup("adam", foreach=False)
    lr = torch.tensor(1e-3)
    opt.param_groups[0]["lr"] = lr
    res = range_test(model, opt, F.cross_entropy, _loader(), num_iter=5, start_lr=1e-4, end_lr=1e-2,
                     progress=False)
    assert opt.param_groups[0]["lr"] is lr and lr.item() == pytest.approx(1e-3)
    assert len(res) == 5


def test_differential_lrs_keep_group_ratios():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.1},
                           {"params": model[2].parameters(), "lr": 0.01}], momentum=0.9)
    ratios = []
    opt.register_step_post_hook(lambda o, a, k: ratios.append(o.param_groups[1]["lr"] / o.param_groups[0]["lr"]))
    res = range_test(model, opt, F.cross_entropy, _loader(), num_iter=6, diverge_th=1e9, progress=False)
    np.testing.assert_allclose(ratios, 0.1, rtol=1e-12)
    assert res.group_ratios == (1.0, pytest.approx(0.1))
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.01]


def test_amp_with_grad_scaler_skipped_steps_not_logged():
    model, opt = _setup()
    # an absurd initial scale overflows the float32 gradients: the scaler skips and backs off
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**126, growth_interval=1000)
    before = _fingerprint(model, opt, scaler)
    used = []
    opt.register_step_post_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    res = range_test(model, opt, lambda o, t: F.cross_entropy(o, t) * 64, _loader(), num_iter=12, amp=torch.bfloat16,
                     grad_scaler=scaler, diverge_th=1e9, progress=False)
    assert res.skipped_steps > 0
    assert len(res) == 12 and used == res.lrs.tolist()  # every LR point got exactly one real step
    np.testing.assert_allclose(res.lrs, 1e-7 * (10 / 1e-7) ** (np.arange(12) / 11), rtol=1e-15)
    assert np.all(np.isfinite(res.losses))
    opt._optimizer_step_post_hooks.clear()
    _assert_same(before, _fingerprint(model, opt, scaler))


def test_too_many_skipped_steps_stop():
    model, opt = _setup()
    x, y = _data()

    def crit(out, t):
        return F.cross_entropy(out, t) * 1e30  # finite loss, overflowing scaled gradients for a long time

    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**100, backoff_factor=0.99)
    res = range_test(model, opt, crit, _loader(), num_iter=10, grad_scaler=scaler, max_skipped=5,
                     progress=False)
    assert res.stop_reason == "skipped steps" and len(res) == 0 and res.skipped_steps == 5


def test_batch_fn_and_dict_batches_and_validation_loss():
    x, y = _data()
    dict_batches = [{"x": x[i:i + 32], "y": y[i:i + 32]} for i in range(0, 192, 32)]
    model, opt = _setup()
    res = range_test(model, opt, F.cross_entropy, dict_batches, num_iter=4, diverge_th=1e9, progress=False)
    assert len(res) == 4
    custom = [(x[i:i + 32], "meta", y[i:i + 32]) for i in range(0, 192, 32)]
    vx, vy = _data(n=64, seed=3)
    res = range_test(model, opt, F.cross_entropy, custom, num_iter=4, batch_fn=lambda b: (b[0], b[2]),
                     val_loader=[(vx[:40], None, vy[:40]), (vx[40:], None, vy[40:])], diverge_th=1e9, progress=False)
    assert res.train_losses is not None and len(res.train_losses) == 4
    # the first validation loss is the full-set mean after the first update; check the weighting
    assert np.all(np.isfinite(res.losses)) and not np.allclose(res.losses, res.train_losses)


def test_validation_loss_is_weighted_full_set_mean():
    model, opt = _setup()
    vx, vy = _data(n=50, seed=3)
    seen = {}

    def hook(o, a, k):
        model.eval()
        with torch.no_grad():
            seen.setdefault("val", F.cross_entropy(model(vx), vy).item())
        model.train()

    opt.register_step_post_hook(hook)
    res = range_test(model, opt, F.cross_entropy, _loader(), num_iter=2, diverge_th=1e9, progress=False,
                     val_loader=[(vx[:32], vy[:32]), (vx[32:], vy[32:])])
    assert res.losses[0] == pytest.approx(seen["val"], rel=1e-6)


def test_attached_schedule_is_set_aside_and_kept():
    model, opt = _setup()
    spec = pyclr.cyclic(0.01, 0.1, 4)
    handle = attach(opt, spec)
    used = []
    opt.register_step_post_hook(lambda o, a, k: used.append(o.param_groups[0]["lr"]))
    res = range_test(model, opt, F.cross_entropy, _loader(), num_iter=5, start_lr=1e-5, end_lr=1e-3,
                     progress=False)
    assert used == res.lrs.tolist() and handle.step == 0  # the sweep's LRs, not the schedule's
    x, y = _data(n=8)
    F.cross_entropy(model(x), y).backward()
    opt.step()
    assert handle.step == 1 and used[-1] == spec.values(1)[0]


def test_save_csv_round_trip(tmp_path):
    model, opt = _setup()
    res = range_test(model, opt, F.cross_entropy, _loader(), num_iter=6, diverge_th=1e9, progress=False)
    path = tmp_path / "rt.csv"
    res.save(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "lr,loss,step,smoothed_loss" and len(lines) == 7
    back = np.loadtxt(path, delimiter=",", skiprows=1)
    np.testing.assert_array_equal(back[:, 0], res.lrs)
    np.testing.assert_array_equal(back[:, 1], res.losses)
    if hasattr(pyclr, "load_log"):
        log = pyclr.load_log(str(path))
        np.testing.assert_array_equal(np.asarray(log.lrs), res.lrs)
        np.testing.assert_array_equal(np.asarray(log.losses), res.losses)


def test_progress_bar_runs(capsys):
    pytest.importorskip("tqdm")
    model, opt = _setup()
    res = range_test(model, opt, F.cross_entropy, _loader(), num_iter=7, diverge_th=1e9, progress=True)
    assert len(res) == 7
    assert "range test" in capsys.readouterr().err


# --------------------------------------------------------------------------- bad input
def test_bad_input_clear_errors_and_nothing_changed():
    model, opt = _setup()
    _warm(model, opt)
    before = _fingerprint(model, opt)
    with pytest.raises(ValueError, match="train_loader is empty"):
        range_test(model, opt, F.cross_entropy, [], num_iter=5, progress=False)
    with pytest.raises(ValueError, match="scalar loss.*\\(32,\\)"):
        range_test(model, opt, lambda o, t: F.cross_entropy(o, t, reduction="none"), _loader(), num_iter=5,
                   progress=False)
    with pytest.raises(ValueError, match="end_lr > start_lr"):
        range_test(model, opt, F.cross_entropy, _loader(), start_lr=1.0, end_lr=0.1, progress=False)
    with pytest.raises(ValueError, match="num_iter"):
        range_test(model, opt, F.cross_entropy, _loader(), num_iter=1, progress=False)
    with pytest.raises(ValueError, match="step_mode"):
        range_test(model, opt, F.cross_entropy, _loader(), step_mode="log", progress=False)
    with pytest.raises(TypeError, match="train_loader"):
        range_test(model, opt, F.cross_entropy, torch.zeros(3), progress=False)
    with pytest.raises(ValueError, match="split a batch"):
        range_test(model, opt, F.cross_entropy, [(torch.zeros(2, 12),)], num_iter=3, progress=False)
    with pytest.raises(ValueError, match="val_loader is empty"):
        range_test(model, opt, F.cross_entropy, _loader(), val_loader=[], num_iter=3, progress=False)
    _assert_same(before, _fingerprint(model, opt))


def test_mismatched_devices_named():
    model, opt = _setup("adam")
    _warm(model, opt)
    p = next(iter(model.parameters()))
    opt.state[p]["exp_avg"] = opt.state[p]["exp_avg"].to("meta")
    with pytest.raises(ValueError, match="mismatched devices.*exp_avg.*meta"):
        range_test(model, opt, F.cross_entropy, _loader(), num_iter=3, progress=False)
    model, opt = _setup()
    with pytest.raises(ValueError, match="mismatched devices"):
        range_test(model, opt, lambda o, t: F.cross_entropy(o, t.to("meta")), _loader(), num_iter=3,
                   progress=False)


def test_optimizer_without_lr_named():
    class NoLR(torch.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, {"foo": 1})

        def step(self, closure=None):
            pass

    model, _ = _setup()
    with pytest.raises(ValueError, match="no 'lr'"):
        range_test(model, NoLR(model.parameters()), F.cross_entropy, _loader(), progress=False)


@pytest.mark.parametrize("end_lr", [0.5, 1e4])  # runs to num_iter / diverges
def test_plain_fast_path_equals_general_loop(end_lr):
    """The common setup runs a lean loop; forcing the general loop (a progress bar) gives the
    identical points, smoothed curve and stop reason."""
    results = []
    for progress in (False, True):
        model, opt = _setup(seed=3)
        torch.manual_seed(7)
        results.append(range_test(model, opt, F.cross_entropy, _loader(seed=1), start_lr=1e-4, end_lr=end_lr,
                                  num_iter=40, progress=progress))
    fast, general = results
    assert fast.stop_reason == general.stop_reason
    for name in ("lrs", "losses", "smoothed", "steps"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(general, name))
    if end_lr > 1:
        assert fast.stop_reason in ("diverged", "non-finite loss") and len(fast) < 40


# --------------------------------------------------------------------------- repeats
def test_repeats_start_from_one_state_on_the_next_batches_and_restore_everything():
    """Each sweep equals a hand-written loop from the initial state on the batches that follow the
    previous sweep's; afterwards model, optimizer and RNG are as they were."""
    x, y = _data(n=96)
    batches = [(x[i:i + 32], y[i:i + 32]) for i in range(0, 96, 32)]  # 3 batches, no shuffling
    model, opt = _setup()
    _warm(model, opt)
    before = _fingerprint(model, opt)
    runs = range_test(model, opt, F.cross_entropy, batches, start_lr=1e-3, end_lr=0.5, num_iter=4, repeats=3,
                      diverge_th=1e9, progress=False)
    _assert_same(before, _fingerprint(model, opt))
    assert isinstance(runs, RangeTestRuns) and len(runs) == 3
    for r, run in enumerate(runs):
        assert isinstance(run, RangeTestResult) and run.stop_reason == "num_iter" and run.num_iter == 4
        start = 4 * r  # sweep r goes on from batch 4r of the endless stream
        stream = [batches[(start + k) % 3] for k in range(4)]
        model2, opt2 = _setup()
        _warm(model2, opt2)
        model2.train()  # range_test trains in train mode
        assert run.losses.tolist() == _hand_loop(model2, opt2, stream, run.lrs.tolist(), 1)
    assert runs[0].losses.tolist() != runs[1].losses.tolist()


@pytest.mark.parametrize("progress", [False, True])  # the lean loop and the general one
def test_first_repeat_is_the_plain_range_test(progress):
    kw = dict(start_lr=1e-4, end_lr=1e3, num_iter=30, progress=progress)
    model, opt = _setup(seed=3)
    torch.manual_seed(7)
    one = range_test(model, opt, F.cross_entropy, _loader(seed=1), **kw)
    model, opt = _setup(seed=3)
    torch.manual_seed(7)
    runs = range_test(model, opt, F.cross_entropy, _loader(seed=1), repeats=2, **kw)
    for name in ("lrs", "losses", "smoothed", "steps"):
        np.testing.assert_array_equal(getattr(runs[0], name), getattr(one, name))
    assert runs[0].stop_reason == one.stop_reason
    # a shuffling loader draws new batches for the second sweep: another curve, its own stop
    assert runs[1].losses.tolist() != runs[0].losses.tolist()


def test_repeats_combine_in_analyze_save_and_reload(tmp_path):
    model, opt = _setup()
    torch.manual_seed(0)
    runs = range_test(model, opt, F.cross_entropy, _loader(), start_lr=1e-4, end_lr=1e3, num_iter=60, repeats=3,
                      progress=False)
    assert [len(l) for l in runs.lrs] == [len(r) for r in runs] and len(runs.losses) == 3
    a = runs.analyze()
    b = pyclr.analyze(runs.lrs, runs.losses)
    assert (a.verdict, a.base_lr, a.max_lr, a.spread) == (b.verdict, b.base_lr, b.max_lr, b.spread)
    assert len(a.runs) == 3 and [r.max_lr for r in a.runs] == [r.analyze().max_lr for r in runs]
    if a.ok:
        assert a.spread["max_lr"] >= 1.0
        assert runs.to_schedule(1000, 32).to_dict() == a.to_schedule(1000, 32).to_dict()
    paths = runs.save(tmp_path / "rt.csv")
    assert paths == [str(tmp_path / f"rt_run{i}.csv") for i in range(3)]
    for path, run in zip(paths, runs):
        log = pyclr.load_log(path)
        np.testing.assert_array_equal(log.lrs, run.lrs)
        np.testing.assert_array_equal(log.losses, run.losses)
    d = runs.to_dict()
    assert [r["losses"] for r in d["runs"]] == [r.losses.tolist() for r in runs]


def test_repeats_with_restore_false_leave_the_last_sweeps_model():
    x, y = _data(n=64)
    batches = [(x[:32], y[:32]), (x[32:], y[32:])]
    model, opt = _setup()
    range_test(model, opt, F.cross_entropy, batches, start_lr=1e-3, end_lr=0.1, num_iter=3, repeats=2,
               restore=False, diverge_th=1e9, progress=False)
    model2, opt2 = _setup()
    lrs = (1e-3 * 100 ** (np.arange(3) / 2)).tolist()
    _hand_loop(model2, opt2, [batches[(3 + k) % 2] for k in range(3)], lrs, 1)  # the second sweep's batches
    for p, q in zip(model.state_dict().values(), model2.state_dict().values()):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


@pytest.mark.parametrize("value, exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("3", TypeError)])
def test_bad_repeats_named_and_nothing_changed(value, exc):
    model, opt = _setup()
    _warm(model, opt)
    before = _fingerprint(model, opt)
    with pytest.raises(exc, match="repeats"):
        range_test(model, opt, F.cross_entropy, _loader(), num_iter=3, repeats=value, progress=False)
    _assert_same(before, _fingerprint(model, opt))


@pytest.mark.parametrize("num_iter, sweep_iter, sweeps, steps", [
    (300, 100, 3, 100),    # three sweeps of 100 steps
    (250, 100, 2, 100),    # the remainder is not run
    (100, 100, 1, 100),    # one sweep: a RangeTestResult, as before
    (60, 100, 1, 60),      # a budget under sweep_iter: one shorter sweep
    (300, None, 1, 300),   # the classic test: one sweep of num_iter steps
])
def test_budget_is_spent_in_sweeps_of_fixed_length(num_iter, sweep_iter, sweeps, steps):
    model, opt = _setup()
    before = _fingerprint(model, opt)
    res = range_test(model, opt, F.cross_entropy, _loader(), start_lr=1e-4, end_lr=1.0, num_iter=num_iter,
                     sweep_iter=sweep_iter, diverge_th=1e9, progress=False)
    _assert_same(before, _fingerprint(model, opt))
    runs = list(res) if isinstance(res, RangeTestRuns) else [res]
    assert isinstance(res, RangeTestRuns) == (sweeps > 1)
    assert len(runs) == sweeps and all(len(r.lrs) == steps and r.num_iter == steps for r in runs)
    assert all(r.lrs[0] == pytest.approx(1e-4) and r.lrs[-1] == pytest.approx(1.0) for r in runs)


def test_default_is_four_sweeps_of_100_steps():
    model, opt = _setup()
    res = range_test(model, opt, F.cross_entropy, _loader(), start_lr=1e-4, end_lr=1.0, diverge_th=1e9,
                     progress=False)
    assert isinstance(res, RangeTestRuns) and [len(r.lrs) for r in res] == [100, 100, 100, 100]


@pytest.mark.parametrize("value, exc", [(1, ValueError), (0, ValueError), (2.5, TypeError), ("100", TypeError)])
def test_bad_sweep_iter_named(value, exc):
    model, opt = _setup()
    with pytest.raises(exc, match="sweep_iter"):
        range_test(model, opt, F.cross_entropy, _loader(), num_iter=10, sweep_iter=value, progress=False)


# --------------------------------------------------------------------------- issue 15
class _Counting(torch.nn.Module):
    """A non-persistent buffer that every forward changes in place, and one it reassigns."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(12, 16), torch.nn.BatchNorm1d(16), torch.nn.ReLU(),
                                        torch.nn.Linear(16, 3))
        self.register_buffer("seen", torch.zeros(()), persistent=False)
        self.register_buffer("mean_x", torch.zeros(12), persistent=False)

    def forward(self, x):
        self.seen += len(x)
        self.mean_x = 0.9 * self.mean_x + 0.1 * x.detach().mean(0)  # a new tensor object every call
        return self.body(x)


def test_non_persistent_buffers_restored_values_and_objects():
    torch.manual_seed(0)
    model = _Counting()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    seen, mean_x = model.seen, model.mean_x
    seen_before, mean_before = seen.clone(), mean_x.clone()
    assert "seen" not in model.state_dict()  # what the snapshot used to rely on
    range_test(model, opt, F.cross_entropy, _loader(), num_iter=6, progress=False)
    assert model.seen is seen and model.mean_x is mean_x  # the objects compiled code may hold
    assert torch.equal(model.seen, seen_before) and torch.equal(model.mean_x, mean_before)
    with pytest.raises(RuntimeError, match="boom"):
        range_test(model, opt, lambda o, y: (_ for _ in ()).throw(RuntimeError("boom")) if model.seen > 64
                   else F.cross_entropy(o, y), _loader(), num_iter=6, progress=False)
    assert torch.equal(model.seen, seen_before) and torch.equal(model.mean_x, mean_before)


def test_nan_loss_at_the_first_step_gives_a_too_short_verdict(tmp_path):
    model, opt = _setup()
    before = _fingerprint(model, opt)
    res = range_test(model, opt, lambda o, y: F.cross_entropy(o, y) * float("nan"), _loader(), num_iter=10,
                     progress=False)
    assert res.stop_reason == "non-finite loss" and len(res) == 1
    _assert_same(before, _fingerprint(model, opt))
    res.save(tmp_path / "one.csv")
    import json

    d = res.to_dict()
    assert d["losses"][0] is None  # the NaN it stopped on: strict JSON has no NaN
    json.loads(json.dumps(d, allow_nan=False))
    a = res.analyze()
    assert a.verdict == "too_short" and a.base_lr is None and a.max_lr is None


def test_zero_point_results_analyze_to_too_short_and_save(tmp_path):
    model, opt = _setup()
    scaler = torch.amp.GradScaler("cpu")
    res = range_test(model, opt, lambda o, y: F.cross_entropy(o, y) * float("inf"), _loader(), num_iter=10,
                     grad_scaler=scaler, max_skipped=3, progress=False)
    assert len(res) == 0 and res.stop_reason == "skipped steps"
    a = res.analyze()
    assert a.verdict == "too_short" and "skipped every optimizer step" in a.reasons[0]
    res.save(tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_text().strip() == "lr,loss,step,smoothed_loss"
    good = range_test(model, opt, F.cross_entropy, _loader(), start_lr=1e-4, end_lr=100.0, num_iter=60,
                      progress=False)
    runs = RangeTestRuns((res, good, res))
    combined = runs.analyze()
    assert [r.verdict for r in combined.runs][0::2] == ["too_short", "too_short"] and len(combined.runs) == 3
    assert combined.runs[1].verdict == good.analyze().verdict
    assert "left out" in combined.reasons[-1]
    assert RangeTestRuns((res, res)).analyze().verdict == "too_short"
    assert len(runs.save(tmp_path / "rt.csv")) == 3


def test_one_shot_generators_as_loaders_get_a_correct_message():
    model, opt = _setup()
    batches = list(_loader())  # 6 batches
    before = _fingerprint(model, opt)

    res = range_test(model, opt, F.cross_entropy, (b for b in batches), num_iter=6, progress=False)
    assert len(res) == 6  # enough batches: a generator is fine
    with pytest.raises(ValueError, match="train_loader was exhausted after 6 batches and cannot be restarted"):
        range_test(model, opt, F.cross_entropy, (b for b in batches), num_iter=10, progress=False)
    with pytest.raises(ValueError, match="val_loader is a one-shot iterator"):
        range_test(model, opt, F.cross_entropy, batches, val_loader=(b for b in batches), num_iter=3,
                   progress=False)
    with pytest.raises(ValueError, match="val_loader is a one-shot iterator"):
        range_test(model, opt, F.cross_entropy, batches, val_loader=iter(batches), num_iter=3, progress=False)
    _assert_same(before, _fingerprint(model, opt))


@pytest.mark.parametrize("device", ["tpu9", "cuda:x", 3.5])
def test_bad_device_is_named(device):
    model, opt = _setup()
    before = _fingerprint(model, opt)
    with pytest.raises(ValueError, match="Expected a torch device for device"):
        range_test(model, opt, F.cross_entropy, _loader(), num_iter=5, device=device, progress=False)
    _assert_same(before, _fingerprint(model, opt))


def test_chunk_is_bounded():
    from pyclr.torch import ScheduledLR

    _, opt = _setup()
    with pytest.raises(ValueError, match="Expected chunk from 1 to 16777216 steps, but got 1099511627776"):
        ScheduledLR(opt, pyclr.cyclic(0.01, 0.1, 10), chunk=2**40)
