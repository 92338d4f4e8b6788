"""How a notification's e-mail leaves: smtplib, with a timeout, from `ZHIDU_SMTP_URL`.

`smtp://host:port` sends in the clear (a local relay), `smtps://host:port` over TLS from the
first byte; `user:password@` in either logs in first (percent-encoded characters are decoded).
`?from=addr` sets the sender (default `zhidu@<host>`), `?starttls=1` upgrades a plain
connection. Each send opens a connection of its own: the worker sends a handful per pass, and a
connection left open across passes would only go stale.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

SMTP_TIMEOUT = 10.0
MAX_ERROR = 500


class Mailer(Protocol):
    def send(self, to: str, subject: str, body: str, message_id: str) -> str | None:
        """Send one message; None when the server took it, else why not."""


@dataclass(frozen=True)
class SmtpMailer:
    """Sends through one SMTP server named by a URL (see the module's docstring)."""

    host: str
    port: int
    secure: bool = False
    starttls: bool = False
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "zhidu@localhost"
    timeout: float = SMTP_TIMEOUT

    def send(self, to: str, subject: str, body: str, message_id: str) -> str | None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = formataddr(("zhidu", self.sender)), to, subject
        message["Message-ID"] = message_id or make_msgid(domain="zhidu")
        message.set_content(body)
        try:
            with self._connect() as server:
                if self.starttls:
                    server.starttls(context=ssl.create_default_context())
                if self.user:
                    server.login(self.user, self.password or "")
                server.send_message(message)
            return None
        except (OSError, smtplib.SMTPException, ValueError) as err:
            return f"{type(err).__name__}: {err}"[:MAX_ERROR]

    def _connect(self) -> smtplib.SMTP:
        if self.secure:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        return smtplib.SMTP(self.host, self.port, timeout=self.timeout)


def mailer_from_url(url: str | None, timeout: float = SMTP_TIMEOUT) -> SmtpMailer | None:
    """The mailer `url` names; None without one (mail is then skipped, never an error).

    Raises:
        ValueError: the URL is not smtp:// or smtps:// with a host (a configuration mistake,
            reported when the worker starts rather than on every pass).
    """
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("ZHIDU_SMTP_URL must be smtp://[user:password@]host[:port] or smtps://...")
    query = parse_qs(parts.query)
    sender = query.get("from", [f"zhidu@{parts.hostname}"])[0]
    return SmtpMailer(parts.hostname, parts.port or (465 if scheme == "smtps" else 25), secure=scheme == "smtps",
                      starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
                      user=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None, sender=sender, timeout=timeout)
