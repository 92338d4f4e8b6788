"""The auditor's query of the facade: search every instance, whoever started it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from engine.audit.confidential import rules_of
from engine.clock import UTC, as_utc, day_start
from engine.commands.runner import Runner
from engine.errors import InvalidInput, PermissionDenied
from engine.permissions import OPERATOR
from engine.ports import InstanceFilter, UnitOfWork
from engine.records import UserRecord
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


class AuditSearch:
    """One unit of work through the runner; reads only."""

    def __init__(self, run: Runner):
        self.run = run

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
            UserNotFound; PermissionDenied: `auditor` may not audit (`Permissions.may_audit`);
            InvalidInput: an unknown status or a data key that is not a plain field name.
        """
        if status and status not in STATUSES:
            raise InvalidInput(f"unknown status {status!r}; one of {', '.join(STATUSES)}")
        if data_key and not _DATA_KEY.match(data_key):
            raise InvalidInput(f"{data_key!r} is not a field name")
        started_from, started_to = self._instant(started_from), self._instant(started_to, end=True)
        found = InstanceFilter(process_key or None, status or None, started_from, started_to, participant or None,
                               data_key or None, data_value if data_key else None)
        with self.run.unit() as uow:
            user = self.run.actor(uow, auditor)
            if not self.run.permissions(uow).may_audit(user):
                raise PermissionDenied(f"{auditor} may not audit instances")
            if data_key:
                self._require_clearance(uow, user, data_key)
            page_size = max(1, page_size)
            page = max(1, page)
            records, total = uow.instances.search(found, (page - 1) * page_size, page_size)
            views = tuple(self.run.redacted(uow, self.run.instance_view(uow, r, with_tasks=False), user)
                          for r in records)
        return InstanceSearchPage(views, total, page, max(1, -(-total // page_size)))

    def _instant(self, moment: date | datetime | None, end: bool = False) -> datetime | None:
        """A search bound as a UTC instant: a date is its local day's midnight (the next day's for
        an inclusive end), in the zone of the engine clock."""
        if moment is None or isinstance(moment, datetime):
            return as_utc(moment) if moment is not None else None
        zone = getattr(self.run.clock, "zone", UTC)
        return day_start(moment + timedelta(days=1) if end else moment, zone)

    def _require_clearance(self, uow: UnitOfWork, user: UserRecord, field: str) -> None:
        """Searching by a confidential field would confirm guessed values: only with clearance
        (the operator reads everything unredacted, so has it)."""
        if user is OPERATOR:
            return
        for version in uow.versions.all_latest():
            compiled = self.run.compiled(version)
            rules = rules_of(f for f in (compiled.start_form, *compiled.forms.values()) if f is not None)
            if field in rules and not rules[field] & set(user.roles):
                raise PermissionDenied(f"{field!r} is confidential: {user.username} may not search by it")
