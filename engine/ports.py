"""What the engine needs from storage, as Protocols; `storage/` implements them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from engine.audit.journal import JournalEntry
from engine.definitions.bundles import CatalogEntry
from engine.notify import DueMail, MailLogEntry, Notice, Notification, OverdueTask
from engine.outbox import DeliveryLogEntry, DeliveryOutcome, DueDelivery, OutboxEvent, WebhookSubscription
from engine.records import (
    Department, InstanceRecord, Role, Schedule, StoredVersion, TaskRecord, TextMatch, UserRecord,
)


class VersionRepository(Protocol):
    def add(self, version: StoredVersion) -> None: ...
    def latest(self, key: str) -> StoredVersion | None: ...
    def by_hash(self, content_hash: str) -> StoredVersion | None: ...
    def all_latest(self) -> list[StoredVersion]: ...
    def latest_entries(self) -> list[CatalogEntry]:
        """The catalog entries of the latest versions, without their files (cheap: every page asks)."""
    def history(self, key: str) -> list[StoredVersion]: ...


class InstanceRepository(Protocol):
    def add(self, record: InstanceRecord) -> None: ...
    def get(self, instance_id: str) -> InstanceRecord | None: ...
    def version_of(self, instance_id: str) -> str | None:
        """The content hash of the version the instance is pinned to (without loading its state)."""
    def of_task(self, task_id: str) -> tuple[InstanceRecord, list[TaskRecord]] | None:
        """The instance task `task_id` belongs to and the instance's open tasks, oldest first, in
        one read (a command on a task needs all three); None for an unknown task."""
    def save(self, record: InstanceRecord, expected_revision: int) -> None:
        """Write `record` if the stored revision is still `expected_revision`.

        Raises:
            ConcurrentUpdate: another command wrote the instance first.
        """
    def due(self, now: datetime, limit: int) -> list[str]: ...
    def lock_next_due(self, now: datetime, skip: set[str]) -> tuple[InstanceRecord, list[TaskRecord]] | None:
        """The next due running instance not in `skip` and its open tasks, locked for this
        transaction (rows other workers hold are skipped, not waited for)."""
    def started_by(self, username: str) -> list[InstanceRecord]: ...
    def ids_after(self, after: str, limit: int) -> list[str]:
        """Instance ids in id order, greater than `after`."""
    def search(self, found: InstanceFilter, offset: int, limit: int) -> tuple[list[InstanceRecord], int]:
        """One page of the instances matching `found`, newest start first, and how many match."""


class TaskRepository(Protocol):
    def add(self, task: TaskRecord) -> None: ...
    def get(self, task_id: str) -> TaskRecord | None: ...
    def save(self, task: TaskRecord) -> None: ...
    def open_for_instance(self, instance_id: str) -> list[TaskRecord]: ...
    def open_for_instances(self, instance_ids: list[str]) -> dict[str, list[TaskRecord]]:
        """The open tasks of each of `instance_ids` (oldest first), in one read; an instance
        with none is left out."""
    def for_instance(self, instance_id: str) -> list[TaskRecord]: ...
    def inbox(self, username: str, roles: tuple[str, ...]) -> list[TaskRecord]: ...
    def inbox_page(self, username: str, roles: tuple[str, ...], process_key: str | None, sort: str,
                   offset: int, limit: int | None, match: TextMatch | None = None,
                   standing_in: tuple[UserRecord, ...] = ()) -> list[TaskRecord]:
        """One page of the inbox, sorted by due date (`due`) or creation (`created`); with the
        tasks offered to or claimed by the absent people in `standing_in` (a substitute's)."""
    def inbox_count(self, username: str, roles: tuple[str, ...], process_key: str | None = None,
                    match: TextMatch | None = None, standing_in: tuple[UserRecord, ...] = ()) -> int: ...
    def inbox_groups(self, username: str, roles: tuple[str, ...], standing_in: tuple[UserRecord, ...] = (),
                     match: TextMatch | None = None) -> dict[str, tuple[int, int]]:
        """Each procedure the inbox holds tasks of, in key order: how many, and how many of them
        `match` finds (all without one). One pass: an inbox page's counts, searched or not, and
        its list of procedures all come from it."""
    def open_in_departments(self, departments: list[str], match: TextMatch | None = None) -> list[TaskRecord]: ...


class JournalRepository(Protocol):
    def append(self, entries: list[JournalEntry]) -> None: ...
    def last(self, instance_id: str) -> JournalEntry | None: ...
    def for_instance(self, instance_id: str, kinds: tuple[str, ...] | None = None) -> list[JournalEntry]:
        """The instance's entries in order (only those of `kinds`, when given)."""


class UserRepository(Protocol):
    def get(self, username: str) -> UserRecord | None: ...
    def all(self) -> list[UserRecord]: ...
    def upsert(self, user: UserRecord) -> None: ...
    def upsert_department(self, department: Department) -> None: ...
    def upsert_role(self, role: Role) -> None: ...
    def departments(self) -> list[Department]: ...
    def roles(self) -> list[Role]: ...


class ScheduleRepository(Protocol):
    def put(self, schedule: Schedule) -> None: ...
    def remove(self, process_key: str) -> None: ...
    def all(self) -> list[Schedule]: ...
    def lock_next_due(self, now: datetime) -> Schedule | None: ...


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser session, kept on the server so that signing out ends it for every
    copy of its cookie. `id` is the SHA-256 of the token in the cookie, never the token."""

    id: str
    username: str
    started_at: datetime
    seen_at: datetime


class ThrottleRepository(Protocol):
    """Failed sign-ins counted per key (a hashed username+address, or an address), shared by
    every server process because it lives in the database."""

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        """The latest lock on any of `keys` still in force at `now`, else None (one indexed query)."""
    def count_failure(self, key: str, now: datetime, window_began_after: datetime) -> int:
        """Count one failure for `key` and return its count; a window that began at or before
        `window_began_after` is over, so the count starts again at 1."""
    def lock(self, key: str, now: datetime, until: datetime) -> bool:
        """Lock `key` until `until` unless it is locked at `now` already; True when this call locked it."""
    def clear(self, key: str) -> None: ...
    def prune(self, window_began_before: datetime, now: datetime) -> int:
        """Forget keys whose window began before the cut and that are not locked at `now`."""


class SessionRepository(Protocol):
    def add(self, session: WebSession) -> None: ...
    def get(self, session_id: str) -> WebSession | None: ...
    def touch(self, session_id: str, seen_at: datetime) -> None: ...
    def end(self, session_id: str) -> None: ...
    def end_for_user(self, username: str) -> int:
        """End every session of `username`; returns how many there were."""
    def prune(self, started_before: datetime, seen_before: datetime) -> int:
        """Forget sessions past their absolute or their idle limit."""


class PreferenceRepository(Protocol):
    """What a user chose for themselves, kept on the user (so every device sees it)."""

    def language(self, username: str) -> str | None: ...
    def set_language(self, username: str, language: str) -> None: ...


@dataclass(frozen=True)
class OwnerDraft:
    """A process owner's unfinished edit of one procedure: the editor's payload, not a version."""

    username: str
    process_key: str
    payload: str
    saved_at: datetime


@dataclass(frozen=True)
class VersionNote:
    """Why a version was deployed although validation warned, and what it warned of."""

    key: str
    number: int
    reason: str
    warnings: tuple[str, ...]
    noted_by: str
    noted_at: datetime


class DraftRepository(Protocol):
    def get(self, username: str, process_key: str) -> OwnerDraft | None: ...
    def put(self, draft: OwnerDraft) -> None:
        """Save the draft, replacing the user's earlier draft of the same procedure."""
    def remove(self, username: str, process_key: str) -> None: ...


class VersionNoteRepository(Protocol):
    def add(self, note: VersionNote) -> None: ...
    def for_key(self, key: str) -> list[VersionNote]: ...


@dataclass(frozen=True)
class ApiToken:
    """A personal API token as stored: `secret_hash` is the SHA-256 of the secret, never the secret."""

    id: str
    username: str
    name: str
    secret_hash: str
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiTokenRepository(Protocol):
    def add(self, token: ApiToken) -> None: ...
    def get(self, token_id: str) -> ApiToken | None: ...
    def by_hash(self, secret_hash: str) -> ApiToken | None: ...
    def for_user(self, username: str) -> list[ApiToken]:
        """The user's tokens, newest first (revoked and expired ones too)."""
    def revoke(self, token_id: str, at: datetime) -> None: ...
    def count_use(self, token_id: str, now: datetime, window_start: datetime, touch_before: datetime) -> int:
        """Count one request in the window that began at `window_start` (a count from an earlier
        window starts again at 1) and set `last_used_at` to `now` unless it is later than
        `touch_before` — one statement, atomic across processes; returns the window's count."""


class OutboxRepository(Protocol):
    """Events written by commands (decision 15) until the worker fans them out to deliveries."""

    def add(self, events: list[OutboxEvent]) -> None:
        """Store the events (one statement)."""
    def claim_undispatched(self, limit: int) -> list[OutboxEvent]:
        """The oldest events not yet fanned out, locked (rows other workers hold are skipped)."""
    def mark_dispatched(self, event_ids: list[str], at: datetime) -> None: ...
    def forget(self, event_ids: list[str]) -> None:
        """Delete events that no subscription wanted."""


class WebhookRepository(Protocol):
    def add_subscription(self, subscription: WebhookSubscription) -> None: ...
    def subscription(self, subscription_id: str) -> WebhookSubscription | None: ...
    def subscriptions(self) -> list[WebhookSubscription]:
        """The subscriptions not removed, oldest first."""
    def remove_subscription(self, subscription_id: str, at: datetime) -> None:
        """Mark it removed; its deliveries not yet made are dropped."""
    def add_deliveries(self, pairs: list[tuple[str, str]], at: datetime) -> None:
        """One pending delivery per (event id, subscription id), due `at`."""
    def claim_due(self, now: datetime, lease_until: datetime, limit: int, claim: str) -> list[DueDelivery]:
        """Lock up to `limit` pending deliveries due at `now` (SKIP LOCKED), count an attempt on
        each, mark them with `claim` and make them due again only at `lease_until`."""
    def record_outcome(self, delivery_id: str, claim: str, outcome: DeliveryOutcome) -> bool:
        """Write the outcome unless another worker claimed the delivery since; True when written."""
    def log(self, offset: int, limit: int) -> tuple[list[DeliveryLogEntry], int]:
        """One page of deliveries, newest first, and how many there are."""


@dataclass
class ExternalTaskRecord:
    """A service task waiting for an external worker (issue 14.4): its topic, the retries left and
    who holds its lock until when (`worker_id`, `locked_until`; free when either is past)."""

    id: str  # the workflow task's id, as a human task row's
    instance_id: str
    process_key: str
    element: str
    topic: str
    form_key: str | None
    retries: int
    created_at: datetime
    default_retries: int = 3  # what an incident retry gives back
    status: str = "open"  # open, completed, cancelled
    worker_id: str | None = None
    locked_until: datetime | None = None
    error_message: str | None = None
    completed_at: datetime | None = None


class ExternalTaskRepository(Protocol):
    def add(self, task: ExternalTaskRecord) -> None: ...
    def get(self, task_id: str) -> ExternalTaskRecord | None: ...
    def save(self, task: ExternalTaskRecord) -> None: ...
    def open_for_instance(self, instance_id: str) -> list[ExternalTaskRecord]: ...
    def lock_available(self, topics: list[str], worker_id: str, now: datetime, until: datetime,
                       limit: int) -> list[ExternalTaskRecord]:
        """Lock for `worker_id` until `until` up to `limit` open tasks of `topics` with retries left,
        of running instances, whose lock is free or ran out by `now`, oldest first; returns them
        locked. Rows another transaction holds are skipped, not waited for, and none is ever
        handed to two workers."""


@dataclass(frozen=True)
class Absence:
    """A person away from `starts_on` to `ends_on` (local days of the organisation's zone), with
    `substitute` standing in meanwhile: from `starts_at` (local midnight) until `until_at` (the end
    of `ends_on`, or when it was ended early, `ended_at`)."""

    id: str
    username: str
    substitute: str
    starts_on: date
    ends_on: date
    starts_at: datetime
    until_at: datetime
    created_at: datetime
    created_by: str | None = None
    ended_at: datetime | None = None


class AbsenceRepository(Protocol):
    def add(self, absence: Absence) -> None: ...
    def get(self, absence_id: str) -> Absence | None: ...
    def end(self, absence_id: str, at: datetime) -> None:
        """Stop it at `at` (its `until_at` and `ended_at` become `at`)."""
    def of_user(self, username: str) -> list[Absence]:
        """The person's absences, latest start first."""
    def overlapping(self, username: str, starts_at: datetime, until_at: datetime) -> list[Absence]:
        """The person's absences that share an instant with [starts_at, until_at] (ended ones
        only before they ended)."""
    def standing_in(self, substitute: str, at: datetime) -> list[UserRecord]:
        """The people `substitute` stands in for at `at` (one indexed query)."""
    def not_over(self, at: datetime) -> list[Absence]:
        """Every absence current or still to come at `at` (ending after it), soonest first."""


class NotificationRepository(Protocol):
    """Notifications, each carrying its e-mail's delivery state (engine/notify.py), and mail opt-outs."""

    def add(self, notices: list[Notice]) -> None:
        """A row per active user each notice reaches, mail pending where due (one statement a notice)."""
    def page(self, username: str, unread_only: bool, offset: int, limit: int) -> tuple[list[Notification], int]:
        """One page of the user's notifications, newest first, and how many there are."""
    def unread_count(self, username: str) -> int: ...
    def mark_read(self, username: str, ids: list[int] | None, at: datetime) -> int:
        """Mark the user's `ids` (all, for None) read; returns how many were unread."""
    def mail_off(self, username: str) -> set[str]: ...
    def set_mail_off(self, username: str, kinds: set[str]) -> None: ...
    def overdue(self, now: datetime, limit: int) -> list[OverdueTask]:
        """Claimed open tasks due by `now` whose holder has no overdue notification yet."""
    def claim_mail(self, now: datetime, lease_until: datetime, limit: int, claim: str) -> list[DueMail]:
        """Lock up to `limit` due mails (SKIP LOCKED), count an attempt, lease them until `lease_until`."""
    def record_mail(self, notification_id: int, claim: str, outcome: DeliveryOutcome) -> bool:
        """Write the outcome unless another worker claimed the mail since; True when written."""
    def skip_mail(self, now: datetime) -> int:
        """Mark every due mail skipped (no SMTP server); returns how many."""
    def mail_log(self, offset: int, limit: int) -> tuple[list[MailLogEntry], int]: ...


class UnitOfWork(Protocol):
    """One command's transaction: `with uow: ...; uow.commit()`; anything uncommitted rolls back."""

    versions: VersionRepository
    instances: InstanceRepository
    tasks: TaskRepository
    journal: JournalRepository
    users: UserRepository
    schedules: ScheduleRepository
    throttle: ThrottleRepository
    sessions: SessionRepository
    preferences: PreferenceRepository
    drafts: DraftRepository
    version_notes: VersionNoteRepository
    external_tasks: ExternalTaskRepository
    outbox: OutboxRepository
    webhooks: WebhookRepository
    api_tokens: ApiTokenRepository
    notifications: NotificationRepository
    absences: AbsenceRepository

    def __enter__(self) -> "UnitOfWork": ...
    def __exit__(self, *exc: object) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...


@dataclass(frozen=True)
class InstanceFilter:
    """What an auditor searches instances by; None means any. `started_to` is exclusive;
    `data_value` matches the text of `data[data_key]` (true/false, numbers as JSON writes them)."""

    process_key: str | None = None
    status: str | None = None
    started_from: datetime | None = None
    started_to: datetime | None = None
    participant: str | None = None
    data_key: str | None = None
    data_value: str | None = None
