"""The journal outcomes of one engine run, as a pure function: the facade writes them, replay
recomputes them and compares."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.spiff.execution import ReadyTask, StepResult


@dataclass
class Outcomes:
    entries: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    entered: list[ReadyTask] = field(default_factory=list)


def outcomes_of(open_tasks: dict[str, str], result: StepResult) -> Outcomes:
    """What one engine run did, given the open human tasks before it ({task id: element}).

    Open tasks the workflow no longer waits on were cancelled (an interrupting event took them
    away); ready tasks that were not open before were entered.
    """
    out = Outcomes()
    ready_ids = {t.id for t in result.ready_tasks}
    for task_id, element in open_tasks.items():
        if task_id not in ready_ids:
            out.cancelled.append(task_id)
            out.entries.append(("task_left", {"task_id": task_id, "element": element, "cancelled": True}))
    out.entries.extend(result.outcomes)
    for ready in result.ready_tasks:
        if ready.id in open_tasks:
            continue
        out.entered.append(ready)
        out.entries.append(("task_entered", {
            "task_id": ready.id, "element": ready.spec_name, "candidates": list(ready.candidates),
            "due_at": ready.due_at.isoformat() if ready.due_at else None,
            **({"not_by": list(ready.not_by)} if ready.not_by else {})}))  # separation of duties
    return out
