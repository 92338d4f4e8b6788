"""What the timer worker asks of the engine: fire due timers, start scheduled procedures, and
let an administrator retry an instance that failed.

Each instance (or schedule) is handled in its own transaction, on a row locked with
SKIP LOCKED where the database has it, so several workers never fire one timer twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from engine.commands.people import ADMIN_ROLES
from engine.errors import ConcurrentUpdate, PermissionDenied, TaskNotReady
from engine.spiff.execution import Execution
from engine.spiff.schedules import advance, schedule_for
from engine.ports import UnitOfWork
from engine.spiff.specs import CompiledVersion
from engine.clock import UTC
from engine.views import InstanceView

log = logging.getLogger("zhidu.worker")


@dataclass(frozen=True)
class FiredTimers:
    """One instance woken by the worker and the timer elements that fired in it."""

    instance_id: str
    process_key: str
    elements: tuple[str, ...]
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "process_key": self.process_key,
                "elements": list(self.elements), "status": self.status}


class TimerCommands:
    """Mixed into the Engine facade."""

    def fire_due_timers(self, limit: int = 1000) -> list[FiredTimers]:
        """Fire the timers of instances due by the engine clock, one transaction each."""
        fired: list[FiredTimers] = []
        seen: set[str] = set()
        while len(seen) < limit:
            try:
                outcome = self._fire_next(seen)
            except ConcurrentUpdate as err:  # a user command won the race; the row stays due
                log.info("timer pass skipped an instance: %s", err.message)
                continue
            if outcome is None:
                break
            if outcome.elements:
                fired.append(outcome)
        return fired

    def _fire_next(self, seen: set[str]) -> FiredTimers | None:
        with self.uow_factory() as uow:
            record = uow.instances.lock_next_due(self.clock.now(), seen)
            if record is None:
                return None
            seen.add(record.id)
            compiled = self._compiled_for(uow, record.version_hash)
            execution = Execution(compiled, self.clock, record.state, self._script_functions())
            result, elements = execution.fire_timers()
            if not elements and result.status == record.status:
                return FiredTimers(record.id, record.process_key, (), record.status)
            journal = self._journal(uow, record, None)
            journal.add("timer_fired", {"at": self.clock.now().isoformat(), "elements": list(elements)}, actor=None)
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return FiredTimers(record.id, record.process_key, tuple(elements), record.status)

    def start_due_schedules(self, limit: int = 1000) -> list[str]:
        """Start one instance per due time of every procedure with a timer start event."""
        started = []
        for _ in range(limit):
            with self.uow_factory() as uow:
                schedule = uow.schedules.lock_next_due(self.clock.now())
                if schedule is None:
                    break
                version = self._version(uow, schedule.version_hash)
                due = schedule.next_due_at.isoformat()
                record = self._start_instance(uow, version, None, {}, scheduled_for=due)
                advance(schedule)
                if schedule.remaining == 0:
                    uow.schedules.remove(schedule.process_key)
                else:
                    uow.schedules.put(schedule)
                uow.commit()
                started.append(record.id)
        return started

    def retry(self, instance_id: str, actor: str, data: dict[str, Any] | None = None) -> InstanceView:
        """Run a failed instance again, after merging corrected `data` into its waiting tasks.

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, TaskNotReady (not failed).
        """
        with self.uow_factory() as uow:
            user, record = self._user(uow, actor), self._instance(uow, instance_id)
            if not ADMIN_ROLES & set(user.roles):
                raise PermissionDenied(f"only an administrator may retry an instance, not {actor}")
            if record.status != "failed":
                raise TaskNotReady(f"instance {instance_id} is {record.status}, not failed")
            compiled = self._compiled_for(uow, record.version_hash)
            result = Execution(compiled, self.clock, record.state, self._script_functions()).retry(data or {})
            journal = self._journal(uow, record, actor)
            journal.add("incident_retried", {"incident": record.incident, "data": data or {}})
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self._instance_view(uow, record)

    def _update_schedule(self, uow: UnitOfWork, compiled: CompiledVersion, now: datetime) -> None:
        schedule = schedule_for(compiled, now, getattr(self.clock, "zone", UTC))
        if schedule is None:
            uow.schedules.remove(compiled.bundle.key)
        else:
            uow.schedules.put(schedule)
