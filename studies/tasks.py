"""The tasks of the finder evaluation suite: datasets, models, optimizers and the configurations.

A *configuration* (:class:`Config`) is one task family (dataset + model + loss), one
optimizer, one batch size, one range-test sweep (kind and LR range) and one training
budget in epochs. :data:`CONFIGS` lists them; :data:`HALVES` assigns each to the
``"design"`` or the ``"heldout"`` half, fixed before any change to the rule.

Everything here is small enough to run on one CPU thread: tabular sets bundled with
scikit-learn (digits, breast cancer, diabetes) and generated data (classification
blobs, Friedman #1, two synthetic sequence tasks); no downloads.

A seed fixes a run completely: ``torch.manual_seed(seed)`` right before the model is
built (the initial weights, then dropout's draws) and :func:`batches` (the batch order,
a fresh permutation per epoch, the last partial batch dropped). The range test and the
training runs of one seed start from the same weights and see batches in the same order.
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "Family", "Config", "FAMILIES", "OPTIMIZERS", "CONFIGS", "HALVES", "FAILURE_LIKE", "SEEDS", "NUM_ITERS",
    "OPTIMIZER_NAMES", "configs", "get_config", "load_data", "make_model", "make_optimizer", "batches",
    "steps_per_epoch",
]

#: Seeds of every measure (range test and training).
SEEDS = (0, 1, 2, 3, 4)
#: Sweep lengths recorded for every configuration (the stability measures use these).
NUM_ITERS = (50, 100, 200, 400)


# --------------------------------------------------------------------------------------
# data: (xtr, ytr, xva, yva) tensors; a regression target has shape (n, 1)
# --------------------------------------------------------------------------------------
def _standardise(x: np.ndarray, ntr: int) -> np.ndarray:
    return (x - x[:ntr].mean(0)) / (x[:ntr].std(0) + 1e-6)


def _split(x, y, ntr: int, regression: bool = False):
    x = torch.tensor(x, dtype=torch.float32)
    y = torch.tensor(y, dtype=torch.float32).reshape(-1, 1) if regression else torch.tensor(y, dtype=torch.long)
    return x[:ntr], y[:ntr], x[ntr:], y[ntr:]


def _digits():
    from sklearn.datasets import load_digits

    # the split of benchmarks/usefulness.py and tests/data/make_seed_runs.py: first 1400 train, 397 validation
    x, y = load_digits(return_X_y=True)
    return _split(_standardise(x, 1400), y, 1400)


def _digits_images():
    xtr, ytr, xva, yva = _digits()
    return xtr.reshape(-1, 1, 8, 8), ytr, xva.reshape(-1, 1, 8, 8), yva


def _blobs():
    from sklearn.datasets import make_classification

    # 5 overlapping classes (benchmarks/usefulness.py's blobs): accuracy well below 100 %
    x, y = make_classification(n_samples=2000, n_features=20, n_informative=12, n_redundant=4, n_classes=5,
                               n_clusters_per_class=2, class_sep=1.2, flip_y=0.02, random_state=0)
    return _split(_standardise(x, 1500), y, 1500)


def _cancer():
    from sklearn.datasets import load_breast_cancer

    x, y = load_breast_cancer(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    x, y = x[perm], y[perm]
    return _split(_standardise(x, 455), y, 455)


def _diabetes(standardise_target: bool):
    from sklearn.datasets import load_diabetes

    x, y = load_diabetes(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    x, y = x[perm], y[perm]
    ntr = 352
    if standardise_target:
        y = (y - y[:ntr].mean()) / y[:ntr].std()
    # raw: the disease score itself (mean 152, sd 77), an MSE about 3e4 times the standardised one at init
    return _split(_standardise(x, ntr), y, ntr, regression=True)


def _friedman():
    from sklearn.datasets import make_friedman1

    x, y = make_friedman1(n_samples=1500, n_features=10, noise=1.0, random_state=0)
    y = (y - y[:1200].mean()) / y[:1200].std()
    return _split(_standardise(x, 1200), y, 1200, regression=True)


def _seq_halves(n: int = 1536, length: int = 20, seed: int = 0):
    """GRU task: 2 channels of Gaussian noise; the class (0-3) is the sign of the sum of channel 0
    over the first half and over the second half. The first half's sign must be carried through
    the second half."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, length, 2)).astype(np.float32)
    half = length // 2
    y = 2 * (x[:, :half, 0].sum(1) > 0) + (x[:, half:, 0].sum(1) > 0)
    return _split(x, y, 1024)


