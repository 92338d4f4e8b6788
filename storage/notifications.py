"""Notifications, each carrying its e-mail's delivery state, and who turned which mail off.

A notification row is also its mail's outbox row (decision 15): the command writes both in one
INSERT ... SELECT over the users, which picks the active recipients (by name, or by a role they
hold) and decides there whether a mail is due — an address and no opt-out for the kind. The
worker claims due mail with SKIP LOCKED (on PostgreSQL; SQLite has one writer anyway) and a
lease, so several workers never send one mail twice.

Roles are a JSON list on the user row; a role is matched as the quoted key in its text (role
keys are identifiers: no quotes; LIKE's wildcards are escaped), the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON, Integer, String, Text, and_, bindparam, case, cast, delete, exists, func, insert, literal, or_, select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.schema import Index

from engine.notify import TASK_OVERDUE, DueMail, MailLogEntry, Notice, Notification, OverdueTask
from engine.outbox import DeliveryOutcome
from storage.driver import run
from storage.models import Base, TaskRow, UserRow, UtcDateTime


class NotificationRow(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_recipient", "recipient", "id"),
        Index("ix_notifications_unread", "recipient", "read_at"),
        Index("ix_notifications_task_kind", "task_id", "kind"),
        Index("ix_notifications_mail_due", "mail_status", "mail_next_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    recipient: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict] = mapped_column(JSON)
    instance_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    task_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    # the e-mail: None (none due), pending, sent, failed (attempts spent), skipped (no SMTP server)
    mail_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    mail_next_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    mail_claim: Mapped[str | None] = mapped_column(String(36), nullable=True)
    mail_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class MailOptOutRow(Base):
    """A kind of notification a user wants in the app only, not by e-mail (mail is on by default)."""

    __tablename__ = "notification_mail_off"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)


class SqlNotificationRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, notices: list[Notice]) -> None:
        """One INSERT ... SELECT per notice, whatever the number of people it reaches."""
        for notice in notices:
            statement, params = _recipients(notice)
            run(self.session, statement, params)

    def page(self, username: str, unread_only: bool, offset: int, limit: int) -> tuple[list[Notification], int]:
        mine = [NotificationRow.recipient == username]
        if unread_only:
            mine.append(NotificationRow.read_at.is_(None))
        total = self.session.scalar(select(func.count()).select_from(NotificationRow).where(*mine)) or 0
        rows = self.session.scalars(select(NotificationRow).where(*mine).order_by(NotificationRow.id.desc())
                                    .offset(offset).limit(limit))
        return [Notification(r.id, r.kind, r.payload, r.instance_id, r.task_id, r.created_at, r.read_at)
                for r in rows], total

    def unread_count(self, username: str) -> int:
        return self.session.scalar(select(func.count()).select_from(NotificationRow).where(
            NotificationRow.recipient == username, NotificationRow.read_at.is_(None))) or 0

    def mark_read(self, username: str, ids: list[int] | None, at: datetime) -> int:
        mine = [NotificationRow.recipient == username, NotificationRow.read_at.is_(None)]
        if ids is not None:
            mine.append(NotificationRow.id.in_(ids))
        return self.session.execute(update(NotificationRow).where(*mine).values(read_at=at)).rowcount or 0

    def mail_off(self, username: str) -> set[str]:
        return set(self.session.scalars(select(MailOptOutRow.kind).where(MailOptOutRow.username == username)))

    def set_mail_off(self, username: str, kinds: set[str]) -> None:
        self.session.execute(delete(MailOptOutRow).where(MailOptOutRow.username == username))
        if kinds:
            self.session.execute(insert(MailOptOutRow), [{"username": username, "kind": k} for k in sorted(kinds)])

    def overdue(self, now: datetime, limit: int) -> list[OverdueTask]:
        told = exists().where(NotificationRow.task_id == TaskRow.id, NotificationRow.kind == TASK_OVERDUE)
        rows = self.session.execute(
            select(TaskRow.id, TaskRow.instance_id, TaskRow.process_key, TaskRow.title, TaskRow.claimed_by,
                   TaskRow.due_at)
            .where(TaskRow.status == "open", TaskRow.claimed_by.is_not(None), TaskRow.due_at <= now, ~told)
            .order_by(TaskRow.due_at, TaskRow.id).limit(limit))
        return [OverdueTask(*row) for row in rows]

    def claim_mail(self, now: datetime, lease_until: datetime, limit: int, claim: str) -> list[DueMail]:
        ids = list(self.session.scalars(
            select(NotificationRow.id).where(NotificationRow.mail_status == "pending",
                                             NotificationRow.mail_next_at <= now)
            .order_by(NotificationRow.mail_next_at, NotificationRow.id).limit(limit)
            .with_for_update(skip_locked=True)))
        if not ids:
            return []
        self.session.execute(update(NotificationRow).where(NotificationRow.id.in_(ids)).values(
            mail_attempts=NotificationRow.mail_attempts + 1, mail_next_at=lease_until, mail_claim=claim),
            execution_options={"synchronize_session": False})
        found = self.session.execute(
            select(NotificationRow.id, NotificationRow.recipient, UserRow.email, UserRow.language,
                   NotificationRow.kind, NotificationRow.payload, NotificationRow.instance_id,
                   NotificationRow.task_id, NotificationRow.mail_attempts)
            .join(UserRow, UserRow.username == NotificationRow.recipient)
            .where(NotificationRow.id.in_(ids)).order_by(NotificationRow.id))
        return [DueMail(*row) for row in found]

    def record_mail(self, notification_id: int, claim: str, outcome: DeliveryOutcome) -> bool:
        done = self.session.execute(
            update(NotificationRow).where(NotificationRow.id == notification_id, NotificationRow.mail_claim == claim)
            .values(mail_status=outcome.status, mail_next_at=outcome.next_attempt_at, mail_claim=None,
                    mail_error=outcome.error))
        return bool(done.rowcount)

    def skip_mail(self, now: datetime) -> int:
        """Mark every due mail skipped (no SMTP server is configured): turning one on later sends
        only what happens from then, not a backlog of stale news."""
        return self.session.execute(update(NotificationRow).where(
            NotificationRow.mail_status == "pending", NotificationRow.mail_next_at <= now)
            .values(mail_status="skipped", mail_next_at=None)).rowcount or 0

    def mail_log(self, offset: int, limit: int) -> tuple[list[MailLogEntry], int]:
        mailed = NotificationRow.mail_status.is_not(None)
        total = self.session.scalar(select(func.count()).select_from(NotificationRow).where(mailed)) or 0
        rows = self.session.execute(
            select(NotificationRow.id, NotificationRow.recipient, NotificationRow.kind, NotificationRow.mail_status,
                   NotificationRow.mail_attempts, NotificationRow.mail_error, NotificationRow.mail_next_at,
                   NotificationRow.created_at)
            .where(mailed).order_by(NotificationRow.id.desc()).offset(offset).limit(limit))
        return [MailLogEntry(*row) for row in rows], total


_COLUMNS = ["recipient", "kind", "payload", "instance_id", "task_id", "created_at", "mail_status", "mail_attempts",
            "mail_next_at"]


def _recipients(notice: Notice) -> tuple[Any, dict[str, Any]]:
    """The INSERT ... SELECT of one notice (a row per active user it reaches, with its mail due
    or not) and its parameters. The statement depends only on the notice's shape (how many names,
    roles and exclusions it has), so it is built and compiled once per shape; building it anew for
    every command cost more than running it. Up to `_LISTED` names are one parameter each (a fixed
    statement, storage/driver.py); a longer list is one expanding parameter."""
    params: dict[str, Any] = {"kind": notice.kind, "payload": notice.payload, "instance_id": notice.instance_id,
                              "task_id": notice.task_id, "at": notice.at, "actor": notice.actor}
    for index, role in enumerate(notice.roles):
        escaped = role.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params[f"role_{index}"] = f'%"{escaped}"%'
    users = _listed(params, "users", notice.users)
    excluded = _listed(params, "excluded", notice.excluded)  # separation of duties: never offered to them
    return _statement(users, len(notice.roles), bool(notice.actor), excluded), params


_LISTED = 8  # names a statement takes one by one; more are one expanding parameter
_MANY = -1  # a list's shape when it is longer than that


def _listed(params: dict[str, Any], name: str, names: tuple[str, ...] | list[str]) -> int:
    """Put `names` into `params`; returns the list's shape: how many, or _MANY."""
    if len(names) > _LISTED:
        params[name] = list(names)
        return _MANY
    params.update({f"{name}_{i}": n for i, n in enumerate(names)})
    return len(names)


