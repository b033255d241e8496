"""ScheduledLR and attach() inside PyTorch Lightning: per-step interval, checkpoint resume."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
L = pytest.importorskip("lightning.pytorch")

import pyclr  # noqa: E402
from pyclr.torch import ScheduledLR, attach  # noqa: E402

torch.set_num_threads(1)
SPEC = pyclr.one_cycle(0.05, 24, anneal_strategy="cos")


class Net(L.LightningModule):
    def __init__(self, driver: str):
        super().__init__()
        self.driver = driver
        self.layer = torch.nn.Linear(4, 1)
        self.used = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def on_before_optimizer_step(self, optimizer):
        # the LR this optimizer step is about to use
        self.used.append(optimizer.param_groups[0]["lr"])

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        if self.driver == "attach":
            self.handle = attach(opt, SPEC, momentum=True, num_steps=24)
            return opt
        sched = ScheduledLR(opt, SPEC, momentum=True, num_steps=24)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}


def _loader():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(48, 4, generator=g)
    y = x.sum(1, keepdim=True)
    return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=4)  # 12 steps/epoch


def _trainer(tmp_path, epochs):
    return L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                     enable_model_summary=False, default_root_dir=str(tmp_path), enable_checkpointing=False)


@pytest.mark.parametrize("driver", ["scheduler", "attach"])
def test_lightning_step_interval_and_resume(tmp_path, driver):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's "num_workers" advice etc.
        full = Net(driver)
        _trainer(tmp_path, 2).fit(full, _loader())
        expected = SPEC.values(24)
        # Lightning runs training_step/backward in the closure *inside* optimizer.step, after
        # the pre-hook: with either driver, step t sees schedule element t
        np.testing.assert_array_equal(np.array(full.used), expected)
        if driver == "attach":
            assert full.handle.step == 24

        # stop after one epoch, then resume from the checkpoint in a new Trainer
        first = Net(driver)
        t1 = _trainer(tmp_path, 1)
        t1.fit(first, _loader())
        ckpt = tmp_path / "mid.ckpt"
        t1.save_checkpoint(ckpt)
        if driver == "attach":
            # attach() is not a Lightning scheduler: its state travels with the module
            state = first.handle.state_dict()
        second = Net(driver)
        t2 = _trainer(tmp_path, 2)
        if driver == "attach":
            second.on_fit_start = lambda: second.handle.load_state_dict(state)
        t2.fit(second, _loader(), ckpt_path=str(ckpt))
        assert first.used + second.used == full.used
