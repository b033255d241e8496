"""pyclr.lightning: the RangeTest callback and scheduler_config, on real Lightning CPU runs."""
from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning.pytorch")

import pyclr  # noqa: E402
from lightning.pytorch.loggers import CSVLogger, Logger  # noqa: E402
from pyclr.lightning import RangeTest, scheduler_config  # noqa: E402
from pyclr.torch import RangeTestRuns, ScheduledLR  # noqa: E402

torch.set_num_threads(1)
F = torch.nn.functional
LR = 0.01


def _loader(n=512, batch=32, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 20, generator=g)
    y = x[:, :4].argmax(1)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=batch)  # 16 steps/epoch


class Net(L.LightningModule):
    """An MLP classifier that records what each real optimizer step saw."""

    def __init__(self, scheduler=None, noise=False):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(20, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
        self.scheduler, self.noise = scheduler, noise
        self.used, self.calls, self.first_seen = [], 0, None

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        self.calls += 1
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        if self.noise:  # a loss the LR cannot move: no descent to find
            loss = loss * 0 + 1 + 0.5 * torch.rand(())
        self.log("train_loss", loss)  # not allowed in on_train_start: the callback must silence it
        return loss

    def on_train_batch_start(self, batch, batch_idx):
        if self.first_seen is None:
            opt = self.trainer.optimizers[0]
            self.first_seen = ({k: v.detach().clone() for k, v in self.state_dict().items()}, len(opt.state),
                               opt.param_groups[0]["lr"])

    def on_before_optimizer_step(self, optimizer):
        self.used.append(optimizer.param_groups[0]["lr"])

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=LR, momentum=0.9)
        if self.scheduler == "step":
            return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.StepLR(opt, 5)}
        if self.scheduler is not None:
            return {"optimizer": opt, "lr_scheduler": scheduler_config(opt, self.scheduler, momentum=True,
                                                                       num_steps=32, name="pyclr")}
        return opt


def _trainer(tmp_path, callbacks=(), epochs=2, logger=False, **kwargs):
    return L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=logger, enable_progress_bar=False,
                     enable_model_summary=False, enable_checkpointing=False, default_root_dir=str(tmp_path),
                     callbacks=list(callbacks), **kwargs)


def _fit(trainer, model, loader=None, **kwargs):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(num_workers|does not have many workers|LeafSpec).*")
        trainer.fit(model, loader if loader is not None else _loader(), **kwargs)


def test_callback_runs_test_restores_and_installs_schedule(tmp_path):
    torch.manual_seed(0)
    model = Net()
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rt = RangeTest(num_iter=200, epochs_per_half_cycle=1, plot=False)
    _fit(_trainer(tmp_path, [rt]), model)

    # the range test ran through training_step: 2 sweeps of 100 steps, every step logged
    assert isinstance(rt.result, RangeTestRuns) and len(rt.result) == 2
    tested = sum(len(r.lrs) for r in rt.result)
    assert model.calls == tested + 32
    assert rt.result[0].lrs[0] == pytest.approx(1e-7)
    a = rt.analysis
    assert a.verdict == "ok" and 1e-4 < a.base_lr < a.max_lr < 10, a
    assert rt.summary["verdict"] == "ok"
    # model and optimizer restored before the first training step
    weights, opt_state, lr0 = model.first_seen
    assert set(weights) == set(before)
    for key in before:
        assert torch.equal(weights[key], before[key]), key
    assert opt_state == 0  # SGD's momentum buffers were never kept
    # the schedule: triangular between the bounds, one epoch (16 steps) per half cycle, stepped per step
    assert isinstance(rt.scheduler, ScheduledLR)
    assert rt.schedule.base_lr == a.base_lr and rt.schedule.max_lr == a.max_lr
    assert rt.schedule.step_size_up == 16
    assert lr0 == a.base_lr
    np.testing.assert_array_equal(np.array(model.used), rt.schedule.values(32))
    assert rt.scheduler.last_epoch == 32