def _names(name: str, shape: int) -> Any:
    """The parameters a list of `shape` names is given as (see `_listed`)."""
    if shape == _MANY:
        return bindparam(name, expanding=True)
    return [bindparam(f"{name}_{i}", type_=String) for i in range(shape)]


@lru_cache(maxsize=None)  # shapes are bounded: lists up to _LISTED, roles as many as a lane names
def _statement(users: int, roles: int, without_actor: bool, excluded: int = 0) -> Any:
    reached = [UserRow.username.in_(_names("users", users))] if users else []
    reached += [cast(UserRow.roles, Text).like(bindparam(f"role_{i}", type_=String), escape="\\")
                for i in range(roles)]
    kind, at = bindparam("kind", type_=String), bindparam("at", type_=UtcDateTime())
    opted_out = exists().where(MailOptOutRow.username == UserRow.username, MailOptOutRow.kind == kind)
    mailed = and_(UserRow.email.is_not(None), UserRow.email != "", ~opted_out)
    conditions = [UserRow.active.is_(True), or_(*reached)]
    if without_actor:
        conditions.append(UserRow.username != bindparam("actor", type_=String))
    if excluded:
        conditions.append(UserRow.username.not_in(_names("excluded", excluded)))
    rows = select(
        UserRow.username, kind, bindparam("payload", type_=JSON), bindparam("instance_id", type_=String),
        bindparam("task_id", type_=String), at, case((mailed, literal("pending")), else_=None),
        literal(0, Integer), case((mailed, at), else_=None),
    ).where(*conditions)
    return insert(NotificationRow.__table__).from_select(_COLUMNS, rows)  # Core: parameters are not rows