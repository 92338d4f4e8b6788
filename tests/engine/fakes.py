"""In-memory implementations of the storage ports, so engine tests need no database."""

from __future__ import annotations

import copy
import json
from datetime import datetime

from engine.errors import ConcurrentUpdate
from engine.audit.journal import JournalEntry
from engine.ports import InstanceFilter
from engine.definitions.bundles import CatalogEntry
from engine.records import Department, InstanceRecord, Role, Schedule, StoredVersion, TaskRecord, UserRecord
from tests.engine.fakes_signin import FakePreferences, FakeSessions, FakeThrottle
from tests.engine.fakes_owner import FakeDrafts, FakeVersionNotes
from tests.engine.fakes_notifications import FakeNotifications
from tests.engine.fakes_outbox import FakeOutbox, FakeWebhooks
from tests.engine.fakes_external import FakeExternalTasks
from tests.engine.fakes_tokens import FakeApiTokens
from tests.engine.fakes_absences import FakeAbsences


class FakeStore:
    """The committed data all fake units of work share."""

    def __init__(self) -> None:
        self.versions: list[StoredVersion] = []
        self.instances: dict[str, InstanceRecord] = {}
        self.tasks: dict[str, TaskRecord] = {}
        self.journal: list[JournalEntry] = []
        self.users: dict[str, UserRecord] = {}
        self.departments: dict[str, Department] = {}
        self.roles: dict[str, Role] = {}
        self.schedules: dict[str, Schedule] = {}
        self.throttle: dict[str, dict] = {}
        self.web_sessions: dict = {}
        self.languages: dict[str, str] = {}
        self.drafts: dict = {}
        self.version_notes: list = []


class FakeUnitOfWork:
    """Works on a copy of the store; `commit` publishes the copy, anything else discards it."""

    def __init__(self, store: FakeStore):
        self.store = store

    def __enter__(self) -> "FakeUnitOfWork":
        self.work = copy.deepcopy(self.store)
        self.versions = _Versions(self.work)
        self.instances = _Instances(self.work, self.store)
        self.tasks = _Tasks(self.work)
        self.journal = _Journal(self.work)
        self.users = _Users(self.work)
        self.schedules = _Schedules(self.work)
        self.throttle = FakeThrottle(self.work)
        self.sessions = FakeSessions(self.work)
        self.preferences = FakePreferences(self.work)
        self.drafts = FakeDrafts(self.work)
        self.version_notes = FakeVersionNotes(self.work)
        self.outbox, self.webhooks = FakeOutbox(self.work), FakeWebhooks(self.work)
        self.api_tokens = FakeApiTokens(self.work)
        self.notifications = FakeNotifications(self.work)
        self.absences = FakeAbsences(self.work)
        self.external_tasks = FakeExternalTasks(self.work)
        return self

    def __exit__(self, *exc: object) -> None:
        self.work = None

    def commit(self) -> None:
        self.store.__dict__.update(copy.deepcopy(self.work).__dict__)

    def rollback(self) -> None:
        self.work = copy.deepcopy(self.store)


class _Versions:
    def __init__(self, work: FakeStore):
        self.work = work

    def add(self, version: StoredVersion) -> None:
        self.work.versions.append(version)

    def latest(self, key: str) -> StoredVersion | None:
        found = [v for v in self.work.versions if v.key == key]
        return max(found, key=lambda v: v.number) if found else None

    def by_hash(self, content_hash: str) -> StoredVersion | None:
        return next((v for v in self.work.versions if v.content_hash == content_hash), None)

    def all_latest(self) -> list[StoredVersion]:
        return [self.latest(k) for k in sorted({v.key for v in self.work.versions})]

    def latest_entries(self) -> list[CatalogEntry]:
        return [v.entry for v in self.all_latest()]

    def history(self, key: str) -> list[StoredVersion]:
        return sorted((v for v in self.work.versions if v.key == key), key=lambda v: v.number)