def test_one_cycle_with_momentum_and_a_callable_policy(tmp_path):
    torch.manual_seed(1)
    model = Net()
    opt_moms = []
    model.on_before_optimizer_step = lambda opt: (model.used.append(opt.param_groups[0]["lr"]),
                                                  opt_moms.append(opt.param_groups[0]["momentum"]))
    rt = RangeTest(num_iter=200, policy="one_cycle", momentum=True, plot=False, save_log=False)
    _fit(_trainer(tmp_path, [rt], epochs=3), model)
    s = rt.schedule
    assert s.policy == "one_cycle" and s.total_steps == 48 and s.max_lr == rt.analysis.max_lr
    np.testing.assert_allclose(s.values(1)[0], rt.analysis.base_lr, rtol=1e-12)
    np.testing.assert_array_equal(np.array(model.used), s.values(48))
    np.testing.assert_array_equal(np.array(opt_moms), s.momentum(48))

    def mine(analysis, trainer):
        return pyclr.sgdr(analysis.max_lr, T_0=int(trainer.num_training_batches))

    torch.manual_seed(1)
    model = Net()
    rt = RangeTest(num_iter=200, policy=mine, plot=False, save_log=False)
    _fit(_trainer(tmp_path, [rt]), model)
    assert rt.schedule == pyclr.sgdr(rt.analysis.max_lr, T_0=16)
    np.testing.assert_array_equal(np.array(model.used), rt.schedule.values(32))


def test_opt_out_keeps_the_users_setup(tmp_path):
    torch.manual_seed(0)
    model = Net()
    rt = RangeTest(num_iter=100, install=False, plot=False, save_log=False)
    trainer = _trainer(tmp_path, [rt])
    _fit(trainer, model)
    assert rt.analysis is not None and rt.schedule is None and rt.scheduler is None
    assert model.used == [LR] * 32
    assert trainer.lr_scheduler_configs == []


def test_replaces_a_scheduler_from_configure_optimizers_with_a_warning(tmp_path):
    torch.manual_seed(0)
    model = Net(scheduler="step")
    rt = RangeTest(num_iter=200, epochs_per_half_cycle=1, plot=False, save_log=False)
    trainer = _trainer(tmp_path, [rt])
    with pytest.warns(UserWarning, match="replacing the scheduler.*StepLR"):
        _fit(trainer, model)
    assert [type(c.scheduler) for c in trainer.lr_scheduler_configs] == [ScheduledLR]
    np.testing.assert_array_equal(np.array(model.used), rt.schedule.values(32))


