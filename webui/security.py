"""Response headers, session lifetime and sign-in throttling: the web app's own defences.

The Content-Security-Policy allows only the app's own scripts (no inline script: page data is
passed in `<script type="application/json">` blocks, read by static JS) and its own styles plus
inline style attributes, which bpmn-js sets on the diagrams it draws.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from datetime import timedelta

from flask import Flask, Response

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
SESSION_LIFETIME = timedelta(hours=8)  # a working day, then sign in again
DEFAULTS = {
    "SESSION_IDLE_MINUTES": 30,            # or after half an hour without a request
    "SIGN_IN_MAX_FAILURES": 5,
    "SIGN_IN_LOCK_MINUTES": 5,
}


class SignInThrottle:
    """Counts failed sign-ins per key (a username, a client address); after `max_failures`
    within `window` seconds the key is locked for that long. In memory: one process."""

    def __init__(self, max_failures: int = 5, window: float = 300.0, clock=time.monotonic):
        self.max_failures, self.window, self.clock = max_failures, window, clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def locked_for(self, *keys: str) -> float:
        """Seconds until every key may try again (0 when none is locked)."""
        now, wait = self.clock(), 0.0
        with self._lock:
            for key in keys:
                recent = self._prune(key, now)
                if len(recent) >= self.max_failures:
                    wait = max(wait, recent[0] + self.window - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)

    def succeeded(self, username_key: str) -> None:
        with self._lock:
            self._failures.pop(username_key, None)

    def _prune(self, key: str, now: float) -> deque[float]:
        recent = self._failures[key]
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent


def register(app: Flask) -> None:
    """Apply the defaults (config may override them), the throttle and the headers to `app`."""
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.extensions["zhidu.throttle"] = SignInThrottle(app.config["SIGN_IN_MAX_FAILURES"],
                                                      app.config["SIGN_IN_LOCK_MINUTES"] * 60.0)
    app.after_request(_headers)


def _headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    return response
