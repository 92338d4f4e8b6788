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

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable

from engine.audit.journal import JournalEntry
from engine.records import InstanceRecord, TaskRecord

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
    set, is left out, and so are `excluded` (whom separation of duties keeps from the task a
    task_offered notice is about). `instance_id`/`task_id` are what the notification links to.
    """

    kind: str
    payload: dict[str, Any] = field(hash=False)
    users: tuple[str, ...]
    roles: tuple[str, ...]
    at: datetime
    actor: str | None = None
    instance_id: str | None = None
    task_id: str | None = None
    excluded: tuple[str, ...] = ()


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


def task_payload(task: TaskRecord, actor: str | None = None, **more: Any) -> dict[str, Any]:
    """What a notification about `task` carries: enough to word it and link to it, no form data."""
    return {"task_id": task.id, "instance_id": task.instance_id, "process_key": task.process_key,
            "title": task.title, "subject": task.subject, "actor": actor, **more}


@dataclass(frozen=True)
class RunFacts:
    """What one engine run on an instance did, as far as people hear of it."""

    record: InstanceRecord
    previous_status: str | None  # None: the run started the instance
    added: tuple[TaskRecord, ...]
    cancelled: tuple[TaskRecord, ...]
    still_open: tuple[TaskRecord, ...]
    entries: tuple[JournalEntry, ...]
    process_name: dict[str, str]
    at: datetime


def notices_of(run: RunFacts) -> list[Notice]:
    """What one engine run tells people (written by Runner.apply with the run).

    Tasks entered are offered to their candidates. A run the timer worker made (a `timer_fired`
    entry) escalates to its holder a task it cancelled (an interrupting boundary timer) or, when
    it added tasks (a non-interrupting one), a held task past due. A new end status reaches the
    starter. The actor who caused the run (the first entry naming one) hears of none of it.
    """
    record, at = run.record, run.at
    actor = next((e.actor for e in run.entries if e.actor), None)
    found = [_offered(t, actor, at) for t in run.added]
    if any(e.kind == "timer_fired" for e in run.entries):
        escalated = [t for t in run.cancelled if t.claimed_by]
        if run.added:
            escalated += [t for t in run.still_open if t.claimed_by and t.due_at is not None and t.due_at <= at]
        found += [notice_of([t.claimed_by or ""], TASK_ESCALATED, task_payload(t, actor), at) for t in escalated]
    if record.status != run.previous_status and record.status in REQUEST_KINDS and record.started_by:
        payload = {"instance_id": record.id, "process_key": record.process_key, "title": run.process_name,
                   "status": record.status, "actor": actor}
        found.append(notice_of([record.started_by], REQUEST_KINDS[record.status], payload, at))
    return [n for n in found if n is not None]


def _offered(task: TaskRecord, actor: str | None, at: datetime) -> Notice | None:
    """A task entered, told to its candidates but not to whom separation of duties keeps from it."""
    notice = notice_of(task.candidates, TASK_OFFERED, task_payload(task, actor), at)
    if notice is None or not task.excluded:
        return notice
    excluded = tuple(e.username for e in task.excluded)
    users = tuple(u for u in notice.users if u not in excluded)
    return replace(notice, users=users, excluded=excluded) if users or notice.roles else None


def notify_all(uow: Any, notices: Iterable[Notice | None]) -> None:
    """Store several notices at once (what one engine run caused); nothing for none."""
    found = [n for n in notices if n is not None]
    if found:
        uow.notifications.add(found)


@dataclass(frozen=True)
class Notification:
    """One notification as its recipient reads it."""

    id: int
    kind: str
    payload: dict[str, Any] = field(hash=False)
    instance_id: str | None
    task_id: str | None
    created_at: datetime
    read_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "payload": self.payload, "instance_id": self.instance_id,
                "task_id": self.task_id, "created_at": self.created_at.isoformat(),
                "read_at": self.read_at.isoformat() if self.read_at else None}


@dataclass(frozen=True)
class DueMail:
    """A notification's e-mail a worker has claimed: where it goes and in which language."""

    id: int
    recipient: str
    email: str
    language: str | None
    kind: str
    payload: dict[str, Any] = field(hash=False)
    instance_id: str | None
    task_id: str | None
    attempts: int


@dataclass(frozen=True)
class MailLogEntry:
    """One e-mail as administrators see it: its state and the last error."""

    id: int
    recipient: str
    kind: str
    status: str  # pending, sent, failed, skipped
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class OverdueTask:
    """A claimed open task past its due time whose holder has not been told yet."""

    task_id: str
    instance_id: str
    process_key: str
    title: str
    holder: str
    due_at: datetime
