"""range_test() puts everything back to the bit, however the sweep ends (issue 15's standing suite).

A small model with BatchNorm running statistics, dropout, a non-persistent buffer
the forward changes in place and one it reassigns; an optimizer and (on the
general path) a CPU GradScaler that already carry state; gradients left over;
mixed train/eval flags; and a criterion that also draws from Python's and
NumPy's RNGs. After a sweep that succeeds, diverges, hits a NaN, raises from
the loss, raises from the optimizer step (between the scaler's unscale and its
step), or is interrupted, every parameter, gradient, buffer (persistent and
not, the same objects), train/eval flag, optimizer state and hyperparameter,
the scaler's state and the torch/NumPy/Python RNG states must equal what they
were, bit for bit, and training must go on normally afterwards.
"""
from __future__ import annotations

import random

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from pyclr.torch import range_test  # noqa: E402

torch.set_num_threads(1)
F = torch.nn.functional


class _Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(8, 16)
        self.bn = torch.nn.BatchNorm1d(16)
        self.drop = torch.nn.Dropout(0.2)  # draws from the torch RNG
        self.fc2 = torch.nn.Linear(16, 3)
        self.register_buffer("calls", torch.zeros((), dtype=torch.int64), persistent=False)
        self.register_buffer("ema", torch.zeros(16), persistent=False)
        self.register_buffer("last_mean", torch.zeros(8), persistent=False)

    def forward(self, x):
        self.calls += 1  # in place
        h = self.bn(self.fc1(x))
        with torch.no_grad():
            self.ema.mul_(0.9).add_(h.mean(0), alpha=0.1)
        self.last_mean = x.detach().mean(0)  # reassigned: a new tensor object every call
        return self.fc2(self.drop(torch.relu(h)))


def _loader():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(96, 8, generator=g)
    y = (x[:, :3]).argmax(1)
    ds = torch.utils.data.TensorDataset(x, y)
    return torch.utils.data.DataLoader(ds, batch_size=16, shuffle=True)  # shuffling draws from the torch RNG


def _setup(kind: str):
    """A model, optimizer and scaler with state, gradients and mixed flags, and the range_test kwargs."""
    torch.manual_seed(0)
    random.seed(0)
    np.random.seed(0)
    model = _Net()
    if kind == "plain":
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        scaler, kw = None, {}
    else:
        opt = torch.optim.Adam([{"params": model.fc1.parameters()},
                                {"params": list(model.bn.parameters()) + list(model.fc2.parameters()), "lr": 1e-3}],
                               lr=3e-3, betas=(0.8, 0.99))
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10, growth_interval=2)
        kw = {"grad_scaler": scaler, "accumulation_steps": 2}
    x = torch.randn(32, 8)
    y = torch.randint(0, 3, (32,))
    for _ in range(3):  # optimizer state, running stats, scaler growth
        _step(model, opt, scaler, x, y)
    F.cross_entropy(model(x), y).backward()  # gradients left behind
    model.bn.eval()  # mixed flags: restored as found
    return model, opt, scaler, kw


def _fingerprint(model, opt, scaler):
    return {
        "params": {k: (v.detach().clone(), v.requires_grad) for k, v in model.named_parameters()},
        "grads": {k: None if v.grad is None else v.grad.clone() for k, v in model.named_parameters()},
        "buffers": {k: v.clone() for k, v in model.named_buffers()},
        "buffer_ids": {k: id(v) for k, v in model.named_buffers()},
        "param_ids": {k: id(v) for k, v in model.named_parameters()},
        "training": [(name, m.training) for name, m in model.named_modules()],
        "opt": opt.state_dict(),  # state tensors and every group hyperparameter
        "opt_state_ids": {id(p): {k: id(v) for k, v in s.items()} for p, s in opt.state.items()},
        "scaler": None if scaler is None else scaler.state_dict(),
        "rng": (torch.get_rng_state().clone(), np.random.get_state(), random.getstate()),
    }


