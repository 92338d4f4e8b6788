"""In-memory owner drafts and version notes (the ports the owner's editor uses)."""

from __future__ import annotations

from engine.ports import OwnerDraft, VersionNote


class FakeDrafts:
    def __init__(self, work):
        self.rows: dict[tuple[str, str], OwnerDraft] = work.drafts

    def get(self, username: str, process_key: str) -> OwnerDraft | None:
        return self.rows.get((username, process_key))

    def put(self, draft: OwnerDraft) -> None:
        self.rows[(draft.username, draft.process_key)] = draft

    def remove(self, username: str, process_key: str) -> None:
        self.rows.pop((username, process_key), None)


class FakeVersionNotes:
    def __init__(self, work):
        self.rows: list[VersionNote] = work.version_notes

    def add(self, note: VersionNote) -> None:
        self.rows.append(note)

    def for_key(self, key: str) -> list[VersionNote]:
        return sorted((n for n in self.rows if n.key == key), key=lambda n: n.number)
