"""Server-side web sessions and the users' own preferences (their interface language)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from engine.clock import as_utc
from engine.ports import WebSession
from storage.driver import run
from storage.models import UserRow, WebSessionRow as Row


class SqlSessionRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, web_session: WebSession) -> None:
        self.session.add(Row(id=web_session.id, username=web_session.username,
                             started_at=web_session.started_at, seen_at=web_session.seen_at))
        self.session.flush()

    def get(self, session_id: str) -> WebSession | None:
        row = run(self.session, _GET, {"id": session_id}).first()
        if row is None:
            return None
        return WebSession(row.id, row.username, as_utc(row.started_at), as_utc(row.seen_at))

    def touch(self, session_id: str, seen_at: datetime) -> None:
        self.session.execute(update(Row).where(Row.id == session_id).values(seen_at=seen_at)
                             .execution_options(synchronize_session=False))

    def end(self, session_id: str) -> None:
        self.session.execute(delete(Row).where(Row.id == session_id).execution_options(synchronize_session=False))

    def end_for_user(self, username: str) -> int:
        return self.session.execute(delete(Row).where(Row.username == username)
                                    .execution_options(synchronize_session=False)).rowcount

    def prune(self, started_before: datetime, seen_before: datetime) -> int:
        return self.session.execute(delete(Row).where(or_(Row.started_at < started_before, Row.seen_at < seen_before))
                                    .execution_options(synchronize_session=False)).rowcount


class SqlPreferenceRepository:
    def __init__(self, session: Session):
        self.session = session

    def language(self, username: str) -> str | None:
        return run(self.session, _LANGUAGE, {"username": username}).scalar()

    def set_language(self, username: str, language: str) -> None:
        self.session.execute(update(UserRow).where(UserRow.username == username).values(language=language)
                             .execution_options(synchronize_session=False))


_GET = select(Row.__table__).where(Row.__table__.c.id == bindparam("id"))
_LANGUAGE = select(UserRow.__table__.c.language).where(UserRow.__table__.c.username == bindparam("username"))
