"""One access-log line per request, in the Common Log Format followed by the time taken in
microseconds — the line gunicorn writes with `ACCESS_LOG_FORMAT`, written here for waitress,
which logs no requests of its own:

    127.0.0.1 - - [12/Jan/2026:09:30:00 +0800] "POST /tasks/7f3c... HTTP/1.1" 302 189 5321

The line goes to standard output (as gunicorn's `accesslog = "-"`), through the `zhidu.access`
logger with no prefix of its own, so tools that read the common format read it as it is.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Callable, Iterable, Iterator

# Common Log Format (gunicorn's %(t)s brings its own brackets) and the time taken, in µs.
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s %(D)s'
LOGGER = "zhidu.access"


def access_logger() -> logging.Logger:
    """The access log: each line as it is, on standard output, not repeated by the root logger."""
    log = logging.getLogger(LOGGER)
    if not log.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    return log


class AccessLog:
    """WSGI middleware writing the access line once the response's body has been sent."""

    def __init__(self, app: Callable[..., Iterable[bytes]], log: logging.Logger | None = None):
        self.app, self.log = app, log or access_logger()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        began, status = time.perf_counter(), ["-"]

        def recording(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = line.split(" ", 1)[0]
            return start_response(line, headers, exc_info)

        body = self.app(environ, recording)
        return _Logged(body, lambda sent: self._write(environ, status[0], sent, began))

    def _write(self, environ: dict[str, Any], status: str, sent: int, began: float) -> None:
        if not self.log.isEnabledFor(logging.INFO):
            return
        target = environ.get("REQUEST_URI") or environ.get("RAW_URI") or _target(environ)
        self.log.info(ACCESS_LOG_FORMAT, {
            "h": environ.get("REMOTE_ADDR") or "-", "l": "-", "u": environ.get("REMOTE_USER") or "-",
            "t": time.strftime("[%d/%b/%Y:%H:%M:%S %z]"),
            "r": f"{environ.get('REQUEST_METHOD', '-')} {target} {environ.get('SERVER_PROTOCOL', '-')}",
            "s": status, "b": str(sent) if sent else "-", "D": int((time.perf_counter() - began) * 1_000_000)})


def _target(environ: dict[str, Any]) -> str:
    query = environ.get("QUERY_STRING")
    return (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")) + (f"?{query}" if query else "")


class _Logged:
    """The response body, counted as it is sent; the line is written when the server closes it."""

    def __init__(self, body: Iterable[bytes], done: Callable[[int], None]):
        self.body, self.done, self.sent = body, done, 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.sent += len(chunk)
            yield chunk

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            self.done(self.sent)
