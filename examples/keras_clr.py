"""Keras 3 with pyclr: a range test, then cyclical training two ways (a few seconds on a CPU).

    KERAS_BACKEND=torch python examples/keras_clr.py       # or jax, tensorflow

1. ``pyclr.keras.range_test`` sweeps the LR inside ``fit`` on each batch's own loss and restores
   the model and optimizer; ``analyze()`` gives base_lr and max_lr.
2. ``CyclicLR`` sets the LR and the momentum per batch from a one-cycle schedule built on those
   bounds (``a.to_schedule(..., policy="one_cycle")``) and keeps a per-batch history.
3. ``schedule.as_keras(n)`` puts the same LR schedule inside the optimizer (no momentum cycling
   there); it saves and loads with the model.

Needs ``pip install 'pyclr-lr[keras]' scikit-learn`` and a Keras backend.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import pyclr  # noqa: E402
from pyclr.keras import CyclicLR, RangeTestResult, range_test  # noqa: E402

BATCH, EPOCHS = 32, 8


def make_model(learning_rate=0.01) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    # momentum cycling needs an eager train step: the torch backend's default, run_eagerly elsewhere
    model.compile(optimizer=keras.optimizers.SGD(learning_rate, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"],
                  run_eagerly=keras.backend.backend() != "torch")
    return model


def main() -> int:
    if keras.backend.backend() == "torch":  # tiny models: torch's thread pool only adds waits
        import torch

        torch.set_num_threads(1)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(x, digits.target, test_size=0.25, random_state=0)

    # 1. the range test: each batch's own loss, weights and optimizer restored afterwards
    model = make_model()
    res = range_test(model, x_train, y_train, start_lr=1e-5, end_lr=10, num_iter=100, batch_size=BATCH)
    assert isinstance(res, RangeTestResult)  # one sweep (repeats=1)
    a = res.analyze()
    print(f"range test: {len(res)} batches, stopped by {res.stop_reason!r}; verdict {a.verdict!r}")
    if a.verdict != "ok":
        print("  " + "\n  ".join(a.reasons))
        return 1
    print(f"  base_lr = {a.base_lr:.3g} (the loss starts to fall), max_lr = {a.max_lr:.3g} (it stops falling)")

    # 2. CyclicLR: LR and momentum set before every batch, history per batch
    schedule = a.to_schedule(len(x_train), batch_size=BATCH, policy="one_cycle", epochs=EPOCHS)
    clr = CyclicLR(schedule, momentum=True)
    model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, callbacks=[clr], verbose=0)
    acc_clr = model.evaluate(x_test, y_test, verbose=0)[1]
    lrs, moms = np.asarray(clr.history["lr"]), np.asarray(clr.history["momentum"])
    print(f"CyclicLR one-cycle: {clr.step} batches, LR {lrs.min():.3g} .. {lrs.max():.3g}, "
          f"momentum {moms.min():.2f} .. {moms.max():.2f}: test accuracy {acc_clr:.3f}")

    # 3. the same LR schedule inside the optimizer, saved and reloaded with the model
    steps = EPOCHS * math.ceil(len(x_train) / BATCH)
    model = make_model(schedule.as_keras(steps))
    model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        loaded = keras.models.load_model(path)  # pyclr.keras is imported: the schedule class is known
    restored = loaded.optimizer._learning_rate
    acc = loaded.evaluate(x_test, y_test, verbose=0)[1]
    print(f"as_keras: saved and reloaded as {restored!r:.60}...; test accuracy {acc:.3f} "
          "(the LR only: a Keras schedule cannot cycle momentum)")

    # the constant-LR baseline at the classic default
    model = make_model()
    model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    print(f"constant LR 0.01: test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
