"""What a workflow waits on: the clocked timers and the messages of its waiting tasks, when it
next needs waking, and which elements a fired timer stands for (engine/spiff/execution.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.spiff.timer_events import CLOCKED

TIMER_DEFINITIONS = set(CLOCKED.values())


def message_definitions(spec: Any) -> list[Any]:
    """The message events a task spec waits on; an event-based gateway holds those of its branches."""
    definition = getattr(spec, "event_definition", None)
    inner = getattr(definition, "event_definitions", None) or [definition]
    return [d for d in inner if isinstance(d, MessageEventDefinition)]


def timer_definitions(spec: Any) -> list[Any]:
    """The clocked timers a task spec waits on; an event-based gateway holds those of its branches."""
    definition = getattr(spec, "event_definition", None)
    inner = getattr(definition, "event_definitions", None) or [definition]
    return [d for d in inner if type(d) in TIMER_DEFINITIONS]


def fired_elements(task: Any) -> list[str]:
    """A fired timer's element; for an event-based gateway, the branch events it went on to."""
    gateway = getattr(task.task_spec.event_definition, "event_definitions", None) is not None
    if gateway and task.state != TaskState.WAITING:
        return [child.task_spec.bpmn_id for child in task.children] or [task.task_spec.bpmn_id]
    return [task.task_spec.bpmn_id]


def next_wake(definite: list[Any]) -> datetime | None:
    """The soonest moment a waiting timer among `definite` tasks is due (None: none waits)."""
    moments = []
    for task in definite:
        if not task.has_state(TaskState.WAITING):
            continue
        for definition in timer_definitions(task.task_spec):
            value = definition.details(task).value
            if not isinstance(value, str):
                continue
            try:
                moments.append(datetime.fromisoformat(value))
            except ValueError:
                continue
    return min(moments) if moments else None
