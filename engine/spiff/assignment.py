"""Who a user task is offered to: an assignee, candidate roles, or its lane's role."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.clock import UTC, as_utc, day_end, local_moment
from engine.spiff.duties import NOT_BY, as_names
from engine.spiff.script_environment import SandboxEnvironment, is_iso_timer_text
from engine.spiff.specs import CompiledVersion, UserTaskInfo


def candidates_for(compiled: CompiledVersion, info: UserTaskInfo, task: Any,
                   environment: SandboxEnvironment) -> tuple[str, ...]:
    """Candidates as ``user:<name>`` / ``role:<key>`` entries.

    Raises:
        WorkflowTaskException: an assignment expression failed (the instance becomes failed).
    """
    props = info.properties
    if props.get("assignee"):
        users = _as_list(_evaluate(props["assignee"], task, environment, "assignee"))
        if users:
            return tuple(f"user:{u}" for u in users)
    if props.get("candidateRoles"):
        roles = _as_list(_evaluate(props["candidateRoles"], task, environment, "candidateRoles"))
        if roles:
            return tuple(f"role:{r}" for r in roles)
    role = compiled.bundle.entry.lanes.get(info.lane or "")
    return (f"role:{role}",) if role else ()


def not_by_for(info: UserTaskInfo, task: Any, environment: SandboxEnvironment) -> tuple[str, ...]:
    """Who may not do the task by its ``notBy`` rule (engine/spiff/duties.py), evaluated over the
    task's data as it is entered; nobody without one.

    Raises:
        WorkflowTaskException: the expression failed (the instance becomes failed).
    """
    expression = (info.properties.get(NOT_BY) or "").strip()
    return as_names(_evaluate(expression, task, environment, NOT_BY)) if expression else ()


def due_at_for(info: UserTaskInfo, task: Any, environment: SandboxEnvironment, now: datetime) -> datetime | None:
    """When the task is due: `dueIn` is an ISO duration (PT24H), a date or date-time, or an
    expression over process data giving one of those (a date means the end of that day in the
    organisation's zone, the zone of the environment's clock; a date-time without an offset is
    wall-clock time there).

    Raises:
        WorkflowTaskException: the expression failed or gave something that is not a time.
    """
    text = (info.properties.get("dueIn") or "").strip()
    if not text:
        return None
    value = text if is_iso_timer_text(text) else _evaluate(text, task, environment, "dueIn")
    try:
        return moment_of(value, now, getattr(environment.clock, "zone", UTC))
    except (ValueError, TypeError) as err:
        raise WorkflowTaskException(f"dueIn gave {value!r}, which is neither a duration nor a date",
                                    task=task, exception=err) from err


def moment_of(value: Any, now: datetime, zone: tzinfo = UTC) -> datetime | None:
    """A due moment from a duration (counted from `now`), a date (its last instant in `zone`)
    or a date-time (wall-clock time in `zone` when it has no offset)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value if value.tzinfo else value.replace(tzinfo=zone))
    if isinstance(value, date):
        return day_end(value, zone)
    text = str(value).strip()
    if text.upper().startswith("P"):
        try:
            parsed = TimerEventDefinition.parse_iso_duration(text)
        except Exception as err:  # SpiffWorkflow raises a bare Exception for bad durations
            raise ValueError(text) from err
        return now + TimerEventDefinition.get_timedelta_from_start(parsed, now)
    if len(text) == 10:
        return day_end(date.fromisoformat(text), zone)
    return local_moment(text, zone)


def _evaluate(expression: str, task: Any, environment: SandboxEnvironment, what: str) -> Any:
    try:
        return environment.evaluate(expression, dict(task.data))
    except Exception as err:  # any error in user code becomes an incident on this element
        raise WorkflowTaskException(f"{what} expression failed: {err}", task=task, exception=err) from err


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v) for v in value if v]
    return [str(value)]
