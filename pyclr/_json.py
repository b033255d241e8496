"""JSON as strict parsers read it: no NaN, no Infinity."""
from __future__ import annotations

import math
from typing import Any

__all__ = ["json_safe"]


def json_safe(v: Any) -> Any:
    """``v`` with NaN and infinities as None, NumPy scalars as Python numbers, tuples as lists:
    ``json.dumps`` would write non-finite floats as the bare words NaN / Infinity, which strict
    JSON parsers (jq, JavaScript, Go, ``json.loads(parse_constant=...)``) reject."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if hasattr(v, "item") and hasattr(v, "dtype"):  # NumPy scalars
        return json_safe(v.item())
    return v
