"""Generate the seed-run range tests in tests/data/seed_runs/ (CPU, ~1 minute).

A 64-128-128-10 MLP on scikit-learn's bundled digits data (train split: first 1400
samples, standardised), batch 64, an exponential LR sweep with the divergence stop off
(every planned iteration is recorded; a non-finite loss is written as nan). Only the seed
changes between runs of a configuration: it sets the initial weights and the batch order.

    python tests/data/make_seed_runs.py            # seeds 0-4 into seed_runs/
    python tests/data/make_seed_runs.py --heldout  # seeds 5-44 into seed_runs_heldout/ (~40 s)

Every (optimizer, iterations) pair is run with all five seeds, so that the iteration-count
claim of issue 3 can be judged per seed and on the 5-seed combination, not on one log.

analyze()'s rule was designed looking at seeds 0-4 only. Seeds 5-44 (eight more groups of five)
were generated after it was fixed and no parameter was changed after seeing them: they show
how the stability figures carry over to runs the rule was not tuned on.

Files: ``{opt}_exp_n{iters}_s{seed}.csv`` with header ``lr,loss`` (the format of
``pyclr.torch.range_test``).
"""
from __future__ import annotations

import os

import numpy as np
import torch
from sklearn.datasets import load_digits

DATA = os.path.dirname(os.path.abspath(__file__))
CONFIGS = {
    # name: (optimizer factory, start_lr, end_lr)
    "sgdm": (lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9), 1e-5, 10.0),
    "adam": (lambda p, lr: torch.optim.Adam(p, lr=lr), 1e-6, 1.0),
}
SEEDS = range(5)
HELDOUT_SEEDS = range(5, 45)
ITERS = (50, 100, 200, 400)


def data():
    X, y = load_digits(return_X_y=True)
    X = (X - X[:1400].mean(0)) / (X[:1400].std(0) + 1e-6)
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y)


def model(seed):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                               torch.nn.ReLU(), torch.nn.Linear(128, 10))


def range_test(opt_name, seed, iters, X, y, batch=64):
    make_opt, start, end = CONFIGS[opt_name]
    net = model(seed)
    opt = make_opt(net.parameters(), start)
    g = torch.Generator().manual_seed(1000 + seed)
    lrs = start * (end / start) ** (np.arange(iters) / (iters - 1))
    losses = np.empty(iters)
    order = torch.randperm(1400, generator=g)
    pos = 0
    for k in range(iters):
        if pos + batch > 1400:
            order, pos = torch.randperm(1400, generator=g), 0
        idx = order[pos : pos + batch]
        pos += batch
        for group in opt.param_groups:
            group["lr"] = float(lrs[k])
        loss = torch.nn.functional.cross_entropy(net(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        value = float(loss.detach())
        losses[k] = value if np.isfinite(value) else np.nan
    return lrs, losses


def main():
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--heldout", action="store_true", help="seeds 5-44 into seed_runs_heldout/")
    heldout = ap.parse_args().heldout
    folder = os.path.join(DATA, "seed_runs_heldout" if heldout else "seed_runs")
    torch.set_num_threads(1)
    os.makedirs(folder, exist_ok=True)
    X, y = data()
    for opt_name in CONFIGS:
        for iters in ITERS:
            for seed in HELDOUT_SEEDS if heldout else SEEDS:
                lrs, losses = range_test(opt_name, seed, iters, X, y)
                path = os.path.join(folder, f"{opt_name}_exp_n{iters}_s{seed}.csv")
                with open(path, "w") as f:
                    f.write("lr,loss\n")
                    for a, b in zip(lrs, losses):
                        f.write(f"{float(a)!r},{float(b)!r}\n")


if __name__ == "__main__":
    main()