def _seq_tokens(n: int = 1536, length: int = 12, vocab: int = 8, seed: int = 1):
    """Transformer task: random tokens; the class is how often the first token occurs again later:
    never, once, or more (about 23 / 36 / 41 %). It needs attention from the first position to
    the others, and counting."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab, size=(n, length))
    y = np.minimum((x[:, 1:] == x[:, :1]).sum(1), 2).astype(np.int64)
    return torch.tensor(x[:1024]), torch.tensor(y[:1024]), torch.tensor(x[1024:]), torch.tensor(y[1024:])


# --------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------
def _mlp(n_in: int, n_out: int, hidden: int = 64, depth: int = 2, dropout: float = 0.0, batchnorm: bool = False):
    layers: list = []
    width = n_in
    for _ in range(depth):
        layers.append(nn.Linear(width, hidden))
        if batchnorm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(nn.ReLU())
        if dropout:
            layers.append(nn.Dropout(dropout))
        width = hidden
    layers.append(nn.Linear(width, n_out))
    return nn.Sequential(*layers)


def _cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 4 * 4, 10))


class _GRUClassifier(nn.Module):
    def __init__(self, n_in: int = 2, hidden: int = 64, n_out: int = 4):
        super().__init__()
        self.rnn = nn.GRU(n_in, hidden, batch_first=True)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


class _TinyTransformer(nn.Module):
    def __init__(self, vocab: int = 8, length: int = 12, d: int = 32, n_out: int = 3):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(0.1 * torch.randn(length, d))
        self.block = nn.TransformerEncoderLayer(d, nhead=4, dim_feedforward=64, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d, n_out)

    def forward(self, x):
        h = self.block(self.embed(x) + self.pos)
        return self.head(h[:, 0])


# --------------------------------------------------------------------------------------
# families
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Family:
    """A dataset, a model and a loss. ``regression``: MSE and R² (else cross-entropy and accuracy)."""

    name: str
    description: str
    data: Callable[[], tuple]
    model: Callable[[], nn.Module]
    regression: bool = False

    @property
    def loss(self) -> Callable:
        return F.mse_loss if self.regression else F.cross_entropy


FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("digits-cnn", "sklearn digits 8x8 images (1400 train / 397 val), conv 8-16 + linear",
           _digits_images, _cnn),
    Family("digits-mlp", "sklearn digits (1400 / 397), MLP 64-64-64-10", _digits, lambda: _mlp(64, 10)),
    Family("digits-bn", "sklearn digits (1400 / 397), MLP 64-64-64-10 with BatchNorm after each hidden layer",
           _digits, lambda: _mlp(64, 10, batchnorm=True)),
    Family("blobs-dropout", "make_classification 5 classes (1500 / 500), MLP 20-128-128-5 with dropout 0.3",
           _blobs, lambda: _mlp(20, 5, hidden=128, dropout=0.3)),
    Family("blobs-mlp", "make_classification 5 classes (1500 / 500), MLP 20-64-64-64-5", _blobs,
           lambda: _mlp(20, 5, depth=3)),
    Family("seq-gru", "synthetic sequences (1024 / 512, length 20, 2 channels): sign of the sum of each half "
           "(4 classes), GRU 64 + linear", _seq_halves, _GRUClassifier),
    Family("seq-transformer", "synthetic tokens (1024 / 512, length 12, vocab 8): does the first token recur 0, 1, 2+ times? "
           "one encoder layer d=32, 4 heads", _seq_tokens, _TinyTransformer),
    Family("diabetes-std", "sklearn diabetes (352 / 90), standardised target, MSE, MLP 10-32-32-1",
           lambda: _diabetes(True), lambda: _mlp(10, 1, hidden=32), regression=True),
    Family("diabetes-raw", "sklearn diabetes (352 / 90), raw target (mean 152, sd 77), MSE, MLP 10-32-32-1",
           lambda: _diabetes(False), lambda: _mlp(10, 1, hidden=32), regression=True),
    Family("cancer-logreg", "sklearn breast cancer (455 / 114), logistic regression (linear 30-2)",
           _cancer, lambda: nn.Linear(30, 2)),
    Family("friedman-mlp", "make_friedman1 (1200 / 300, standardised target), MSE, MLP 10-64-64-1",
           _friedman, lambda: _mlp(10, 1), regression=True),
)}


@functools.lru_cache(maxsize=None)
def load_data(family: str) -> tuple:
    """``(xtr, ytr, xva, yva)`` of a family (built once per process)."""
    return FAMILIES[family].data()


def make_model(family: str, seed: int) -> nn.Module:
    """The family's model with seed ``seed``'s initial weights (``torch.manual_seed(seed)`` first)."""
    torch.manual_seed(seed)
    return FAMILIES[family].model()


# --------------------------------------------------------------------------------------
# optimizers: every one built with lr=1.0; the range test and the schedules write the LR
# --------------------------------------------------------------------------------------
OPTIMIZERS: dict[str, Callable] = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "sgdm": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: torch.optim.AdamW(params, lr=lr, weight_decay=0.05),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
}
OPTIMIZER_NAMES = {"sgd": "SGD", "sgdm": "SGD-momentum 0.9", "adam": "Adam", "adamw": "AdamW (weight decay 0.05)",
                   "rmsprop": "RMSprop"}


def make_optimizer(name: str, model: nn.Module, lr: float = 1.0) -> torch.optim.Optimizer:
    return OPTIMIZERS[name](model.parameters(), lr)


# --------------------------------------------------------------------------------------
# configurations
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Config:
    """One configuration of the suite.

    ``num_iter`` is the sweep length of the regret and divergence measures (the range test a
    user would run); stability uses every length in :data:`NUM_ITERS` (and ``num_iter``).
    """

    family: str
    optimizer: str
    batch_size: int
    sweep: str          # "exp" or "linear" (range_test's step_mode)
    start_lr: float
    end_lr: float
    epochs: int
    num_iter: int = 100
    note: str = ""

    @property
    def name(self) -> str:
        return f"{self.family}/{self.optimizer}/b{self.batch_size}/{self.sweep}/e{self.epochs}"

    @property
    def num_iters(self) -> tuple:
        """Every sweep length recorded for this configuration."""
        return tuple(sorted(set(NUM_ITERS) | {self.num_iter}))

    @property
    def regression(self) -> bool:
        return FAMILIES[self.family].regression

    def to_dict(self) -> dict:
        return asdict(self)


def _c(family, optimizer, batch_size, sweep, start_lr, end_lr, epochs, num_iter=100, note=""):
    return Config(family, optimizer, batch_size, sweep, start_lr, end_lr, epochs, num_iter, note)


#: Every configuration, in report order.
CONFIGS: tuple = (
    # ---- resembling known failures (all in the design half) ----
    _c("diabetes-std", "sgdm", 16, "exp", 1e-5, 10.0, 30, num_iter=150,
       note="failure (a): noisy log whose smoothed loss falls by half before diverging"),
    _c("diabetes-std", "adamw", 16, "exp", 1e-6, 10.0, 30, num_iter=150, note="failure (a), AdamW"),
    _c("seq-gru", "sgdm", 32, "exp", 1e-4, 100.0, 20,
       note="failure (b): blows up, recovers into a second valley, then diverges"),
    _c("digits-cnn", "sgdm", 32, "exp", 1e-5, 10.0, 3, note="failure (c): short budget (3 epochs)"),
    # ---- the rest of the design half ----
    _c("digits-mlp", "adam", 64, "exp", 1e-6, 1.0, 20),
    _c("digits-mlp", "sgdm", 4, "exp", 1e-6, 10.0, 2),
    _c("digits-bn", "sgd", 128, "linear", 1e-3, 30.0, 30),
    _c("blobs-dropout", "adamw", 64, "exp", 1e-6, 1.0, 20),
    _c("blobs-mlp", "rmsprop", 256, "linear", 1e-5, 0.1, 50),
    _c("seq-transformer", "adam", 64, "exp", 1e-6, 1.0, 20),
    _c("diabetes-raw", "rmsprop", 32, "exp", 1e-5, 100.0, 40),
    _c("cancer-logreg", "sgd", 8, "exp", 1e-5, 100.0, 4),
    _c("digits-cnn", "adamw", 256, "linear", 1e-4, 0.5, 40),
    _c("seq-gru", "rmsprop", 16, "exp", 1e-6, 1.0, 3),
    # ---- held-out half ----
    _c("digits-cnn", "rmsprop", 64, "exp", 1e-7, 1.0, 20),
    _c("digits-mlp", "sgd", 16, "linear", 1e-3, 2.0, 3),
    _c("digits-bn", "adam", 32, "exp", 1e-6, 10.0, 4),
    _c("blobs-dropout", "sgdm", 128, "exp", 1e-5, 10.0, 30),
    _c("blobs-mlp", "sgdm", 8, "exp", 1e-6, 10.0, 2),
    _c("seq-gru", "adam", 64, "exp", 1e-6, 1.0, 20),
    _c("seq-transformer", "adamw", 32, "linear", 1e-4, 0.3, 3),
    _c("seq-transformer", "sgdm", 128, "exp", 1e-5, 10.0, 20),
    _c("diabetes-std", "rmsprop", 64, "exp", 1e-6, 1.0, 40),
    _c("diabetes-raw", "sgdm", 16, "exp", 1e-9, 1e-1, 30),
    _c("cancer-logreg", "adam", 32, "linear", 1e-4, 1.0, 20),
    _c("friedman-mlp", "adamw", 8, "exp", 1e-6, 1.0, 3),
    _c("friedman-mlp", "sgd", 32, "linear", 1e-4, 1.0, 30),
)

#: The half of every configuration, fixed before the rule is changed. The held-out half is
#: never printed unless asked for (``--half heldout`` or ``all``). friedman-mlp is a family
#: the design half never sees.
HALVES: dict[str, str] = {c.name: ("design" if i < 14 else "heldout") for i, c in enumerate(CONFIGS)}

#: Configurations resembling the known failures (a), (b), (c).
FAILURE_LIKE = {CONFIGS[0].name: "a", CONFIGS[1].name: "a", CONFIGS[2].name: "b", CONFIGS[3].name: "c"}


def configs(half: str = "design") -> list:
    """The configurations of ``half``: ``"design"``, ``"heldout"`` or ``"all"``."""
    if half not in ("design", "heldout", "all"):
        raise ValueError(f"Expected half in ('design', 'heldout', 'all'), but got {half!r}")
    return [c for c in CONFIGS if half == "all" or HALVES[c.name] == half]


def get_config(name: str) -> Config:
    for c in CONFIGS:
        if c.name == name:
            return c
    raise KeyError(f"no configuration named {name!r}")


def steps_per_epoch(config: Config) -> int:
    return len(load_data(config.family)[0]) // config.batch_size


def batches(n: int, batch_size: int, steps: int, seed: int) -> list:
    """Index tensors of ``steps`` batches of ``range(n)``: a fresh permutation per epoch drawn from
    a generator seeded with ``seed`` (independent of the global RNG), last partial batch dropped."""
    g = torch.Generator().manual_seed(1000 + seed)
    per_epoch = n // batch_size
    if per_epoch < 1:
        raise ValueError(f"batch size {batch_size} is larger than the {n} training examples")
    out: list = []
    while len(out) < steps:
        perm = torch.randperm(n, generator=g)
        out.extend(perm[i * batch_size:(i + 1) * batch_size] for i in range(per_epoch))
    return out[:steps]


def _check() -> None:
    names = [c.name for c in CONFIGS]
    if len(set(names)) != len(names):
        raise ValueError("configuration names must be unique")
    for c in CONFIGS:
        if c.family not in FAMILIES or c.optimizer not in OPTIMIZERS or c.sweep not in ("exp", "linear"):
            raise ValueError(f"{c.name}: unknown family, optimizer or sweep")
        if not (0 < c.start_lr < c.end_lr and math.isfinite(c.end_lr)):
            raise ValueError(f"{c.name}: expected 0 < start_lr < end_lr")


_check()
