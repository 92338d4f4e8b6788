"""Which instances are due to wake (a timer to fire), and the worker's lock on the next one.

The statements are built once (storage/core.py): a timer pass runs them for every due instance.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, select
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
_NEXT_DUE = select(_INSTANCES).where(*_IS_DUE).order_by(_INSTANCES.c.next_wake_at).limit(1) \
    .with_for_update(skip_locked=True)
_NEXT_DUE_UNSEEN = _NEXT_DUE.where(_INSTANCES.c.id.not_in(bindparam("skip", expanding=True)))
# The instance's open task rows, locked, each carrying how many open rows there are in all (an
# alias, so the count is not correlated with the rows being locked).
_COUNTED = _TASKS.alias("counted")
_OPEN_COUNT = select(func.count()).select_from(_COUNTED) \
    .where(_COUNTED.c.instance_id == bindparam("instance_id"), _COUNTED.c.status == "open")
_OPEN_TASKS_LOCKED = select(_TASKS, _OPEN_COUNT.scalar_subquery().label("open_count")) \
    .where(_TASKS.c.instance_id == bindparam("instance_id"), _TASKS.c.status == "open") \
    .order_by(_TASKS.c.created_at, _TASKS.c.id).with_for_update(skip_locked=True, of=_TASKS)


def due(session: Session, now: datetime, limit: int) -> list[str]:
    """The ids of running instances whose next wake time has come, soonest first."""
    return list(run(session, _DUE_IDS, {"now": now, "limit": limit}).scalars())


def lock_next_due(session: Session, now: datetime,
                  skip: set[str]) -> tuple[InstanceRecord, list[TaskRecord]] | None:
    """Lock the next due instance not in `skip` and its open task rows, when no one else holds
    any of them; returns it with those rows.

    Raises:
        ConcurrentUpdate: a user command on the instance is in flight (it holds a task row);
            the instance is added to `skip` and left to the next pass.
    """
    found = run(session, _NEXT_DUE_UNSEEN if skip else _NEXT_DUE, {"now": now, "skip": list(skip)}).first()
    if found is None:
        return None
    # A command locks its task row first and the instance row last; waiting for that task row
    # while holding the instance row would deadlock, so the worker takes both or neither.
    rows = run(session, _OPEN_TASKS_LOCKED, {"instance_id": found.id}).all()
    if (rows and rows[0].open_count != len(rows)) or (
            not rows and run(session, _OPEN_COUNT, {"instance_id": found.id}).scalar()):
        skip.add(found.id)
        raise ConcurrentUpdate(f"instance {found.id} has a command in flight; left to the next pass")
    return instance_record(found), [task_record(r) for r in rows]