def _same(a, b, path="") -> None:
    """Exact equality: tensors by value, dtype and shape; containers recursively."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, path
        assert torch.equal(a, b), path
    elif isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b), path
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), (path, sorted(map(str, a)), sorted(map(str, b)))
        for k in a:
            _same(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    else:
        assert a == b, (path, a, b)


def _train_on(model, opt, scaler):
    """One ordinary step after the test: nothing left half-done (scaler flags, hooks)."""
    model.train()
    _step(model, opt, scaler, torch.randn(16, 8), torch.randint(0, 3, (16,)))


def _step(model, opt, scaler, x, y):
    """One optimizer step, through the GradScaler when there is one."""
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    if scaler is None:
        loss.backward()
        opt.step()
    else:
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()


class _Stop(Exception):
    pass


OUTCOMES = ["success", "repeats", "diverged", "nan", "loss_raises", "step_raises", "interrupt"]


@pytest.mark.parametrize("snapshot", ["cpu", "disk"])
@pytest.mark.parametrize("kind", ["plain", "amp_accum"])
@pytest.mark.parametrize("outcome", OUTCOMES)
def test_everything_restored_bit_for_bit(outcome, kind, snapshot):
    model, opt, scaler, kw = _setup(kind)
    loader = _loader()
    before = _fingerprint(model, opt, scaler)
    calls = [0]

    def criterion(out, y):
        calls[0] += 1
        # the Python and NumPy RNGs move too (augmentation-like draws)
        noise = 1e-3 * (random.random() + float(np.random.rand()))
        loss = F.cross_entropy(out, y) + noise
        if outcome == "diverged":
            loss = loss * 2.0 ** calls[0]
        elif outcome == "nan" and calls[0] == 7:
            loss = loss * float("nan")
        elif outcome == "loss_raises" and calls[0] == 7:  # mid-window with accumulation
            raise _Stop("from the loss")
        elif outcome == "interrupt" and calls[0] == 7:
            raise KeyboardInterrupt
        return loss

    hook = None
    if outcome == "step_raises":
        steps = [0]

        def fail_on_4th(o, args, kwargs):  # after the scaler's unscale_, before the update
            steps[0] += 1
            if steps[0] == 4:
                raise _Stop("from optimizer.step")

        hook = opt.register_step_pre_hook(fail_on_4th)

    run = dict(start_lr=1e-4, end_lr=1.0, num_iter=12, progress=False, snapshot=snapshot, **kw)
    if outcome == "repeats":
        run["repeats"] = 2
    if outcome == "diverged":
        run["diverge_th"] = 1.5
    raises = {"loss_raises": _Stop, "step_raises": _Stop, "interrupt": KeyboardInterrupt}.get(outcome)
    if raises is None:
        res = range_test(model, opt, criterion, loader, **run)
        want = {"success": "num_iter", "repeats": "num_iter", "diverged": "diverged", "nan": "non-finite loss"}
        if outcome == "nan" and scaler is not None:
            want["nan"] = "num_iter"  # under a GradScaler a NaN loss is an overflow: the step is skipped
        for r in (res if outcome == "repeats" else [res]):
            assert r.stop_reason == want[outcome]
            stopped_early = outcome == "diverged" or (outcome == "nan" and scaler is None)
            assert len(r) < 12 if stopped_early else len(r) == 12
            assert r.skipped_steps == (1 if outcome == "nan" and scaler is not None else 0)
    else:
        with pytest.raises(raises):
            range_test(model, opt, criterion, loader, **run)
    if hook is not None:
        hook.remove()
    assert calls[0] > 2  # the sweep did run and change things
    _same(before, _fingerprint(model, opt, scaler))
    _train_on(model, opt, scaler)  # and training goes on normally


def test_restore_undoes_what_the_sweep_changed():
    """The fingerprint sees the changes (so the test above cannot pass vacuously)."""
    model, opt, scaler, kw = _setup("amp_accum")
    before = _fingerprint(model, opt, scaler)
    range_test(model, opt, F.cross_entropy, _loader(), num_iter=6, progress=False, restore=False, **kw)
    after = _fingerprint(model, opt, scaler)
    for key in ("params", "buffers", "opt", "scaler", "rng"):
        with pytest.raises(AssertionError):
            _same(before[key], after[key], key)
