"""PyTorch Lightning with a pyclr schedule: range test, bounds, then CLR stepped per optimizer step.

Run: python examples/lightning_example.py   (CPU, scikit-learn digits, ~15 s)

The scheduler is returned from ``configure_optimizers`` with ``"interval": "step"``;
without it Lightning steps schedulers once per *epoch* (Lightning #3205, #1120).
``ScheduledLR.state_dict()`` is the spec plus the step, so Lightning's checkpoints
resume the exact LR sequence, and loading a checkpoint from a different schedule
raises instead of silently overwriting the new settings.
"""
import math  # noqa: F401  (used in the one-cycle alternative below)

import lightning.pytorch as L
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits

import pyclr  # noqa: F401
from pyclr.torch import ScheduledLR, range_test

BATCH, EPOCHS = 64, 6


def loaders():
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(x), generator=g)
    tr, va = perm[:1400], perm[1400:]
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[tr], y[tr]), batch_size=BATCH,
                                        shuffle=True, generator=g)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x[va], y[va]), batch_size=256)
    return train, val


class Classifier(L.LightningModule):
    def __init__(self, schedule=None):
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
        self.schedule = schedule

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("lr", self.trainer.optimizers[0].param_groups[0]["lr"], prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_acc", (self(x).argmax(1) == y).float().mean(), prog_bar=True)

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)
        # Lightning knows the run length; a finite schedule shorter than it is refused here
        steps = int(self.trainer.estimated_stepping_batches)
        sched = ScheduledLR(opt, self.schedule, num_steps=steps)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step", "frequency": 1}}


def main():
    torch.manual_seed(0)
    train, val = loaders()
    model = Classifier()
    # 1. range test on the bare module (restored afterwards, bit for bit)
    probe = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    res = range_test(model, probe, F.cross_entropy, train, start_lr=1e-5, end_lr=10, num_iter=100)
    a = res.analyze()
    print(f"range test: base_lr={a.base_lr:.3g} max_lr={a.max_lr:.3g} verdict={a.verdict}")
    # 2. a triangular CLR with those bounds, 2 epochs per half cycle (Smith 2017: 2-10)
    model.schedule = a.to_schedule(len(train.dataset), BATCH, epochs_per_half_cycle=2, force=not a.ok)
    # or a one-cycle peaking at max_lr over the whole run:
    # model.schedule = pyclr.one_cycle(a.max_lr, EPOCHS * math.ceil(len(train.dataset) / BATCH))
    trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", logger=False, enable_checkpointing=False)
    trainer.fit(model, train, val)
    print("final val_acc:", float(trainer.callback_metrics["val_acc"]))


if __name__ == "__main__":
    main()
