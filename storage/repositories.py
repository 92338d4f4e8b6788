"""Repositories: engine records in, engine records out."""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime

from sqlalchemy import String, and_, bindparam, case, cast, delete, func, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import as_utc
from engine.definitions.bundles import CatalogEntry
from engine.errors import ConcurrentUpdate
from engine.audit.journal import JournalEntry
from engine.ports import InstanceFilter
from engine.records import Department, InstanceRecord, Role, StoredVersion, TaskRecord, TextMatch, UserRecord
from storage import inbox, wakeups
from storage.core import by_key, insert_into, update_by_key
from storage.driver import run
from storage.instance_rows import instance_columns, instance_record
from storage.task_rows import task_columns, task_record
from storage.models import (
    DepartmentRow, InstanceRow, JournalRow, ProcessVersionRow, RoleRow, TaskCandidateRow, TaskRow, UserRow,
)


class SqlVersionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, version: StoredVersion) -> None:
        self.session.add(ProcessVersionRow(
            key=version.key, number=version.number, content_hash=version.content_hash,
            entry=version.entry.to_dict(), files=version.files, deployed_by=version.deployed_by,
            deployed_at=version.deployed_at, comment=version.comment))
        self.session.flush()

    def latest(self, key: str) -> StoredVersion | None:
        row = self.session.scalars(select(ProcessVersionRow).where(ProcessVersionRow.key == key)
                                   .order_by(ProcessVersionRow.number.desc()).limit(1)).first()
        return _version(row) if row else None

    def by_hash(self, content_hash: str) -> StoredVersion | None:
        row = self.session.scalars(select(ProcessVersionRow).where(ProcessVersionRow.content_hash == content_hash)).first()
        return _version(row) if row else None

    def all_latest(self) -> list[StoredVersion]:
        return [_version(r) for r in self.session.scalars(select(ProcessVersionRow).join(_NEWEST, _IS_NEWEST))]

    def latest_entries(self) -> list[CatalogEntry]:
        rows = run(self.session, _LATEST_ENTRIES)
        return [CatalogEntry.from_dict(entry) for entry in rows.scalars()]

    def history(self, key: str) -> list[StoredVersion]:
        rows = self.session.scalars(select(ProcessVersionRow).where(ProcessVersionRow.key == key)
                                    .order_by(ProcessVersionRow.number))
        return [_version(r) for r in rows]


def _version(row: ProcessVersionRow) -> StoredVersion:
    return StoredVersion(row.key, row.number, row.content_hash, CatalogEntry.from_dict(row.entry),
                         dict(row.files), row.deployed_by, as_utc(row.deployed_at), row.comment or "")


class SqlInstanceRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, record: InstanceRecord) -> None:
        run(self.session, _INSERT_INSTANCE, {**instance_columns(record), "revision": record.revision})

    def get(self, instance_id: str) -> InstanceRecord | None:
        row = run(self.session, _INSTANCE, {"id": instance_id}).first()
        return instance_record(row) if row else None

    def version_of(self, instance_id: str) -> str | None:
        return run(self.session, _VERSION_OF, {"id": instance_id}).scalar()

    def of_task(self, task_id: str) -> tuple[InstanceRecord, list[TaskRecord]] | None:
        rows = run(self.session, _OF_TASK, {"task_id": task_id}).all()
        if not rows:
            return None
        width = len(_INSTANCES.c)
        tasks = [task_record(_TASK_ROW._make(row[width:])) for row in rows if row[width] is not None]
        return instance_record(_INSTANCE_ROW._make(rows[0][:width])), tasks

    def save(self, record: InstanceRecord, expected_revision: int) -> None:
        columns = instance_columns(record)
        columns["_id"] = columns.pop("id")
        result = run(self.session, 
            _SAVE_INSTANCE, {**columns, "revision": expected_revision + 1, "_revision": expected_revision})
        if result.rowcount != 1:
            raise ConcurrentUpdate(f"instance {record.id} was changed by another command; try again")
        record.revision = expected_revision + 1

    def due(self, now: datetime, limit: int) -> list[str]:
        return wakeups.due(self.session, now, limit)

    def lock_next_due(self, now: datetime, skip: set[str]) -> tuple[InstanceRecord, list[TaskRecord]] | None:
        return wakeups.lock_next_due(self.session, now, skip)

    def ids_after(self, after: str, limit: int) -> list[str]:
        query = select(InstanceRow.id).where(InstanceRow.id > after).order_by(InstanceRow.id).limit(limit)
        return list(self.session.scalars(query))

    def started_by(self, username: str) -> list[InstanceRecord]:
        rows = self.session.scalars(select(InstanceRow).where(InstanceRow.started_by == username)
                                    .order_by(InstanceRow.started_at.desc()))
        return [instance_record(r) for r in rows]

    def search(self, found: InstanceFilter, offset: int, limit: int) -> tuple[list[InstanceRecord], int]:
        query = select(InstanceRow).where(*_instance_conditions(found, self.session.get_bind().dialect.name))
        total = self.session.scalar(select(func.count()).select_from(query.with_only_columns(InstanceRow.id).subquery()))
        rows = self.session.scalars(query.order_by(InstanceRow.started_at.desc(), InstanceRow.id)
                                    .offset(offset).limit(limit))
        return [instance_record(r) for r in rows], total or 0


