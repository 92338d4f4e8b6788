"""Timer events on the engine clock.

SpiffWorkflow's timer event definitions read `datetime.now()` directly. zhidu replaces them at
the parser seam with subclasses that read the clock of the script environment, so tests,
`fire-timers --now` and replay control time. Their serialized form is SpiffWorkflow's own.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition, DurationTimerEventDefinition, TimeDateEventDefinition, TimerEventDefinition,
)
from SpiffWorkflow.spiff.parser.event_parsers import (
    SpiffBoundaryEventParser, SpiffIntermediateCatchEventParser, SpiffStartEventParser,
)
from SpiffWorkflow.util.task import TaskState


def clock_now(task) -> datetime:
    """The engine clock's time, as seen from a workflow task."""
    return task.workflow.script_engine.environment.clock.now()


def parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """(cycles, first due time, period) of ISO repeating-interval text; -1 cycles = unbounded."""
    parts = expression.upper().replace("--", "/").strip("R").split("/")
    if len(parts) == 2 and parts[1].startswith("P"):
        cycles = int(parts[0]) if parts[0] else -1
        parsed = TimerEventDefinition.parse_iso_duration(parts[1])
        period = TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return cycles, now + period, period
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


class ClockedTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task.internal_data.get("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task.internal_data["event_value"] = event_value
        return _fired_when_due(my_task, TimerEventDefinition.parse_time_or_duration(event_value), clock_now(my_task))


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
            cycles, start, period = parse_cycle(expression, now)
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

    def update_task(self, my_task):
        if self.cycle_complete(my_task):
            for output in my_task.task_spec.outputs:
                child = my_task._add_child(output, TaskState.FUTURE)
                child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)
                child.task_spec._update(child)


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
