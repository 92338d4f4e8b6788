"""Plain JSON data — maps with text keys, lists, text, whole and finite numbers, booleans, null —
is nearly all of what an instance holds, and two generic operations on it cost more than they need:

`as_json`, what a JSON round trip gives back, without the round trip when it would change nothing.

Replay hands each command the state as storage would read it back, and compares outcomes as the
journal holds them: both are a JSON round trip away from what the engine produced. Nearly always
that is plain JSON data already — maps with text keys, lists, text, whole numbers, finite numbers,
booleans, null — which the round trip gives back equal, so a walk that finds it plain (several
times quicker than encoding and decoding) returns it as it is. Anything else (a tuple, a key that
is not text, a date, NaN, whose round trip gives a new object that is not equal to it) takes the
round trip, so the result is always the round trip's.

`copied`, a deep copy: plain maps and lists copied directly, five times quicker than
`copy.deepcopy`'s memo and dispatch per value; anything else by `copy.deepcopy`.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any, Callable

_SCALARS = frozenset({str, int, bool, type(None)})
_IMMUTABLE = _SCALARS | {float}


def as_json(value: Any, default: Callable[[Any], Any] | None = None) -> Any:
    """`json.loads(json.dumps(value, default=default))`: `value` itself when it is plain JSON
    data, which the round trip would give back equal (the caller must not change it, then)."""
    try:
        if _plain(value):
            return value
    except RecursionError:  # nested too deep, or a cycle: the round trip says what is wrong
        pass
    return json.loads(json.dumps(value, ensure_ascii=False, default=default))


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or (type(item) not in _SCALARS and not _plain(item)):
                return False
        return True
    if kind is list:
        for item in value:
            if type(item) not in _SCALARS and not _plain(item):
                return False
        return True
    if kind is float:
        return math.isfinite(value)
    return kind in _SCALARS


def copied(value: Any) -> Any:
    """`copy.deepcopy(value)` for data read from JSON: its maps and lists share no parts, so copying
    them one by one gives what the deep copy's memo would."""
    try:
        return _copied(value)
    except RecursionError:  # nested too deep, or a cycle: the deep copy's memo handles it
        return copy.deepcopy(value)


def _copied(value: Any) -> Any:
    kind = type(value)
    if kind is dict:
        return {key: item if type(item) in _IMMUTABLE else _copied(item) for key, item in value.items()}
    if kind is list:
        return [item if type(item) in _IMMUTABLE else _copied(item) for item in value]
    if kind in _IMMUTABLE:
        return value
    return copy.deepcopy(value)
