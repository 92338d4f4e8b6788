"""Absences and their substitutes in the database (issue 15.5): who is away, on which local
days, who stands in, and — as instants — when the substitution begins and ends, so that "whom
does this person stand in for now" is one indexed query on (substitute, until_at)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.ports import Absence
from engine.records import UserRecord
from storage.models import Base, UserRow, UtcDateTime


class AbsenceRow(Base):
    __tablename__ = "absences"
    __table_args__ = (Index("ix_absences_substitute_until", "substitute", "until_at"),
                      Index("ix_absences_username_until", "username", "until_at"))

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    username: Mapped[str] = mapped_column(String(100), ForeignKey("users.username"))
    substitute: Mapped[str] = mapped_column(String(100), ForeignKey("users.username"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    until_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str | None] = mapped_column(String(100))
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


Row = AbsenceRow


class SqlAbsenceRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, absence: Absence) -> None:
        self.session.add(Row(**absence.__dict__))
        self.session.flush()

    def get(self, absence_id: str) -> Absence | None:
        return _absence(self.session.get(Row, absence_id))

    def end(self, absence_id: str, at: datetime) -> None:
        self.session.execute(update(Row).where(Row.id == absence_id).values(until_at=at, ended_at=at)
                             .execution_options(synchronize_session=False))

    def of_user(self, username: str) -> list[Absence]:
        rows = self.session.scalars(select(Row).where(Row.username == username)
                                    .order_by(Row.starts_at.desc(), Row.id))
        return [_absence(r) for r in rows]

    def overlapping(self, username: str, starts_at: datetime, until_at: datetime) -> list[Absence]:
        rows = self.session.scalars(select(Row).where(Row.username == username, Row.until_at > starts_at,
                                                      Row.starts_at <= until_at, Row.until_at > Row.starts_at))
        return [_absence(r) for r in rows]

    def standing_in(self, substitute: str, at: datetime) -> list[UserRecord]:
        rows = self.session.scalars(select(UserRow).join(Row, Row.username == UserRow.username)
                                    .where(Row.substitute == substitute, Row.until_at > at, Row.starts_at <= at)
                                    .order_by(UserRow.username))
        # the absent people as permissions ask about them: who they are and their roles, no secrets
        return [UserRecord(r.username, r.name, r.department, tuple(r.roles), r.active) for r in rows]

    def not_over(self, at: datetime) -> list[Absence]:
        rows = self.session.scalars(select(Row).where(Row.until_at > at).order_by(Row.starts_at, Row.id))
        return [_absence(r) for r in rows]


def _absence(row: Row | None) -> Absence | None:
    if row is None:
        return None
    return Absence(row.id, row.username, row.substitute, row.starts_on, row.ends_on, row.starts_at, row.until_at,
                   row.created_at, row.created_by, row.ended_at)
