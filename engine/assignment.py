"""Who a user task is offered to: an assignee, candidate roles, or its lane's role."""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException

from engine.sandbox import SandboxEnvironment
from engine.specs import CompiledVersion, UserTaskInfo


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