def _instance_conditions(found: InstanceFilter, dialect: str) -> list:
    """WHERE clauses of an instance search; a participant is the starter or any journal actor."""
    conditions = []
    if found.process_key:
        conditions.append(InstanceRow.process_key == found.process_key)
    if found.status:
        conditions.append(InstanceRow.status == found.status)
    if found.started_from:
        conditions.append(InstanceRow.started_at >= found.started_from)
    if found.started_to:
        conditions.append(InstanceRow.started_at < found.started_to)
    if found.participant:
        acted = select(JournalRow.instance_id).where(JournalRow.actor == found.participant)
        conditions.append(or_(InstanceRow.started_by == found.participant, InstanceRow.id.in_(acted)))
    if found.data_key and found.data_value is not None:
        conditions.append(_data_text(found.data_key, dialect) == found.data_value)
    return conditions


def _data_text(key: str, dialect: str):
    """`data[key]` as text, alike on both databases: strings bare, true/false, numbers as JSON."""
    if dialect == "postgresql":
        return InstanceRow.data.op("->>")(literal(key, String))
    path = literal(f'$."{key}"', String)  # keys are checked to be plain names by the facade
    kind = func.json_type(InstanceRow.data, path)
    return case((kind.in_(("true", "false")), kind),
                else_=cast(func.json_extract(InstanceRow.data, path), String))


class SqlTaskRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, task: TaskRecord) -> None:
        run(self.session, _INSERT_TASK, task_columns(task))
        candidates = [{"task_id": task.id, "candidate": c} for c in dict.fromkeys(task.candidates)]
        if candidates:
            run(self.session, _INSERT_CANDIDATE, candidates)

    def get(self, task_id: str) -> TaskRecord | None:
        row = run(self.session, _TASK, {"id": task_id}).first()
        return task_record(row) if row else None

    def save(self, task: TaskRecord) -> None:
        columns = task_columns(task)
        columns["_id"] = columns.pop("id")
        run(self.session, _SAVE_TASK, columns)
        if task.status != "open":  # candidates are kept for open tasks only: the inbox's index
            run(self.session, _DROP_CANDIDATES, {"task_id": task.id})

    def open_for_instance(self, instance_id: str) -> list[TaskRecord]:
        rows = run(self.session, _OPEN_TASKS_OF, {"instance_id": instance_id})
        return [task_record(r) for r in rows]

    def open_for_instances(self, instance_ids: list[str]) -> dict[str, list[TaskRecord]]:
        found: dict[str, list[TaskRecord]] = {}
        for start in range(0, len(instance_ids), _IN_BATCH):
            rows = self.session.execute(_OPEN_TASKS_OF_MANY, {"ids": instance_ids[start:start + _IN_BATCH]})
            for row in rows:
                found.setdefault(row.instance_id, []).append(task_record(row))
        return found

    def for_instance(self, instance_id: str) -> list[TaskRecord]:
        rows = run(self.session, _TASKS_OF, {"instance_id": instance_id})
        return [task_record(r) for r in rows]

    # The inbox reads live in storage/inbox.py; the repository answers the port with them.
    def inbox(self, username: str, roles: tuple[str, ...]) -> list[TaskRecord]:
        return self.inbox_page(username, roles, None, "due", 0, None)

    def inbox_page(self, username: str, roles: tuple[str, ...], process_key: str | None, sort: str,
                   offset: int, limit: int | None, match: TextMatch | None = None,
                   standing_in: tuple[UserRecord, ...] = ()) -> list[TaskRecord]:
        return inbox.page(self.session, username, roles, process_key, sort, offset, limit, match, standing_in)

    def inbox_count(self, username: str, roles: tuple[str, ...], process_key: str | None = None,
                    match: TextMatch | None = None, standing_in: tuple[UserRecord, ...] = ()) -> int:
        return inbox.count(self.session, username, roles, process_key, match, standing_in)

    def inbox_groups(self, username: str, roles: tuple[str, ...], standing_in: tuple[UserRecord, ...] = (),
                     match: TextMatch | None = None) -> dict[str, tuple[int, int]]:
        return inbox.groups(self.session, username, roles, standing_in, match)

    def open_in_departments(self, departments: list[str], match: TextMatch | None = None) -> list[TaskRecord]:
        return inbox.open_in_departments(self.session, departments, match)


class SqlJournalRepository:
    def __init__(self, session: Session):
        self.session = session

    def append(self, entries: list[JournalEntry]) -> None:
        if not entries:
            return
        rows = [dict(instance_id=e.instance_id, seq=e.seq, kind=e.kind, actor=e.actor, at=e.at, payload=e.payload,
                     prev_hash=e.prev_hash, entry_hash=e.entry_hash) for e in entries]
        try:
            run(self.session, _INSERT_ENTRY, rows)  # one statement for a command's entries
        except IntegrityError as err:  # another command took that sequence number first
            raise ConcurrentUpdate(f"the journal of {entries[0].instance_id} was extended by another command; "
                                   "try again") from err

    def last(self, instance_id: str) -> JournalEntry | None:
        row = self.session.scalars(select(JournalRow).where(JournalRow.instance_id == instance_id)
                                   .order_by(JournalRow.seq.desc()).limit(1)).first()
        return _entry(row) if row else None

    def for_instance(self, instance_id: str, kinds: tuple[str, ...] | None = None) -> list[JournalEntry]:
        query = select(JournalRow).where(JournalRow.instance_id == instance_id)
        rows = self.session.scalars((query.where(JournalRow.kind.in_(kinds)) if kinds else query)
                                    .order_by(JournalRow.seq))
        return [_entry(r) for r in rows]


def _entry(row: JournalRow) -> JournalEntry:
    return JournalEntry(row.instance_id, row.seq, row.kind, row.actor, as_utc(row.at), row.payload,
                        row.prev_hash, row.entry_hash)


class SqlUserRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, username: str) -> UserRecord | None:
        row = run(self.session, _USER, {"username": username}).first()
        return _user(row) if row else None

    def all(self) -> list[UserRecord]:
        return [_user(r) for r in self.session.scalars(select(UserRow).order_by(UserRow.username))]

    def upsert(self, user: UserRecord) -> None:
        row = self.session.get(UserRow, user.username) or UserRow(username=user.username)
        row.name, row.department, row.roles, row.active = user.name, user.department, list(user.roles), user.active
        if user.password_hash is not None:
            row.password_hash = user.password_hash
        if user.email is not None:  # as the password: a record built without one keeps the stored address
            row.email = user.email
        self.session.add(row)
        self.session.flush()

    def upsert_department(self, department: Department) -> None:
        self.session.merge(DepartmentRow(key=department.key, name=department.name))

    def upsert_role(self, role: Role) -> None:
        self.session.merge(RoleRow(key=role.key, name=role.name, department=role.department, manager=role.manager))

    def departments(self) -> list[Department]:
        return [Department(r.key, r.name) for r in self.session.scalars(select(DepartmentRow).order_by(DepartmentRow.key))]

    def roles(self) -> list[Role]:
        return [Role(r.key, r.name, r.department, r.manager) for r in run(self.session, _ROLES)]


