"""Which instances are due to wake (a timer to fire), and the worker's lock on the next one.

The statements are built once (storage/core.py): a timer pass runs them for every due instance.
The lock takes the instance and its open task rows in one statement, one round trip.
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import (
    CompoundSelect, Integer, Table, bindparam, func, literal_column, null, select, type_coerce, union_all,
)
from sqlalchemy.orm import Session

from engine.errors import ConcurrentUpdate
from engine.records import InstanceRecord, TaskRecord
from storage.driver import run
from storage.instance_rows import instance_record
from storage.models import InstanceRow, TaskRow
from storage.task_rows import task_record

_INSTANCES, _TASKS = InstanceRow.__table__, TaskRow.__table__
_IS_DUE = (_INSTANCES.c.status == "running", _INSTANCES.c.next_wake_at <= bindparam("now"))
_DUE_IDS = select(_INSTANCES.c.id).where(*_IS_DUE).order_by(_INSTANCES.c.next_wake_at).limit(bindparam("limit"))
# Constants written into the SQL, not sent as values: PostgreSQL then plans the lock once for good
# (a generic plan); with LIMIT and the statuses as parameters it planned it anew at each run
# (custom plans), which took three times as long as running it.
_RUNNING, _OPEN, _ONE = literal_column("'running'"), literal_column("'open'"), literal_column("1")
_INSTANCE_ROW = namedtuple("InstanceColumns", [c.key for c in _INSTANCES.c])
_TASK_ROW = namedtuple("TaskColumns", [c.key for c in _TASKS.c])


def _lock_next(skipping: bool) -> CompoundSelect:
    """Lock the next due instance and its open task rows, skipping rows others hold. Rows: first
    the instance's (its columns; how many open task rows it has and the revision it had, both as
    of the statement's start: a lock returns a row as it is now, a plain read as it was then),
    then one per task row locked, in the order they were created."""
    due = select(_INSTANCES).where(_INSTANCES.c.status == _RUNNING, _INSTANCES.c.next_wake_at <= bindparam("now"))
    if skipping:
        due = due.where(_INSTANCES.c.id.not_in(bindparam("skip", expanding=True)))
    due = due.order_by(_INSTANCES.c.next_wake_at).limit(_ONE).with_for_update(skip_locked=True) \
        .cte("due").prefix_with("MATERIALIZED", dialect="postgresql")  # one lock, read by both parts
    locked = select(_TASKS).where(_TASKS.c.instance_id == select(due.c.id).scalar_subquery(),
                                  _TASKS.c.status == _OPEN).with_for_update(skip_locked=True).cte("locked")
    counted, seen = _TASKS.alias("counted"), _INSTANCES.alias("seen")
    open_count = select(func.count()).select_from(counted) \
        .where(counted.c.instance_id == due.c.id, counted.c.status == _OPEN).scalar_subquery()
    seen_revision = select(seen.c.revision).where(seen.c.id == due.c.id).scalar_subquery()
    instance = select(literal_column("0", Integer).label("part"), *_labelled("i", due.c),
                      *_labelled("t", _nulls(_TASKS)), open_count.label("open_count"),
                      seen_revision.label("seen_revision"))
    tasks = select(literal_column("1", Integer), *_nulls(_INSTANCES), *locked.c, *[type_coerce(null(), Integer)] * 2)
    return union_all(instance, tasks).order_by("part", "t_created_at", "t_id")


def _nulls(table: Table) -> list[Any]:
    return [type_coerce(null(), c.type).label(c.key) for c in table.c]


def _labelled(prefix: str, columns: Iterable[Any]) -> list[Any]:
    return [c.label(f"{prefix}_{c.key}") for c in columns]


_NEXT_DUE, _NEXT_DUE_UNSEEN = _lock_next(False), _lock_next(True)
_TASKS_AT = 1 + len(_INSTANCES.c)  # where a row's task columns begin


def due(session: Session, now: datetime, limit: int) -> list[str]:
    """The ids of running instances whose next wake time has come, soonest first."""
    return list(run(session, _DUE_IDS, {"now": now, "limit": limit}).scalars())


def lock_next_due(session: Session, now: datetime,
                  skip: set[str]) -> tuple[InstanceRecord, list[TaskRecord]] | None:
    """Lock the next due instance not in `skip` and its open task rows, when no one else holds
    any of them; returns it with those rows.

    Raises:
        ConcurrentUpdate: a user command on the instance is in flight (it holds a task row), or
            committed as the lock was taken; the instance is added to `skip` and left to the
            next pass.
    """
    rows = run(session, _NEXT_DUE_UNSEEN if skip else _NEXT_DUE, {"now": now, "skip": list(skip)}).all()
    if not rows:
        return None
    first, tasks = rows[0], rows[1:]
    instance = _INSTANCE_ROW._make(first[1:_TASKS_AT])
    # A command locks its task row first and the instance row last; waiting for that task row
    # while holding the instance row would deadlock, so the worker takes both or neither: every
    # open row, or it leaves the instance. The open rows are read as of the statement's start, so
    # rows a command added and committed before the instance's lock would go unseen; but every
    # command that changes task rows writes the instance row in the same transaction (the lock
    # has always counted on that: it is what keeps commands out once the lock is held), and that
    # write moves the revision, so such an instance is left to the next pass too.
    if first.open_count != len(tasks) or first.seen_revision != instance.revision:
        skip.add(instance.id)
        raise ConcurrentUpdate(f"instance {instance.id} is being changed by a command; left to the next pass")
    return instance_record(instance), [task_record(_TASK_ROW._make(row[_TASKS_AT:-2])) for row in tasks]
