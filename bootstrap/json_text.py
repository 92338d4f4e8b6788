"""JSON every parser reads, written the same way by the command line, the web app and exports."""

from __future__ import annotations

import json
import math
from typing import Any


def strict_json(value: Any, **options: Any) -> str:
    """JSON every parser reads: a non-finite number (which forms now refuse, but data stored
    before could hold) is written as the string "NaN"/"Infinity"/"-Infinity", never as the bare
    tokens `json.dumps` emits by default."""
    return json.dumps(_finite(value), ensure_ascii=False, allow_nan=False, default=str, **options)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value
