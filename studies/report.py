"""Markdown tables of an :class:`~studies.measures.Evaluation`: one summary table, then one
table per configuration."""
from __future__ import annotations

import math
from typing import Optional

import numpy as np

from . import measures as M
from . import rangetests as R
from . import tasks as T
from . import training as TR

__all__ = ["markdown", "summary_rows", "summary_table", "config_table"]


def _x(v: float) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.2f}x"


def _pts(v: float) -> str:
    return "-" if v is None or not math.isfinite(v) else f"{v:.1f}"


def _g(v: Optional[float]) -> str:
    return "-" if v is None else f"{v:.2g}"


def _median_lr(vals) -> Optional[float]:
    v = [x for x in vals if x is not None]
    return float(np.exp(np.median(np.log(v)))) if v else None


def summary_rows(ev: M.Evaluation) -> list:
    """One dict per row of the summary table (numbers, not strings): ``rule``, ``regret`` (CLR or
    constant) and ``regret_1cycle`` as (mean, worst) over configurations, ``diverged`` and
    ``no_answer`` as (count, of), ``seed_spread`` as (typical, worst, logs without an answer, logs),
    ``length_spread`` as (typical, worst), ``verdict_errors`` as (count, of); None where not
    measured or not applicable. The rows for ``range_test()``'s defaults add ``over``: ((seed
    cells over 1.5x, cells), (length cells over 2x, cells))."""
    from pyclr.finder import METHODS

    cfgs = [c.name for c in ev.configs]
    regret = "regret" in ev.measured
    stab = "stability" in ev.measured
    n_pairs = len(cfgs) * len(ev.seeds)

    def reg(label):
        if not regret:
            return None
        per = [ev.regret(c, label) for c in cfgs]
        return float(np.mean(per)), float(np.max(per))

    def stability(what, kind="sweep"):
        if not stab:
            return None, None
        seed = [v for c in cfgs for v in ev.seed_spreads(c, what, kind).values()]
        length = [v for c in cfgs for v in ev.length_spreads(c, what, kind).values()]
        missing = sum(ev.no_answers(c, what, kind) for c in cfgs)
        of = len(cfgs) * len(ev.seeds) * len(ev.num_iters)
        return (M.gmean(seed), M.worst(seed), missing, of), (M.gmean(length), M.worst(length))

    rows = []
    name = ev.rule_name
    clr, one = ev.rule_labels
    s_max, l_max = stability(f"{name} max_lr")
    s_base, l_base = stability(f"{name} base_lr")
    errors = (len(ev.verdict_errors()), ev.clear_logs()) if "verdicts" in ev.measured else None
    rows.append(dict(rule=f"{name} (CLR base..max, 1cycle at max; spreads of max_lr)", regret=reg(clr),
                     regret_1cycle=reg(one),
                     diverged=(sum(ev.diverged(c, (clr, one)) for c in cfgs), n_pairs) if regret else None,
                     no_answer=(sum(ev.missing(c, (clr, one)) for c in cfgs), n_pairs) if regret else None,
                     seed_spread=s_max, length_spread=l_max, verdict_errors=errors))
    rows.append(dict(rule=f"{name} base_lr", regret=None, regret_1cycle=None, diverged=None, no_answer=None,
                     seed_spread=s_base, length_spread=l_base, verdict_errors=None))
    for m in METHODS:
        s, ln = stability(m)
        labs = (f"{m} constant", f"{m} 1cycle")
        rows.append(dict(rule=m, regret=reg(labs[0]), regret_1cycle=reg(labs[1]),
                         diverged=(sum(ev.diverged(c, labs) for c in cfgs), n_pairs) if regret else None,
                         no_answer=(sum(ev.missing(c, labs) for c in cfgs), n_pairs) if regret else None,
                         seed_spread=s, length_spread=ln, verdict_errors=None))
    for lab in ("valley..minimum CLR", "minimum/10..minimum CLR"):
        rows.append(dict(rule=lab, regret=reg(lab), regret_1cycle=None,
                         diverged=(sum(ev.diverged(c, (lab,)) for c in cfgs), n_pairs) if regret else None,
                         no_answer=(sum(ev.missing(c, (lab,)) for c in cfgs), n_pairs) if regret else None,
                         seed_spread=None, length_spread=None, verdict_errors=None))
    if stab:
        for what in (f"{name} max_lr", f"{name} base_lr"):
            s, ln = stability(what, "default")
            rows.append(dict(rule=f"{what}, range_test() defaults", regret=None, regret_1cycle=None, diverged=None,
                             no_answer=None, seed_spread=s, length_spread=ln, verdict_errors=None,
                             over=(_count_over(ev, what, "seed", 1.5), _count_over(ev, what, "length", 2.0))))
    return rows


