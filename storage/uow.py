"""The unit of work: one transaction per engine command."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import ConcurrentUpdate

from storage.absences import SqlAbsenceRepository
from storage.notifications import SqlNotificationRepository
from storage.outbox import SqlOutboxRepository, SqlWebhookRepository
from storage.external_tasks import SqlExternalTaskRepository
from storage.owner_drafts import SqlDraftRepository, SqlVersionNoteRepository
from storage.schedules import SqlScheduleRepository
from storage.sessions import SqlPreferenceRepository, SqlSessionRepository
from storage.throttle import SqlThrottleRepository
from storage.tokens import SqlApiTokenRepository
from storage.repositories import (
    SqlInstanceRepository, SqlJournalRepository, SqlTaskRepository, SqlUserRepository, SqlVersionRepository,
)


class SqlUnitOfWork:
    """`with uow: ...; uow.commit()` — whatever was not committed is rolled back on exit."""

    def __init__(self, session_factory: sessionmaker[Session]):
        self._session_factory = session_factory
        self.session: Session | None = None

    def __enter__(self) -> "SqlUnitOfWork":
        self.session = self._session_factory()
        self.versions = SqlVersionRepository(self.session)
        self.instances = SqlInstanceRepository(self.session)
        self.tasks = SqlTaskRepository(self.session)
        self.journal = SqlJournalRepository(self.session)
        self.users = SqlUserRepository(self.session)
        self.schedules = SqlScheduleRepository(self.session)
        self.drafts = SqlDraftRepository(self.session)
        self.version_notes = SqlVersionNoteRepository(self.session)
        self.throttle = SqlThrottleRepository(self.session)
        self.sessions = SqlSessionRepository(self.session)
        self.preferences = SqlPreferenceRepository(self.session)
        self.external_tasks = SqlExternalTaskRepository(self.session)
        self.outbox, self.webhooks = SqlOutboxRepository(self.session), SqlWebhookRepository(self.session)
        self.api_tokens = SqlApiTokenRepository(self.session)
        self.absences = SqlAbsenceRepository(self.session)
        self.notifications = SqlNotificationRepository(self.session)
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()
        if isinstance(error, DBAPIError) and lost_a_race(error):
            raise ConcurrentUpdate("another command changed the same records at the same moment; "
                                   "nothing was changed, try again") from error

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()


# PostgreSQL's unique violation, deadlock and serialization failure (SQLSTATE)
_RACE_STATES = {"23505", "40P01", "40001"}


def lost_a_race(error: DBAPIError) -> bool:
    """Whether the database refused a command because another one got there first: the same
    unique key written by both (a task row both commands entered), a deadlock between their row
    locks, a serialization failure. Like a revision that moved, that is ConcurrentUpdate, and
    the command changed nothing; any other database error is a fault, not a race."""
    state = getattr(error.orig, "sqlstate", None)
    if state is not None:
        return state in _RACE_STATES
    return isinstance(error, IntegrityError) and "UNIQUE constraint failed" in str(error.orig)
