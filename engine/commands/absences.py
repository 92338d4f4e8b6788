"""Substitutes (issue 15.5): a person records an absence — from one local day to another, in the
organisation's zone — and who stands in for them meanwhile.

While the absence lasts the substitute is offered what the absent person is offered, may work
on what they may (engine/permissions.py asks `standing_in`), and sees their tasks in the inbox
marked on whose behalf; every task command done only through the substitution is journaled
with `on_behalf_of` (engine/commands/tasks.py). An absence is kept as its days and as instants
(`day_start` of the first, `day_end` of the last), so "whom does X stand in for now" is one
indexed query. Ending one early moves its end to the engine clock's now.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.clock import day_end, day_start
from engine.commands.runner import Runner, found
from engine.errors import FieldError, FormInvalid, NotFound, PermissionDenied, UserNotFound
from engine.permissions import OPERATOR_NAME, Permissions
from engine.ports import Absence, UnitOfWork
from engine.records import UserRecord


@dataclass(frozen=True)
class AbsenceView:
    """An absence as people read it: who, which days, who stands in, and where it is now
    (`upcoming`, `current` or `over` — ended early counts as over from then on)."""

    id: str
    username: str
    name: str
    substitute: str
    substitute_name: str
    starts_on: date
    ends_on: date
    status: str
    ended_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "username": self.username, "name": self.name, "substitute": self.substitute,
                "substitute_name": self.substitute_name, "starts_on": self.starts_on.isoformat(),
                "ends_on": self.ends_on.isoformat(), "status": self.status,
                "ended_at": self.ended_at.isoformat() if self.ended_at else None}


@dataclass(frozen=True)
class Absences:
    """What the absence page shows one person: their own absences (newest first), those in which
    they stand in for someone, and — for managers — the people of their departments who are or
    will be away and who stands in for each."""

    mine: tuple[AbsenceView, ...]
    covering: tuple[AbsenceView, ...]
    team: tuple[AbsenceView, ...]


class AbsenceCommands:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def record_absence(self, username: str, starts: date | str, ends: date | str, substitute: str,
                       actor: str = OPERATOR_NAME) -> AbsenceView:
        """Record that `username` is away from `starts` to `ends` (local days, both included)
        and `substitute` stands in.

        Raises:
            UserNotFound, PermissionDenied, FormInvalid (field by field: starts_on, ends_on,
            substitute).
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, actor)
            absent = found(uow.users.get(username), UserNotFound, f"unknown user {username!r}")
            may = self.run.permissions(uow)
            if not may.may_record_absence(user, absent):
                raise PermissionDenied(f"{user.username} may not record absences of {username}")
            first, last, problems = self._days(starts, ends)
            problems += _substitute_problems(uow, absent, substitute)
            if not problems and first and last:
                starts_at, until_at = day_start(first, self.run.clock.zone), day_end(last, self.run.clock.zone)
                # what has passed of an absence ended early is no reason to refuse a new one today
                if uow.absences.overlapping(absent.username, max(starts_at, self.run.clock.now()), until_at):
                    problems.append(FieldError("starts_on", f"{username} is already away on some of these days",
                                               "absence_overlap"))
            if problems:
                raise FormInvalid("absence", problems)
            now = self.run.clock.now()
            absence = Absence(secrets.token_hex(8), absent.username, substitute, first, last, starts_at, until_at,
                              now, None if user.username == OPERATOR_NAME else user.username)
            uow.absences.add(absence)
            uow.commit()
            return _view(absence, _names(uow), now)

    def absences(self, actor: str) -> Absences:
        """`actor`'s absences, those they stand in for, and their departments' (see `Absences`).

        Raises:
            UserNotFound, PermissionDenied (deactivated).
        """
        with self.run.unit() as uow:
            user, may, now = self.run.actor(uow, actor), self.run.permissions(uow), self.run.clock.now()
            people = {u.username: u for u in uow.users.all()}
            names = {n: u.name for n, u in people.items()}
            mine = [_view(a, names, now) for a in uow.absences.of_user(user.username)]
            current = [a for a in uow.absences.not_over(now) if a.until_at > a.starts_at]
            covering = [_view(a, names, now) for a in current if a.substitute == user.username]
            team = [_view(a, names, now) for a in current if a.username != user.username
                    and a.username in people and _oversees(may, user, people[a.username])]
            return Absences(tuple(mine), tuple(covering), tuple(team))

    def end_absence(self, absence_id: str, actor: str = OPERATOR_NAME) -> AbsenceView:
        """End an absence now (one still to come is called off); one already over stays as it is.

        Raises:
            NotFound, UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, actor)
            absence = found(uow.absences.get(absence_id), NotFound, f"unknown absence {absence_id!r}")
            absent = found(uow.users.get(absence.username), UserNotFound, f"unknown user {absence.username!r}")
            if not self.run.permissions(uow).may_record_absence(user, absent):
                raise PermissionDenied(f"{user.username} may not end absences of {absence.username}")
            now = self.run.clock.now()
            if absence.until_at > now:  # one over already stays as it was
                uow.absences.end(absence.id, now)
                uow.commit()
                absence = found(uow.absences.get(absence_id), NotFound, f"unknown absence {absence_id!r}")
            return _view(absence, _names(uow), now)

    def _days(self, starts: date | str, ends: date | str) -> tuple[date | None, date | None, list[FieldError]]:
        """The first and last day, and what is wrong with them."""
        first, last = _day(starts), _day(ends)
        problems = [FieldError(name, "a day as YYYY-MM-DD", "absence_date")
                    for name, day in (("starts_on", first), ("ends_on", last)) if day is None]
        if first and last and last < first:
            problems.append(FieldError("ends_on", "the last day comes before the first", "absence_order"))
        elif last and day_end(last, self.run.clock.zone) < self.run.clock.now():
            problems.append(FieldError("ends_on", "this absence would be over already", "absence_past"))
        return first, last, problems


def _day(value: date | str | None) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        return None


def _substitute_problems(uow: UnitOfWork, absent: UserRecord, substitute: str) -> list[FieldError]:
    """A substitute is someone else, and an active user."""
    if not substitute:
        return [FieldError("substitute", "name who stands in", "absence_substitute_required")]
    if substitute == absent.username:
        return [FieldError("substitute", "nobody stands in for themselves", "absence_substitute_self")]
    person = uow.users.get(substitute)
    if person is None:
        return [FieldError("substitute", f"unknown user {substitute!r}", "absence_substitute_unknown")]
    if not person.active:
        return [FieldError("substitute", f"{substitute} is deactivated", "absence_substitute_inactive")]
    return []


def _oversees(may: Permissions, user: UserRecord, person: UserRecord) -> bool:
    """Managers see who stands in for the people of their departments; administrators, everyone's."""
    return may.may_record_absence(user, person)


def _names(uow: UnitOfWork) -> dict[str, str]:
    return {u.username: u.name for u in uow.users.all()}


def _status(absence: Absence, now: datetime) -> str:
    if absence.until_at <= now or absence.until_at <= absence.starts_at:
        return "over"
    return "current" if absence.starts_at <= now else "upcoming"


def _view(absence: Absence, names: dict[str, str], now: datetime) -> AbsenceView:
    return AbsenceView(absence.id, absence.username, names.get(absence.username, absence.username),
                       absence.substitute, names.get(absence.substitute, absence.substitute),
                       absence.starts_on, absence.ends_on, _status(absence, now), absence.ended_at)
