"""Notifications: who hears about what, written in the command's own unit of work.

`notify` is the one way in. A command (or a helper such as comments) names the recipients —
user names, or task candidates (``user:<name>``, ``role:<key>``) — a kind and a payload, and
storage writes one notification row per active recipient in ONE statement (an INSERT ... SELECT
over the users, so a role held by many people costs no query per person). Each row also carries
its e-mail's delivery state, decided in that same statement: pending when the recipient has an
address and has not turned the kind off, none otherwise. The row is thus the mail outbox too
(decision 15): it commits with the command or not at all, and the worker sends it later
(engine/commands/notifications.py).

The person whose action caused the event (`payload["actor"]`) is never notified of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable

TASK_OFFERED, TASK_ASSIGNED = "task_offered", "task_assigned"
TASK_OVERDUE, TASK_ESCALATED = "task_overdue", "task_escalated"
REQUEST_COMPLETED, REQUEST_CANCELLED = "request_completed", "request_cancelled"
REQUEST_WITHDRAWN, REQUEST_FAILED = "request_withdrawn", "request_failed"
MENTIONED = "mentioned"
KINDS = (TASK_OFFERED, TASK_ASSIGNED, TASK_OVERDUE, TASK_ESCALATED, REQUEST_COMPLETED, REQUEST_CANCELLED,
         REQUEST_WITHDRAWN, REQUEST_FAILED, MENTIONED)
# the status an instance ends in -> what its starter hears
REQUEST_KINDS = {"completed": REQUEST_COMPLETED, "cancelled": REQUEST_CANCELLED,
                 "withdrawn": REQUEST_WITHDRAWN, "failed": REQUEST_FAILED}


@dataclass(frozen=True)
class Notice:
    """One event for some people: storage writes a row for each active user it reaches.

    `users` are user names, `roles` role keys (every active holder is reached); `actor`, when
    set, is left out. `instance_id`/`task_id` are what the notification links to.
    """

    kind: str
    payload: dict[str, Any] = field(hash=False)
    users: tuple[str, ...]
    roles: tuple[str, ...]
    at: datetime
    actor: str | None = None
    instance_id: str | None = None
    task_id: str | None = None


def notice_of(recipients: Iterable[str], kind: str, payload: dict[str, Any], at: datetime) -> Notice | None:
    """The notice for `recipients` (names, ``user:``/``role:`` candidates), None when nobody is left.

    Raises:
        ValueError: `kind` is not one of KINDS (a programming error, not bad input).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}")
    users, roles = [], []
    for recipient in recipients:
        if not recipient:
            continue
        if recipient.startswith("role:"):
            roles.append(recipient[5:])
        else:
            users.append(recipient[5:] if recipient.startswith("user:") else recipient)
    actor = payload.get("actor")
    users = [u for u in dict.fromkeys(users) if u != actor]
    if not users and not roles:
        return None
    return Notice(kind, dict(payload), tuple(users), tuple(dict.fromkeys(roles)), at, actor,
                  payload.get("instance_id"), payload.get("task_id"))


def notify(uow: Any, clock: Any, recipients: Iterable[str], kind: str, payload: dict[str, Any]) -> None:
    """Tell `recipients` about `kind`, in the caller's unit of work (one statement; none for nobody).

    `payload`: plain JSON values; by convention `instance_id`, `task_id` (the link), `title`
    ({zh, en} or a string), `process_key`, `actor` (who caused it: never notified), `text`.
    """
    notice = notice_of(recipients, kind, payload, clock.now())
    if notice is not None:
        uow.notifications.add([notice])


def notify_all(uow: Any, notices: Iterable[Notice | None]) -> None:
    """Store several notices at once (what one engine run caused); nothing for none."""
    found = [n for n in notices if n is not None]
    if found:
        uow.notifications.add(found)
