"""The script environment replay runs commands in: the sandbox's, remembering inline values.

An expression that only compares, combines or reads short plain values is evaluated in the
server (engine/sandbox/inline.py): it makes no call, reads no attribute and cannot see the
clock, so its value is a function of its text and of the values of the names it reads. Replay
evaluates the same few such expressions over the same values again and again — a gateway's
conditions and a task's assignee and due time at every turn of a loop, and across the instances
verify reads — each time under a fresh tracer that also reads the process's memory (~40 µs, a
sixth of a replayed command). This environment remembers what the sandbox gave, keyed by the
expression and the exact values it read, and gives that again.

Only expressions whose every name is a piece of data of an exact plain type (text, whole number,
boolean, None: equal values of these are the same value, unlike 0.0 and -0.0 or two zones' equal
times) are remembered, and only plain values they gave; an error is raised again each time, and
anything else is evaluated as always. Nothing of the live command changes: it does not use this.
"""

from __future__ import annotations

from typing import Any

from engine.sandbox.inline import MISSING, inline_names, scalar
from engine.sandbox.runner import kept_name
from engine.spiff.script_environment import SandboxEnvironment

MAX_REMEMBERED = 4096  # values kept at once (then forgotten all together): a few kB of text each at most
_KEYS = frozenset({str, int, bool, type(None)})
_remembered: dict[tuple, Any] = {}  # (expression, limits, ((type, value) of each name read, ...)) -> value


class ReplayEnvironment(SandboxEnvironment):
    """`SandboxEnvironment`, remembering the values of inline expressions (see the module)."""

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        key = _key(expression, context, external_context or {}, self.limits)
        if key is None:
            return super().evaluate(expression, context, external_context)
        found = _remembered.get(key, MISSING)
        if found is MISSING:
            found = super().evaluate(expression, context, external_context)
            if scalar(found):
                if len(_remembered) >= MAX_REMEMBERED:
                    _remembered.clear()
                _remembered[key] = found
        return found


def _key(expression: str, context: dict, external: dict, limits: Any) -> tuple | None:
    """What the value of an inline expression depends on, read as the sandbox reads the names
    (task data over the external context); None when it is not one to remember."""
    names = inline_names(expression)
    if names is None:
        return None
    values = []
    for name in names:
        scope = context if name in context else external if name in external else None
        if scope is None:
            return None
        value = scope[name]
        if type(value) not in _KEYS or not kept_name(name, value) or not scalar(value):
            return None
        values.append((type(value), value))
    return expression, limits, tuple(values)
