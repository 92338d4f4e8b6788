"""The one clock the engine reads time from, so tests and replay control it, and the one zone
(the organisation's, `time_zone` in processes/organisation.yaml) that turns its instants into days.

Instants are UTC everywhere; a day is a local day of the clock's zone: it starts at local
midnight (`day_start`) and a date-only deadline ends at its last instant (`day_end`)."""

from __future__ import annotations

import threading
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any, Callable, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

UTC = timezone.utc


class Clock(Protocol):
    zone: tzinfo

    def now(self) -> datetime:
        """Current time, timezone-aware (UTC)."""


class SystemClock:
    """Wall-clock time in UTC; its days are those of `zone` (default UTC)."""

    def __init__(self, zone: tzinfo | None = None):
        self.zone = zone or UTC

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that only moves when told to; for tests, replay and `fire-timers --now`."""

    def __init__(self, at: datetime, zone: tzinfo | None = None):
        self._at = as_utc(at)
        self.zone = zone or UTC

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = as_utc(at)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


def as_utc(moment: datetime) -> datetime:
    """Return `moment` as an aware UTC datetime (naive values are taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def zone_named(name: str | None) -> tzinfo:
    """The IANA zone `name` (UTC when empty).

    Raises:
        ValueError: no such zone.
    """
    if not name or str(name).upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from err


def zone_name(zone: tzinfo) -> str:
    """The name `zone_named` reads back: the IANA key, or UTC."""
    return getattr(zone, "key", None) or "UTC"


def organisation_zone(text: str) -> tzinfo:
    """The `time_zone` of an organisation file's YAML text (UTC when it names none).

    Raises:
        ValueError: the file names an unknown zone.
    """
    doc = yaml.safe_load(text) or {}
    return zone_named(doc.get("time_zone") if isinstance(doc, dict) else None)


def day_start(day: date, zone: tzinfo) -> datetime:
    """The instant (UTC) local midnight begins `day` in `zone`."""
    return datetime.combine(day, time(0), zone).astimezone(UTC)


def day_end(day: date, zone: tzinfo) -> datetime:
    """The last instant (UTC) of `day` in `zone`: one microsecond before the next local midnight,
    so a deadline "by 2026-12-31" shows as 23:59 that day and is overdue from the next day on."""
    return day_start(day + timedelta(days=1), zone) - timedelta(microseconds=1)


def local_day(moment: datetime, zone: tzinfo) -> date:
    """The local day of `zone` an instant falls on."""
    return as_utc(moment).astimezone(zone).date()


def local_moment(text: str, zone: tzinfo) -> datetime:
    """An ISO date-time as UTC; one without an offset is wall-clock time in `zone`."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return as_utc(moment if moment.tzinfo else moment.replace(tzinfo=zone))


class CommandClock:
    """One instant per command: while a unit of work is open (in this thread) `now()` keeps
    returning the time it was entered, so a command's journal entries, task due dates and state
    all carry the same time, and replay, which runs each command at the journal's time, agrees.
    Outside a unit of work it reads the wrapped clock."""

    def __init__(self, clock: Clock):
        self.inner = clock
        self._local = threading.local()

    @property
    def zone(self) -> tzinfo:
        return getattr(self.inner, "zone", UTC)

    def now(self) -> datetime:
        return getattr(self._local, "at", None) or self.inner.now()

    def freezing(self, uow_factory: Callable[[], Any]) -> Callable[[], Any]:
        """`uow_factory` whose units of work hold this clock still while they are open."""
        return lambda: _Frozen(uow_factory(), self)


class _Frozen:
    """A unit of work that freezes a CommandClock from `__enter__` to `__exit__` (nesting keeps
    the outer instant); every other attribute is the wrapped unit of work's."""

    def __init__(self, uow: Any, clock: CommandClock):
        self._uow, self._clock, self._outer = uow, clock, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def __enter__(self) -> Any:
        local = self._clock._local
        self._outer = getattr(local, "at", None) is None
        if self._outer:
            local.at = self._clock.inner.now()
        self._uow.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._uow.__exit__(*exc)
        finally:
            if self._outer:
                self._clock._local.at = None
