"""Timer events on the engine clock.

SpiffWorkflow's timer event definitions read `datetime.now()` directly. zhidu replaces them at
the parser seam with subclasses that read the clock of the script environment, so tests,
`fire-timers --now` and replay control time. Their serialized form is SpiffWorkflow's own.
A date or date-time without an offset is wall-clock time in the clock's zone (the organisation's),
never in the zone of the machine that happens to run the engine (SpiffWorkflow's default).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone, tzinfo

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition, TimerEventDefinition,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser, SpiffIntermediateCatchEventParser, SpiffStartEventParser,
)

from engine.clock import UTC, local_moment


def clock_now(task) -> datetime:
    """The engine clock's time, as seen from a workflow task."""
    return task.workflow.script_engine.environment.clock.now()


def clock_zone(task) -> tzinfo:
    """The zone of the engine clock (the organisation's), as seen from a workflow task."""
    return getattr(task.workflow.script_engine.environment.clock, "zone", UTC)


def parse_moment(text: str, zone: tzinfo = UTC) -> datetime:
    """An ISO date, date-time or week date as UTC; without an offset it is local time in `zone`."""
    if "W" in text.upper():
        return TimerEventDefinition.parse_iso_week(text)
    return local_moment(text, zone)


def parse_cycle(expression: str, now: datetime, zone: tzinfo = UTC) -> tuple[int, datetime, timedelta]:
    """(cycles, first due time, period) of ISO repeating-interval text; -1 cycles = unbounded.
    A start date-time without an offset is local time in `zone`."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    cycles = int(parts[0]) if len(parts) > 1 and parts[0] else -1
    if len(parts) == 2 and parts[1].startswith("P"):
        parsed = TimerEventDefinition.parse_iso_duration(parts[1])
        period = TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return cycles, now + period, period
    if len(parts) == 3 and not parts[1].startswith("P") and parts[2].startswith("P"):
        start = parse_moment(expression.replace("--", "/").split("/")[1], zone)
        period = TimerEventDefinition.get_timedelta_from_start(TimerEventDefinition.parse_iso_duration(parts[2]), start)
        return cycles, start, period
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


_LOOKS_ISO = re.compile(r"^\s*(R\d*/|P|\d{4}-)[0-9A-Za-z:+\-./,]*\s*$")


def check_timer_text(tag: str, text: str) -> str | None:
    """Why ISO-8601 timer text of kind `tag` is invalid (None when it parses, or is an expression)."""
    if not text.strip():
        return f"{tag} is empty"
    if not _LOOKS_ISO.match(text):
        return None  # an expression over process data; checked by the sandbox
    value = text.strip()
    try:
        if tag == "timeCycle":
            if not value.upper().startswith("R"):
                return f"timeCycle {value!r} is not a repeating interval such as R/P1D or R3/PT10M"
            parse_cycle(value, datetime(2000, 1, 1, tzinfo=timezone.utc))
        elif tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(value)
            if not value.upper().startswith("P"):
                raise ValueError(value)
        else:
            TimerEventDefinition.get_datetime(value)
    except Exception:  # SpiffWorkflow's parsers raise bare Exception on bad text
        examples = {"timeDuration": "PT24H", "timeDate": "2026-12-01T09:00:00+08:00", "timeCycle": "R/P1M"}
        return f"{tag} {value!r} is not valid ISO-8601 (e.g. {examples[tag]})"
    return None


def _fired_when_due(task, due: datetime, now: datetime) -> bool:
    """Mark `task`'s timer fired once `due` has come; whether it has fired."""
    if due <= now:
        task.internal_data["event_fired"] = True
    return task.internal_data.get("event_fired", False)


def _pinned(value, zone: tzinfo):
    """A date-time text without an offset as the UTC instant it means in `zone`, so the stored
    wake-up time (read by the engine's `next_wake_at`) is an instant; other values as they are."""
    if isinstance(value, str) and "W" not in value.upper():
        try:
            if datetime.fromisoformat(value.strip()).tzinfo is None:
                return parse_moment(value, zone).isoformat()
        except ValueError:
            pass
    return value


class ClockedTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task.internal_data.get("event_value")
        if event_value is None:
            event_value = _pinned(my_task.workflow.script_engine.evaluate(my_task, self.expression), clock_zone(my_task))
            my_task.internal_data["event_value"] = event_value
        return _fired_when_due(my_task, parse_moment(event_value, clock_zone(my_task)), clock_now(my_task))


class ClockedDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task.internal_data.get("event_value")
        now = clock_now(my_task)
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            event_value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task.internal_data["event_value"] = event_value
        return _fired_when_due(my_task, TimerEventDefinition.get_datetime(event_value), now)


class ClockedCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):
        event_value = my_task.internal_data.get("event_value")
        now = clock_now(my_task)
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, period = parse_cycle(expression, now, clock_zone(my_task))
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": period.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= now:
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task.internal_data["event_value"] = event_value
        return ready
    # `update_task` stays SpiffWorkflow's own: it asks `cycle_complete` (above) whether a cycle came
    # due and then adds the next children itself (tests/engine/test_spiff_seams.py holds it to that).


CLOCKED = {TimeDateEventDefinition: ClockedTimeDate, DurationTimerEventDefinition: ClockedDuration,
           CycleTimerEventDefinition: ClockedCycle}


class ClockedTimerParsing:
    """Parser mixin: build clocked timer definitions instead of SpiffWorkflow's wall-clock ones."""

    def parse_timer_event(self, event):
        definition = super().parse_timer_event(event)
        clocked = CLOCKED.get(type(definition))
        if clocked is None:
            return definition
        return clocked(definition.name, definition.expression, description=definition.description)


class StartEventParser(ClockedTimerParsing, SpiffStartEventParser):
    pass


class IntermediateCatchEventParser(ClockedTimerParsing, SpiffIntermediateCatchEventParser):
    pass


class BoundaryEventParser(ClockedTimerParsing, SpiffBoundaryEventParser):
    pass
