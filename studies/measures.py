"""The measures: regret, divergence, stability and verdict errors of a bound rule.

A *rule* is any function ``rule(lrs, losses) -> (base_lr, max_lr, verdict)`` (either bound
may be None); :func:`pyclr_rule`, ``pyclr.analyze`` read that way, is the default. It gets
one sweep's arrays, or lists of arrays where ``range_test``'s defaults run several sweeps
(``pyclr.analyze`` combines them). The anchors are ``pyclr.suggest(method=m)`` for every
``m`` in ``pyclr.finder.METHODS``, given the planned ``num_it``.

Per configuration and seed ``s`` (the range test of seed ``s`` at ``config.num_iter``
points, then training with seed ``s``):

* **regret** of each schedule = the best score of any anchor-built schedule on the same
  range test (each rule's LR as a constant and as a one-cycle peak; CLR valley..minimum and
  minimum/10..minimum) minus the schedule's score, in points (accuracy % or R² x 100). The
  rule's schedules: ``cyclic(base, max, step_size_up=steps/4)`` (two full triangular
  cycles, ending at base) and ``one_cycle(max, steps)``. A rule that gives no LR scores
  :data:`~studies.training.SCORE_FLOOR` (as a diverged run). Averaged over the seeds.
* **divergence**: seeds on which a schedule built from the rule's bounds diverged.
* **stability**: max/min of each rule's LR over the 5 seeds at each sweep length, and over
  the 4 sweep lengths (50, 100, 200, 400) for each seed, on the configuration's sweep; the
  same for the rule on what ``range_test``'s defaults return.
* **verdict errors**: logs whose loss clearly falls (:func:`clear_descent`) but whose
  verdict is ``no_descent`` or ``too_noisy``; and the pure-noise logs of
  ``benchmarks/null_drop.py``, which should get ``no_descent``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from . import rangetests as R
from . import tasks as T
from . import training as TR
from ._pool import Workers

__all__ = [
    "Rule", "Answer", "pyclr_rule", "apply_rule", "anchor_lrs", "schedules_for", "clear_descent", "noise_logs",
    "QUICK", "Evaluation", "evaluate", "spread",
]

Rule = Callable[..., tuple]
#: Verdicts that deny a descent.
DENIALS = ("no_descent", "too_noisy")
#: A log "clearly falls" when its smoothed loss drops by this fraction of its starting level before diverging.
CLEAR_DROP = 0.3
#: The quick subset (one slow test): configurations per half, seeds, sweep lengths, noise logs per cell.
QUICK = {
    "configs": {"design": ("cancer-logreg/sgd/b8/exp/e4", "digits-cnn/sgdm/b32/exp/e3", "digits-bn/sgd/b128/linear/e30"),
                "heldout": ("digits-mlp/sgd/b16/linear/e3", "cancer-logreg/adam/b32/linear/e20",
                            "diabetes-std/rmsprop/b64/exp/e40")},
    "seeds": (0, 1), "num_iters": (50, 100), "noise_logs": 10,
}


def pyclr_rule(lrs, losses) -> tuple:
    """``pyclr.analyze`` as a rule: ``(a.base_lr, a.max_lr, a.verdict)``."""
    import pyclr

    a = pyclr.analyze(lrs, losses)
    return a.base_lr, a.max_lr, a.verdict


@dataclass(frozen=True)
class Answer:
    base_lr: Optional[float]
    max_lr: Optional[float]
    verdict: str


def _lr(v) -> Optional[float]:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) and v > 0 else None


def apply_rule(rule: Rule, lrs, losses) -> Answer:
    """The rule's answer; an exception becomes the verdict ``"error: ..."`` with no bounds."""
    try:
        base, top, verdict = rule(lrs, losses)
    except (ValueError, FloatingPointError, ZeroDivisionError) as exc:
        return Answer(None, None, f"error: {exc}")
    return Answer(_lr(base), _lr(top), str(verdict))


def anchor_lrs(lrs, losses, num_iter: int) -> dict:
    """``{method: suggested LR or None}`` for every anchor rule (None where the library fails)."""
    import pyclr
    from pyclr.finder import METHODS

    out = {}
    for m in METHODS:
        try:
            out[m] = _lr(pyclr.suggest(lrs, losses, method=m, num_it=num_iter))
        except ValueError:
            out[m] = None
    return out


def _cyclic(lo, hi, steps):
    import pyclr

    lo, hi = min(lo, hi), max(lo, hi)
    return pyclr.cyclic(lo, hi, step_size_up=steps / 4.0)  # 2 full cycles, ending at base