def _user(row: UserRow) -> UserRecord:
    return UserRecord(row.username, row.name, row.department, tuple(row.roles), row.active, row.password_hash,
                      row.email)


# The newest version of each procedure, and their catalog entries alone (the files of every
# procedure are what makes a version row heavy, and every page's header asks who may start).
_NEWEST = select(ProcessVersionRow.key, func.max(ProcessVersionRow.number).label("n")) \
    .group_by(ProcessVersionRow.key).subquery()
_IS_NEWEST = and_(ProcessVersionRow.key == _NEWEST.c.key, ProcessVersionRow.number == _NEWEST.c.n)
_LATEST_ENTRIES = select(ProcessVersionRow.__table__.c.entry).join(_NEWEST, _IS_NEWEST) \
    .order_by(ProcessVersionRow.__table__.c.key)

# The command path's statements (storage/core.py), built once.
_INSTANCES, _TASKS = InstanceRow.__table__, TaskRow.__table__
_INSTANCE, _INSERT_INSTANCE = by_key(_INSTANCES), insert_into(_INSTANCES)
_VERSION_OF = select(_INSTANCES.c.version_hash).where(_INSTANCES.c.id == bindparam("id"))
_SAVE_INSTANCE = update_by_key(_INSTANCES, "id", "revision")
_TASK, _INSERT_TASK, _SAVE_TASK = by_key(_TASKS), insert_into(_TASKS), update_by_key(_TASKS)
_TASKS_OF = select(_TASKS).where(_TASKS.c.instance_id == bindparam("instance_id")) \
    .order_by(_TASKS.c.created_at, _TASKS.c.id)
_OPEN_TASKS_OF = _TASKS_OF.where(_TASKS.c.status == "open")
_OPEN_TASKS_OF_MANY = select(_TASKS).where(_TASKS.c.instance_id.in_(bindparam("ids", expanding=True)),
                                           _TASKS.c.status == "open").order_by(_TASKS.c.created_at, _TASKS.c.id)
_IN_BATCH = 500  # ids per statement: well inside every database's limit on parameters
_INSERT_CANDIDATE = insert_into(TaskCandidateRow.__table__)
_DROP_CANDIDATES = delete(TaskCandidateRow.__table__).where(TaskCandidateRow.__table__.c.task_id == bindparam("task_id"))
_INSERT_ENTRY = insert_into(JournalRow.__table__)
# A task's instance and the instance's open tasks, in one read: a row per open task (or one row
# with no task), instance columns first. The owner is looked up on an alias, so the subquery is
# not correlated with the joined task rows.
_OWNER = _TASKS.alias("owner")
_OF_TASK = select(*[c.label(f"i_{c.key}") for c in _INSTANCES.c], *[c.label(f"t_{c.key}") for c in _TASKS.c]) \
    .select_from(_INSTANCES.outerjoin(_TASKS, and_(_TASKS.c.instance_id == _INSTANCES.c.id, _TASKS.c.status == "open"))) \
    .where(_INSTANCES.c.id == select(_OWNER.c.instance_id).where(_OWNER.c.id == bindparam("task_id")).scalar_subquery()) \
    .order_by(_TASKS.c.created_at, _TASKS.c.id)
_INSTANCE_ROW = namedtuple("InstanceColumns", [c.key for c in _INSTANCES.c])
_TASK_ROW = namedtuple("TaskColumns", [c.key for c in _TASKS.c])
_USER = by_key(UserRow.__table__, "username")
_ROLES = select(RoleRow.__table__).order_by(RoleRow.__table__.c.key)
