"""The server's side of the sandbox workers: a pool of processes, a hard deadline, call-backs.

`run_request` takes an idle worker (or starts one), sends it a script, answers its call-backs
(the engine clock, journaled lookups) in the calling thread, and kills it the moment the run
outlives its deadline plus a short grace; the next run gets a fresh worker. While a worker
runs, this thread waits on a pipe without holding the GIL, so the rest of the server goes on.

What comes back from a worker is unpickled with an allow-list of classes (plain data, dates,
decimals), so not even a worker that escaped RestrictedPython can make the server run code.
"""

from __future__ import annotations

import atexit
import io
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

from engine.sandbox.limits import Limits, ScriptLimitExceeded
from engine.sandbox.worker import Pipe

GRACE_SECONDS = 0.15       # past the deadline before the worker is killed (the tracer usually stops it first)
START_SECONDS = 30.0       # for a new worker to import and say it is ready (a loaded machine is slow)
MAX_WORKERS = max(4, 2 * (os.cpu_count() or 1))
KEEP_IDLE = 2              # idle workers kept warm, so a kill costs the next run no start-up
_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the `engine` package
_SAFE_CLASSES = {
    ("builtins", name) for name in ("set", "frozenset", "complex", "range", "slice", "bytearray")
} | {("datetime", name) for name in ("date", "datetime", "time", "timedelta", "timezone")} | {
    ("decimal", "Decimal"), ("zoneinfo", "ZoneInfo._unpickle")}


class SandboxUnavailable(ScriptLimitExceeded):
    """No worker could run the script (none started, or all stayed busy)."""


class _Stale(Exception):
    """An idle worker was gone before it got the request (it can safely be sent again)."""


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _SAFE_CLASSES:
            raise pickle.UnpicklingError(f"a sandbox worker sent a {module}.{name}")
        return super().find_class(module, name)


def safe_loads(payload: bytes) -> Any:
    """Unpickle what a worker sent, allowing only plain data classes."""
    return _SafeUnpickler(io.BytesIO(payload)).load()


class WorkerProcess:
    """One sandbox worker process and the server's ends of its two pipes."""

    def __init__(self) -> None:
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        # -I -S: no environment variables, no site hooks (a tenth of a second); the path is ours.
        path = [_ROOT, *(p for p in sys.path if p and os.path.isabs(p))]
        code = (f"import sys; sys.path[:] = {path!r}; from engine.sandbox.worker import main; "
                f"main({to_worker_read}, {from_worker_write})")
        self.process = subprocess.Popen([sys.executable, "-I", "-S", "-c", code], pass_fds=(to_worker_read, from_worker_write),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, cwd=_ROOT)
        os.close(to_worker_read)
        os.close(from_worker_write)
        self.inbox = self.outbox = Pipe(from_worker_read, to_worker_write)
        self.ready = False
        self.spent = False  # the worker grew and leaves after this answer

    def wait_ready(self) -> None:
        if not self.ready:
            if not self.inbox.poll(START_SECONDS) or safe_loads(self.inbox.recv_bytes()) != ("ready",):
                raise SandboxUnavailable("limit exceeded: the script sandbox did not start")
            self.ready = True

    def run(self, request: tuple, callbacks: dict[str, Callable[..., Any]], seconds: float) -> tuple:
        """Send `request`, answer call-backs, and return the worker's answer.

        Raises:
            ScriptLimitExceeded: the deadline passed (the worker is then killed).
            _Stale: the worker was gone before it got the request.
            EOFError: the worker died while running it.
        """
        payload = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            self.wait_ready()
            self.outbox.send_bytes(payload)
        except (OSError, EOFError) as err:
            raise _Stale() from err
        deadline = time.monotonic() + seconds + GRACE_SECONDS
        while True:
            if not self.inbox.poll(max(0.0, deadline - time.monotonic())):
                self.kill()
                raise ScriptLimitExceeded(f"limit exceeded: ran longer than {seconds:g} s")
            try:
                message = safe_loads(self.inbox.recv_bytes())
            except pickle.UnpicklingError as err:
                raise TypeError(f"the script's value cannot be used here: {err}") from None
            if message[0] == "done":
                self.spent = message[2]
                return message[1]
            self.outbox.send_bytes(pickle.dumps(_call(callbacks, message[1], message[2])))

    def kill(self) -> None:
        self.process.kill()
        self.close()

    def close(self) -> None:
        self.inbox.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _call(callbacks: dict[str, Callable[..., Any]], name: str, args: tuple) -> tuple:
    try:
        return ("return", callbacks[name](*args))
    except Exception as err:  # the helper's error goes back into the script, like a local call's
        return ("raise", type(err).__name__, str(err))


class WorkerPool:
    """Idle workers, shared by the threads of one server process."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._idle: list[WorkerProcess] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(MAX_WORKERS)

    def run(self, request: tuple, callbacks: dict[str, Callable[..., Any]], limits: Limits) -> tuple:
        if not self._slots.acquire(timeout=START_SECONDS):
            raise SandboxUnavailable("limit exceeded: every script sandbox stayed busy")
        try:
            worker = self._take()
            try:
                try:
                    answer = worker.run(request, callbacks, limits.seconds)
                except _Stale:
                    worker.kill()
                    worker = self._take()
                    answer = worker.run(request, callbacks, limits.seconds)
            except (EOFError, _Stale):
                worker.kill()
                raise ScriptLimitExceeded("limit exceeded: the sandbox running the script stopped") from None
            except BaseException:
                if worker.process.poll() is None:
                    worker.kill()
                raise
            self._give_back(worker)
            return answer
        finally:
            self._slots.release()

    def _take(self) -> WorkerProcess:
        with self._lock:
            worker = self._idle.pop() if self._idle else WorkerProcess()
            if not self._idle:
                self._idle.append(WorkerProcess())  # warm a spare while this one runs
            return worker

    def _give_back(self, worker: WorkerProcess) -> None:
        if worker.spent:
            worker.close()
            return
        with self._lock:
            if len(self._idle) < KEEP_IDLE:
                self._idle.append(worker)
                return
        worker.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.close()


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def pool() -> WorkerPool:
    """This process's pool (a forked child makes its own: pipes cannot be shared)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = WorkerPool()
            atexit.register(_pool.close)
        return _pool
