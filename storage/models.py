"""SQLAlchemy models. They never leave `storage/`: repositories turn them into engine records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from engine.clock import as_utc


class UtcDateTime(TypeDecorator):
    """`DateTime(timezone=True)` that binds every value as UTC and reads it back aware.

    SQLite has no time-zone type: SQLAlchemy writes the wall-clock digits of an aware value and
    drops its offset, and compares text. Were an instant in another zone bound (the local midnight
    of an auditor's day), SQLite would compare its local digits with stored UTC digits. Binding
    UTC always makes SQLite compare real instants, as PostgreSQL's timestamptz does."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return as_utc(value) if value is not None else None

    def process_result_value(self, value, dialect):
        return as_utc(value) if value is not None else None


class Base(DeclarativeBase):
    pass


class ProcessVersionRow(Base):
    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("key", "number", name="uq_process_versions_key_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    entry: Mapped[dict] = mapped_column(JSON)
    files: Mapped[dict] = mapped_column(JSON)
    deployed_by: Mapped[str | None] = mapped_column(String(100))
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    comment: Mapped[str] = mapped_column(Text, default="")


class InstanceRow(Base):
    __tablename__ = "instances"
    __table_args__ = (
        Index("ix_instances_wake", "status", "next_wake_at"),
        Index("ix_instances_started_by", "started_by", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    process_key: Mapped[str] = mapped_column(String(100), index=True)
    version_hash: Mapped[str] = mapped_column(String(64))
    version_number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    state: Mapped[dict] = mapped_column(JSON)
    data: Mapped[dict] = mapped_column(JSON)
    started_by: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revision: Mapped[int] = mapped_column(Integer, default=0)
    next_wake_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    current_step: Mapped[str | None] = mapped_column(Text)
    incident: Mapped[dict | None] = mapped_column(JSON)
    journal_seq: Mapped[int] = mapped_column(Integer, default=0)
    journal_hash: Mapped[str] = mapped_column(String(64), default="0" * 64)


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_status_claimed", "status", "claimed_by"),
        Index("ix_tasks_department_status", "department", "status"),
        Index("ix_tasks_inbox", "status", "claimed_by", "due_at", "created_at", "id", "excluded_names", "process_key",
              "offered_to", "search_text",  # storage/inbox_sql.py
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("instances.id"), index=True)
    process_key: Mapped[str] = mapped_column(String(100))
    spec_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    lane: Mapped[str | None] = mapped_column(Text)
    form_key: Mapped[str | None] = mapped_column(String(100))
    candidates: Mapped[list] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    department: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_by: Mapped[str | None] = mapped_column(String(100))
    submitted: Mapped[dict | None] = mapped_column(JSON)
    context: Mapped[dict | None] = mapped_column(JSON)
    subject: Mapped[dict | None] = mapped_column(JSON)
    # title and subject in both languages, lower-cased: what an inbox search looks in
    search_text: Mapped[str | None] = mapped_column(Text)
    # separation of duties: who may not do it and why ([{user, rule, step}]), and their names as
    # "|alice|bob|" for the inbox to leave the task out (NULL: nobody is excluded)
    excluded: Mapped[list | None] = mapped_column(JSON)
    excluded_names: Mapped[str | None] = mapped_column(Text)
    # its candidates as "|role:a|user:b|", for the inbox to read from its index instead of probing
    # task_candidates for every open task (storage/task_rows.py says when it writes "*" instead)
    offered_to: Mapped[str | None] = mapped_column(Text)


class TaskCandidateRow(Base):
    """One candidate of an open task, so an inbox is an indexed lookup, not a scan."""

    __tablename__ = "task_candidates"

    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    candidate: Mapped[str] = mapped_column(String(120), primary_key=True, index=True)


class JournalRow(Base):
    __tablename__ = "journal"
    __table_args__ = (
        UniqueConstraint("instance_id", "seq", name="uq_journal_instance_seq"),
        Index("ix_journal_actor", "actor"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(String(36), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    payload: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class DepartmentRow(Base):
    __tablename__ = "departments"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[dict] = mapped_column(JSON)


class RoleRow(Base):
    __tablename__ = "roles"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[dict] = mapped_column(JSON)
    department: Mapped[str | None] = mapped_column(String(100))
    manager: Mapped[bool] = mapped_column(Boolean, default=False)


class UserRow(Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(100))
    roles: Mapped[list] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))  # the interface language they chose
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)  # where notifications are mailed


class ScheduleRow(Base):
    """Next start of a procedure that begins with a timer start event."""

    __tablename__ = "schedules"

    process_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    version_hash: Mapped[str] = mapped_column(String(64))
    element: Mapped[str] = mapped_column(String(200))
    next_due_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    period: Mapped[str | None] = mapped_column(String(100))
    remaining: Mapped[int] = mapped_column(Integer)


class SignInThrottleRow(Base):
    """Failed sign-ins of one key (a hash of username and address, or of an address) in the
    current window, and the lock they earned: one row per key, pruned when the window ends."""

    __tablename__ = "sign_in_throttle"
    __table_args__ = (Index("ix_sign_in_throttle_window", "window_start"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebSessionRow(Base):
    """A signed-in browser session; the cookie holds a token whose SHA-256 is `id`."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
