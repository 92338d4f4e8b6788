"""When a procedure that begins with a timer start event is next started, and how often after.

The schedule is read from the compiled spec's timer start event (a date, a duration from
deploy, or an ISO 8601 cycle) and advanced by its period after each start.
"""

from __future__ import annotations

from datetime import datetime, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.clock import UTC
from engine.records import Schedule
from engine.spiff.waiting import TIMER_DEFINITIONS
from engine.spiff.script_environment import SandboxEnvironment
from engine.spiff.specs import CompiledVersion
from engine.spiff.timer_events import ClockedCycle, ClockedDuration, parse_cycle, parse_moment


def schedule_for(compiled: CompiledVersion, now: datetime, zone: tzinfo = UTC) -> Schedule | None:
    """The schedule of a version whose process starts with a timer start event, if it has one."""
    for spec in compiled.spec.task_specs.values():
        definition = getattr(spec, "event_definition", None)
        if type(spec).__name__ != "StartEvent" or type(definition) not in TIMER_DEFINITIONS:
            continue
        text = SandboxEnvironment().evaluate(definition.expression, {})
        key, digest = compiled.bundle.key, compiled.content_hash
        if isinstance(definition, ClockedCycle):
            cycles, first, _ = parse_cycle(text, now, zone)
            period = text.upper().split("/")[-1] if text.upper().split("/")[-1].startswith("P") else None
            return Schedule(key, digest, spec.bpmn_id, first, period or _period_of(text), cycles)
        if isinstance(definition, ClockedDuration):
            parsed = TimerEventDefinition.parse_iso_duration(text)
            return Schedule(key, digest, spec.bpmn_id, now + TimerEventDefinition.get_timedelta_from_start(parsed, now))
        return Schedule(key, digest, spec.bpmn_id, parse_moment(text, zone))
    return None


def _period_of(text: str) -> str | None:
    parts = [p for p in text.upper().split("/") if p.startswith("P")]
    return parts[0] if parts else None


def advance(schedule: Schedule) -> None:
    """Move a schedule on by its period after a start (or end it when its cycles are spent)."""
    if schedule.remaining > 0:
        schedule.remaining -= 1
    if schedule.remaining == 0 or not schedule.period:
        schedule.remaining = 0
        return
    parsed = TimerEventDefinition.parse_iso_duration(schedule.period)
    schedule.next_due_at = schedule.next_due_at + TimerEventDefinition.get_timedelta_from_start(
        parsed, schedule.next_due_at)