def test_picture_and_log_files_and_csv_logger(tmp_path):
    pytest.importorskip("matplotlib")
    torch.manual_seed(0)
    model = Net()
    rt = RangeTest(num_iter=200, epochs_per_half_cycle=1)
    logger = CSVLogger(str(tmp_path), name="run")
    monitor = L.callbacks.LearningRateMonitor(logging_interval="step")
    _fit(_trainer(tmp_path, [rt, monitor], logger=logger, log_every_n_steps=1), model)
    a = rt.analysis
    # the files land in the logger's version folder
    picture = rt.paths["picture"]
    assert os.path.dirname(picture) == logger.log_dir
    with open(picture, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert os.path.getsize(picture) > 10_000
    assert [os.path.basename(p) for p in rt.paths["log"]] == ["pyclr_range_test_run0.csv", "pyclr_range_test_run1.csv"]
    for path, run in zip(rt.paths["log"], rt.result):
        log = pyclr.load_log(path)
        np.testing.assert_array_equal(log.lrs, run.lrs)
        np.testing.assert_array_equal(log.losses, run.losses)
    # hyperparameters and metrics in the CSV logger
    import yaml

    with open(os.path.join(logger.log_dir, "hparams.yaml")) as fh:
        hparams = yaml.safe_load(fh)
    assert hparams["pyclr/verdict"] == "ok" and hparams["pyclr/installed"] is True
    assert hparams["pyclr/base_lr"] == a.base_lr and hparams["pyclr/max_lr"] == a.max_lr
    assert hparams["pyclr/policy"] == "triangular" and hparams["pyclr/num_iter"] == 200
    with open(os.path.join(logger.log_dir, "metrics.csv")) as fh:
        rows = list(csv.DictReader(fh))
    ours = [r for r in rows if r.get("pyclr/max_lr")]
    assert len(ours) == 1
    assert float(ours[0]["pyclr/base_lr"]) == pytest.approx(a.base_lr, rel=1e-12)
    assert float(ours[0]["pyclr/max_lr"]) == pytest.approx(a.max_lr, rel=1e-12)
    assert float(ours[0]["pyclr/verdict_ok"]) == 1.0
    # LearningRateMonitor sees the installed schedule, step by step
    lrs = [float(r["lr-SGD"]) for r in rows if r.get("lr-SGD")]
    np.testing.assert_allclose(lrs, rt.schedule.values(32), rtol=1e-12)


class _Writer:
    """A SummaryWriter-like experiment: what add_figure got."""

    def __init__(self):
        self.figures = []

    def add_figure(self, tag, figure, global_step=None, close=True):
        self.figures.append((tag, figure, global_step, close))


class _FigureLogger(Logger):
    """A minimal real Logger whose experiment takes figures, as TensorBoard's does."""

    def __init__(self, root):
        super().__init__()
        self._root, self._writer = root, _Writer()
        self.hparams, self.metrics = {}, []

    @property
    def name(self):
        return "figures"

    @property
    def version(self):
        return 0

    @property
    def save_dir(self):
        return self._root

    @property
    def experiment(self):
        return self._writer

    def log_hyperparams(self, params, *args, **kwargs):
        self.hparams.update(params)

    def log_metrics(self, metrics, step=None):
        self.metrics.append((dict(metrics), step))


def test_figure_goes_to_a_logger_that_takes_figures(tmp_path):
    pytest.importorskip("matplotlib")
    torch.manual_seed(0)
    logger = _FigureLogger(str(tmp_path / "fig"))
    rt = RangeTest(num_iter=100, install=False, save_log=False)
    _fit(_trainer(tmp_path, [rt], epochs=1, logger=logger), Net())
    (tag, figure, step, close), = logger._writer.figures
    assert tag == "pyclr/range_test" and step == 0 and close is False
    assert figure is not None and len(figure.axes) >= 1 and figure.axes[0].get_xscale() == "log"
    assert rt.paths["picture"] == os.path.join(str(tmp_path / "fig"), "pyclr_range_test.png")
    assert logger.hparams["pyclr/installed"] is False
    assert logger.metrics[0][0]["pyclr/verdict_ok"] == (1.0 if rt.analysis.ok else 0.0)


def test_tensorboard_logger_gets_the_figure(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("tensorboard")
    from lightning.pytorch.loggers import TensorBoardLogger

    torch.manual_seed(0)
    logger = TensorBoardLogger(str(tmp_path), name="tb")
    rt = RangeTest(num_iter=100, install=False, save_log=False)
    _fit(_trainer(tmp_path, [rt], epochs=1, logger=logger), Net())
    assert os.path.exists(rt.paths["picture"])
    events = [f for f in os.listdir(logger.log_dir) if f.startswith("events.out.tfevents")]
    assert events and os.path.getsize(os.path.join(logger.log_dir, events[0])) > 5_000


def test_without_matplotlib_the_picture_is_skipped_with_a_warning(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")] + ["matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)
    torch.manual_seed(0)
    rt = RangeTest(num_iter=100, install=False)
    with pytest.warns(UserWarning, match=r"no picture.*pip install 'pyclr-lr\[plot\]'"):
        _fit(_trainer(tmp_path, [rt], epochs=1), Net())
    assert "picture" not in rt.paths and os.path.exists(rt.paths["log"][0])


def test_verdict_not_ok_installs_nothing_and_warns(tmp_path):
    torch.manual_seed(0)
    model = Net(scheduler="step", noise=True)
    rt = RangeTest(num_iter=100, plot=False, save_log=False)
    trainer = _trainer(tmp_path, [rt], epochs=1)
    with pytest.warns(UserWarning, match=r"RangeTest: verdict '(no_descent|too_noisy|no_turn_up)'.*No schedule was"):
        _fit(trainer, model)
    assert not rt.analysis.ok and rt.schedule is None and rt.scheduler is None
    assert rt.analysis.reasons
    # the user's StepLR still runs: steps every epoch, so 16 steps at the LR the optimizer was built with
    assert [type(c.scheduler).__name__ for c in trainer.lr_scheduler_configs] == ["StepLR"]
    assert model.used == [LR] * 16


def test_criterion_path_and_manual_optimization(tmp_path):
    class Manual(Net):
        def __init__(self):
            super().__init__()
            self.automatic_optimization = False

        def training_step(self, batch, batch_idx):
            opt = self.optimizers()
            opt.zero_grad()
            x, y = batch
            loss = F.cross_entropy(self(x), y)
            self.manual_backward(loss)
            opt.step()
            self.calls += 1

    torch.manual_seed(0)
    with pytest.raises(ValueError, match="manual optimization.*criterion"):
        _fit(_trainer(tmp_path, [RangeTest(num_iter=100, plot=False, save_log=False)], epochs=1), Manual())
    torch.manual_seed(0)
    model = Manual()
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    rt = RangeTest(num_iter=200, criterion=F.cross_entropy, install=False, plot=False, save_log=False)
    _fit(_trainer(tmp_path, [rt], epochs=1), model)
    assert model.calls == 16  # the test used forward + criterion, not training_step
    assert rt.analysis.ok
    for key in before:
        assert torch.equal(model.first_seen[0][key], before[key])


def test_training_step_without_a_loss_is_a_clear_error(tmp_path):
    class Skips(Net):
        def training_step(self, batch, batch_idx):
            return None

    with pytest.raises(ValueError, match=r"training_step returned None .*criterion"):
        _fit(_trainer(tmp_path, [RangeTest(num_iter=100, plot=False, save_log=False)], epochs=1), Skips())


def test_two_optimizers_are_refused(tmp_path):
    class Two(Net):
        def __init__(self):
            super().__init__()
            self.automatic_optimization = False

        def training_step(self, batch, batch_idx):
            return None

        def configure_optimizers(self):
            return [torch.optim.SGD(self.net[0].parameters(), lr=LR), torch.optim.SGD(self.net[2].parameters(), lr=LR)]

    rt = RangeTest(num_iter=100, criterion=F.cross_entropy)
    with pytest.raises(ValueError, match="returned 2 optimizers"):
        _fit(_trainer(tmp_path, [rt], epochs=1), Two())


def test_run_again_at_a_milestone(tmp_path):
    class Milestones(RangeTest):
        def on_train_start(self, trainer, pl_module):
            pass

        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == 1:
                self.run(trainer, pl_module)

    torch.manual_seed(0)
    model = Net()
    rt = Milestones(num_iter=200, epochs_per_half_cycle=1, plot=False, save_log=False)
    _fit(_trainer(tmp_path, [rt], epochs=2), model)
    assert rt.analysis.ok
    assert model.used[:16] == [LR] * 16  # the first epoch ran on the user's setup
    np.testing.assert_array_equal(np.array(model.used[16:]), rt.schedule.values(16))
    assert rt.scheduler.last_epoch == 16


def test_accumulation_and_bf16_precision(tmp_path):
    torch.manual_seed(0)
    model = Net()
    rt = RangeTest(num_iter=200, epochs_per_half_cycle=1, plot=False, save_log=False)
    _fit(_trainer(tmp_path, [rt], accumulate_grad_batches=2, precision="bf16-mixed"), model)
    # 2 micro-batches per test step and per training step: 16 batches make 8 optimizer steps an epoch
    assert model.calls == 2 * sum(len(r.lrs) for r in rt.result) + 32
    assert rt.analysis.ok and rt.schedule.step_size_up == 8
    np.testing.assert_array_equal(np.array(model.used), rt.schedule.values(16))


def test_several_training_loaders(tmp_path):
    class Two(Net):
        def training_step(self, batch, batch_idx):
            assert set(batch) == {"a", "b"}
            return super().training_step(batch["a"], batch_idx) + 0 * super().training_step(batch["b"], batch_idx)

    torch.manual_seed(0)
    rt = RangeTest(num_iter=200, install=False, plot=False, save_log=False)
    _fit(_trainer(tmp_path, [rt], epochs=1), Two(), {"a": _loader(), "b": _loader(seed=1)})
    assert len(rt.result) == 2 and all(len(r.lrs) > 50 for r in rt.result)


def test_fast_dev_run_skips(tmp_path):
    rt = RangeTest(num_iter=100)
    with pytest.warns(UserWarning, match="fast_dev_run"):
        _fit(L.Trainer(fast_dev_run=True, accelerator="cpu", logger=False, enable_progress_bar=False,
                       enable_model_summary=False, default_root_dir=str(tmp_path), callbacks=[rt]), Net())
    assert rt.result is None


@pytest.mark.parametrize("own", [None, "pyclr"])
def test_callback_resume_continues_the_schedule_without_a_second_test(tmp_path, own):
    # own="pyclr": configure_optimizers returns a ScheduledLR of another schedule, which the
    # callback replaces; on resume that one must not be handed the callback's scheduler state
    spec = None if own is None else pyclr.cyclic(0.001, 0.002, step_size_up=4)

    def run(epochs, ckpt=None, save=None):
        torch.manual_seed(0)
        model = Net(scheduler=spec)
        rt = RangeTest(num_iter=200, epochs_per_half_cycle=1.5, plot=False, save_log=False)
        trainer = _trainer(tmp_path, [rt], epochs=epochs)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="RangeTest: replacing")
            _fit(trainer, model, ckpt_path=ckpt)
        assert [type(c.scheduler) for c in trainer.lr_scheduler_configs] == [ScheduledLR]
        assert trainer.lr_scheduler_configs[0].scheduler is rt.scheduler
        if save:
            trainer.save_checkpoint(save)
        return model, rt

    full, rt_full = run(2)
    ckpt = str(tmp_path / "mid.ckpt")
    first, rt_first = run(1, save=ckpt)
    second, rt_second = run(2, ckpt=ckpt)
    assert rt_second.result is None and rt_second.schedule == rt_first.schedule == rt_full.schedule
    assert rt_second.summary == rt_first.summary
    assert second.calls == 16  # no test steps: only the second epoch
    assert first.used + second.used == full.used
    np.testing.assert_array_equal(np.array(full.used), rt_full.schedule.values(32))


def test_scheduler_config_lr_per_step_and_resume(tmp_path):
    spec = pyclr.one_cycle(0.05, 32, anneal_strategy="cos")
    full = Net(scheduler=spec)
    _fit(_trainer(tmp_path, epochs=2), full)
    np.testing.assert_array_equal(np.array(full.used), spec.values(32))

    first = Net(scheduler=spec)
    t1 = _trainer(tmp_path, epochs=1)
    _fit(t1, first)
    ckpt = tmp_path / "mid.ckpt"
    t1.save_checkpoint(ckpt)
    second = Net(scheduler=spec)
    t2 = _trainer(tmp_path, epochs=2)
    _fit(t2, second, ckpt_path=str(ckpt))
    assert first.used + second.used == full.used
    assert t2.lr_scheduler_configs[0].name == "pyclr" and t2.lr_scheduler_configs[0].interval == "step"


def test_scheduler_config_dict():
    opt = torch.optim.Adam(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    config = scheduler_config(opt, pyclr.one_cycle(0.1, 10), momentum=True)
    assert set(config) == {"scheduler", "interval", "frequency", "name"}
    assert config["interval"] == "step" and config["frequency"] == 1 and config["name"] is None
    assert config["scheduler"].momentum is True
    assert opt.param_groups[0]["betas"][0] == pytest.approx(0.95)


@pytest.mark.parametrize("kwargs, error, match", [
    ({"name": 3}, TypeError, "name"),
    ({"num_steps": 0}, ValueError, "num_steps"),
    ({"momentum": "yes"}, TypeError, "momentum"),
])
def test_scheduler_config_bad_input(kwargs, error, match):
    opt = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(error, match=match):
        scheduler_config(opt, pyclr.one_cycle(0.1, 10), **kwargs)
    with pytest.raises(TypeError, match="scheduler_config expects a pyclr schedule .*but got list"):
        scheduler_config(opt, [0.1, 0.2])
    with pytest.raises(TypeError, match="scheduler_config expects a torch.optim.Optimizer, but got Linear"):
        scheduler_config(torch.nn.Linear(2, 1), pyclr.one_cycle(0.1, 10))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"start_lr": 0}, ValueError, "start_lr, but got 0"),
    ({"start_lr": 1.0, "end_lr": 0.5}, ValueError, "end_lr > start_lr"),
    ({"num_iter": 1}, ValueError, "num_iter, but got 1"),
    ({"num_iter": 2.5}, TypeError, "num_iter"),
    ({"sweep_iter": 1}, ValueError, "sweep_iter"),
    ({"step_mode": "log"}, ValueError, "step_mode"),
    ({"diverge_th": 1.0}, ValueError, "diverge_th > 1"),
    ({"criterion": "mse"}, TypeError, "criterion"),
    ({"batch_fn": lambda b: b}, ValueError, "batch_fn only with criterion"),
    ({"install": 1}, TypeError, "install"),
    ({"policy": "cosine"}, ValueError, "policy"),
    ({"epochs_per_half_cycle": -1}, ValueError, "epochs_per_half_cycle"),
    ({"step_size_up": 0}, ValueError, "step_size_up"),
    ({"total_steps": 1}, ValueError, "total_steps"),
    ({"momentum": None}, TypeError, "momentum"),
    ({"name": 1}, TypeError, "name"),
    ({"plot": "yes"}, TypeError, "plot"),
    ({"save_log": None}, TypeError, "save_log"),
    ({"dirpath": 3}, TypeError, "dirpath"),
    ({"progress": "no"}, TypeError, "progress"),
])
def test_range_test_callback_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        RangeTest(**kwargs)


