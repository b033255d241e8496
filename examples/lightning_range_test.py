"""The pyclr.lightning.RangeTest callback: range test, bounds and cyclical schedule in one fit.

Run: python examples/lightning_range_test.py [--out DIR]   (CPU, scikit-learn digits, ~15 s)

Needs ``pip install 'pyclr-lr[lightning]' scikit-learn`` (matplotlib, ``pyclr-lr[plot]``, for
the picture). When training starts, the callback runs pyclr's range test on the model through its
own ``training_step`` (4 sweeps of 100 steps by default; 2 here), restores the model and the
optimizer, logs the bounds to the CSV logger, saves the picture and the test's points next to
the logs, and trains with a triangular cyclical LR between the bounds, stepped every optimizer
step. It prints the bounds and the final validation accuracy, and exits with status 1 if the
range test gives no bounds or the model does not learn.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import warnings

import lightning.pytorch as L
import torch
import torch.nn.functional as F
from lightning.pytorch.loggers import CSVLogger
from sklearn.datasets import load_digits

from pyclr.lightning import RangeTest

BATCH, EPOCHS = 64, 6


def loaders() -> tuple[torch.utils.data.DataLoader, torch.utils.data.DataLoader]:
    x, y = load_digits(return_X_y=True)
    xt = torch.tensor(x / 16.0, dtype=torch.float32)
    yt = torch.tensor(y)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(xt), generator=g)
    tr, va = perm[:1400], perm[1400:]
    train = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt[tr], yt[tr]), batch_size=BATCH,
                                        shuffle=True, generator=g)
    val = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(xt[va], yt[va]), batch_size=256)
    return train, val


class Classifier(L.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)  # ignored during the range test, logged in training
        return loss

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        x, y = batch
        self.log("val_acc", (self(x).argmax(1) == y).float().mean(), prog_bar=True)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        # the LR here only matters if the range test finds no bounds
        return torch.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder for logs, picture and range-test CSVs (default: a temporary one)")
    args = parser.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="pyclr_lightning_")
    warnings.filterwarnings("ignore", message=".*(num_workers|does not have many workers|LeafSpec).*")
    torch.manual_seed(0)
    train, val = loaders()
    # 2 sweeps of 100 steps (the default is 4), then a triangular CLR with 2 epochs per half cycle
    finder = RangeTest(num_iter=200, policy="triangular", epochs_per_half_cycle=2)
    trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", devices=1, callbacks=[finder],
                        logger=CSVLogger(out, name="digits"), enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, default_root_dir=out,
                        log_every_n_steps=10)
    trainer.fit(Classifier(), train, val)

    a = finder.analysis
    print(f"range test: verdict={a.verdict} base_lr={a.base_lr} max_lr={a.max_lr}")
    print(f"files: {finder.paths}")
    accuracy = float(trainer.callback_metrics["val_acc"])
    print(f"final val_acc: {accuracy:.3f} after {EPOCHS} epochs")
    if not a.ok or finder.scheduler is None:
        print("FAILED: no schedule was installed: " + " ".join(a.reasons), file=sys.stderr)
        return 1
    if accuracy < 0.9:
        print(f"FAILED: validation accuracy {accuracy:.3f} < 0.9", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
