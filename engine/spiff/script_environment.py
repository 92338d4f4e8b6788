"""The script environment: BPMN scripts and expressions run under RestrictedPython, out of process.

Process owners write scripts in the browser, so they are untrusted code. They are compiled
with `compile_restricted`, see only an allow-list of builtins and helpers, read time only
from the engine clock, and cannot import, open files or reach dunder attributes.

DESIGN — why scripts run in a pool of worker processes, not in the server
-------------------------------------------------------------------------
A time limit enforced from inside the interpreter (a trace function) only fires between lines;
one C call (``pow(3, 10**300, (1 << 100000) - 1)``, ``(1).to_bytes(10**9, 'big')``,
``round(7, -10**7)``, ``int(Decimal('1e600000'))``, ``list(map(sorted, parts))``, hashing a
tuple built from shared parts …) runs to its end holding the GIL, so *every* request of the
server waits, and replay, audit views and ``verify`` run it again. Two ways out were weighed:

(a) bound, before the call, every allowed builtin and method whose cost grows faster than its
    input. Cheap per call, but the guarantee is only as good as the list: the allow-list reaches
    hundreds of methods on int, str, bytes, list, dict, set, Decimal, date…, CPython changes
    their algorithms between versions, and combinations (``map`` of a bounded call over a big
    list, comparisons of shared structures) multiply bounded costs. One miss freezes the server.
(b) run scripts in separate processes with an address-space limit (RLIMIT_AS) and kill them at
    the deadline. The guarantee holds *whatever* a script calls, because the OS enforces it; the
    server's thread waits on a pipe with the GIL released. Costs: a pipe round trip and pickling
    the task data per run, and helpers that need the server (clock, journaled lookups) are called
    back over the pipe. ``bench/sandbox_cost.py`` (``make bench``) measures it; when this was
    written, on a shared 2-core machine under heavy load (load average 6-10): plain exec 3-6 µs
    per script, RestrictedPython with the bounds of (a) in process 0.2-0.5 ms, in a worker
    1.6-1.9 ms (0.75 ms per gateway expression): the round trip, mostly waking the other process,
    adds 1-1.5 ms per script, against the several milliseconds an engine step costs. Once steps
    got cheaper it was half of a replayed command, so expressions that only compare, combine or
    read short plain values — no call, no attribute, nothing that loops — are evaluated in the
    server under the same policy and limits (engine/sandbox/inline.py says why that is safe);
    everything else, and every script, still goes to a worker.

zhidu does (b), and keeps the in-process bounds of (a) inside the worker (engine/sandbox/limits.py,
engine/sandbox/number_guards.py): they stop the common cases at once with the script's line number,
while the kill and RLIMIT_AS are the guarantee. `tests/security/test_sandbox_c_calls.py`
enumerates the allow-list so a newly allowed builtin must be classified there.
"""

from __future__ import annotations

import builtins
from functools import lru_cache
from typing import Any, Callable

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.clock import UTC, Clock, SystemClock, local_day
from engine.sandbox.inline import MISSING, inline_value
from engine.sandbox.limits import DEFAULT_LIMITS, SCRIPT_FILE, Limits, ScriptLimitExceeded
from engine.sandbox.pool import pool
from engine.sandbox.runner import (  # noqa: F401  (the sandbox's public names)
    FORBIDDEN_NAMES, check_source, compile_expression, compile_script, is_iso_timer_text, kept_name,
)


class ScriptError(Exception):
    """A script raised an exception of a type the server does not have (named in the message)."""


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """A SpiffWorkflow script environment that runs every script and expression in a sandbox
    worker, each run bounded in time, call depth, memory and the size of the values it makes.

    `functions` are extra helpers scripts may call (zhidu's lookups, e.g. `users_with_role`);
    they run here, in the server, when a script calls them.
    """

    def __init__(self, clock: Clock | None = None, functions: dict[str, Callable] | None = None,
                 limits: Limits = DEFAULT_LIMITS):
        self.clock = clock or SystemClock()
        self.limits = limits
        self.callbacks: dict[str, Callable[..., Any]] = {
            "now": lambda: self.clock.now(),
            # the organisation's day (the clock's zone), not the UTC date of `now()`
            "today": lambda: local_day(self.clock.now(), getattr(self.clock, "zone", UTC)),
            **(functions or {})}
        super().__init__({})

    def evaluate(self, expression: str, context: dict, external_context: dict | None = None) -> Any:
        if is_iso_timer_text(expression):
            return expression.strip()
        found = inline_value(expression, context, external_context, self.limits)
        if found is not MISSING:  # a comparison or read of plain values (engine/sandbox/inline.py)
            return found
        return self._run("evaluate", expression, context, external_context)[1]

    def execute(self, script: str, context: dict, external_context: dict | None = None) -> bool:
        _, data, deleted = self._run("execute", script, context, external_context)
        for name in deleted:
            context.pop(name, None)
        context.update(data)
        return True

    def _run(self, kind: str, source: str, context: dict, external: dict | None) -> tuple:
        request = ("run", kind, source, _sendable(context), _sendable(external or {}),
                   tuple(self.callbacks), self.limits)
        answer = pool().run(request, self.callbacks, self.limits)
        if answer[0] == "error":
            _raise(answer[1])
        return answer

    def call_service(self, context: dict, **kwargs: Any) -> Any:
        raise NotImplementedError("service tasks are not supported")


def _sendable(values: dict) -> dict:
    return {name: value for name, value in values.items() if kept_name(name, value)}


def _raise(details: dict[str, Any]) -> None:
    """Raise the worker's error here, at the script's line so SpiffWorkflow can name it."""
    message = details["message"]
    if details["limit"]:
        error: Exception = ScriptLimitExceeded(message)
    elif details["syntax"]:
        raise SyntaxError(message)
    else:
        error = _rebuilt(details["type"], message)
    if details["line"]:
        exec(_raiser(details["line"]), {"_error_": error})  # noqa: S102 (our code, not the script's)
    raise error


def _rebuilt(name: str, message: str) -> Exception:
    found = getattr(builtins, name, None)
    if isinstance(found, type) and issubclass(found, Exception):
        try:
            return found(message) if message else found()
        except TypeError:  # a type that needs more arguments (UnicodeDecodeError)
            pass
    return ScriptError(f"{name}: {message}" if message else name)


@lru_cache(maxsize=256)
def _raiser(line: int) -> Any:
    return compile("\n" * (line - 1) + "raise _error_", SCRIPT_FILE, "exec")
