"""pyclr: cyclical learning rates and LR range tests, fast and exact.

``import pyclr`` imports neither numba, torch nor matplotlib; the torch integration is
``pyclr.torch`` and the kernels load on first use (see :func:`backend`).
"""
from ._backend import backend
from .finder import Analysis, analyze, suggest
from .logs import load_log
from .schedules import (
    SGDR, Constant, Cyclic, Join, MultiplicativeCycles, OneCycle, PerGroup, Scale, Scaled, Schedule, StepDecay,
    WarmupDecay, constant, cyclic, join, multiplicative_cycles, one_cycle, per_group, sgdr, step_decay,
    warmup_cosine, warmup_decay, wsd,
)

__version__ = "0.1.0"

__all__ = [
    "__version__", "backend",
    "Analysis", "analyze", "suggest", "load_log",
    "Schedule", "Scale", "Cyclic", "OneCycle", "SGDR", "WarmupDecay", "Constant", "StepDecay",
    "MultiplicativeCycles", "Join", "PerGroup", "Scaled",
    "cyclic", "one_cycle", "sgdr", "warmup_decay", "warmup_cosine", "wsd", "constant", "step_decay",
    "multiplicative_cycles", "join", "per_group",
]