def schedules_for(config: T.Config, answer: Answer, anchors: dict, rule_name: str = "pyclr") -> dict:
    """``{label: schedule or None}``: the rule's two schedules, then every anchor-built one.

    Labels: ``"<rule> CLR"``, ``"<rule> 1cycle"``, ``"<method> constant"``, ``"<method> 1cycle"``,
    ``"valley..minimum CLR"``, ``"minimum/10..minimum CLR"``. None: the rule gave no LR.
    """
    import pyclr

    steps = TR.steps_of(config)
    out = {
        f"{rule_name} CLR": (_cyclic(answer.base_lr, answer.max_lr, steps)
                             if answer.base_lr is not None and answer.max_lr is not None else None),
        f"{rule_name} 1cycle": pyclr.one_cycle(answer.max_lr, steps) if answer.max_lr is not None else None,
    }
    for m, lr in anchors.items():
        out[f"{m} constant"] = pyclr.constant(lr) if lr is not None else None
        out[f"{m} 1cycle"] = pyclr.one_cycle(lr, steps) if lr is not None else None
    v, mn = anchors.get("valley"), anchors.get("minimum")
    out["valley..minimum CLR"] = _cyclic(v, mn, steps) if v is not None and mn is not None else None
    out["minimum/10..minimum CLR"] = _cyclic(mn / 10, mn, steps) if mn is not None else None
    return out


