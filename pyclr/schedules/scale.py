"""Picklable amplitude scales for cyclical schedules (torch's ``scale_fn`` as data).

A scale multiplies the cycle amplitude ``max_lr - base_lr``. With ``scale_mode="cycle"``
it is evaluated at the 1-based cycle number, with ``"iterations"`` at the global step.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v

__all__ = ["Scale"]

_KINDS = ("power", "inverse", "table")


@dataclass(frozen=True)
class Scale:
    """An amplitude scale ``f(u)``.

    * ``Scale.power(gamma, offset=0)``: ``f(u) = gamma ** (u - offset)``. torch's
      ``triangular2`` is ``power(0.5, offset=1)`` per cycle; ``exp_range`` is ``power(gamma)``
      per iteration.
    * ``Scale.inverse(rate, offset=0)``: ``f(u) = 1 / (1 + rate * (u - offset))``.
    * ``Scale.table(values)``: ``f(u) = values[u - 1]`` per cycle, the last value held.

    Examples
    --------
    >>> import numpy as np
    >>> from pyclr import Scale
    >>> Scale.power(0.5, offset=1)(np.array([1, 2, 3]))
    array([1.  , 0.5 , 0.25])
    >>> Scale.table([1.0, 0.5])(np.array([1, 2, 3])).tolist()   # the last value held
    [1.0, 0.5, 0.5]
    >>> Scale.inverse(1.0)(np.array([0, 1, 3])).tolist()
    [1.0, 0.5, 0.25]
    """

    kind: str
    gamma: float = 1.0
    offset: float = 0.0
    table_values: tuple[float, ...] = ()

    def __post_init__(self):
        v.choice("scale kind", self.kind, _KINDS)
        if self.kind == "power":
            object.__setattr__(self, "gamma", v.in_range("gamma", self.gamma, 0.0, 1.0, low_open=True))
        elif self.kind == "inverse":
            object.__setattr__(self, "gamma", v.nonnegative("rate", self.gamma))
        else:
            object.__setattr__(self, "table_values", v.float_list("values", self.table_values, v.nonnegative))
        object.__setattr__(self, "offset", v.as_float("offset", self.offset))

    @classmethod
    def power(cls, gamma: float, offset: float = 0.0) -> "Scale":
        return cls("power", gamma=gamma, offset=offset)

    @classmethod
    def inverse(cls, rate: float, offset: float = 0.0) -> "Scale":
        return cls("inverse", gamma=rate, offset=offset)

    @classmethod
    def table(cls, values) -> "Scale":
        return cls("table", table_values=values)

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=np.float64)
        if self.kind == "power":
            return np.power(self.gamma, u - self.offset)
        if self.kind == "inverse":
            return 1.0 / (1.0 + self.gamma * np.maximum(u - self.offset, 0.0))
        table = np.asarray(self.table_values, dtype=np.float64)
        return table[np.clip(u.astype(np.int64) - 1, 0, table.size - 1)]

    def to_dict(self) -> dict[str, Any]:
        return {"scale": self.kind, "gamma": self.gamma, "offset": self.offset, "values": list(self.table_values)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Scale":
        return cls(data["scale"], gamma=data.get("gamma", 1.0), offset=data.get("offset", 0.0),
                   table_values=tuple(data.get("values", ())))
