"""The auditor's query of the facade: search every instance, whoever started it."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Callable

from engine.clock import UTC, as_utc, day_start
from engine.audit.confidential import rules_of
from engine.errors import InvalidInput, PermissionDenied
from engine.ports import InstanceFilter, UnitOfWork
from engine.queries.reading import READ_ALL_ROLES
from engine.records import UserRecord
from engine.audit.verify import Verdict
from engine.views import InstanceView

# Data keys are form field names; anything else could not be a key and would need quoting in SQL.
_DATA_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")
STATUSES = ("running", "completed", "failed", "cancelled", "withdrawn")


@dataclass(frozen=True)
class InstanceSearchPage:
    """One page of an instance search: the instances (without their tasks), and how many match."""

    instances: tuple[InstanceView, ...]
    total: int
    page: int
    pages: int


class AuditQueries:
    """Mixed into the Engine facade; reads only."""

    uow_factory: Callable[[], UnitOfWork]
    clock: Any

    def search_instances(self, auditor: str, process_key: str | None = None, status: str | None = None,
                         started_from: date | datetime | None = None, started_to: date | datetime | None = None,
                         participant: str | None = None, data_key: str | None = None,
                         data_value: str | None = None, page: int = 1, page_size: int = 50) -> InstanceSearchPage:
        """Instances by procedure, status, start time (`started_from` <= start < `started_to`;
        a `date` is a local day of the organisation's zone: from its midnight, to the end of it),
        participant (the starter or anyone the journal names as actor) and a value of the current
        data (`data[data_key]` as text: strings bare, true/false and numbers as JSON writes them).
        Newest first.

        Raises:
            UserNotFound; PermissionDenied: `auditor` is not an auditor, director or administrator;
            InvalidInput: an unknown status or a data key that is not a plain field name.
        """
        if status and status not in STATUSES:
            raise InvalidInput(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        if data_key and not _DATA_KEY.match(data_key):
            raise InvalidInput(f"{data_key!r} is not a field name")
        started_from, started_to = self._instant(started_from), self._instant(started_to, end=True)
        found = InstanceFilter(process_key or None, status or None, started_from, started_to, participant or None,
                               data_key or None, data_value if data_key else None)
        with self.uow_factory() as uow:
            user = self._auditor(uow, auditor)
            if data_key:
                self._require_clearance(uow, user, data_key)
            page_size = max(1, page_size)
            page = max(1, page)
            records, total = uow.instances.search(found, (page - 1) * page_size, page_size)
            views = tuple(self._redacted(uow, self._instance_view(uow, r, with_tasks=False), user) for r in records)
        return InstanceSearchPage(views, total, page, max(1, -(-total // page_size)))

    def _instant(self, moment: date | datetime | None, end: bool = False) -> datetime | None:
        """A search bound as a UTC instant: a date is its local day's midnight (the next day's for
        an inclusive end), in the zone of the engine clock."""
        if moment is None or isinstance(moment, datetime):
            return as_utc(moment) if moment is not None else None
        zone = getattr(self.clock, "zone", UTC)
        return day_start(moment + timedelta(days=1) if end else moment, zone)

    def _require_clearance(self, uow: UnitOfWork, user: UserRecord, field: str) -> None:
        """Searching by a confidential field would confirm guessed values: only with clearance."""
        for version in uow.versions.all_latest():
            compiled = self._compiled(version)
            rules = rules_of(f for f in (compiled.start_form, *compiled.forms.values()) if f is not None)
            if field in rules and not rules[field] & set(user.roles):
                raise PermissionDenied(f"{field!r} is confidential: {user.username} may not search by it")

    def audit_steps(self, auditor: str, instance_id: str) -> list[dict[str, Any]]:
        """`step_through` as `auditor` may read it: confidential values they are not cleared for
        replaced by markers (auditors see each value's SHA-256).

        Raises:
            UserNotFound, PermissionDenied, InstanceNotFound; Divergence when the journal does not replay.
        """
        with self.uow_factory() as uow:
            redactor = self._redactor(uow, self._instance(uow, instance_id).version_hash, self._auditor(uow, auditor))
        return [{**step, "data": redactor.data(step["data"])} for step in self.step_through(instance_id)]

    def audit_verdict(self, auditor: str, instance_id: str) -> Verdict:
        """`verify`, with the recorded and replayed values redacted when the field that differs
        is confidential for `auditor`.

        Raises:
            UserNotFound, PermissionDenied, InstanceNotFound.
        """
        with self.uow_factory() as uow:
            redactor = self._redactor(uow, self._instance(uow, instance_id).version_hash, self._auditor(uow, auditor))
        verdict = self.verify(instance_id)
        if any(redactor.hidden(part) for part in (verdict.field or "").split(".")):
            return replace(verdict, recorded=redactor.marker(verdict.recorded), replayed=redactor.marker(verdict.replayed))
        return verdict

    def _auditor(self, uow: UnitOfWork, username: str):
        user = self._user(uow, username)
        if not READ_ALL_ROLES & set(user.roles):
            raise PermissionDenied(f"{username} may not audit instances")
        return user