def clear_descent(lrs, losses, drop: float = CLEAR_DROP) -> tuple:
    """``(falls, fraction)``: does the loss fall by ``drop`` of its starting level before diverging?

    Independent of pyclr's smoother: the losses (up to the first non-finite one) are smoothed by a
    centred running median of 5 points, then a centred mean of 3. The starting level is the median
    of the first 5 losses; the divergence is the first point where the smoothed loss exceeds 4 times
    its running minimum; the fraction is (start - lowest smoothed loss before it) / start.
    Logs of fewer than 10 finite points, or with a non-positive start, do not count.
    """
    y = np.asarray(losses, dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        y = y[:bad[0]]
    n = y.shape[0]
    if n < 10:
        return False, math.nan
    med = _centred(y, 2, np.median)
    s = _centred(med, 1, np.mean)
    start = float(np.median(y[:5]))
    if not start > 0:
        return False, math.nan
    runmin = np.minimum.accumulate(s)
    over = np.flatnonzero(s > 4.0 * runmin)
    end = int(over[0]) if over.size else n
    frac = (start - float(s[:end].min())) / start
    return frac >= drop, frac


def _centred(y: np.ndarray, half: int, stat) -> np.ndarray:
    """``stat`` over the window ``y[i-half : i+half+1]`` at every ``i``, the window cut at the ends."""
    n = y.shape[0]
    out = np.empty(n)
    if n > 2 * half:
        out[half:n - half] = stat(np.lib.stride_tricks.sliding_window_view(y, 2 * half + 1), axis=1)
    for i in (*range(min(half, n)), *range(max(half, n - half), n)):
        out[i] = stat(y[max(0, i - half):i + half + 1])
    return out


#: The flat logs of benchmarks/null_drop.py: exponential sweep 1e-5..1, loss 2.3 plus Gaussian or
#: Student-t(3) noise of scale 0.05, seeds 0..LOGS-1 of numpy's default_rng.
NOISE_POINTS = (30, 100, 300, 1000, 5000)
NOISE_LOGS = 300


def noise_logs(per_cell: int = NOISE_LOGS):
    """Yield ``(noise, points, seed, lrs, losses)`` for the pure-noise logs of benchmarks/null_drop.py."""
    for noise in ("normal", "t3"):
        for n in NOISE_POINTS:
            lrs = np.geomspace(1e-5, 1.0, n)
            for seed in range(per_cell):
                rng = np.random.default_rng(seed)
                e = rng.normal(0, 0.05, n) if noise == "normal" else 0.05 * rng.standard_t(3, n)
                yield noise, n, seed, lrs, 2.3 + e


def spread(values) -> float:
    """max/min of the LRs given (None left out); nan with fewer than two."""
    v = [x for x in values if x is not None]
    return max(v) / min(v) if len(v) >= 2 else math.nan


def gmean(values) -> float:
    v = [x for x in values if x is not None and math.isfinite(x)]
    return float(math.exp(np.mean(np.log(v)))) if v else math.nan


def worst(values) -> float:
    v = [x for x in values if x is not None and math.isfinite(x)]
    return float(max(v)) if v else math.nan


# --------------------------------------------------------------------------------------
# the evaluation
# --------------------------------------------------------------------------------------
@dataclass
class Evaluation:
    """Everything measured for one rule on one half. See :func:`evaluate`; ``studies.report``
    prints it. Keys: configuration name, seed, sweep length, record kind."""

    rule_name: str
    half: str
    configs: list
    seeds: tuple
    num_iters: tuple
    answers: dict = field(default_factory=dict)        # (cfg, seed, n, kind) -> Answer
    anchors: dict = field(default_factory=dict)        # (cfg, seed, n) -> {method: lr}
    schedules: dict = field(default_factory=dict)      # (cfg, seed) -> {label: spec dict or None}
    results: dict = field(default_factory=dict)        # (cfg, seed, label) -> TrainResult or None
    descent: dict = field(default_factory=dict)        # (cfg, seed, n, kind) -> (falls, fraction)
    noise: dict = field(default_factory=dict)          # verdict -> count, on the pure-noise logs
    seconds: dict = field(default_factory=dict)        # stage -> wall seconds
    measured: tuple = ()

    # ---- labels -------------------------------------------------------------------------
    @property
    def rule_labels(self) -> tuple:
        return f"{self.rule_name} CLR", f"{self.rule_name} 1cycle"

    def anchor_labels(self) -> list:
        from pyclr.finder import METHODS

        return [f"{m} {k}" for m in METHODS for k in ("constant", "1cycle")] + [
            "valley..minimum CLR", "minimum/10..minimum CLR"]

    def labels(self) -> list:
        return list(self.rule_labels) + self.anchor_labels()

    # ---- regret ------------------------------------------------------------------------
    def score(self, cfg: str, seed: int, label: str) -> float:
        r = self.results.get((cfg, seed, label))
        return TR.SCORE_FLOOR if r is None else r.score

    def best_anchor(self, cfg: str, seed: int) -> tuple:
        """(label, score) of the best anchor-built schedule on this seed's range test."""
        cands = [(self.score(cfg, seed, lab), lab) for lab in self.anchor_labels()
                 if self.results.get((cfg, seed, lab)) is not None]
        if not cands:
            return None, TR.SCORE_FLOOR
        s, lab = max(cands)
        return lab, s

    def regret(self, cfg: str, label: str) -> float:
        """Mean over seeds of best anchor score - the schedule's score, in points (x100)."""
        return float(np.mean([100 * (self.best_anchor(cfg, s)[1] - self.score(cfg, s, label)) for s in self.seeds]))

    def mean_score(self, cfg: str, label: str) -> float:
        return float(np.mean([100 * self.score(cfg, s, label) for s in self.seeds]))

    def diverged(self, cfg: str, labels: Sequence[str]) -> int:
        """Seeds on which any of ``labels``' runs diverged."""
        return sum(any(getattr(self.results.get((cfg, s, lab)), "diverged", False) for lab in labels)
                   for s in self.seeds)

    def missing(self, cfg: str, labels: Sequence[str]) -> int:
        """Seeds on which the rule gave no LR for any of ``labels``."""
        return sum(any(self.schedules[cfg, s].get(lab) is None for lab in labels) for s in self.seeds)

    # ---- stability ---------------------------------------------------------------------
    def values(self, cfg: str, seed: int, n: int, what: str, kind: str = "sweep") -> Optional[float]:
        """The LR ``what`` gave: ``"<rule> max_lr"``, ``"<rule> base_lr"`` or an anchor method."""
        if what == f"{self.rule_name} max_lr":
            return self.answers[cfg, seed, n, kind].max_lr
        if what == f"{self.rule_name} base_lr":
            return self.answers[cfg, seed, n, kind].base_lr
        return self.anchors[cfg, seed, n][what]

    def stability_labels(self) -> list:
        from pyclr.finder import METHODS

        return [f"{self.rule_name} max_lr", f"{self.rule_name} base_lr", *METHODS]

    def seed_spreads(self, cfg: str, what: str, kind: str = "sweep") -> dict:
        """``{n: max/min over the seeds}`` for every sweep length."""
        return {n: spread([self.values(cfg, s, n, what, kind) for s in self.seeds]) for n in self.num_iters}

    def length_spreads(self, cfg: str, what: str, kind: str = "sweep") -> dict:
        """``{seed: max/min over the sweep lengths}``."""
        return {s: spread([self.values(cfg, s, n, what, kind) for n in self.num_iters]) for s in self.seeds}

    def no_answers(self, cfg: str, what: str, kind: str = "sweep") -> int:
        return sum(self.values(cfg, s, n, what, kind) is None for s in self.seeds for n in self.num_iters)

    # ---- verdicts ----------------------------------------------------------------------
    def verdict_errors(self, cfg: Optional[str] = None) -> list:
        """``[(cfg, seed, n, kind, fraction, verdict)]``: clear descents the rule denied."""
        out = []
        for key, (falls, frac) in self.descent.items():
            if falls and (cfg is None or key[0] == cfg):
                v = self.answers[key].verdict
                if v in DENIALS:
                    out.append((*key, frac, v))
        return sorted(out)

    def clear_logs(self, cfg: Optional[str] = None) -> int:
        return sum(falls for key, (falls, _) in self.descent.items() if cfg is None or key[0] == cfg)


def _logs_needed(measures) -> tuple:
    kinds = ("sweep", "default") if {"stability", "verdicts"} & set(measures) else ("sweep",)
    return kinds


def evaluate(rule: Rule = pyclr_rule, half: str = "design", *, measures: Sequence[str] = ("regret", "stability",
             "verdicts"), quick: bool = False, jobs: int = 1, cache=None, rule_name: Optional[str] = None,
             configs: Optional[Sequence] = None) -> Evaluation:
    """Evaluate ``rule`` on ``half`` (``"design"``, ``"heldout"`` or ``"all"``).

    Range tests missing from the cache are run first, then (for ``"regret"``) the training runs
    missing from the cache, on ``jobs`` processes. With everything cached, ``"stability"`` and
    ``"verdicts"`` take seconds. ``quick``: the subset :data:`QUICK`. ``configs``: configuration
    names to restrict to (within the half).
    """
    measures = tuple(measures)
    for m in measures:
        if m not in ("regret", "stability", "verdicts"):
            raise ValueError(f"Expected measures among ('regret', 'stability', 'verdicts'), but got {m!r}")
    if rule_name is None:
        rule_name = "pyclr" if rule is pyclr_rule else getattr(rule, "__name__", "rule")
    chosen = T.configs(half)
    seeds, num_iters = T.SEEDS, T.NUM_ITERS
    noise_per_cell = NOISE_LOGS
    if quick:
        names = QUICK["configs"]["design" if half == "all" else half]
        chosen = [c for c in chosen if c.name in names]
        seeds, num_iters, noise_per_cell = QUICK["seeds"], QUICK["num_iters"], QUICK["noise_logs"]
    if configs is not None:
        unknown = set(configs) - {c.name for c in chosen}
        if unknown:
            raise ValueError(f"configurations not in half {half!r}{' (quick)' if quick else ''}: {sorted(unknown)}")
        chosen = [c for c in chosen if c.name in set(configs)]
    ev = Evaluation(rule_name, half, chosen, tuple(seeds), tuple(num_iters), measured=measures)

    with Workers(jobs) as workers:
        _evaluate(ev, rule, chosen, seeds, num_iters, noise_per_cell, measures, rule_name, cache, workers)
    return ev


def _evaluate(ev, rule, chosen, seeds, num_iters, noise_per_cell, measures, rule_name, cache, workers) -> None:
    t0 = time.perf_counter()
    kinds = _logs_needed(measures)
    R.ensure_logs(chosen, seeds, cache=cache, jobs=workers, kinds=kinds, num_iters=num_iters)
    ev.seconds["range tests"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    for c in chosen:
        lengths = tuple(sorted(set(num_iters) | {c.num_iter}))
        for s in seeds:
            for n in lengths:
                for kind in kinds:
                    log = R.load_log(c, s, n, kind, cache)
                    ev.answers[c.name, s, n, kind] = apply_rule(rule, log.lrs, log.losses)
                    if kind == "sweep":
                        ev.anchors[c.name, s, n] = anchor_lrs(log.lrs, log.losses, n)
                    if "verdicts" in measures and len(log.runs) == 1 and (kind == "sweep" or not R.same_call(c, n)):
                        ev.descent[c.name, s, n, kind] = clear_descent(log.lrs, log.losses)
    if "verdicts" in measures:
        counts: dict = {}
        for _, _, _, lrs, losses in noise_logs(noise_per_cell):
            v = apply_rule(rule, lrs, losses).verdict
            counts[v] = counts.get(v, 0) + 1
        ev.noise = counts
    ev.seconds["rules"] = time.perf_counter() - t0

    if "regret" in measures:
        t0 = time.perf_counter()
        wanted = []
        for c in chosen:
            for s in seeds:
                sched = schedules_for(c, ev.answers[c.name, s, c.num_iter, "sweep"], ev.anchors[c.name, s, c.num_iter],
                                      rule_name)
                ev.schedules[c.name, s] = {lab: (None if v is None else v.to_dict()) for lab, v in sched.items()}
                wanted += [(c, s, spec) for spec in ev.schedules[c.name, s].values() if spec is not None]
        done = TR.ensure_trained(wanted, cache=cache, jobs=workers)
        for (cfg, s), specs in ev.schedules.items():
            for lab, spec in specs.items():
                ev.results[cfg, s, lab] = None if spec is None else done[cfg, s, TR.spec_id(spec)]
        ev.seconds["training"] = time.perf_counter() - t0
