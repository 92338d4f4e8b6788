"""The sign-in throttle in the database, so every server process (gunicorn workers, several
hosts on one PostgreSQL) counts the same failures. One row per key, updated in place with
an atomic UPDATE, so racing processes never lose a count; rows go when their window ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, delete, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.clock import as_utc
from storage.models import SignInThrottleRow as Row


class SqlThrottleRepository:
    def __init__(self, session: Session):
        self.session = session

    def locked_until(self, keys: list[str], now: datetime) -> datetime | None:
        """One primary-key lookup for all `keys`."""
        until = self.session.scalar(select(func.max(Row.locked_until))
                                    .where(Row.key.in_(keys), Row.locked_until > now))
        return as_utc(until) if until is not None else None

    def count_failure(self, key: str, now: datetime, window_began_after: datetime) -> int:
        for _ in range(3):
            count = self._increment(key, now, window_began_after)
            if count is not None:
                return count
            try:
                with self.session.begin_nested():
                    self.session.add(Row(key=key, failures=1, window_start=now, locked_until=None))
                return 1
            except IntegrityError:  # another process inserted the key first: count onto its row
                continue
        return self._increment(key, now, window_began_after) or 1

    def _increment(self, key: str, now: datetime, window_began_after: datetime) -> int | None:
        """Add one to the row's count in one statement (SET expressions read the old values)."""
        current = Row.window_start > window_began_after
        statement = (update(Row).where(Row.key == key)
                     .values(failures=case((current, Row.failures + 1), else_=1),
                             window_start=case((current, Row.window_start), else_=literal(now, Row.window_start.type)))
                     .returning(Row.failures)
                     .execution_options(synchronize_session=False))
        return self.session.scalar(statement)

    def lock(self, key: str, now: datetime, until: datetime) -> bool:
        """The count starts again with the lock, so the lock's end gives a full set of tries back."""
        statement = (update(Row).where(Row.key == key, or_(Row.locked_until.is_(None), Row.locked_until <= now))
                     .values(locked_until=until, failures=0, window_start=now)
                     .execution_options(synchronize_session=False))
        return self.session.execute(statement).rowcount == 1

    def clear(self, key: str) -> None:
        self.session.execute(delete(Row).where(Row.key == key).execution_options(synchronize_session=False))

    def prune(self, window_began_before: datetime, now: datetime) -> int:
        statement = (delete(Row).where(Row.window_start < window_began_before,
                                       or_(Row.locked_until.is_(None), Row.locked_until <= now))
                     .execution_options(synchronize_session=False))
        return self.session.execute(statement).rowcount
