"""Training a configuration under a schedule, and the cache of training results.

``train(config, seed, schedule)`` trains a fresh model (seed ``seed``'s initial weights and
batch order, the same for every schedule) for ``config.epochs`` epochs, the optimizer's LR
of step ``t`` set to ``schedule.values(steps)[t]`` (pyclr's step convention; momentum is
never cycled: SGD-momentum keeps 0.9, the Adam family its betas), and scores it on the
validation split:

* classification: accuracy;
* regression: R² (1 - SSE / SST around the validation mean), clipped below at
  :data:`SCORE_FLOOR` (0: no better than predicting the mean).

A run *diverged* when a training loss or a validation output turned non-finite (the run
stops there), or when a batch's loss rose above :data:`BLOWUP` times the initial loss (the
untrained model's loss on the whole training split) and the last epoch's mean loss is still
above 90 % of it (it blew up and never came back: a network killed by a too-high LR settles
at chance level). A diverged run scores :data:`SCORE_FLOOR`. A run whose last epoch stayed
above 90 % of the initial loss without blowing up is *untrained* (flagged, scored as it is).

Results are cached under ``<cache>/train/<config>/`` keyed by the configuration's fields,
the seed and ``schedule.to_dict()``: re-evaluating a rule trains only schedules not trained
before.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from . import cache as C
from . import tasks as T

__all__ = ["SCORE_FLOOR", "TrainResult", "steps_of", "train", "schedule_key", "result_path", "cached_train",
           "ensure_trained"]

#: Score of a diverged run, and lower clip of R².
SCORE_FLOOR = 0.0
#: A batch loss above this multiple of the initial loss is a blow-up.
BLOWUP = 3.0


@dataclass(frozen=True)
class TrainResult:
    score: float          # validation accuracy or clipped R²; SCORE_FLOOR when diverged
    diverged: bool
    untrained: bool       # last epoch above 90 % of the initial loss (diverged or not)
    init_loss: float      # the untrained model's loss on the whole training split
    peak_loss: float      # the largest batch loss
    last_loss: float      # mean training loss of the last epoch (nan when stopped early)
    raw_score: float      # the unclipped accuracy / R² (nan when stopped early)
    steps: int            # steps run (fewer than planned when the loss turned non-finite)
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


def steps_of(config: T.Config) -> int:
    """Optimizer steps of a training run: ``epochs`` full passes, last partial batch dropped."""
    return config.epochs * T.steps_per_epoch(config)


def train(config: T.Config, seed: int, schedule) -> TrainResult:
    """Train and score one run (no cache); see the module docstring."""
    import torch

    fam = T.FAMILIES[config.family]
    xtr, ytr, xva, yva = T.load_data(config.family)
    per_epoch = T.steps_per_epoch(config)
    steps = steps_of(config)
    lrs = np.asarray(schedule.values(steps), dtype=np.float64).tolist()
    t0 = time.perf_counter()
    model = T.make_model(config.family, seed)
    opt = T.make_optimizer(config.optimizer, model, lrs[0])
    group = opt.param_groups[0]
    loss_fn = fam.loss
    model.train()
    # on a copy, with the RNG put back: BatchNorm's running statistics and dropout's draws of the
    # run itself stay as they would be without this measurement
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        init = float(loss_fn(copy.deepcopy(model)(xtr), ytr))
    peak = -math.inf
    last_epoch: list = []

    def done(nonfinite: bool, last: float, raw: float, ran: int) -> TrainResult:
        untrained = not last < 0.9 * init
        diverged = nonfinite or (peak > BLOWUP * init and untrained)
        score = SCORE_FLOOR if diverged else max(SCORE_FLOOR, raw)
        return TrainResult(float(score), diverged, untrained, init, float(peak), float(last), float(raw), ran,
                           time.perf_counter() - t0)

    for t, idx in enumerate(T.batches(len(xtr), config.batch_size, steps, seed)):
        group["lr"] = lrs[t]
        loss = loss_fn(model(xtr[idx]), ytr[idx])
        value = loss.item()
        if not math.isfinite(value):
            return done(True, math.nan, math.nan, t)
        if value > peak:
            peak = value
        if t >= steps - per_epoch:
            last_epoch.append(value)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        out = model(xva)
    last = float(np.mean(last_epoch))
    if not bool(torch.isfinite(out).all()):
        return done(True, last, math.nan, steps)
    if fam.regression:
        sse = float(((out - yva) ** 2).sum())
        sst = float(((yva - yva.mean()) ** 2).sum())
        raw = 1.0 - sse / sst
    else:
        raw = float((out.argmax(1) == yva).float().mean())
    return done(False, last, raw, steps)


def schedule_key(config: T.Config, seed: int, spec: dict) -> dict:
    """What a training result depends on: the suite version, the configuration, the seed, the schedule."""
    return {"suite": C.VERSION, "config": config.to_dict(), "seed": seed, "schedule": spec}


def result_path(cache: Path, config: T.Config, seed: int, spec: dict) -> Path:
    return cache / "train" / config.name.replace("/", "_") / f"s{seed}_{C.digest(schedule_key(config, seed, spec))}.json"


def _unit(config_name: str, seed: int, spec: dict, cache: str) -> dict:
    """Worker: train one (configuration, seed, schedule) and store it; returns the record."""
    import pyclr

    config = T.get_config(config_name)
    path = result_path(Path(cache), config, seed, spec)
    rec = C.read_json(path)
    if rec is None:
        res = train(config, seed, pyclr.Schedule.from_dict(spec))
        rec = {**schedule_key(config, seed, spec), "config_name": config.name, "result": res.to_dict()}
        C.write_json(path, rec)
    return rec


def _result(rec: dict) -> TrainResult:
    return TrainResult(**rec["result"])


def cached_train(config: T.Config, seed: int, schedule, cache=None) -> TrainResult:
    """:func:`train` through the cache."""
    return _result(_unit(config.name, seed, schedule.to_dict(), str(C.cache_dir(cache))))


def ensure_trained(wanted: Iterable, cache=None, jobs=1) -> dict:
    """Train what is missing and return every result.

    ``wanted``: ``(config, seed, schedule spec dict)`` triples (duplicates are trained once); ``jobs``:
    processes, or a shared ``_pool.Workers``.
    Returns ``{(config name, seed, spec JSON digest): TrainResult}``, see :func:`spec_id`.
    """
    from ._pool import run_units

    cache = C.cache_dir(cache)
    out: dict = {}
    todo: dict = {}
    for config, seed, spec in wanted:
        key = (config.name, seed, spec_id(spec))
        if key in out or key in todo:
            continue
        rec = C.read_json(result_path(cache, config, seed, spec))
        if rec is None:
            todo[key] = (config, seed, spec)
        else:
            out[key] = _result(rec)
    order = sorted(todo, key=lambda k: -steps_of(todo[k][0]) * _cost(todo[k][0]))
    units = [(_unit, (todo[k][0].name, todo[k][1], todo[k][2], str(cache))) for k in order]
    for i, rec in run_units(units, jobs, progress="training runs"):
        out[order[i]] = _result(rec)
    return out


def spec_id(spec: dict) -> str:
    """A schedule spec's identity (a digest of its JSON)."""
    return C.digest(spec)


# relative cost of one step, for ordering the work (measured on one thread, roughly)
_STEP_COST = {"seq-gru": 6.0, "seq-transformer": 6.0, "digits-cnn": 3.0}


def _cost(config: T.Config) -> float:
    return _STEP_COST.get(config.family, 1.0) * (1.0 + config.batch_size / 128)
