"""pyclr.keras on a real Keras 3 (torch backend by default; PYCLR_TEST_KERAS_BACKEND=jax runs the
same tests on jax): the schedule's LR on every step of a real fit, serialisation with the model,
CyclicLR's history and the LRs and momenta the optimizer really used, the range test's per-batch
losses against the loss computed directly, bit-exact restore, the stop rule and the analysis."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

os.environ["KERAS_BACKEND"] = os.environ.get("PYCLR_TEST_KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras")
if not keras.__version__.startswith("3."):
    pytest.skip("pyclr.keras needs Keras 3", allow_module_level=True)

import pyclr  # noqa: E402
from pyclr.keras import CyclicLR, KerasSchedule, LRFinder, RangeTestResult, RangeTestRuns, range_test  # noqa: E402

# Keras' own convert_to_numpy on torch tensors (keras/src/backend/torch/core.py) warns under
# NumPy 2 on every call, also inside fit; it is Keras', not pyclr's
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")

ops = keras.ops
BACKEND = keras.backend.backend()


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread():
    """These models are tiny: torch's thread pool only adds waits (10x slower on a loaded machine)."""
    if BACKEND != "torch":
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _np(value):
    return np.asarray(ops.convert_to_numpy(value))


def _probe_model(optimizer):
    """One weight w, inputs of ones and the loss mean(w * x): every gradient is exactly 1, so
    each step moves w by exactly what the optimizer's update rule says with the LR it used."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=optimizer, loss=lambda y_true, y_pred: ops.mean(y_pred))
    return model


class _Recorder(keras.callbacks.Callback):
    """Per batch: the LR the optimizer will use (read before the step), the iteration count,
    the weights before the step and the logs after it."""

    def __init__(self):
        super().__init__()
        self.lr, self.iterations, self.weights, self.logs, self.lr_after = [], [], [], [], []

    def on_train_batch_begin(self, batch, logs=None):
        opt = self.model.optimizer
        self.lr.append(float(_np(opt.learning_rate)))
        self.iterations.append(int(_np(opt.iterations)))
        self.weights.append([w.copy() for w in self.model.get_weights()])

    def on_train_batch_end(self, batch, logs=None):
        self.logs.append(dict(logs or {}))
        self.lr_after.append(float(_np(self.model.optimizer.learning_rate)))


@pytest.fixture(scope="module")
def regression():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(100, 6)).astype("float32")
    y = (x @ rng.normal(size=(6, 1)) + 0.1 * rng.normal(size=(100, 1))).astype("float32")
    return x, y


def _mlp(optimizer, *, seed=0, batch_norm=False, dropout=False):
    keras.utils.set_random_seed(seed)
    layers = [keras.Input((6,)), keras.layers.Dense(16, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3))]
    if batch_norm:  # non-trainable state: the moving statistics
        layers.append(keras.layers.BatchNormalization())
    if dropout:  # a seed generator's state (dropout also draws on global generators: not restored)
        layers.append(keras.layers.Dropout(0.2))
    model = keras.Sequential(layers + [keras.layers.Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    return model


def _state(model):
    return [_np(v.value).copy() for v in list(model.variables) + list(model.optimizer.variables)]


def _assert_same_state(before, model):
    after = _state(model)
    assert len(before) == len(after)
    for a, b in zip(before, after):
        assert a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)


# ------------------------------------------------------------------------- KerasSchedule
def test_schedule_lr_and_update_on_every_step_of_a_real_fit():
    s = pyclr.cyclic(0.01, 0.1, step_size_up=3, mode="triangular2")
    n = 20
    model = _probe_model(keras.optimizers.SGD(s.as_keras(n)))
    rec = _Recorder()
    # 6 batches x 4 epochs = 24 steps: the last 4 are past n and clamp to values(n)[n - 1]
    model.fit(np.ones((24, 1), "float32"), np.zeros((24, 1), "float32"), batch_size=4, epochs=4, shuffle=False,
              verbose=0, callbacks=[rec])
    expected = s.values(n).astype(np.float32)[np.minimum(np.arange(24), n - 1)]
    assert rec.iterations == list(range(24))
    np.testing.assert_array_equal(np.float32(rec.lr), expected)
    # what the update used: SGD with gradient 1 moves w by -lr_t at step t
    w = np.array([r[0].item() for r in rec.weights] + [model.get_weights()[0].item()])
    np.testing.assert_allclose(-np.diff(w), expected, rtol=2e-4)
    # an off-by-one would differ by 30% on most steps
    assert not np.allclose(-np.diff(w)[1:], expected[:-1], rtol=0.05)


def test_schedule_lookup_clamps_and_validates():
    s = pyclr.one_cycle(0.1, total_steps=50)
    lr = KerasSchedule(s, 50)
    got = _np(lr(np.arange(0, 60, dtype=np.int32)))  # a vector of steps works too
    np.testing.assert_array_equal(got, s.values(50).astype(np.float32)[np.minimum(np.arange(60), 49)])
    assert float(_np(lr(7))) == np.float32(s.values(50)[7])
    assert lr.values is not None and lr.values.shape == (50,)
    with pytest.raises(ValueError, match="n"):
        KerasSchedule(s, 0)
    with pytest.raises(TypeError, match="n"):
        KerasSchedule(s, 2.5)
    with pytest.raises(TypeError, match="pyclr.Schedule for schedule"):
        KerasSchedule(lambda t: 0.1, 10)
    with pytest.raises(ValueError, match="parameter groups"):
        KerasSchedule(pyclr.per_group([s, s]), 10)
    with pytest.raises(ValueError, match="'schedule' and 'n'"):
        KerasSchedule.from_config({"n": 3})


def test_schedule_serialises_with_the_model(tmp_path, regression):
    x, y = regression
    s = pyclr.sgdr(0.05, T_0=7, T_mult=2, eta_min=1e-4)
    model = _mlp(keras.optimizers.SGD(s.as_keras(200), momentum=0.9))
    model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    config = model.optimizer.get_config()["learning_rate"]
    text = json.dumps(config)
    assert "pyclr>KerasSchedule" in text and len(text) < 2000  # the spec, never the 200 values
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    lr = loaded.optimizer._learning_rate
    assert isinstance(lr, KerasSchedule) and lr.schedule == s and lr.n == 200
    steps = np.arange(210, dtype=np.int32)
    np.testing.assert_array_equal(_np(lr(steps)), _np(model.optimizer._learning_rate(steps)))
    assert int(_np(loaded.optimizer.iterations)) == 10
    # training goes on where it stopped: step 10 uses values(200)[10]
    rec = _Recorder()
    loaded.fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[rec])
    np.testing.assert_array_equal(np.float32(rec.lr), s.values(200).astype(np.float32)[10:20])
    # keras' own (de)serialisation helpers too
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(lr))
    assert isinstance(again, KerasSchedule) and again.get_config() == lr.get_config()


# ------------------------------------------------------------------------- CyclicLR
def test_cyclic_lr_history_and_the_lrs_really_used():
    s = pyclr.cyclic(0.01, 0.1, step_size_up=2, step_size_down=3)
    clr = CyclicLR(s)
    rec = _Recorder()
    model = _probe_model(keras.optimizers.SGD(0.5))
    x, y = np.ones((20, 1), "float32"), np.zeros((20, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0, callbacks=[clr, rec])
    expected = s.values(15).astype(np.float32)
    assert clr.step == 15 and len(clr._lrs) >= 15  # precomputed from epochs * steps
    assert clr.history["iterations"] == list(range(1, 16))
    np.testing.assert_array_equal(np.float32(clr.history["lr"]), expected)
    np.testing.assert_array_equal(np.float32(rec.lr), expected)  # read from the optimizer
    assert set(clr.history) == {"lr", "iterations", "loss"} and len(clr.history["loss"]) == 15
    w = np.array([r[0].item() for r in rec.weights] + [model.get_weights()[0].item()])
    np.testing.assert_allclose(-np.diff(w), expected, rtol=2e-4)
    # a second fit goes on counting: steps 15 .. 19, grown lazily past what was precomputed
    clr2 = CyclicLR(s, n=3)
    model2 = _probe_model(keras.optimizers.SGD(0.5))
    model2.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[clr2])
    model2.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[clr2])
    assert clr2.history["iterations"] == list(range(1, 11))
    np.testing.assert_array_equal(np.float32(clr2.history["lr"]), s.values(10).astype(np.float32))


def test_cyclic_lr_trains_exactly_like_the_keras_schedule(regression):
    """The callback and the optimizer-side schedule are two routes to the same run: bit for bit
    on torch's eager steps (XLA fuses a jitted step's LR lookup differently: a few ulps)."""
    x, y = regression
    s = pyclr.one_cycle(0.05, total_steps=30)
    by_schedule = _mlp(keras.optimizers.SGD(s.as_keras(30), momentum=0.9))
    by_callback = _mlp(keras.optimizers.SGD(0.5, momentum=0.9))
    by_schedule.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0)
    by_callback.fit(x, y, batch_size=10, epochs=3, shuffle=False, verbose=0, callbacks=[CyclicLR(s)])
    for a, b in zip(by_schedule.get_weights(), by_callback.get_weights()):
        if BACKEND == "torch":
            np.testing.assert_array_equal(a, b)
        else:
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Your input ran out of data")
@pytest.mark.filterwarnings("ignore:`shuffle=True` was passed")
def test_cyclic_lr_without_known_length_grows_lazily():
    s = pyclr.cyclic(0.001, 0.01, step_size_up=100)

    def batches():  # a generator: Keras cannot know the epoch's length
        for _ in range(600):
            yield np.ones((2, 1), "float32"), np.zeros((2, 1), "float32")

    clr = CyclicLR(s)
    model = _probe_model(keras.optimizers.SGD(0.5))
    model.fit(batches(), epochs=1, verbose=0, callbacks=[clr])
    assert clr.step == 600 and len(clr._lrs) >= 600  # grown twice: 256, 512, 1024
    np.testing.assert_array_equal(np.float32(clr.history["lr"]), s.values(600).astype(np.float32))


def test_cyclic_momentum_is_used_by_sgd():
    s = pyclr.one_cycle(0.1, total_steps=12, base_momentum=0.85, max_momentum=0.95)
    clr = CyclicLR(s, momentum=True)
    rec = _Recorder()
    model = _probe_model(keras.optimizers.SGD(0.5, momentum=0.9))
    if BACKEND != "torch":  # momentum is a Python float: only an eager step reads it every batch
        model.compile(optimizer=keras.optimizers.SGD(0.5, momentum=0.9), loss=model.loss, run_eagerly=True)
    model.fit(np.ones((12, 1), "float32"), np.zeros((12, 1), "float32"), batch_size=1, epochs=1, shuffle=False,
              verbose=0, callbacks=[clr, rec])
    lrs, moms = s.values(12), s.momentum(12)
    np.testing.assert_array_equal(clr.history["momentum"], moms)
    assert model.optimizer.momentum == moms[-1]
    # Keras SGD: v <- momentum * v - lr * g; w <- w + v (g = 1): the path of w with the cycled
    # momenta, far from the one with a constant 0.9
    v = w = 0.0
    path = []
    for lr, m in zip(lrs, moms):
        v = m * v - lr
        w += v
        path.append(w)
    got = [r[0].item() for r in rec.weights[1:]] + [model.get_weights()[0].item()]
    np.testing.assert_allclose(got, path, rtol=1e-5)


def test_cyclic_momentum_on_adam_sets_beta_1():
    s = pyclr.cyclic(1e-3, 1e-2, step_size_up=2, base_momentum=0.8, max_momentum=0.9)
    clr = CyclicLR(s, momentum=True)
    model = _probe_model(keras.optimizers.Adam(1e-3))
    if BACKEND != "torch":
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", run_eagerly=True)
    model.fit(np.ones((6, 1), "float32"), np.zeros((6, 1), "float32"), batch_size=1, epochs=1, verbose=0,
              callbacks=[clr])
    np.testing.assert_array_equal(clr.history["momentum"], s.momentum(6))
    assert model.optimizer.beta_1 == s.momentum(6)[-1]


def test_cyclic_lr_refuses_what_it_cannot_do():
    s = pyclr.cyclic(0.001, 0.01, step_size_up=4)
    x, y = np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")
    with pytest.raises(TypeError, match="as_keras"):
        _probe_model(keras.optimizers.SGD(s.as_keras(10))).fit(x, y, verbose=0, callbacks=[CyclicLR(s)])
    with pytest.raises(ValueError, match="no momentum channel"):
        CyclicLR(pyclr.cyclic(0.001, 0.01, step_size_up=4, base_momentum=None, max_momentum=None), momentum=True)
    with_mom = s  # cyclic() cycles momentum 0.8 .. 0.9 by default
    with pytest.raises(ValueError, match="momentum=0.0"):
        _probe_model(keras.optimizers.SGD(0.1)).fit(x, y, verbose=0, callbacks=[CyclicLR(with_mom, momentum=True)])
    compiled = _probe_model(keras.optimizers.SGD(0.1, momentum=0.9))
    compiled.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse", jit_compile=True)
    if compiled.jit_compile:  # a traced step would keep the momentum it was traced with
        with pytest.raises(ValueError, match="run_eagerly=True"):
            compiled.fit(x, y, verbose=0, callbacks=[CyclicLR(with_mom, momentum=True)])
    with pytest.raises(ValueError, match="Expected positive n, but got 0"):
        CyclicLR(s, n=0)
    with pytest.raises(TypeError, match="momentum"):
        CyclicLR(s, momentum="yes")
    with pytest.raises(TypeError, match="pyclr.Schedule for schedule"):
        CyclicLR(0.01)
    with pytest.raises(ValueError, match="parameter groups"):
        CyclicLR(pyclr.per_group([s, s]))


# ------------------------------------------------------------------------- the range test
def test_finder_losses_are_each_batch_own_loss(regression):
    """The logged loss is the loss of the batch, with sample weights and the L2 penalty, bit for
    bit what ``compute_loss`` gives on that batch with the weights before the step; Keras'
    logs["loss"] is the running mean, weighted by batch size."""
    x, y = regression
    sw = np.random.default_rng(1).uniform(0.2, 3.0, size=100).astype("float32")
    model = _mlp(keras.optimizers.SGD(0.01, momentum=0.9))
    if BACKEND != "torch":  # a jitted step fuses differently from the eager loss below (1 ulp)
        model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), loss="mse", run_eagerly=True)
    rec = _Recorder()
    res = range_test(model, x, y, sample_weight=sw, batch_size=24, shuffle=False, start_lr=1e-4, end_lr=1e-1,
                     num_iter=12, callbacks=[rec])
    assert res.stop_reason == "num_iter" and len(res) == 12
    sizes = [24, 24, 24, 24, 4]  # 100 samples: the last batch of each epoch is short
    direct, weights_of_batch = [], []
    for t in range(12):
        b = t % 5
        sl = slice(24 * b, 24 * b + sizes[b])
        model.set_weights(rec.weights[t])
        y_pred = model(x[sl], training=True)
        loss = model.compute_loss(x=x[sl], y=y[sl], y_pred=y_pred, sample_weight=sw[sl], training=True)
        direct.append(float(_np(loss)))
        weights_of_batch.append(sizes[b])
    np.testing.assert_array_equal(res.losses, direct)
    assert np.all(np.float32(res.losses) == res.losses)  # float32 losses, carried exactly
    # what other finders read: the running mean over the epoch, weighted by batch size
    keras_logs = np.array([log["loss"] for log in rec.logs])
    running = []
    for t in range(12):
        start = t - t % 5
        ws = np.array(weights_of_batch[start:t + 1], dtype=np.float64)
        running.append(np.dot(ws, direct[start:t + 1]) / ws.sum())
    np.testing.assert_allclose(keras_logs, running, rtol=1e-5)
    assert not np.allclose(keras_logs[1:5], direct[1:5], rtol=1e-3)
    # the LRs: the float32 values the optimizer held during each batch (the recorder runs
    # before the finder, so it reads them at the batch's end)
    np.testing.assert_array_equal(np.float32(rec.lr_after), np.float32(np.geomspace(1e-4, 1e-1, 12)))
    np.testing.assert_array_equal(res.lrs, np.float32(rec.lr_after).astype(np.float64))


def test_finder_restores_model_and_optimizer_bit_exact(regression):
    x, y = regression
    model = _mlp(keras.optimizers.Adam(1e-3), batch_norm=True, dropout=True)
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)  # non-zero slots, iterations 5
    before = _state(model)
    assert int(_np(model.optimizer.iterations)) == 5
    res = range_test(model, x, y, batch_size=16, start_lr=1e-5, end_lr=1.0, num_iter=30)
    assert len(res) > 5
    _assert_same_state(before, model)
    # the state really is the old one: the next epoch trains exactly as without the test
    model = _mlp(keras.optimizers.Adam(1e-3), batch_norm=True)
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)
    before = _state(model)
    range_test(model, x, y, batch_size=16, start_lr=1e-5, end_lr=1.0, num_iter=30)
    twin = _mlp(keras.optimizers.Adam(1e-3), batch_norm=True)
    twin.fit(x, y, batch_size=20, epochs=1, verbose=0)
    _assert_same_state(before, twin)
    h1 = model.fit(x, y, batch_size=20, epochs=1, shuffle=False, verbose=0)
    h2 = twin.fit(x, y, batch_size=20, epochs=1, shuffle=False, verbose=0)
    assert h1.history["loss"] == h2.history["loss"]  # and the loss tracker is Keras' own again
    _assert_same_state(_state(twin), model)
    assert type(model._loss_tracker) is keras.metrics.Mean
    # restore=False leaves the sweep's training in place
    weights, iterations = model.get_weights(), int(_np(model.optimizer.iterations))
    range_test(model, x, y, batch_size=16, start_lr=1e-5, end_lr=1e-2, num_iter=5, restore=False)
    assert int(_np(model.optimizer.iterations)) == iterations + 5
    assert not np.array_equal(weights[0], model.get_weights()[0])


def test_finder_restores_when_fit_raises(regression):
    x, y = regression
    model = _mlp(keras.optimizers.SGD(0.01, momentum=0.9))
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)
    before = _state(model)

    class Boom(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        range_test(model, x, y, batch_size=10, num_iter=20, callbacks=[Boom()])
    _assert_same_state(before, model)
    assert type(model._loss_tracker) is keras.metrics.Mean


def test_finder_stops_on_divergence_with_the_torch_rule(regression):
    x, y = regression
    model = _mlp(keras.optimizers.SGD(0.01))
    before = _state(model)
    res = range_test(model, x, y, batch_size=10, start_lr=1e-3, end_lr=1e4, num_iter=60)
    assert res.stop_reason in ("diverged", "non-finite loss") and len(res) < 60
    if res.stop_reason == "diverged":
        assert res.smoothed[-1] > 4.0 * res.smoothed[:-1].min()
        assert np.all(res.smoothed[:-1] <= 4.0 * np.minimum.accumulate(res.smoothed[:-1]))
    else:
        assert not np.isfinite(res.losses[-1]) and np.all(np.isfinite(res.losses[:-1]))
    _assert_same_state(before, model)
    from pyclr.finder.sweep import StopRule  # the rule pyclr.torch.range_test stops by

    rule = StopRule(0.98, 4.0)
    reasons = [rule.add(v) for v in res.losses.tolist()]
    assert reasons[-1] == res.stop_reason and all(r is None for r in reasons[:-1])
    np.testing.assert_array_equal(rule.smoothed, res.smoothed)


def test_finder_as_a_callback_linear_sweep_and_result(tmp_path, regression):
    x, y = regression
    model = _mlp(keras.optimizers.SGD(0.01))
    finder = LRFinder(1e-4, 1e-2, num_iter=15, step_mode="linear")
    hist = model.fit(x, y, batch_size=10, epochs=5, verbose=0, callbacks=[finder])
    res = finder.result
    assert isinstance(res, RangeTestResult) and res.stop_reason == "num_iter"
    assert len(hist.history["loss"]) == 2  # the finder stopped the fit after 15 batches
    np.testing.assert_array_equal(res.lrs, np.float32(np.linspace(1e-4, 1e-2, 15)).astype(np.float64))
    np.testing.assert_array_equal(res.steps, np.arange(15))
    path = tmp_path / "rt.csv"
    res.save(path)
    log = pyclr.load_log(path)
    np.testing.assert_array_equal(log.lrs, res.lrs)
    np.testing.assert_array_equal(log.losses, res.losses)
    assert json.loads(json.dumps(res.to_dict()))["num_iter"] == 15
    # validation between epochs (which updates the loss tracker too) changes nothing
    finder = LRFinder(1e-4, 1e-2, num_iter=15, step_mode="linear")
    model.fit(x, y, batch_size=10, epochs=5, verbose=0, callbacks=[finder], validation_data=(x[:30], y[:30]))
    assert finder.result.stop_reason == "num_iter" and len(finder.result) == 15
    # a fit too short for the sweep: what it saw, said so
    short = LRFinder(1e-4, 1e-2, num_iter=50)
    model.fit(x, y, batch_size=50, epochs=2, verbose=0, callbacks=[short])
    assert short.result.stop_reason == "fit ended" and len(short.result) == 4


def test_repeated_sweeps_start_from_the_same_state(tmp_path, regression):
    x, y = regression
    model = _mlp(keras.optimizers.SGD(0.01, momentum=0.9))
    model.fit(x, y, batch_size=20, epochs=1, verbose=0)
    before = _state(model)
    rec = _Recorder()
    runs = range_test(model, x, y, batch_size=10, start_lr=1e-4, end_lr=1.0, num_iter=20, repeats=3,
                      callbacks=[rec])
    assert isinstance(runs, RangeTestRuns) and len(runs) == 3 and all(2 <= len(r) <= 20 for r in runs)
    _assert_same_state(before, model)
    firsts = np.cumsum([0] + [len(r) for r in runs])[:3]
    assert len(rec.weights) == sum(len(r) for r in runs)
    for k in firsts:  # each sweep's first batch met the same weights ...
        for a, b in zip(rec.weights[k], rec.weights[0]):
            np.testing.assert_array_equal(a, b)
    assert runs[0].losses[0] != runs[1].losses[0]  # ... but another batch (a new shuffle)
    a, b = runs.analyze(), pyclr.analyze(runs.lrs, runs.losses)
    assert len(a.runs) == 3 and (a.verdict, a.base_lr, a.max_lr) == (b.verdict, b.base_lr, b.max_lr)
    paths = runs.save(tmp_path / "rt.csv")
    assert [os.path.basename(p) for p in paths] == ["rt_run0.csv", "rt_run1.csv", "rt_run2.csv"]
    np.testing.assert_array_equal(pyclr.load_log(paths[2]).losses, runs[2].losses)
    assert len(runs.to_dict()["runs"]) == 3
    with pytest.raises(ValueError, match="Expected positive repeats, but got 0"):
        range_test(model, x, y, repeats=0)
    # restore=False keeps the last sweep's training only: iterations advanced by one sweep
    iterations = int(_np(model.optimizer.iterations))
    range_test(model, x, y, batch_size=10, start_lr=1e-4, end_lr=1e-2, num_iter=5, repeats=2, restore=False)
    assert int(_np(model.optimizer.iterations)) == iterations + 5


def test_finder_refuses_a_train_step_that_bypasses_the_loss_tracker(regression):
    x, y = regression

    class Silent(keras.callbacks.Callback):
        """Runs after the finder's on_train_begin: the train step then never feeds its tracker,
        as a custom train_step with its own loss metric would not."""

        def on_train_begin(self, logs=None):
            self.model._loss_tracker.update_state = lambda *args, **kwargs: None

    model = _mlp(keras.optimizers.SGD(0.01))
    before = _state(model)
    finder = LRFinder(num_iter=10)
    with pytest.raises(ValueError, match="loss tracker 0 times"):
        model.fit(x, y, batch_size=10, verbose=0, callbacks=[finder, Silent()])
    _assert_same_state(before, model)
    assert type(model._loss_tracker) is keras.metrics.Mean


def test_analyze_on_digits_is_ok():
    load_digits = pytest.importorskip("sklearn.datasets").load_digits
    digits = load_digits()
    x, y = (digits.data / 16).astype("float32"), digits.target
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    res = range_test(model, x, y, start_lr=1e-5, end_lr=10, num_iter=100, batch_size=32)
    a = res.analyze()
    b = pyclr.analyze(res.lrs, res.losses)
    assert isinstance(a, pyclr.Analysis) and (a.verdict, a.base_lr, a.max_lr) == (b.verdict, b.base_lr, b.max_lr)
    assert a.verdict == "ok", a.reasons
    assert 1e-4 < a.base_lr < a.max_lr < 10
    s = res.to_schedule(len(x), batch_size=32, epochs_per_half_cycle=2)
    assert isinstance(s, pyclr.Schedule)
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    ax = res.plot()
    assert len(ax.lines) >= 2 and a.verdict in ax.get_title()
    matplotlib.pyplot.close(ax.figure)


# ------------------------------------------------------------------------- bad input, imports
@pytest.mark.parametrize("kwargs, error, text", [
    (dict(start_lr=0), ValueError, "Expected positive start_lr, but got 0"),
    (dict(start_lr=1.0, end_lr=0.5), ValueError, "end_lr > start_lr"),
    (dict(num_iter=1), ValueError, "num_iter"),
    (dict(num_iter=10.0), TypeError, "num_iter"),
    (dict(step_mode="cos"), ValueError, "step_mode"),
    (dict(diverge_th=1.0), ValueError, "diverge_th > 1"),
    (dict(smooth_beta=1.0), ValueError, "smooth_beta"),
    (dict(restore="no"), TypeError, "restore"),
])
def test_finder_bad_input_names_the_parameter(kwargs, error, text):
    with pytest.raises(error, match=text):
        LRFinder(**kwargs)


def test_range_test_bad_input(regression):
    x, y = regression
    with pytest.raises(TypeError, match="keras.Model"):
        range_test(object(), x, y)
    with pytest.raises(ValueError, match="compile"):
        range_test(keras.Sequential([keras.Input((6,)), keras.layers.Dense(1)]), x, y)
    model = _mlp(keras.optimizers.SGD(0.01))
    with pytest.raises(ValueError, match="Expected positive batch_size, but got 0"):
        range_test(model, x, y, batch_size=0)
    with pytest.raises(TypeError, match="callbacks"):
        range_test(model, x, y, callbacks=CyclicLR(pyclr.constant(0.1)))
    scheduled = _mlp(keras.optimizers.SGD(pyclr.constant(0.1).as_keras(5)))
    before = _state(scheduled)
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        range_test(scheduled, x, y, num_iter=5)
    _assert_same_state(before, scheduled)


def test_import_without_keras_names_the_extra():
    code = ("import sys; sys.modules['keras'] = None\n"
            "import pyclr; assert 'keras' not in [m.split('.')[0] for m in sys.modules if sys.modules[m]]\n"
            "try:\n    import pyclr.keras\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "pip install 'pyclr-lr[keras]'" in out.stdout
