"""Process owners' drafts (an unfinished edit kept per user and procedure, not a version) and
the notes of versions deployed despite warnings (who accepted which warnings, and why)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine.clock import as_utc
from engine.ports import OwnerDraft, VersionNote
from storage.models import Base


class OwnerDraftRow(Base):
    __tablename__ = "owner_drafts"
    __table_args__ = (UniqueConstraint("username", "process_key", name="uq_owner_drafts_user_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100))
    process_key: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VersionNoteRow(Base):
    __tablename__ = "version_notes"
    __table_args__ = (UniqueConstraint("key", "number", name="uq_version_notes_key_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(100))
    number: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    warnings: Mapped[list] = mapped_column(JSON)
    noted_by: Mapped[str] = mapped_column(String(100))
    noted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SqlDraftRepository:
    def __init__(self, session: Session):
        self.session = session

    def get(self, username: str, process_key: str) -> OwnerDraft | None:
        row = self._row(username, process_key)
        return OwnerDraft(row.username, row.process_key, row.payload, as_utc(row.saved_at)) if row else None

    def put(self, draft: OwnerDraft) -> None:
        row = self._row(draft.username, draft.process_key)
        if row is None:
            self.session.add(OwnerDraftRow(username=draft.username, process_key=draft.process_key,
                                           payload=draft.payload, saved_at=draft.saved_at))
        else:
            row.payload, row.saved_at = draft.payload, draft.saved_at
        self.session.flush()

    def remove(self, username: str, process_key: str) -> None:
        self.session.execute(delete(OwnerDraftRow).where(OwnerDraftRow.username == username,
                                                         OwnerDraftRow.process_key == process_key))

    def _row(self, username: str, process_key: str) -> OwnerDraftRow | None:
        return self.session.scalars(select(OwnerDraftRow).where(
            OwnerDraftRow.username == username, OwnerDraftRow.process_key == process_key)).first()


class SqlVersionNoteRepository:
    def __init__(self, session: Session):
        self.session = session

    def add(self, note: VersionNote) -> None:
        self.session.add(VersionNoteRow(key=note.key, number=note.number, reason=note.reason,
                                        warnings=list(note.warnings), noted_by=note.noted_by, noted_at=note.noted_at))
        self.session.flush()

    def for_key(self, key: str) -> list[VersionNote]:
        rows = self.session.scalars(select(VersionNoteRow).where(VersionNoteRow.key == key)
                                    .order_by(VersionNoteRow.number))
        return [VersionNote(r.key, r.number, r.reason, tuple(r.warnings or ()), r.noted_by, as_utc(r.noted_at))
                for r in rows]