class _Instances:
    def __init__(self, work: FakeStore, committed: FakeStore):
        self.work, self.committed = work, committed

    def add(self, record: InstanceRecord) -> None:
        self.work.instances[record.id] = copy.deepcopy(record)

    def get(self, instance_id: str) -> InstanceRecord | None:
        found = self.work.instances.get(instance_id)
        return copy.deepcopy(found) if found else None

    def version_of(self, instance_id: str) -> str | None:
        found = self.work.instances.get(instance_id)
        return found.version_hash if found else None

    def of_task(self, task_id: str) -> tuple[InstanceRecord, list[TaskRecord]] | None:
        task = self.work.tasks.get(task_id)
        record = self.get(task.instance_id) if task else None
        if record is None:
            return None
        tasks = [copy.deepcopy(t) for t in self.work.tasks.values() if t.instance_id == record.id and t.status == "open"]
        return record, sorted(tasks, key=lambda t: (t.created_at, t.id))

    def save(self, record: InstanceRecord, expected_revision: int) -> None:
        # Like UPDATE ... WHERE revision = ?: sees committed rows and this transaction's own.
        stored = self.committed.instances.get(record.id) or self.work.instances.get(record.id)
        if stored is None or stored.revision != expected_revision:
            raise ConcurrentUpdate(f"instance {record.id} was changed by another command")
        record.revision = expected_revision + 1
        self.work.instances[record.id] = copy.deepcopy(record)

    def due(self, now: datetime, limit: int) -> list[str]:
        due = [r for r in self.work.instances.values() if r.status == "running" and r.next_wake_at and r.next_wake_at <= now]
        return [r.id for r in sorted(due, key=lambda r: r.next_wake_at)][:limit]

    def lock_next_due(self, now: datetime, skip: set[str]) -> tuple[InstanceRecord, list[TaskRecord]] | None:
        due = [i for i in self.due(now, 10**9) if i not in skip]
        if not due:
            return None
        tasks = [copy.deepcopy(t) for t in self.work.tasks.values() if t.instance_id == due[0] and t.status == "open"]
        return self.get(due[0]), tasks

    def ids_after(self, after: str, limit: int) -> list[str]:
        return sorted(i for i in self.work.instances if i > after)[:limit]

    def started_by(self, username: str) -> list[InstanceRecord]:
        return [copy.deepcopy(r) for r in self.work.instances.values() if r.started_by == username]

    def search(self, found: InstanceFilter, offset: int, limit: int) -> tuple[list[InstanceRecord], int]:
        actors = {e.instance_id for e in self.work.journal if found.participant and e.actor == found.participant}
        matching = [r for r in self.work.instances.values() if
                    (not found.process_key or r.process_key == found.process_key)
                    and (not found.status or r.status == found.status)
                    and (not found.started_from or r.started_at >= found.started_from)
                    and (not found.started_to or r.started_at < found.started_to)
                    and (not found.participant or r.started_by == found.participant or r.id in actors)
                    and (not found.data_key or found.data_value is None
                         or (found.data_key in r.data and _text(r.data[found.data_key]) == found.data_value))]
        matching.sort(key=lambda r: (-r.started_at.timestamp(), r.id))
        return [copy.deepcopy(r) for r in matching[offset:offset + limit]], len(matching)


class _Tasks:
    def __init__(self, work: FakeStore):
        self.work = work

    def add(self, task: TaskRecord) -> None:
        self.work.tasks[task.id] = copy.deepcopy(task)

    def get(self, task_id: str) -> TaskRecord | None:
        found = self.work.tasks.get(task_id)
        return copy.deepcopy(found) if found else None

    def save(self, task: TaskRecord) -> None:
        self.work.tasks[task.id] = copy.deepcopy(task)

    def open_for_instance(self, instance_id: str) -> list[TaskRecord]:
        return [copy.deepcopy(t) for t in self.work.tasks.values() if t.instance_id == instance_id and t.status == "open"]

    def open_for_instances(self, instance_ids: list[str]) -> dict[str, list[TaskRecord]]:
        found: dict[str, list[TaskRecord]] = {}
        for task in sorted(self.work.tasks.values(), key=lambda t: (t.created_at, t.id)):
            if task.instance_id in instance_ids and task.status == "open":
                found.setdefault(task.instance_id, []).append(copy.deepcopy(task))
        return found

    def for_instance(self, instance_id: str) -> list[TaskRecord]:
        return [copy.deepcopy(t) for t in self.work.tasks.values() if t.instance_id == instance_id]

    def inbox(self, username: str, roles: tuple[str, ...], standing_in=()) -> list[TaskRecord]:
        names = {username, *(u.username for u in standing_in)}
        mine = {*(f"user:{n}" for n in names), *(f"role:{r}" for r in roles),
                *(f"role:{r}" for u in standing_in for r in u.roles)}
        found = [copy.deepcopy(t) for t in self.work.tasks.values() if t.status == "open" and (
            t.claimed_by in names or (t.claimed_by is None and mine & set(t.candidates)))
            and _offered_despite_duties(t, username, roles, standing_in)]
        return sorted(found, key=lambda t: (t.due_at is None, t.due_at or t.created_at, t.created_at, t.id))

    def inbox_page(self, username, roles, process_key, sort, offset, limit, match=None, standing_in=()):
        found = [t for t in self.inbox(username, roles, standing_in) if not process_key or t.process_key == process_key]
        found = [t for t in found if _matches(t, match)]
        if sort == "created":
            found.sort(key=lambda t: (t.created_at, t.id))
        return found[offset:None if limit is None else offset + limit]

    def inbox_count(self, username, roles, process_key=None, match=None, standing_in=()) -> int:
        return len(self.inbox_page(username, roles, process_key, "due", 0, None, match, standing_in))

    def inbox_groups(self, username, roles, standing_in=(), match=None) -> dict[str, tuple[int, int]]:
        tasks = self.inbox(username, roles, standing_in)
        return {key: (sum(t.process_key == key for t in tasks),
                      sum(t.process_key == key and _matches(t, match) for t in tasks))
                for key in sorted({t.process_key for t in tasks})}

    def open_in_departments(self, departments: list[str], match=None) -> list[TaskRecord]:
        return [copy.deepcopy(t) for t in self.work.tasks.values()
                if t.status == "open" and t.department in departments and _matches(t, match)]


