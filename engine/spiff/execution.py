"""Running one command against one instance's workflow, with no storage involved.

An `Execution` loads (or creates) the SpiffWorkflow workflow for a compiled version, applies
a command, runs the engine steps, and reports what happened: the new pruned state, the ready
user tasks, the journal outcomes, the status. The facade stores the result; replay compares it.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable
from uuid import UUID

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.spiff.assignment import candidates_for, due_at_for, not_by_for
from engine.clock import Clock
from engine.errors import TaskNotReady
from engine.audit.journal import data_changes, json_safe
from engine.spiff.external import ExternalChanges, external_ready, is_external
from engine.spiff.plain_data import copied
from engine.spiff.replay_environment import ReplayEnvironment
from engine.spiff.script_environment import SandboxEnvironment
from engine.spiff.timer_events import ClockedCycle
from engine.spiff.specs import CompiledVersion
from engine.spiff.state import dump_state, load_state
from engine.spiff.waiting import (
    TIMER_DEFINITIONS, fired_elements, message_definitions, next_wake, timer_definitions,
)

# Engine steps one command may take before it is stopped as an endless loop.
MAX_STEPS = 10_000
REROOT_EVERY = 200


class _Reroot(Exception):
    """Raised between two engine steps to prune the task tree in the middle of a long run."""


@dataclass(frozen=True)
class ReadyTask:
    """A user task the workflow now waits on, with whom it is offered to."""

    id: str
    spec_name: str
    title: str
    lane: str | None
    form_key: str | None
    candidates: tuple[str, ...]
    due_at: datetime | None
    context: dict[str, Any] = field(default_factory=dict)
    not_by: tuple[str, ...] = ()  # who may not do it by its notBy rule (engine/spiff/duties.py)


@dataclass
class StepResult:
    state: dict[str, Any]
    status: str
    data: dict[str, Any]
    ready_tasks: list[ReadyTask]
    outcomes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    next_wake_at: datetime | None = None
    incident: dict[str, Any] | None = None
    external: ExternalChanges = field(default_factory=ExternalChanges)

    @property
    def current_step(self) -> str | None:
        return ", ".join([t.title for t in self.ready_tasks] + [t.title for t in self.external.ready]) or None


class Execution:
    """One instance's workflow, loaded for the length of one command.

    `replaying`: the result is only compared with the journal and then dropped with the workflow
    (engine/audit/replay.py), so it leaves out what only a live command stores and replay never
    compares: when the instance next wakes, each ready task's read-only context, and a copy of the
    data of its own (the live command's result outlives the workflow it was read from); and it
    evaluates the expressions it has evaluated before over the same values only once
    (engine/spiff/replay_environment.py).
    """

    def __init__(self, compiled: CompiledVersion, clock: Clock, state: dict[str, Any] | None = None,
                 functions: dict[str, Callable[..., Any]] | None = None, replaying: bool = False):
        self.compiled = compiled
        self.clock = clock
        self.replaying = replaying
        self.outcomes: list[tuple[str, dict[str, Any]]] = []
        journaled = {name: self._journaled(name, fn) for name, fn in (functions or {}).items()}
        self.environment = (ReplayEnvironment if replaying else SandboxEnvironment)(clock, journaled)
        engine = PythonScriptEngine(environment=self.environment)
        if state is None:
            self.workflow = BpmnWorkflow(compiled.spec, compiled.subprocess_specs, script_engine=engine)
        else:
            self.workflow = load_state(state, compiled.spec, compiled.subprocess_specs, engine)
        self.incident: dict[str, Any] | None = None
        self._steps = 0
        self._cancelled: str | None = None
        # external tasks waiting when the command began (id -> element), those it completed, and
        # whether it is an incident retry (exhausted external tasks then get their retries back)
        self._external_before = {t.id: t.element for t in self._external_ready()}
        self._external_left: dict[str, str] = {}
        self._revived = False

    def _journaled(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """A lookup whose answer is recorded as an outcome, so replay can give the same one
        after the organisation has changed (replay answers from the journal)."""
        def call(*args: Any) -> Any:
            result = function(*args)
            self.outcomes.append(("lookup", {"function": name, "args": json_safe(list(args)),
                                             "result": json_safe(result)}))
            return result
        return call

    def start(self, data: dict[str, Any], starter: str | None = None) -> StepResult:
        """Put the start data on the start task and run until the workflow waits.

        The username of whoever started it is in the data as `started_by` (absent when the
        schedule started it), so a model can assign work back to them. A timer start event fires
        at once: the instance is started because its time has come (by the schedule) or because
        someone chose to start it now.
        """
        for task in self.workflow.get_tasks(state=TaskState.READY):
            task.data.update(copy.deepcopy(data))
            if starter:
                task.data["started_by"] = starter
            for child in task.children:
                definition = getattr(child.task_spec, "event_definition", None)
                if isinstance(definition, ClockedCycle):
                    # a cycle start event only runs on through its outputs as a cycle comes due;
                    # marked fired, it would complete with no outputs and the instance end at once
                    child.internal_data["event_value"] = {
                        "cycles": 1, "next": self.clock.now().isoformat(), "duration": 0}
                elif type(definition) in TIMER_DEFINITIONS:
                    child.internal_data["event_fired"] = True
        self._run_engine()
        return self.result()

    def complete(self, task_id: str, data: dict[str, Any]) -> StepResult:
        """Complete a ready user task with (already validated) form data, or a ready external
        task with its worker's (already validated) variables.

        Raises:
            TaskNotReady: the workflow does not hold that task as READY.
        """
        task = self._task(task_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(f"task {task_id} is not waiting for input")
        before = copied(task.data)
        task.data.update(copied(data))
        try:
            task.run()
        except SpiffWorkflowException as err:
            self._fail(err)
            return self.result()
        external = is_external(task)
        if external:
            self._external_left[task_id] = "completed"
        self.outcomes.append(("external_task_left" if external else "task_left", {
            "task_id": task_id, "element": task.task_spec.bpmn_id,
            "changes": data_changes(before, task.data),
        }))
        self._run_engine()
        return self.result()

    def fail_external(self, task_id: str, message: str) -> StepResult:
        """An external task's worker gave up on its last retry: the instance gets an incident
        at that task, which stays waiting (an administrator's retry offers it to workers again).

        Raises:
            TaskNotReady: the workflow does not wait on that external task.
        """
        if task_id not in self._external_before:
            raise TaskNotReady(f"external task {task_id} is not waiting for a worker")
        self._fail_with(self._external_before[task_id], f"the external worker's last retry failed: {message}")
        return self.result()

    def fire_timers(self) -> tuple[StepResult, list[str]]:
        """Fire every timer that is due by the engine clock and run on.

        Returns the result and the ids of the timer elements that fired.
        """
        before = {task.id: copy.deepcopy(task.internal_data) for task in self._waiting_timers()}
        self._run_engine()
        fired = []
        for task_id, internal in before.items():
            task = self.workflow.get_task_from_id(task_id)
            if task is None or task.state != TaskState.WAITING or task.internal_data != internal:
                fired += fired_elements(task) if task else [str(task_id)]
        return self.result(), sorted(set(fired))

    def receive_message(self, name: str, payload: dict[str, Any]) -> StepResult:
        """Deliver a message to the event waiting for it and run on.

        Raises:
            TaskNotReady: nothing in the instance is waiting for a message of that name.
        """
        definition = next((d for task in self.workflow.get_tasks(state=TaskState.WAITING)
                           for d in message_definitions(task.task_spec) if d.name == name), None)
        if definition is None:
            raise TaskNotReady(f"the instance is not waiting for a message {name!r}")
        self.workflow.send_event(BpmnEvent(definition, copy.deepcopy(payload)))
        self._run_engine()
        return self.result()

    def retry(self, data: dict[str, Any]) -> StepResult:
        """Run a failed instance again: errored tasks restart, waiting ones get the corrected data."""
        for task in self.workflow.get_tasks(state=TaskState.ERROR):
            task.reset_branch({**task.data, **copy.deepcopy(data)})
        for task in self.workflow.get_tasks(state=TaskState.WAITING | TaskState.READY):
            task.data.update(copy.deepcopy(data))
        self._revived = True
        self._run_engine()
        return self.result()

    def _waiting_timers(self) -> list[Any]:
        return [task for task in self.workflow.get_tasks(state=TaskState.WAITING) if timer_definitions(task.task_spec)]

    def _task(self, task_id: str) -> Any:
        """The workflow's task with that id; None when it has none (or the id is not one)."""
        try:
            return self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, SpiffWorkflowException):
            return None

    def _run_engine(self) -> None:
        """Run engine steps until only waiting work is left.

        SpiffWorkflow's task iterator stops at depth 1,000, so a loop with no wait state that
        runs ~250 times in one command hides its next task and the workflow looks completed.
        When ready work is hidden, the tree is pruned (a state round trip) and the run goes on;
        past MAX_STEPS the command stops with an incident instead of running unbounded.
        """
        try:
            self.workflow.refresh_timers()
            while True:
                try:
                    self.workflow.do_engine_steps(did_complete_task=self._record_completed)
                except _Reroot:
                    pass
                hidden = self._hidden_ready_task()
                if hidden is None:
                    return
                if self._steps > MAX_STEPS:
                    self._fail_with(hidden.task_spec.bpmn_id, f"more than {MAX_STEPS} steps without "
                                    "waiting for anyone: an endless loop?")
                    return
                self.workflow = load_state(dump_state(self.workflow), self.compiled.spec,
                                           self.compiled.subprocess_specs, self.workflow.script_engine)
        except SpiffWorkflowException as err:
            self._fail(err)

    def _hidden_ready_task(self) -> Any:
        workflows = [self.workflow, *self.workflow.subprocesses.values()]
        for workflow in workflows:
            for task in workflow.tasks.values():
                if task.state == TaskState.READY and not task.task_spec.manual:
                    return task
        return None

    def _record_completed(self, task: Any) -> None:
        self._steps += 1
        self._record(task)
        if self._steps % REROOT_EVERY == 0:
            raise _Reroot()  # prune before the tree grows deep and every step slows down

    def _record(self, task: Any) -> None:
        spec = task.task_spec
        if getattr(spec, "bpmn_id", None) is None:
            return
        parent_data = task.parent.data if task.parent is not None else {}
        self.outcomes.append(("element_completed", {
            "element": spec.bpmn_id, "type": type(spec).__name__,
            "changes": data_changes(parent_data, task.data),
        }))

    def _fail(self, err: SpiffWorkflowException) -> None:
        spec = getattr(err, "task_spec", None)
        element = getattr(spec, "bpmn_id", None) or getattr(spec, "name", None)
        message, cause = str(err).split("\n")[0], err.__cause__ or err.__context__
        if cause is not None and str(cause) and str(cause) not in message:
            message = f"{message.rstrip('. ')}: {cause}"  # e.g. why an expression failed
        self._fail_with(element, message, getattr(err, "line_number", None) or None)

    def _fail_with(self, element: str | None, message: str, line: int | None = None) -> None:
        self.incident = {"element": element, "line": line, "message": message}
        self.outcomes.append(("instance_failed", dict(self.incident)))

    def cancel(self, reason: str) -> StepResult:
        """Stop the instance: every task still open or waiting is cancelled."""
        self.workflow.cancel()
        self._cancelled = reason
        return self.result()

    def result(self) -> StepResult:
        external = self._external_changes()
        # One walk of the task tree answers what the ready tasks, the data and the next wake
        # each asked of it with a walk of their own: the same tasks in the same order (a walk for
        # READY or WAITING descends exactly where one for DEFINITE_MASK does).
        definite = self.workflow.get_tasks(state=TaskState.DEFINITE_MASK)
        if self._cancelled is not None:
            self.outcomes.append(("instance_cancelled", {"reason": self._cancelled}))
            return StepResult(state=dump_state(self.workflow), status="cancelled", data=self._current_data(definite),
                              ready_tasks=[], outcomes=self.outcomes, external=external)
        ready: list[ReadyTask] = []
        if self.incident is None:
            try:
                ready = self._ready_tasks(definite)
            except SpiffWorkflowException as err:
                self._fail(err)
        if self.incident is not None:
            status = "failed"
        elif self.workflow.is_completed():
            status = "completed"
            self.outcomes.append(("instance_completed", {}))
        else:
            status = "running"
        return StepResult(
            state=dump_state(self.workflow), status=status, data=self._current_data(definite), ready_tasks=ready,
            outcomes=self.outcomes, next_wake_at=None if self.replaying else next_wake(definite),
            incident=self.incident, external=external,
        )

    def _external_changes(self) -> ExternalChanges:
        """The external tasks waiting now, entered and left, journaled as outcomes. They are
        read from the workflow even after an incident: they still wait (no worker's row is lost)."""
        ready = self._external_ready()
        waiting = {t.id for t in ready}
        changes = ExternalChanges(ready, [t for t in ready if t.id not in self._external_before],
                                  dict(self._external_left), [t.id for t in ready] if self._revived else [])
        for task_id, element in self._external_before.items():
            if task_id not in waiting and task_id not in changes.left:
                changes.left[task_id] = "cancelled"
                self.outcomes.append(("external_task_left", {"task_id": task_id, "element": element,
                                                             "cancelled": True}))
        for task in changes.entered:
            self.outcomes.append(("external_task_entered", {"task_id": task.id, "element": task.element,
                                                            "topic": task.topic}))
        return changes

    def _external_ready(self) -> list[Any]:
        """The external tasks waiting now (none to look for in a version that has none)."""
        return external_ready(self.workflow) if self.compiled.has_external else []

    def _ready_tasks(self, definite: list[Any]) -> list[ReadyTask]:
        tasks = []
        for task in definite:
            if not (task.has_state(TaskState.READY) and task.task_spec.manual):
                continue
            info = self.compiled.user_tasks.get(task.task_spec.name)
            if info is None:
                continue
            tasks.append(ReadyTask(
                id=str(task.id), spec_name=task.task_spec.name, title=info.name, lane=info.lane,
                form_key=info.form_key, candidates=candidates_for(self.compiled, info, task, self.environment),
                due_at=due_at_for(info, task, self.environment, self.clock.now()),
                context={} if self.replaying else self._context(info, task),
                not_by=not_by_for(info, task, self.environment),
            ))
        return tasks

    def _context(self, info: Any, task: Any) -> dict[str, Any]:
        """The task's own values of what its form shows read-only: in a multi-instance each
        instance has its own (the participant it is about), which the instance data cannot tell."""
        form = self.compiled.forms.get(info.form_key or "")
        keys = form.ui.get("show") or [] if form is not None else []
        return {key: copy.deepcopy(task.data[key]) for key in keys if key in task.data}

    def _current_data(self, definite: list[Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        last = self.workflow.last_task
        if last is not None:
            data.update(last.data)
        for task in definite:
            data.update(task.data)
        return data if self.replaying else copy.deepcopy(data)
