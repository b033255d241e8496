"""pyclr's finder evaluation suite: does a bound rule choose LRs that train well and hold still?

Not part of the package: run it from the repository root as ``python -m studies ...``
(``python -m studies --help``). The tasks (:mod:`studies.tasks`) are small models on
bundled or generated data, each configuration fixed to the design or the held-out half
before any change to the rule. Range-test logs (:mod:`studies.rangetests`) and training
results (:mod:`studies.training`) are cached under ``studies/_cache`` (or
``$PYCLR_STUDIES_CACHE``), so evaluating a new rule on cached logs takes seconds and only
trains the schedules its new bounds ask for.

Evaluate a rule from Python::

    import studies
    def my_rule(lrs, losses):               # -> (base_lr, max_lr, verdict)
        a = pyclr.analyze(lrs, losses)
        return a.base_lr, a.max_lr, a.verdict
    ev = studies.evaluate(my_rule, half="design", measures=("stability", "verdicts"))
    print(studies.markdown(ev))
    studies.summary_rows(ev)               # the summary table's numbers
"""
from .measures import QUICK, Answer, Evaluation, clear_descent, evaluate, pyclr_rule
from .report import config_table, markdown, summary_rows, summary_table
from .tasks import CONFIGS, FAILURE_LIKE, FAMILIES, HALVES, Config, configs

__all__ = [
    "evaluate", "pyclr_rule", "Evaluation", "Answer", "clear_descent", "QUICK",
    "markdown", "summary_rows", "summary_table", "config_table",
    "CONFIGS", "HALVES", "FAMILIES", "FAILURE_LIKE", "Config", "configs",
]
