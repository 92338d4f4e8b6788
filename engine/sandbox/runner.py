"""Compiling and running one script or expression under RestrictedPython, in this process.

This is what runs *inside* a sandbox worker (engine/sandbox/worker.py): the compiler policy,
the allow-list of builtins, the guarded operators of engine/sandbox/limits.py and the tracer. It
imports neither SpiffWorkflow nor anything of zhidu beyond the limits, so a worker starts fast.
Why it runs in a worker rather than in the server is written at the top of engine/spiff/script_environment.py.
"""

from __future__ import annotations

import ast
import datetime as _dt
import decimal
import json
import operator
import re
import threading
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

from engine.sandbox.limits import DEFAULT_LIMITS, SCRIPT_FILE, LimitExceeded, Limits, ScriptLimitExceeded, Watch, measure
from engine.sandbox.number_guards import CheckedInt, ScriptGuards
from engine.sandbox.policy import LimitingTransformer, escaping_exceptions

MAX_EXPRESSION_CHARS = 10_000
MAX_SCRIPT_CHARS = 100_000

_UNSAFE_BUILTINS = {"setattr", "delattr", "__build_class__", "id", "hash", "_getattr_", *escaping_exceptions()}
ALLOWED_BUILTINS = {
    **{k: v for k, v in safe_builtins.items() if k not in _UNSAFE_BUILTINS},
    "list": list, "tuple": tuple, "dict": dict, "set": set, "frozenset": frozenset,
    "sorted": sorted, "min": min, "max": max, "any": any, "all": all,
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
# Names that mean escaping the sandbox; refused at deploy, so they never reach a run.
FORBIDDEN_NAMES = {"open", "exec", "eval", "compile", "globals", "locals", "vars", "getattr", "setattr",
                   "delattr", "input", "breakpoint", "__import__", "type", "object", "memoryview"}
# Decimals a script makes stay within 10**±4300 (int() of one is then as cheap as int('9' * 4300));
# precision and rounding are Python's defaults.
DECIMAL_CONTEXT = decimal.Context(prec=28, Emax=4300, Emin=-4300)
# Helpers every script sees besides the builtins (the names are the documented script API).
STANDARD_HELPERS = ("math", "Decimal", "timedelta", "date", "datetime", "now", "today")
WALL_CLOCK = {"now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp"}  # date/datetime class methods


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
    result = compile_restricted_eval(source.strip(), SCRIPT_FILE, policy=LimitingTransformer)
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


@lru_cache(maxsize=4096)
def compile_script(source: str) -> CodeType:
    """Compile a script under RestrictedPython.

    Raises:
        SyntaxError: naming what RestrictedPython refused.
    """
    result = compile_restricted_exec(source, SCRIPT_FILE, policy=LimitingTransformer)
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


def check_source(source: str, kind: str) -> str | None:
    """Return why `source` would be refused (None when it compiles and uses nothing forbidden)."""
    if kind == "expression" and is_iso_timer_text(source):
        return None
    longest = MAX_EXPRESSION_CHARS if kind == "expression" else MAX_SCRIPT_CHARS
    if len(source) > longest:
        return f"longer than {longest:,} characters"
    try:
        (compile_expression if kind == "expression" else compile_script)(source)
        tree = ast.parse(source.strip() if kind == "expression" else source, mode="eval" if kind == "expression" else "exec")
    except (SyntaxError, RecursionError, MemoryError, ValueError) as err:
        return str(err) or "nested too deeply"
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            return f"line {node.lineno}: imports are not allowed"
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            return f"line {node.lineno}: {node.id!r} is not allowed"
    return None


def kept_name(name: str, value: Any) -> bool:
    """Whether a name a script leaves in its scope is data (kept) rather than a helper."""
    return not (name.startswith("_") or callable(value) or isinstance(value, ModuleType))


class ScriptRunner:
    """Runs compiled scripts and expressions in this thread, each run bounded in time, call
    depth, memory and the size of the values it makes (`Limits`).

    `helpers` are the extra callables scripts may use (`now`, and zhidu's lookups such as
    `users_with_role`); `today` is derived from `now`. `watch_memory` False: runs of code that
    cannot grow memory (engine/sandbox/inline.py: no loop, no call, bounded values) skip reading
    the process's size, a file read that cost more than evaluating such an expression.
    """

    def __init__(self, helpers: dict[str, Callable[..., Any]], limits: Limits = DEFAULT_LIMITS,
                 watch_memory: bool = True):
        self.limits, self.watch_memory = limits, watch_memory
        self._running = threading.local()
        self.guards = ScriptGuards(limits, lambda: getattr(self._running, "watch", None))
        self.globals = self._globals(helpers)

    def _globals(self, helpers: dict[str, Callable[..., Any]]) -> dict[str, Any]:
        guards = self.guards
        now = helpers.get("now")
        builtins = {**ALLOWED_BUILTINS, "range": guards.range, "pow": guards.pow, "sum": guards.sum,
                    "repr": guards.represent, "round": guards.round, "int": CheckedInt}
        return {
            "__builtins__": builtins,
            "_getattr_": self._getattr,
            "_getitem_": _getitem,
            "_getiter_": iter,
            "_write_": full_write_guard,
            "_inplacevar_": self._inplacevar,
            "_binop_": guards.binop,
            "_formatted_": guards.formatted,
            "_sized_": guards.fits,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "math": guards.math(),
            "Decimal": decimal.Decimal,
            "timedelta": _dt.timedelta,
            "date": _dt.date,
            "datetime": _dt.datetime,
            "today": (lambda: now().date()) if now else None,
            **helpers,
        }

    def _getattr(self, obj: Any, name: str, *default: Any) -> Any:
        if name in WALL_CLOCK and (obj in (_dt.date, _dt.datetime) or isinstance(obj, _dt.date)):
            # Replay must rebuild the same values (decision 6): the wall clock differs each run.
            raise AttributeError(f"{name}() reads the computer's clock; use now() or today(), the engine's clock")
        return self.guards.attribute(obj, name, lambda o, n: safer_getattr(o, n, *default))

    def _inplacevar(self, op: str, x: Any, y: Any) -> Any:
        if op not in _INPLACE:
            raise SyntaxError(f"operator {op} is not allowed")
        if op in ("*=", "**=", "+=", "%="):
            return self.guards.binop(op, x, y)
        return _INPLACE[op](x, y)

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        """The value of `expression` over `context` (task data) and `external_context`."""
        scope = {**self.globals, **(external_context or {}), **context}
        code = compile_expression(expression)
        return self._run(lambda: eval(code, scope))

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> list[str]:
        """Run `script` over `context`, which it updates in place; returns the names it deleted.

        Raises:
            ScriptLimitExceeded: a limit was passed, or the data it set is too large to store.
        """
        scope = {**self.globals, **(external_context or {}), **context}
        code = compile_script(script)
        self._run(lambda: exec(code, scope))
        reserved = set(self.globals) | set(external_context or {})
        changed = {}
        for name, value in scope.items():
            if name in reserved or not kept_name(name, value):
                continue
            if name not in context or context[name] is not value:
                changed[name] = value
        self._check_size(changed)
        deleted = [name for name in context if name not in scope]
        for name in deleted:
            del context[name]
        context.update(changed)
        return deleted

    def _run(self, run: Callable[[], Any]) -> Any:
        """Run compiled user code under a `Watch`; a limit becomes `ScriptLimitExceeded`,
        keeping the traceback so the script's line can be named."""
        watch = Watch(self.limits, self.watch_memory)
        self._running.watch = watch
        try:
            with watch, decimal.localcontext(DECIMAL_CONTEXT):
                return run()
        except LimitExceeded as err:
            raise ScriptLimitExceeded(f"limit exceeded: {err}").with_traceback(err.__traceback__) from None
        except RecursionError as err:
            raise ScriptLimitExceeded("limit exceeded: calls nest too deep").with_traceback(err.__traceback__) from None
        except MemoryError as err:
            raise ScriptLimitExceeded(f"limit exceeded: used more than {self.limits.memory_bytes // 2**20} MB"
                                      ).with_traceback(err.__traceback__) from None
        finally:
            self._running.watch = None

    def _check_size(self, changed: dict[str, Any]) -> None:
        """Refuse data a script sets that is too large to copy, store and journal."""
        if measure(changed, self.limits.size) > self.limits.size:
            raise ScriptLimitExceeded(f"limit exceeded: the script set more than {self.limits.size:,} "
                                      "elements or characters of data")
        size = len(json.dumps(changed, default=str, ensure_ascii=False).encode())
        if size > self.limits.data_bytes:
            raise ScriptLimitExceeded(f"limit exceeded: the script set {size:,} bytes of data "
                                      f"(at most {self.limits.data_bytes:,})")