def test_bad_settings_fail_before_the_test_spends_steps(tmp_path):
    class Plain(Net):
        def configure_optimizers(self):
            return torch.optim.SGD(self.parameters(), lr=LR)  # momentum=0: nothing to cycle

    model = Plain()
    with pytest.raises(ValueError, match="momentum"):
        _fit(_trainer(tmp_path, [RangeTest(momentum=True)], epochs=1), model)
    assert model.calls == 0

    def bad(analysis, trainer):
        return [0.1] * 10

    with pytest.raises(TypeError, match="policy.*must return a pyclr.Schedule.*list"):
        _fit(_trainer(tmp_path, [RangeTest(num_iter=200, policy=bad, plot=False, save_log=False)], epochs=1), Net())

    class Endless(torch.utils.data.IterableDataset):
        def __iter__(self):
            return iter(_loader().dataset)

    loader = torch.utils.data.DataLoader(Endless(), batch_size=32)
    model = Net()
    with pytest.raises(ValueError, match="pass total_steps"):
        _fit(_trainer(tmp_path, [RangeTest(policy="one_cycle")], epochs=-1, max_steps=-1), model, loader)
    with pytest.raises(ValueError, match="no length.*pass step_size_up"):
        _fit(_trainer(tmp_path, [RangeTest()], epochs=1), model, loader)
    assert model.calls == 0


