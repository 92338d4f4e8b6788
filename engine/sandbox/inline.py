"""Expressions cheap enough to evaluate in the server, under the same RestrictedPython policy.

Every script and expression runs in a sandbox worker process (engine/spiff/script_environment.py
says why): the worker's kill at the deadline and its address-space limit bound what a C call
nobody foresaw could cost. That costs a pipe round trip — about a millisecond on a loaded
machine, half of a replayed command — and most expressions in the processes are comparisons of
one form field with a constant (``founded == True``), a role built from a field
(``responsible_department + '-staff'``) or a field read (``resolve_by``).

For those the kill has nothing to guard: an expression whose only parts are names, constants,
comparisons, ``and``/``or``/``not``, ``x if c else y``, unary minus and ``+``/``-``, over values
that are short text, numbers of bounded size, dates, times or booleans, makes no call, reads no
attribute and cannot loop; its cost is a few operations on values of at most
`MAX_TEXT`/`MAX_INT_BITS` size, far inside any time or size limit. Such an expression is
compiled by the same RestrictedPython policy (`compile_expression`) and run by the same
`ScriptRunner` — its guards, its tracer with the same `Limits` — in the calling thread.

Anything else goes to a worker as before: another kind of node, a name that is not a piece of
data of one of those kinds (a helper, a list, long text), a result that is not one, and any
error at all (the worker's answer is the one every run so far recorded, so a replay gives the
same message and line as the live run did).
"""

from __future__ import annotations

import ast
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

from engine.sandbox.limits import Limits
from engine.sandbox.runner import FORBIDDEN_NAMES, ScriptRunner, compile_expression, kept_name

MAX_TEXT = 1_000       # characters of one text value read in the server
MAX_INT_BITS = 1_024   # bits of one integer value read in the server
MISSING = object()     # `inline_value`'s answer when the expression must go to a worker

_SCALARS = (bool, type(None), float, date, datetime, time, timedelta)
_LITERALS = (str, int, float, bool, type(None))
_OPERATORS = (ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Add, ast.Sub, ast.Eq, ast.NotEq, ast.Lt,
              ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot)
_NODES = (ast.Expression, ast.Name, ast.Load, ast.Constant, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Compare,
          ast.IfExp, ast.Tuple, ast.List, ast.Set, *_OPERATORS)
_SINGLETONS = (None, True, False)
_runners: dict[Limits, ScriptRunner] = {}


def scalar(value: Any) -> bool:
    """Whether `value` is a piece of data an inline expression may read: short text, a number of
    bounded size, a date, time or duration, a boolean or None (exact types: no subclass brings
    its own comparisons)."""
    kind = type(value)
    if kind is str:
        return len(value) <= MAX_TEXT
    if kind is int:
        return value.bit_length() <= MAX_INT_BITS
    return kind in _SCALARS


def _given(value: Any) -> bool:
    """Whether an inline expression's value may be handed out as it is: a scalar, or a container
    its own literal built (data never holds one here, so it cannot be the task's own object)."""
    if type(value) in (list, tuple, set, frozenset):
        return all(scalar(item) for item in value)
    return scalar(value)


@lru_cache(maxsize=4096)
def inline_names(source: str) -> tuple[str, ...] | None:
    """The names an expression reads, when it is of the kind evaluated in the server; else None."""
    try:
        compile_expression(source)  # the same policy refuses it, or it is not an expression at all
        tree = ast.parse(source.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            return None
        if isinstance(node, ast.Name):
            if node.id in FORBIDDEN_NAMES or node.id.startswith("_"):
                return None
            names.append(node.id)
        elif isinstance(node, ast.Constant) and not (type(node.value) in _LITERALS and scalar(node.value)):
            return None
        elif isinstance(node, (ast.Tuple, ast.List, ast.Set)) and not all(
                isinstance(item, ast.Constant) for item in node.elts):
            return None
        elif isinstance(node, ast.Compare) and not _plain_identity(node):
            return None
    return tuple(dict.fromkeys(names))


def _plain_identity(node: ast.Compare) -> bool:
    """``is`` only against None, True or False: identity of anything else depends on how the value
    reached the process (a worker gets copies)."""
    operands = [node.left, *node.comparators]
    for position, op in enumerate(node.ops):
        if isinstance(op, (ast.Is, ast.IsNot)):
            pair = operands[position:position + 2]
            if not any(isinstance(o, ast.Constant) and any(o.value is s for s in _SINGLETONS) for o in pair):
                return False
    return True


def inline_value(source: str, context: dict, external: dict | None, limits: Limits) -> Any:
    """The value of `source` over task data `context` (and `external`), evaluated here when it is
    of the inline kind; `MISSING` when it must go to a worker."""
    names = inline_names(source)
    if names is None:
        return MISSING
    scope = {}
    for name in names:
        value = _readable(name, context, external or {})
        if value is MISSING:
            return MISSING
        scope[name] = value
    runner = _runners.get(limits)
    if runner is None:
        runner = _runners.setdefault(limits, ScriptRunner({}, limits, watch_memory=False))  # bounded: see above
    try:
        value = runner.evaluate(source, scope)
    except Exception:  # noqa: BLE001 — the worker gives the recorded error, message and line
        return MISSING
    return value if _given(value) else MISSING


def _readable(name: str, context: dict, external: dict) -> Any:
    """The data value `name` has in the scope a worker would build (task data over the external
    context, names that are not data left out), when it is a scalar."""
    for values in (context, external):
        if name in values:
            value = values[name]
            return value if kept_name(name, value) and scalar(value) else MISSING
    return MISSING
