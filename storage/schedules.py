"""Repository for timer-start schedules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.clock import as_utc
from engine.records import Schedule
from storage.models import ScheduleRow


class SqlScheduleRepository:
    def __init__(self, session: Session):
        self.session = session

    def put(self, schedule: Schedule) -> None:
        self.session.merge(ScheduleRow(
            process_key=schedule.process_key, version_hash=schedule.version_hash, element=schedule.element,
            next_due_at=schedule.next_due_at, period=schedule.period, remaining=schedule.remaining))
        self.session.flush()

    def remove(self, process_key: str) -> None:
        self.session.execute(delete(ScheduleRow).where(ScheduleRow.process_key == process_key))

    def all(self) -> list[Schedule]:
        return [_schedule(r) for r in self.session.scalars(select(ScheduleRow).order_by(ScheduleRow.process_key))]

    def lock_next_due(self, now: datetime) -> Schedule | None:
        row = self.session.scalars(
            select(ScheduleRow).where(ScheduleRow.next_due_at <= now).order_by(ScheduleRow.next_due_at)
            .limit(1).with_for_update(skip_locked=True)).first()
        return _schedule(row) if row else None


def _schedule(row: ScheduleRow) -> Schedule:
    return Schedule(row.process_key, row.version_hash, row.element, as_utc(row.next_due_at), row.period, row.remaining)
