"""What the timer worker asks of the engine: fire due timers and start scheduled procedures.

Each instance (or schedule) is handled in its own transaction, on a row locked with
SKIP LOCKED where the database has it, so several workers never fire one timer twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from engine.commands.instances import InstanceCommands
from engine.commands.runner import Runner
from engine.errors import ConcurrentUpdate
from engine.permissions import OrgChart
from engine.spiff.schedules import advance

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


@dataclass
class _Pass:
    """What one timer pass carries from one instance's transaction to the next."""

    still_due: set[str] = field(default_factory=set)  # woken or skipped in this pass, and due yet
    # The organisation's roles (the department of each task a timer opens), read by the first
    # instance that fires instead of by each (a round trip each). A role changed meanwhile counts
    # from the next pass, as if the timer had fired seconds earlier; a change never moves
    # existing tasks either (engine/commands/people.py).
    chart: OrgChart | None = None


class TimerCommands:
    """What the timer worker runs, each instance or schedule in its own unit of work."""

    def __init__(self, run: Runner, instances: InstanceCommands):
        self.run, self.instances = run, instances

    def fire_due_timers(self, limit: int = 1000) -> list[FiredTimers]:
        """Fire the timers of instances due by the engine clock, one transaction each: at most
        `limit` tries in one pass, and no instance woken twice."""
        fired: list[FiredTimers] = []
        this_pass = _Pass()
        for _ in range(limit):
            try:
                outcome = self._fire_next(this_pass)
            except ConcurrentUpdate as err:  # a user command won the race; the row stays due
                log.info("timer pass skipped an instance: %s", err.message)
                continue
            if outcome is None:
                break
            if outcome.elements:
                fired.append(outcome)
        return fired

    def _fire_next(self, this_pass: _Pass) -> FiredTimers | None:
        still_due = this_pass.still_due
        with self.run.unit() as uow:
            now = self.run.clock.now()
            locked = uow.instances.lock_next_due(now, still_due)
            if locked is None:
                # Nothing was written, so a commit ends this read as a rollback would; but at a
                # rollback psycopg forgets the statements it prepared on the connection, and a pass
                # that follows on it would send and plan this lock and a firing's statements anew.
                uow.commit()
                return None
            record, open_tasks = locked
            still_due.add(record.id)  # not to be woken again in this pass, should this command fail
            execution = self.run.execution(uow, self.run.compiled_for(uow, record.version_hash), record.state)
            result, elements = execution.fire_timers()
            if not elements and result.status == record.status:
                return FiredTimers(record.id, record.process_key, (), record.status)
            journal = self.run.journal(record, None)
            journal.add("timer_fired", {"at": now.isoformat(), "elements": list(elements)}, actor=None)
            may = self.run.permissions(uow, this_pass.chart)
            this_pass.chart = may.chart
            self.run.apply(uow, record, result, journal, expected_revision=record.revision, open_tasks=open_tasks,
                           may=may)
            uow.commit()
            if record.status != "running" or record.next_wake_at is None or record.next_wake_at > now:
                # no longer due, so the query cannot find it again: the list it excludes stays
                # short (a pass of 1,000 once sent a list of 500 ids with each lock, on average)
                still_due.discard(record.id)
            return FiredTimers(record.id, record.process_key, tuple(elements), record.status)

    def start_due_schedules(self, limit: int = 1000) -> list[str]:
        """Start one instance per due time of every procedure with a timer start event."""
        started = []
        for _ in range(limit):
            with self.run.unit() as uow:
                schedule = uow.schedules.lock_next_due(self.run.clock.now())
                if schedule is None:
                    break
                version = self.run.version(uow, schedule.version_hash)
                due = schedule.next_due_at.isoformat()
                record, _ = self.instances.start_instance(uow, version, None, {}, scheduled_for=due)
                advance(schedule)
                if schedule.remaining == 0:
                    uow.schedules.remove(schedule.process_key)
                else:
                    uow.schedules.put(schedule)
                uow.commit()
                started.append(record.id)
        return started