def test_missing_lightning_names_the_extra_and_pyclr_does_not_import_it():
    code = ("import sys; sys.modules['lightning'] = None\n"
            "import pyclr\n"
            "assert 'lightning' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
            "try:\n"
            "    import pyclr.lightning\n"
            "except ImportError as exc:\n"
            "    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install 'pyclr-lr[lightning]'" in out.stdout
    code = "import sys, pyclr, pyclr.finder; print(sorted(m for m in ('lightning', 'torch', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


_DDP_SCRIPT = """
import json, os, sys, warnings
import torch, lightning.pytorch as L
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[1])
from test_lightning_callback import Net, _loader
from pyclr.lightning import RangeTest

torch.manual_seed(0)
model, rt = Net(), RangeTest(num_iter=200, epochs_per_half_cycle=1)
trainer = L.Trainer(max_epochs=1, accelerator="cpu", devices=2, strategy="ddp", callbacks=[rt],
                    logger=L.loggers.CSVLogger(sys.argv[2]), enable_progress_bar=False,
                    enable_model_summary=False, enable_checkpointing=False)
trainer.fit(model, _loader())
os.makedirs(sys.argv[2], exist_ok=True)
with open(f"{sys.argv[2]}/result_{trainer.global_rank}.json", "w") as fh:  # one file a rank: stdout interleaves
    json.dump({"rank": trainer.global_rank, "base_lr": rt.analysis.base_lr, "max_lr": rt.analysis.max_lr,
               "used": model.used, "values": rt.schedule.values(len(model.used)).tolist(), "paths": rt.paths}, fh)
# gloo's threads can abort the interpreter's own teardown once everything is written ("terminate
# called without an active exception", seen once in CI after fit had finished): end the process
# group, then leave without that teardown.
import torch.distributed as dist
if dist.is_initialized():
    dist.destroy_process_group()
sys.stdout.flush(); sys.stderr.flush()
os._exit(0)
"""


@pytest.mark.slow
def test_ddp_two_ranks_agree(tmp_path):
    script = tmp_path / "ddp_run.py"
    script.write_text(_DDP_SCRIPT)
    out = subprocess.run([sys.executable, str(script), os.path.dirname(__file__), str(tmp_path / "logs")],
                         capture_output=True, text=True, timeout=600, cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    r0, r1 = (json.loads((tmp_path / "logs" / f"result_{rank}.json").read_text()) for rank in (0, 1))
    assert r0["base_lr"] == r1["base_lr"] and r0["max_lr"] == r1["max_lr"]  # losses averaged over ranks
    assert len(r0["used"]) == 8  # the DistributedSampler halves the epoch
    assert r0["used"] == r0["values"] and r1["used"] == r1["values"]
    assert os.path.exists(r0["paths"]["log"][0]) and r1["paths"] == {}  # files from rank zero only
