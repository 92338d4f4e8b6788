"""The sandbox worker: a separate process that runs scripts and expressions for the server.

It reads one request at a time from its pipe, runs it with `ScriptRunner` under an address
space limit (RLIMIT_AS), and writes the answer back. Helpers that need the server (the engine
clock, journaled lookups such as `users_with_role`) are called back over the same pipe. The
server kills the worker when a run outlives its deadline (engine/sandbox/pool.py); this side
never has to stop a C call itself. Why scripts run here at all: engine/spiff/script_environment.py.

Messages (pickled): server -> worker ``("run", kind, source, context, external, helpers, limits)``
and ``("return", value)`` / ``("raise", type_name, message)`` answering a call; worker -> server
``("ready",)``, ``("call", name, args)``, and last ``("done", answer, leaving)`` where the
answer is ``("value", v)``, ``("data", data, deleted)`` or ``("error", details)`` and `leaving`
says the worker grew too much and exits now.
"""

from __future__ import annotations

import builtins
import os
import pickle
import resource
import select
import signal
import struct
import sys
import traceback
from typing import Any, Callable

from engine.sandbox.limits import SCRIPT_FILE, Limits, ScriptLimitExceeded
from engine.sandbox.runner import ScriptRunner, kept_name

INT_MAX_STR_DIGITS = 4300        # int<->str conversion is quadratic; Python's default, made explicit
ADDRESS_HEADROOM = 256 * 2**20   # address space beyond the script's memory limit (allocator slack)
RECYCLE_GROWTH = 256 * 2**20     # a worker whose address space grew this much is replaced


class Pipe:
    """Length-prefixed messages over two pipe file descriptors (multiprocessing's Connection
    would do, but importing it doubles a worker's start-up time)."""

    _HEADER = struct.Struct(">Q")

    def __init__(self, read_fd: int, write_fd: int):
        self.read_fd, self.write_fd = read_fd, write_fd

    def send_bytes(self, payload: bytes) -> None:
        view = memoryview(self._HEADER.pack(len(payload)) + payload)
        while view:
            view = view[os.write(self.write_fd, view):]

    def poll(self, timeout: float) -> bool:
        return bool(select.select([self.read_fd], [], [], timeout)[0])

    def recv_bytes(self) -> bytes:
        (size,) = self._HEADER.unpack(self._read(self._HEADER.size))
        return self._read(size)

    def _read(self, size: int) -> bytes:
        parts, left = [], size
        while left:
            part = os.read(self.read_fd, min(left, 1 << 20))
            if not part:
                raise EOFError("the other end closed the pipe")
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

    def close(self) -> None:
        """Close both ends once (a second close could hit a descriptor another thread reopened)."""
        fds, self.read_fd, self.write_fd = (self.read_fd, self.write_fd), -1, -1
        for fd in fds:
            if fd >= 0:
                try:
                    os.close(fd)
                except OSError:
                    pass


def _address_space() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


class Worker:
    """One worker's end of the pipe and its cached runners."""

    def __init__(self, pipe: Pipe):
        self.inbox = self.outbox = pipe
        self.runners: dict[tuple, ScriptRunner] = {}
        self.baseline = _address_space()

    def send(self, message: tuple) -> None:
        self.outbox.send_bytes(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def receive(self) -> tuple:
        return pickle.loads(self.inbox.recv_bytes())

    def call_back(self, name: str) -> Callable[..., Any]:
        """A helper that runs in the server: sends the call and waits for its answer."""
        def call(*args: Any) -> Any:
            self.send(("call", name, args))
            answer = self.receive()
            if answer[0] == "return":
                return answer[1]
            raise _exception_type(answer[1])(answer[2])
        call.__name__ = name
        return call

    def runner(self, helpers: tuple[str, ...], limits: Limits) -> ScriptRunner:
        key = (helpers, limits)
        if key not in self.runners:
            self.runners[key] = ScriptRunner({name: self.call_back(name) for name in helpers}, limits)
        return self.runners[key]

    def handle(self, request: tuple) -> tuple:
        """Run one request; the answer to send back."""
        _, kind, source, context, external, helpers, limits = request
        runner = self.runner(tuple(helpers), limits)
        resource.setrlimit(resource.RLIMIT_AS, (_address_space() + limits.memory_bytes + ADDRESS_HEADROOM,
                                                resource.RLIM_INFINITY))
        try:
            if kind == "evaluate":
                return ("value", _plain(runner.evaluate(source, context, external)))
            deleted = runner.execute(source, context, external)
            return ("data", {k: v for k, v in context.items() if kept_name(k, v)}, deleted)
        except Exception as err:  # the script's own error: reported, never fatal to the worker
            return ("error", describe(err))
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))

    def answer(self, reply: tuple, leaving: bool) -> None:
        try:
            payload = pickle.dumps(("done", reply, leaving), protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:  # a value that cannot leave the sandbox (a generator, a lambda)
            failure = {"type": "TypeError", "line": None, "limit": False, "syntax": False,
                       "message": f"the result cannot be used: {err}"}
            payload = pickle.dumps(("done", ("error", failure), leaving))
        self.outbox.send_bytes(payload)

    def serve(self) -> None:
        self.send(("ready",))
        while True:
            try:
                request = self.receive()
            except EOFError:
                return
            reply = self.handle(request)
            leaving = _address_space() - self.baseline > RECYCLE_GROWTH
            self.answer(reply, leaving)
            if leaving:
                return


def _plain(value: Any) -> Any:
    """An expression's lazy value (a generator, a map, a dict view) as the list it would give:
    such objects cannot cross the pipe, and whoever asked for the value only iterates it."""
    if hasattr(value, "__next__") or isinstance(value, (type({}.keys()), type({}.values()), type({}.items()))):
        return list(value)
    return value


def describe(err: BaseException) -> dict[str, Any]:
    """What the server needs to re-raise `err`: its type name, message and the script's line."""
    line = err.lineno if isinstance(err, SyntaxError) and not isinstance(err, ScriptLimitExceeded) else None
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename == SCRIPT_FILE:
            line = frame.lineno
    return {"type": type(err).__name__, "message": str(err) if err.args else "", "line": line,
            "limit": isinstance(err, ScriptLimitExceeded), "syntax": isinstance(err, SyntaxError)}


def _exception_type(name: str) -> type[Exception]:
    found = getattr(builtins, name, None)
    return found if isinstance(found, type) and issubclass(found, Exception) else RuntimeError


def main(read_fd: int, write_fd: int) -> None:
    """Entry point of a worker process (started by engine/sandbox/pool.py)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server; its closed pipe stops us
    sys.set_int_max_str_digits(INT_MAX_STR_DIGITS)
    sys.setrecursionlimit(1000)
    try:
        Worker(Pipe(read_fd, write_fd)).serve()
    except (BrokenPipeError, EOFError):
        pass  # the server went away
