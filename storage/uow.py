"""The unit of work: one transaction per engine command."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

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

    def __exit__(self, *exc: object) -> None:
        assert self.session is not None
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()