def _count_over(ev: M.Evaluation, what: str, axis: str, limit: float) -> tuple:
    cells = []
    for c in ev.configs:
        d = ev.seed_spreads(c.name, what, "default") if axis == "seed" else ev.length_spreads(c.name, what, "default")
        cells += [v for v in d.values() if math.isfinite(v)]
    return sum(v > limit for v in cells), len(cells)


def _pair(v, fmt) -> str:
    return "-" if v is None else f"{fmt(v[0])} / {fmt(v[1])}"


def _frac(v) -> str:
    return "-" if v is None else f"{v[0]}/{v[1]}"


def summary_table(ev: M.Evaluation) -> str:
    lines = [
        "| rule | regret, CLR or constant (mean / worst) | regret, 1cycle (mean / worst) | diverged | no answer | "
        "seed spread (typical / worst) | sweep-length spread (typical / worst) | verdict errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in summary_rows(ev):
        seed, length = _pair(r["seed_spread"], _x), _pair(r["length_spread"], _x)
        if r["seed_spread"] is not None and r["seed_spread"][2]:
            seed += f" (no LR on {r['seed_spread'][2]}/{r['seed_spread'][3]} logs)"
        if "over" in r:
            seed += f" (over 1.5x: {_frac(r['over'][0])})"
            length += f" (over 2x: {_frac(r['over'][1])})"
        lines.append(f"| {r['rule']} | {_pair(r['regret'], _pts)} | {_pair(r['regret_1cycle'], _pts)} | "
                     f"{_frac(r['diverged'])} | {_frac(r['no_answer'])} | {seed} | {length} | "
                     f"{_frac(r['verdict_errors'])} |")
    return "\n".join(lines)


def config_table(ev: M.Evaluation, c: T.Config) -> str:
    from pyclr.finder import METHODS

    fam = T.FAMILIES[c.family]
    name = ev.rule_name
    metric = "R² x 100" if fam.regression else "accuracy %"
    regret = "regret" in ev.measured
    stab = "stability" in ev.measured
    head = (f"**{c.name}** ({T.HALVES[c.name]}): {fam.description}; {T.OPTIMIZER_NAMES[c.optimizer]}, batch "
            f"{c.batch_size}, {c.sweep} sweep {c.start_lr:g}..{c.end_lr:g}, {c.epochs} epochs "
            f"({TR.steps_of(c)} steps); regret on the {c.num_iter}-point sweep; score: {metric}.")
    if c.note:
        head += f" *{c.note}*"
    lines = [head, ""]
    iters = " / ".join(map(str, ev.num_iters))
    lines += [f"| rule | LR at {c.num_iter} pts (median over seeds) | CLR or constant: score, regret | "
              f"1cycle: score, regret | diverged | seed spread ({iters}) | sweep-length spread (median / worst) |",
              "|---|---|---|---|---|---|---|"]

    def cell(label):
        if not regret:
            return "-"
        miss = ev.missing(c.name, (label,))
        return (f"{_pts(ev.mean_score(c.name, label))}, {_pts(ev.regret(c.name, label))}"
                + (f" (no LR {miss}/{len(ev.seeds)})" if miss else ""))

    def stab_cells(what, kind="sweep"):
        if not stab:
            return "-", "-"
        seed = " / ".join(_x(v) for v in ev.seed_spreads(c.name, what, kind).values())
        lens = [v for v in ev.length_spreads(c.name, what, kind).values() if math.isfinite(v)]
        length = f"{_x(float(np.median(lens)))} / {_x(max(lens))}" if lens else "-"
        miss = ev.no_answers(c.name, what, kind)
        if miss:
            seed += f" (no LR {miss}/{len(ev.seeds) * len(ev.num_iters)})"
        return seed, length

    def div(labels):
        return f"{ev.diverged(c.name, labels)}/{len(ev.seeds)}" if regret else "-"

    def lr(what):
        return _g(_median_lr([ev.values(c.name, s, c.num_iter, what) for s in ev.seeds]))

    clr, one = ev.rule_labels
    s, ln = stab_cells(f"{name} max_lr")
    lines.append(f"| {name} max_lr | {lr(name + ' base_lr')}..{lr(name + ' max_lr')} | {cell(clr)} | {cell(one)} | "
                 f"{div((clr, one))} | {s} | {ln} |")
    s, ln = stab_cells(f"{name} base_lr")
    lines.append(f"| {name} base_lr | | | | | {s} | {ln} |")
    if all(R.same_call(c, n) for n in c.num_iters):
        lines.append(f"| {name}, range_test() defaults | | | | | the same calls as the sweep | |")
    else:
        for kind_label in ("max_lr", "base_lr"):
            s, ln = stab_cells(f"{name} {kind_label}", "default")
            lines.append(f"| {name} {kind_label}, range_test() defaults (exp sweep) | | | | | {s} | {ln} |")
    for m in METHODS:
        s, ln = stab_cells(m)
        labs = (f"{m} constant", f"{m} 1cycle")
        lines.append(f"| {m} | {lr(m)} | {cell(labs[0])} | {cell(labs[1])} | {div(labs)} | {s} | {ln} |")
    for lab in ("valley..minimum CLR", "minimum/10..minimum CLR"):
        lines.append(f"| {lab} | | {cell(lab)} | | {div((lab,))} | | |")
    if regret:
        best = [ev.best_anchor(c.name, s_)[0] for s_ in ev.seeds]
        lines += ["", "Best anchor-built schedule per seed: " + ", ".join(f"{b}" for b in best) + "."]
    verdicts: dict = {}
    for s_ in ev.seeds:
        for n in ev.num_iters:
            v = ev.answers[c.name, s_, n, "sweep"].verdict
            verdicts[v] = verdicts.get(v, 0) + 1
    lines += ["", f"Verdicts on the sweeps ({iters} points, {len(ev.seeds)} seeds): "
              + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())) + "."]
    if "verdicts" in ev.measured:
        errs = ev.verdict_errors(c.name)
        lines.append(f"Verdict errors: {len(errs)} of {ev.clear_logs(c.name)} logs that clearly fall"
                     + ("" if not errs else ": " + "; ".join(
                         f"seed {s_} n={n} {kind}: falls {100 * f:.0f}%, {v}" for _, s_, n, kind, f, v in errs)) + ".")
    return "\n".join(lines)


