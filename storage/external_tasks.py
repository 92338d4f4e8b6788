"""External tasks in the database (issue 14.4): one row per service task an instance waits on,
with its topic, the retries left and which worker holds its lock until when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.ports import ExternalTaskRecord
from storage.models import Base, InstanceRow, UtcDateTime


class ExternalTaskRow(Base):
    __tablename__ = "external_tasks"
    __table_args__ = (Index("ix_external_tasks_fetch", "status", "topic", "created_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    element: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(String(100))
    form_key: Mapped[str | None] = mapped_column(String(100))
    retries: Mapped[int] = mapped_column(Integer)
    default_retries: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    worker_id: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    error_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


Row = ExternalTaskRow
FIELDS = ("instance_id", "process_key", "element", "topic", "form_key", "retries", "default_retries", "status",
          "worker_id", "locked_until", "error_message", "created_at", "completed_at")


class SqlExternalTaskRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, task: ExternalTaskRecord) -> None:
        self.session.add(Row(id=task.id, **{name: getattr(task, name) for name in FIELDS}))

    def get(self, task_id: str) -> ExternalTaskRecord | None:
        return _record(self.session.get(Row, task_id))

    def save(self, task: ExternalTaskRecord) -> None:
        row = self.session.get(Row, task.id)  # no query when this unit of work read it already
        for name in FIELDS:
            setattr(row, name, getattr(task, name))

    def open_for_instance(self, instance_id: str) -> list[ExternalTaskRecord]:
        found = self.session.scalars(select(Row).where(Row.instance_id == instance_id, Row.status == "open")
                                     .order_by(Row.created_at, Row.id))
        return [_record(row) for row in found]

    def lock_available(self, topics: list[str], worker_id: str, now: datetime, until: datetime,
                       limit: int) -> list[ExternalTaskRecord]:
        """SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL) picks the rows, and each UPDATE repeats
        the lock's condition: on SQLite, which has no row locks, a row another transaction took
        meanwhile is left out instead of being handed out twice."""
        free = or_(Row.locked_until.is_(None), Row.locked_until <= now)
        ids = list(self.session.scalars(
            select(Row.id).join(InstanceRow, InstanceRow.id == Row.instance_id)
            .where(Row.status == "open", Row.topic.in_(topics), Row.retries > 0, InstanceRow.status == "running", free)
            .order_by(Row.created_at, Row.id).limit(limit).with_for_update(of=Row, skip_locked=True)))
        taken = []
        for task_id in ids:
            done = self.session.execute(update(Row).where(Row.id == task_id, Row.status == "open", free)
                                        .values(worker_id=worker_id, locked_until=until),
                                        execution_options={"synchronize_session": False})
            if done.rowcount == 1:
                taken.append(task_id)
        found = self.session.scalars(select(Row).where(Row.id.in_(taken)).order_by(Row.created_at, Row.id)
                                     .execution_options(populate_existing=True))
        return [_record(row) for row in found]


def _record(row: Row | None) -> ExternalTaskRecord | None:
    if row is None:
        return None
    return ExternalTaskRecord(row.id, row.instance_id, row.process_key, row.element, row.topic, row.form_key,
                              row.retries, row.created_at, default_retries=row.default_retries, status=row.status,
                              worker_id=row.worker_id, locked_until=row.locked_until,
                              error_message=row.error_message, completed_at=row.completed_at)
