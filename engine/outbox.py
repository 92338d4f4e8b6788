"""The outbox (decision 15): what a command tells the outside, written in its own transaction.

A command never calls out. `events_of` turns what one engine run did — the instance's status
before and after, the task rows it added, the journal entries it wrote — into event rows, and
`emit` stores them through the command's own unit of work: they commit with the command or not
at all. The worker later fans each event out to the webhook subscriptions that want its kind
(one delivery row each) and delivers those (engine/commands/webhooks.py).

Each event's body is fixed when it happens, so every attempt to every subscriber sends the same
bytes. It names ids and states only, never instance data: a receiver that needs more asks the
API as someone allowed to read it, so confidential values never leave through a webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Iterable

from engine.audit.journal import JournalEntry
from engine.records import InstanceRecord, TaskRecord

INSTANCE_STARTED, INSTANCE_COMPLETED = "instance.started", "instance.completed"
INSTANCE_CANCELLED, INSTANCE_WITHDRAWN = "instance.cancelled", "instance.withdrawn"
INSTANCE_FAILED, TASK_CREATED, TASK_COMPLETED = "instance.failed", "task.created", "task.completed"
EVENTS = (INSTANCE_STARTED, INSTANCE_COMPLETED, INSTANCE_CANCELLED, INSTANCE_WITHDRAWN, INSTANCE_FAILED,
          TASK_CREATED, TASK_COMPLETED)
# the instance status a run ends in -> the event it raises (when the status is new)
STATUS_EVENTS = {"completed": INSTANCE_COMPLETED, "cancelled": INSTANCE_CANCELLED,
                 "withdrawn": INSTANCE_WITHDRAWN, "failed": INSTANCE_FAILED}

# Delivery: a try after the n-th failed attempt waits BACKOFF[n-1]; after MAX_ATTEMPTS it fails.
BACKOFF = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1),
           timedelta(hours=6))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed delivery is due again after LEASE unless its worker records the outcome first (a
# worker that dies mid-send loses its claim, never the delivery); longer than any send's timeout.
LEASE = timedelta(seconds=60)
SEND_TIMEOUT = 5.0


@dataclass(frozen=True)
class OutboxEvent:
    """One thing that happened, as every subscriber will receive it."""

    id: str
    kind: str
    body: str  # the JSON document POSTed, fixed when the event happened
    occurred_at: datetime


@dataclass(frozen=True)
class WebhookSubscription:
    """An administrator's URL and the events it wants; `secret` signs what is sent to it."""

    id: str
    url: str
    events: tuple[str, ...]
    secret: str = field(repr=False)
    created_by: str | None
    created_at: datetime
    removed_at: datetime | None = None


@dataclass(frozen=True)
class DueDelivery:
    """A delivery a worker has claimed: what to send where, and its attempt number."""

    id: str
    event_id: str
    kind: str
    body: str
    url: str
    secret: str = field(repr=False)
    attempts: int


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one attempt came to: `status` delivered, pending (retry at `next_attempt_at`) or failed."""

    status: str
    at: datetime
    code: int | None = None
    error: str | None = None
    next_attempt_at: datetime | None = None


@dataclass(frozen=True)
class DeliveryLogEntry:
    """One delivery as the log page lists it."""

    id: str
    event_id: str
    kind: str
    url: str
    status: str
    attempts: int
    last_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    updated_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "event_id": self.event_id, "event": self.kind, "url": self.url,
                "status": self.status, "attempts": self.attempts, "last_code": self.last_code,
                "last_error": self.last_error, "created_at": self.created_at.isoformat(),
                "next_attempt_at": self.next_attempt_at.isoformat() if self.next_attempt_at else None}


def event(kind: str, data: dict[str, Any], at: datetime) -> OutboxEvent:
    """A new event of `kind` about `data`, happening `at`."""
    event_id = str(uuid.uuid4())
    body = json.dumps({"id": event_id, "type": kind, "occurred_at": at.isoformat(), "data": data},
                      ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return OutboxEvent(event_id, kind, body, at)


def events_of(record: InstanceRecord, previous_status: str | None, added: Iterable[TaskRecord],
              entries: Iterable[JournalEntry], at: datetime) -> list[OutboxEvent]:
    """The events of one engine run on `record`, in the order they happened.

    `previous_status` None: the run started the instance. A completed task is read from the
    command's own "completed" journal entry; tasks entered are the rows the run added.
    """
    instance = {"instance_id": record.id, "process_key": record.process_key,
                "version": record.version_number, "started_by": record.started_by}
    found = []
    if previous_status is None:
        found.append(event(INSTANCE_STARTED, {**instance, "status": "running"}, at))
    for entry in entries:
        if entry.kind == "completed" and "task_id" in entry.payload:
            found.append(event(TASK_COMPLETED, {**instance, "task_id": entry.payload["task_id"],
                                                "element": entry.payload.get("element"),
                                                "completed_by": entry.actor}, at))
    for task in added:
        found.append(event(TASK_CREATED, {**instance, "task_id": task.id, "element": task.spec_name,
                                          "title": task.title, "candidates": list(task.candidates),
                                          "due_at": task.due_at.isoformat() if task.due_at else None}, at))
    if record.status != previous_status and record.status in STATUS_EVENTS:
        found.append(event(STATUS_EVENTS[record.status], {**instance, "status": record.status}, at))
    return found


def emit(uow: Any, events: list[OutboxEvent]) -> None:
    """Store `events` in the command's unit of work (one statement; none without events)."""
    if events:
        uow.outbox.add(events)


def signature(secret: str, timestamp: int, body: str) -> str:
    """The `Zhidu-Signature` header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def headers_for(delivery: DueDelivery, at: datetime) -> dict[str, str]:
    """The headers of one attempt: content type, event kind, delivery id and the signature."""
    return {"Content-Type": "application/json; charset=utf-8", "User-Agent": "zhidu-webhooks/1",
            "Zhidu-Event": delivery.kind, "Zhidu-Delivery": delivery.id,
            "Zhidu-Signature": signature(delivery.secret, int(at.timestamp()), delivery.body)}


def outcome_of(delivery: DueDelivery, code: int | None, error: str | None, at: datetime) -> DeliveryOutcome:
    """Delivered on a 2xx reply; else retried after the back-off of its attempt, or failed."""
    if code is not None and 200 <= code < 300:
        return DeliveryOutcome("delivered", at, code)
    if error is None:
        error = f"HTTP {code}" + (" (redirects are not followed)" if code is not None and 300 <= code < 400 else "")
    if delivery.attempts >= MAX_ATTEMPTS:
        return DeliveryOutcome("failed", at, code, error[:500])
    wait = BACKOFF[min(delivery.attempts, len(BACKOFF)) - 1]
    return DeliveryOutcome("pending", at, code, error[:500], at + wait)
