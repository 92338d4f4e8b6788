"""The one clock the engine reads time from, so tests and replay control it."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, timezone-aware (UTC)."""


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that only moves when told to; for tests, replay and `fire-timers --now`."""

    def __init__(self, at: datetime):
        self._at = as_utc(at)

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


class CommandClock:
    """One instant per command: while a unit of work is open (in this thread) `now()` keeps
    returning the time it was entered, so a command's journal entries, task due dates and state
    all carry the same time, and replay, which runs each command at the journal's time, agrees.
    Outside a unit of work it reads the wrapped clock."""

    def __init__(self, clock: Clock):
        self.inner = clock
        self._local = threading.local()

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
