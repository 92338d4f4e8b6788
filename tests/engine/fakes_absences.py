"""In-memory absences (the port of engine/commands/absences.py), answering as the SQL does."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from engine.ports import Absence
from engine.records import UserRecord


class FakeAbsences:
    def __init__(self, work):
        # FakeStore has no field of its own for absences: keep them on it.
        self.rows: dict[str, Absence] = work.__dict__.setdefault("absences", {})
        self.users = work.users

    def add(self, absence: Absence) -> None:
        self.rows[absence.id] = absence

    def get(self, absence_id: str) -> Absence | None:
        return self.rows.get(absence_id)

    def end(self, absence_id: str, at: datetime) -> None:
        self.rows[absence_id] = dataclasses.replace(self.rows[absence_id], until_at=at, ended_at=at)

    def of_user(self, username: str) -> list[Absence]:
        return sorted((a for a in self.rows.values() if a.username == username),
                      key=lambda a: (-a.starts_at.timestamp(), a.id))

    def overlapping(self, username: str, starts_at: datetime, until_at: datetime) -> list[Absence]:
        return [a for a in self.rows.values() if a.username == username and a.until_at > starts_at
                and a.starts_at <= until_at and a.until_at > a.starts_at]

    def standing_in(self, substitute: str, at: datetime) -> list[UserRecord]:
        names = sorted(a.username for a in self.rows.values()
                       if a.substitute == substitute and a.starts_at <= at < a.until_at)
        return [self.users[n] for n in dict.fromkeys(names) if n in self.users]

    def not_over(self, at: datetime) -> list[Absence]:
        return sorted((a for a in self.rows.values() if a.until_at > at), key=lambda a: (a.starts_at, a.id))
