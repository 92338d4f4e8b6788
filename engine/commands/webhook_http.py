"""How a webhook leaves: one POST over http.client, with a short timeout, never a redirect.

http.client follows nothing: a 3xx comes back as the reply it is, and the delivery counts it as
a failure (the URL an administrator entered is the only place a webhook may go).
"""

from __future__ import annotations

import http.client
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from engine.outbox import SEND_TIMEOUT

MAX_ERROR = 500


@dataclass(frozen=True)
class Reply:
    """The receiver's status code, or why there was none (refused, timed out, bad URL)."""

    code: int | None
    error: str | None = None


class Transport(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Reply: ...


class HttpTransport:
    """POSTs with http.client; `timeout` bounds connecting and each read."""

    def __init__(self, timeout: float = SEND_TIMEOUT):
        self.timeout = timeout

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        """Send `body` to `url`; any failure to get a reply becomes `Reply(None, error)`."""
        parts = urlsplit(url)
        kind = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection = kind(parts.hostname or "", parts.port, timeout=self.timeout)
        except (ValueError, http.client.HTTPException) as err:  # e.g. a port out of range
            return Reply(None, _said(err))
        try:
            connection.request("POST", target, body=body, headers={**headers, "Content-Length": str(len(body))})
            response = connection.getresponse()
            response.read(64 * 1024)  # drain a little; the reply's body is not kept
            return Reply(response.status)
        except (OSError, http.client.HTTPException, ValueError) as err:
            return Reply(None, _said(err))
        finally:
            connection.close()


def _said(err: Exception) -> str:
    return f"{type(err).__name__}: {err}"[:MAX_ERROR]
