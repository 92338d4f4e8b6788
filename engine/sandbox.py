"""The script environment: BPMN scripts and expressions run under RestrictedPython.

Process owners write scripts in the browser, so they are untrusted code. They are compiled
with `compile_restricted`, see only an allow-list of builtins and helpers, read time only
from the engine clock, and cannot import, open files or reach dunder attributes.
"""

from __future__ import annotations

import ast
import datetime as _dt
import math
import operator
import re
from decimal import Decimal
from functools import lru_cache
from types import CodeType, ModuleType
from typing import Any, Callable

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.clock import Clock, SystemClock

_UNSAFE_BUILTINS = {"setattr", "delattr", "__build_class__", "id", "hash", "_getattr_"}
_ALLOWED_BUILTINS = {
    **{k: v for k, v in safe_builtins.items() if k not in _UNSAFE_BUILTINS},
    "list": list, "tuple": tuple, "dict": dict, "set": set, "frozenset": frozenset,
    "sorted": sorted, "min": min, "max": max, "sum": sum, "any": any, "all": all,
    "enumerate": enumerate, "zip": zip, "map": map, "filter": filter, "reversed": reversed,
}
_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "|=": operator.ior, "&=": operator.iand,
}
# Plain ISO-8601 timer text (PT24H, 2026-12-01T09:00:00+08:00, R/P1M, R3/PT10M): BPMN users
# write timers this way, SpiffWorkflow evaluates them as Python. We pass them through.
_ISO_TIMER = re.compile(
    r"^(R\d*/)?([0-9T:+\-.Z]+/)?(P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?"
    r"(T(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?|\d{4}-\d{2}-\d{2}(T[0-9:.]+(Z|[+\-]\d{2}:?\d{2})?)?)"
    r"(/[0-9T:+\-.Z]+)?$"
)


def _inplacevar(op: str, x: Any, y: Any) -> Any:
    if op not in _INPLACE:
        raise SyntaxError(f"operator {op} is not allowed")
    return _INPLACE[op](x, y)


def _getitem(obj: Any, key: Any) -> Any:
    return obj[key]


def is_iso_timer_text(text: str) -> bool:
    """True when `text` is plain ISO-8601 duration, date-time or repeating-interval text."""
    return bool(_ISO_TIMER.match(text.strip()))


@lru_cache(maxsize=4096)
def compile_expression(source: str) -> CodeType:
    """Compile an expression under RestrictedPython.

    Raises:
        SyntaxError: naming what RestrictedPython refused.
    """
    result = compile_restricted_eval(source.strip(), "<expression>")
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    """Compile a script under RestrictedPython.

    Raises:
        SyntaxError: naming what RestrictedPython refused.
    """
    result = compile_restricted_exec(source, "<script>")
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


# Names that mean escaping the sandbox; refused at deploy, so they never reach a run.
FORBIDDEN_NAMES = {"open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr",
                   "delattr", "input", "breakpoint", "__import__", "type", "object", "memoryview"}


def check_source(source: str, kind: str) -> str | None:
    """Return why `source` would be refused (None when it compiles and uses nothing forbidden)."""
    if kind == "expression" and is_iso_timer_text(source):
        return None
    try:
        (compile_expression if kind == "expression" else compile_script)(source)
        tree = ast.parse(source.strip() if kind == "expression" else source, mode="eval" if kind == "expression" else "exec")
    except SyntaxError as err:
        return str(err)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return f"line {node.lineno}: imports are not allowed"
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            return f"line {node.lineno}: {node.id!r} is not allowed"
    return None


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs everything under RestrictedPython."""

    def __init__(self, clock: Clock | None = None, functions: dict[str, Callable] | None = None):
        self.clock = clock or SystemClock()
        super().__init__(self._helpers(functions or {}))

    def _helpers(self, functions: dict[str, Callable]) -> dict[str, Any]:
        return {
            "__builtins__": _ALLOWED_BUILTINS,
            "_getattr_": safer_getattr,
            "_getitem_": _getitem,
            "_getiter_": iter,
            "_write_": full_write_guard,
            "_inplacevar_": _inplacevar,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "math": math,
            "Decimal": Decimal,
            "timedelta": _dt.timedelta,
            "date": _dt.date,
            "datetime": _dt.datetime,
            "now": lambda: self.clock.now(),
            "today": lambda: self.clock.now().date(),
            **functions,
        }

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        if is_iso_timer_text(expression):
            return expression.strip()
        scope = {**self.globals, **(external_context or {}), **context}
        return eval(compile_expression(expression), scope)

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        scope = {**self.globals, **(external_context or {}), **context}
        exec(compile_script(script), scope)
        reserved = set(self.globals) | set(external_context or {})
        for name in list(context):
            if name not in scope:
                del context[name]
        for name, value in scope.items():
            if name in reserved or name.startswith("_") or callable(value) or isinstance(value, ModuleType):
                continue
            context[name] = value
        return True

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are not supported")
