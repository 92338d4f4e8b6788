"""Which instances are due to wake (a timer to fire), and the worker's lock on the next one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import ConcurrentUpdate
from engine.records import InstanceRecord
from storage.instance_rows import instance_record
from storage.models import InstanceRow, TaskRow


def due(session: Session, now: datetime, limit: int) -> list[str]:
    """The ids of running instances whose next wake time has come, soonest first."""
    query = select(InstanceRow.id).where(InstanceRow.status == "running", InstanceRow.next_wake_at <= now) \
        .order_by(InstanceRow.next_wake_at).limit(limit)
    return list(session.scalars(query))


def lock_next_due(session: Session, now: datetime, skip: set[str]) -> InstanceRecord | None:
    """Lock the next due instance (and its open task rows) that no one else holds.

    Raises:
        ConcurrentUpdate: a user command on the instance is in flight (it holds a task row);
            the instance is added to `skip` and left to the next pass.
    """
    query = select(InstanceRow).where(InstanceRow.status == "running", InstanceRow.next_wake_at <= now)
    if skip:
        query = query.where(InstanceRow.id.not_in(skip))
    row = session.scalars(query.order_by(InstanceRow.next_wake_at).limit(1).with_for_update(skip_locked=True)).first()
    if row is None:
        return None
    # A command locks its task row first and the instance row last; waiting for that task row
    # while holding the instance row would deadlock, so the worker takes both or neither.
    open_tasks = select(TaskRow.id).where(TaskRow.instance_id == row.id, TaskRow.status == "open")
    locked = session.scalars(open_tasks.with_for_update(skip_locked=True)).all()
    if len(locked) != session.scalar(select(func.count()).select_from(open_tasks.subquery())):
        skip.add(row.id)
        raise ConcurrentUpdate(f"instance {row.id} has a command in flight; left to the next pass")
    return instance_record(row)
