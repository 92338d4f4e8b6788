"""A generic walker over every procedure, through the engine facade (no browser): it knows no
procedure, only the published catalog and form schemas.

For each procedure and a few seeds it starts an instance as someone allowed to, then completes
every open task as one of the people it is offered to, with data generated from the task's form
schema: first filling only what the schema requires (as people do), then filling optional fields
at random. Enum values, booleans and loop-back choices vary with the seed, so different paths are
taken. Timers it waits on are fired by moving the fixed clock to the instance's next wake time.
Every run must end completed, or still running after a bounded number of steps, and never with
an incident; the package's conftest then verifies every instance by replay.
"""

from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Any

import pytest

from engine.definitions.bundles import load_catalog
from engine.errors import PermissionDenied, ZhiduError
from engine.runtime import Engine
from engine.views import TaskView
from tests.conftest import FORMS, PROCESSES
from tests.schema_values import SchemaValues

KEYS = sorted(bundle.key for bundle in load_catalog(PROCESSES, FORMS))
SEEDS = range(3)
MAX_STEPS = 40  # loops back (revise, remind) may go on; past this the walk stops, without failing
PASSES = {"required only": 0.0, "optional at random": 0.5}
LONG_WAIT = timedelta(days=40)  # past any timer the procedures set (the longest is P1M)


class Walker:
    """Drives one instance of `key` with one seed; records what it did for failure messages."""

    def __init__(self, zhidu: Engine, clock, key: str, seed: int, optional_rate: float):
        self.zhidu, self.clock, self.key = zhidu, clock, key
        self.rng = random.Random(seed)
        self.values = SchemaValues(seed, optional_rate, pick=self.pick, files=zhidu.files)
        self.steps: list[str] = []
        self.taken: set[str] = set()

    def pick(self, name: str, prop: dict[str, Any]) -> Any:
        """People for fields that name people, as a person fills them: a user field (format: user,
        optionally x-role) gets an active user holding the role, and a text field whose pattern
        takes a list of usernames gets one or two; within one form each person once (nobody
        reviews themselves)."""
        roles = set(prop.get("x-role") or ())
        people = [u.username for u in self.zhidu.users()
                  if u.active and (not roles or roles & set(u.roles)) and u.username not in self.taken]
        if prop.get("format") == "user":
            chosen = [self.rng.choice(sorted(people))]
        elif prop.get("type", "string") == "string" and prop.get("pattern") and _takes_usernames(prop["pattern"]):
            chosen = self.rng.sample(sorted(people), self.rng.randint(1, 2))
        else:
            return None
        self.taken.update(chosen)
        return ", ".join(chosen)

    def form(self, schema: dict[str, Any]) -> dict[str, Any]:
        self.taken: set[str] = set()
        return self.values.form(schema)

    def run(self) -> str:
        """Start and walk until the instance ends or MAX_STEPS; returns its final status."""
        instance_id = self.start()
        for _ in range(MAX_STEPS):
            view = self.zhidu.show(instance_id)
            assert view.incident is None, f"{self.key}: incident after {self.steps[-3:]}: {view.incident}"
            if view.status != "running":
                assert view.status == "completed", f"{self.key} ended {view.status} after {self.steps}"
                return view.status
            if view.active_tasks:
                self.complete(view.active_tasks[0])
            elif not self.wake(instance_id):
                raise AssertionError(f"{self.key}: running, no open task and no timer after {self.steps[-3:]}")
        return "running"

    def start(self) -> str:
        process = next(p for p in self.zhidu.processes() if p.key == self.key)
        starters = [u.username for u in self.zhidu.users() if u.active and set(u.roles) & set(process.starters)]
        self.rng.shuffle(starters)
        refusals = []
        for starter in starters:
            data = self.form(process.start_form.schema) if process.start_form else {}
            try:
                view = self.zhidu.start(self.key, starter, data)
            except ZhiduError as err:  # e.g. a manager starting for another department
                refusals.append(f"{starter}: {err}")
                continue
            self.steps.append(f"started as {starter} with {data}")
            return view.id
        raise AssertionError(f"{self.key}: nobody could start it: {refusals}")

    def complete(self, task: TaskView) -> None:
        user = self.performer(task)
        data = self.form(task.form.schema) if task.form else {}
        self.steps.append(f"{task.name} as {user} with {data}")
        self.zhidu.complete_task(task.id, user, data)

    def performer(self, task: TaskView) -> str:
        """One of the people the task is offered to (whose inbox holds it), chosen by the seed."""
        named = [c.removeprefix("user:") for c in task.candidates if c.startswith("user:")]
        roles = {c.removeprefix("role:") for c in task.candidates if c.startswith("role:")}
        people = named or sorted(u.username for u in self.zhidu.users() if u.active and roles & set(u.roles))
        inboxes = [p for p in people if any(t.id == task.id for t in self.zhidu.tasks_for(p))]
        if not inboxes and people and set(people) <= set(task.excluded):  # separation of duties keeps them all out
            inboxes = self.managers_for(task)
        assert inboxes, f"{self.key}: {task.name} offered to {task.candidates}, in nobody's inbox"
        assert not set(inboxes) & set(task.excluded), f"{self.key}: {task.name} offered to whom it excludes"
        return self.rng.choice(inboxes)

    def managers_for(self, task: TaskView) -> list[str]:
        """Who else may complete a task its rules keep from all it is offered to (a manager of
        its department, or of every department), as the team page offers it to them."""
        allowed = []
        for person in sorted(u.username for u in self.zhidu.users() if u.active and u.username not in task.excluded):
            try:
                if "complete" in self.zhidu.task(task.id, person).actions:
                    allowed.append(person)
            except PermissionDenied:
                continue
        return allowed

    def wake(self, instance_id: str) -> bool:
        """Move the clock past the instance's timers and fire them; whether one of its fired."""
        self.clock.advance(LONG_WAIT)
        fired = self.zhidu.fire_due_timers()
        self.steps.append("timers fired")
        return any(f.instance_id == instance_id for f in fired)


def _takes_usernames(pattern: str) -> bool:
    return re.fullmatch(pattern, "cs_staff1, mk_staff2") is not None


@pytest.mark.parametrize("key", KEYS)
def test_every_procedure_walks_with_optional_fields_empty_or_filled(zhidu, clock, key):
    """Required-only and random optional data over several seeds: no incident, and each
    procedure reaches its end on at least one seed of each pass."""
    for name, rate in PASSES.items():
        ended = [Walker(zhidu, clock, key, seed, rate).run() for seed in SEEDS]
        assert "completed" in ended, f"{key} ({name}): no seed reached the end within {MAX_STEPS} steps"