def _offered_despite_duties(task: TaskRecord, username, roles, standing_in) -> bool:
    """Separation of duties as storage/repositories.py filters an inbox: never to an excluded
    person, nor to a substitute only through an excluded absent person."""
    if task.exclusion_of(username):
        return False
    if task.claimed_by is not None or {f"user:{username}", *(f"role:{r}" for r in roles)} & set(task.candidates):
        return True
    return any({f"user:{a.username}", *(f"role:{r}" for r in a.roles)} & set(task.candidates)
               and not task.exclusion_of(a.username) for a in standing_in)


def _matches(task: TaskRecord, match) -> bool:
    if match is None:
        return True
    text = "\n".join([task.title, *(task.subject or {}).values()]).lower()
    return match.text.lower() in text or task.process_key in match.process_keys


class _Journal:
    def __init__(self, work: FakeStore):
        self.work = work

    def append(self, entries: list[JournalEntry]) -> None:
        for entry in entries:
            if any(e.instance_id == entry.instance_id and e.seq == entry.seq for e in self.work.journal):
                raise ConcurrentUpdate(f"journal entry {entry.seq} of {entry.instance_id} exists")
            self.work.journal.append(entry)

    def last(self, instance_id: str) -> JournalEntry | None:
        mine = self.for_instance(instance_id)
        return mine[-1] if mine else None

    def for_instance(self, instance_id: str, kinds=None) -> list[JournalEntry]:
        return sorted((e for e in self.work.journal if e.instance_id == instance_id
                       and (not kinds or e.kind in kinds)), key=lambda e: e.seq)


class _Users:
    def __init__(self, work: FakeStore):
        self.work = work

    def get(self, username: str) -> UserRecord | None:
        return self.work.users.get(username)

    def all(self) -> list[UserRecord]:
        return sorted(self.work.users.values(), key=lambda u: u.username)

    def upsert(self, user: UserRecord) -> None:
        self.work.users[user.username] = user

    def upsert_department(self, department: Department) -> None:
        self.work.departments[department.key] = department

    def upsert_role(self, role: Role) -> None:
        self.work.roles[role.key] = role

    def departments(self) -> list[Department]:
        return list(self.work.departments.values())

    def roles(self) -> list[Role]:
        return list(self.work.roles.values())


class _Schedules:
    def __init__(self, work: FakeStore):
        self.work = work

    def put(self, schedule: Schedule) -> None:
        self.work.schedules[schedule.process_key] = copy.deepcopy(schedule)

    def remove(self, process_key: str) -> None:
        self.work.schedules.pop(process_key, None)

    def all(self) -> list[Schedule]:
        return [copy.deepcopy(s) for s in self.work.schedules.values()]

    def lock_next_due(self, now: datetime) -> Schedule | None:
        due = sorted((s for s in self.work.schedules.values() if s.next_due_at <= now), key=lambda s: s.next_due_at)
        return copy.deepcopy(due[0]) if due else None


def _text(value: object) -> str:
    """A data value as the SQL search compares it: strings bare, everything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)
