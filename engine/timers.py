"""Timer events on the engine clock.

SpiffWorkflow's timer event definitions read `datetime.now()` directly. zhidu replaces them at
the parser seam with subclasses that read the clock of the script environment, so tests,
`fire-timers --now` and replay control time. Their serialized form is SpiffWorkflow's own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

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


class ClockedTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= clock_now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        event_value = my_task._get_internal_data("event_value")
        now = clock_now(my_task)
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            event_value = (now + TimerEventDefinition.get_timedelta_from_start(parsed, now)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedCycle(CycleTimerEventDefinition):
    def cycle_complete(self, my_task):
        event_value = my_task._get_internal_data("event_value")
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
        my_task._set_internal_data(event_value=event_value)
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