def markdown(ev: M.Evaluation, per_config: bool = True) -> str:
    """The summary table, its legend, then (``per_config``) one table per configuration."""
    n_cfg = len(ev.configs)
    fams = sorted({c.family for c in ev.configs})
    lines = [f"## Finder evaluation: rule `{ev.rule_name}`, {ev.half} half "
             f"({n_cfg} configurations, {len(fams)} families, seeds {ev.seeds[0]}-{ev.seeds[-1]}, "
             f"sweeps of {' / '.join(map(str, ev.num_iters))} points)", "", summary_table(ev), ""]
    legend = [
        "Regret: best anchor-built schedule on the same range test minus the schedule, in points (accuracy % or "
        "R² x 100), mean over the seeds; then mean / worst over the configurations. Diverged / no answer: "
        "(configuration, seed) pairs where a schedule from the rule diverged / the rule gave no LR (scored 0). "
        "Spreads: max/min of the LR over the seeds at each sweep length, and over the sweep lengths for each "
        "seed; typical = geometric mean, worst = max over all such cells. Verdict errors: logs whose loss "
        f"falls by {100 * M.CLEAR_DROP:.0f}% or more before diverging but get no_descent or too_noisy, of all "
        "such logs.",
    ]
    if ev.noise:
        total = sum(ev.noise.values())
        nd = ev.noise.get("no_descent", 0)
        legend.append(f"Pure-noise logs (benchmarks/null_drop.py): {nd}/{total} ({100 * nd / total:.1f}%) get "
                      "no_descent; " + ", ".join(f"{k} {v}" for k, v in sorted(ev.noise.items())) + ".")
    if ev.seconds:
        legend.append("Time: " + ", ".join(f"{k} {v:.0f} s" for k, v in ev.seconds.items()) + ".")
    lines += legend
    if per_config:
        for c in ev.configs:
            lines += ["", config_table(ev, c)]
    return "\n".join(lines)
