"""In-memory external tasks (the port of engine/commands/external_tasks.py)."""

from __future__ import annotations

import copy
from datetime import datetime

from engine.ports import ExternalTaskRecord


class FakeExternalTasks:
    def __init__(self, work):
        # FakeStore has no field of its own for them: keep them on it, copied with it per unit of work.
        self.work = work
        self.rows: dict[str, ExternalTaskRecord] = work.__dict__.setdefault("external_tasks", {})

    def add(self, task: ExternalTaskRecord) -> None:
        assert task.id not in self.rows, f"external task {task.id} exists"
        assert task.instance_id in self.work.instances, "an external task's instance is stored first"
        self.rows[task.id] = copy.deepcopy(task)

    def get(self, task_id: str) -> ExternalTaskRecord | None:
        found = self.rows.get(task_id)
        return copy.deepcopy(found) if found else None

    def save(self, task: ExternalTaskRecord) -> None:
        self.rows[task.id] = copy.deepcopy(task)

    def open_for_instance(self, instance_id: str) -> list[ExternalTaskRecord]:
        return [copy.deepcopy(t) for t in self.rows.values() if t.instance_id == instance_id and t.status == "open"]

    def lock_available(self, topics: list[str], worker_id: str, now: datetime, until: datetime,
                       limit: int) -> list[ExternalTaskRecord]:
        free = [t for t in self.rows.values() if t.status == "open" and t.topic in topics and t.retries > 0
                and (t.locked_until is None or t.locked_until <= now)
                and self.work.instances[t.instance_id].status == "running"]
        taken = sorted(free, key=lambda t: (t.created_at, t.id))[:limit]
        for task in taken:
            task.worker_id, task.locked_until = worker_id, until
        return [copy.deepcopy(t) for t in taken]
