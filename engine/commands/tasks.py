"""Commands on one task: claim, release, reassign, complete (decision 9)."""

from __future__ import annotations

from typing import Any

from engine.commands import duties
from engine.commands.runner import Runner
from engine.errors import PermissionDenied, TaskAlreadyClaimed, TaskNotClaimed, TaskNotFound, TaskNotReady
from engine.notify import TASK_ASSIGNED, notify, task_payload
from engine.permissions import Permissions
from engine.ports import UnitOfWork
from engine.records import Exclusion, InstanceRecord, TaskRecord, UserRecord
from engine.views import InstanceView, TaskView


class TaskCommands:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def claim(self, task_id: str, actor: str) -> TaskView:
        """Claim an open task for `actor`.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, TaskAlreadyClaimed, PermissionDenied
            (DutiesSeparated, journaled, when a separation-of-duties rule keeps `actor` from it).
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, actor)
            task, record, _ = _task_in_instance(self.run, uow, task_id)
            may = self.run.permissions(uow)
            _require_open(task)
            duty = _Duties(self.run, uow, record, task)
            duty.check(may, user, "claim")
            _require_candidate(may, user, task)  # before its state is told
            if task.claimed_by == actor:
                return self.run.task_view(uow, task, record.version_hash)
            if task.claimed_by is not None:
                raise TaskAlreadyClaimed(f"task {task_id} is already claimed by {task.claimed_by}")
            payload = _behalf({"task_id": task.id, "element": task.spec_name}, may.on_behalf_of(user, task))
            task.claimed_by = actor
            self.run.record_task_command(uow, task, record, actor, "claimed", payload)
            duty.refresh()
            uow.commit()
            return self.run.task_view(uow, task, record.version_hash)

    def release(self, task_id: str, actor: str) -> TaskView:
        """Give a claimed task back to its candidates.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, TaskNotClaimed, PermissionDenied.
        """
        with self.run.unit() as uow:
            user, task = self.run.actor(uow, actor), self.run.task(uow, task_id)
            may = self.run.permissions(uow)
            _require_open(task)
            if not may.may_release(user, task) and not may.is_candidate(user, task):
                raise PermissionDenied(f"{actor} may not release task {task_id}")
            if task.claimed_by is None:
                raise TaskNotClaimed(f"task {task_id} is not claimed")
            if not may.may_release(user, task):
                raise PermissionDenied(f"task {task_id} is claimed by {task.claimed_by}, not {actor}")
            behalf = may.on_behalf_of(user, task)
            previous, task.claimed_by = task.claimed_by, None
            record = self.run.instance(uow, task.instance_id)
            self.run.record_task_command(uow, task, record, actor, "released", _behalf(
                {"task_id": task.id, "element": task.spec_name, "from": previous}, behalf))
            _Duties(self.run, uow, record, task).refresh()  # who held it may do the paired steps again
            uow.commit()
            return self.run.task_view(uow, task, record.version_hash)

    def reassign(self, task_id: str, actor: str, to_user: str) -> TaskView:
        """A manager of the task's department (or of every department) hands it to someone.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, PermissionDenied (DutiesSeparated, journaled,
            when a separation-of-duties rule keeps the task from `to_user`).
        """
        with self.run.unit() as uow:
            user, task = self.run.actor(uow, actor), self.run.task(uow, task_id)
            target = self.run.actor(uow, to_user)
            may = self.run.permissions(uow)
            _require_open(task)
            if not may.may_reassign(user, task):
                raise PermissionDenied(f"{actor} does not manage the department of task {task_id}")
            record = self.run.instance(uow, task.instance_id)
            duty = _Duties(self.run, uow, record, task)
            duty.check_receiver(may, actor, target)
            if not may.may_receive(target, task):
                raise PermissionDenied(f"task {task_id} cannot be given to {to_user}: not one of its candidates")
            previous, task.claimed_by = task.claimed_by, to_user
            self.run.record_task_command(uow, task, record, actor, "reassigned", {
                "task_id": task.id, "element": task.spec_name, "from": previous, "to": to_user})
            duty.refresh()
            notify(uow, self.run.clock, [to_user], TASK_ASSIGNED, task_payload(task, actor, previous=previous))
            uow.commit()
            return self.run.task_view(uow, task, record.version_hash)

    def complete_task(self, task_id: str, actor: str, data: dict[str, Any]) -> InstanceView:
        """Validate `data` against the task's form and complete the task.

        An unclaimed task offered to `actor` is claimed as part of completing it.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, TaskAlreadyClaimed, PermissionDenied
            (DutiesSeparated, journaled, as for `claim`), FormInvalid, ConcurrentUpdate.
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, actor)
            task, record, open_tasks = _task_in_instance(self.run, uow, task_id)
            may = self.run.permissions(uow)
            _require_open(task)
            duty = _Duties(self.run, uow, record, task)
            duty.check(may, user, "complete")
            _require_candidate(may, user, task)
            if task.claimed_by is not None and not may.acts_for(user, task.claimed_by):
                raise TaskAlreadyClaimed(f"task {task_id} is claimed by {task.claimed_by}")
            behalf = may.on_behalf_of(user, task)  # a substitute's completion says for whom
            if record.status != "running":
                raise TaskNotReady(f"instance {record.id} is {record.status}")
            compiled = self.run.compiled_for(uow, record.version_hash)
            form = compiled.forms.get(task.form_key or "")
            if form is not None:
                form.validate(data, uow.users, self.run.files)
            result = self.run.execution(uow, compiled, record.state).complete(task_id, data)
            task.claimed_by = actor
            task.status, task.completed_by, task.completed_at = "completed", actor, self.run.clock.now()
            task.submitted = data
            uow.tasks.save(task)
            duty.refresh()  # the paired steps still open may not be done by who did this one
            journal = self.run.journal(record, actor)
            journal.add("completed", _behalf({"task_id": task_id, "element": task.spec_name, "data": data}, behalf))
            now_open = self.run.apply(uow, record, result, journal, expected_revision=record.revision,
                                      open_tasks=duty.instance_rows() or open_tasks, may=may)
            uow.commit()
            return self.run.instance_view(uow, record, open_tasks=now_open)


class _Duties:
    """Separation of duties for one command on one task (engine/commands/duties.py): its
    exclusions brought up to date from the instance's rows, the refusal journaled and raised,
    and the paired steps' rows refreshed once the command changed who did or holds it."""

    def __init__(self, run: Runner, uow: UnitOfWork, record: InstanceRecord, task: TaskRecord):
        self.run, self.uow, self.record, self.task = run, uow, record, task
        self.compiled = run.compiled_for(uow, record.version_hash)
        self.rows = duties.current(uow, self.compiled, task)

    def check(self, may: Permissions, user: UserRecord, action: str) -> None:
        """Raises DutiesSeparated (journaled) when a rule alone keeps `user` from the task."""
        found = may.duty_refusal(user, self.task)
        if found is not None:
            exclusion, behalf = found
            self._refuse(user.username, action, exclusion, behalf, "behalf" if behalf else "self")

    def check_receiver(self, may: Permissions, actor: str, target: UserRecord) -> None:
        """Raises DutiesSeparated (journaled) when a rule keeps the task from `target`."""
        exclusion = may.receiver_refusal(target, self.task)
        if exclusion is not None:
            self._refuse(actor, "reassign", exclusion, None, "target")

    def refresh(self) -> None:
        duties.refresh_paired(self.uow, self.compiled, self.task, self.rows or None)

    def instance_rows(self) -> list[TaskRecord] | None:
        """The instance's task rows as this command left them (this task's row is the command's
        own record), when the rules had them read; None when they were not read."""
        return [self.task if r.id == self.task.id else r for r in self.rows] if self.rows else None

    def _refuse(self, actor: str, action: str, exclusion: Exclusion, behalf: str | None, who: str) -> None:
        people = self.uow.users

        def name_of(username: str) -> str:
            person = people.get(username)
            return person.name if person is not None else username
        error = duties.refusal(self.compiled, self.task, exclusion, self.rows, who, name_of)
        self.run.record_refusal(self.uow, self.record, actor,
                                duties.refusal_payload(self.task, action, exclusion, behalf))
        self.uow.commit()  # the refusal stays on record though the command does nothing
        raise error


def _task_in_instance(run: Runner, uow: UnitOfWork, task_id: str) -> tuple[TaskRecord, InstanceRecord, list[TaskRecord]]:
    """The task, its instance and the instance's open tasks (the task itself among them, the
    same record, when it is open), in one read.

    Raises:
        TaskNotFound.
    """
    found = uow.instances.of_task(task_id)
    if found is None:
        raise TaskNotFound(f"unknown task {task_id!r}")
    record, open_tasks = found
    task = next((t for t in open_tasks if t.id == task_id), None)
    return task or run.task(uow, task_id), record, open_tasks  # a task no longer open: its own row


def _behalf(payload: dict[str, Any], absent: str | None) -> dict[str, Any]:
    """A command's payload, naming the absent person when it was done as their substitute."""
    return {**payload, "on_behalf_of": absent} if absent else payload


def _require_open(task: TaskRecord) -> None:
    if task.status != "open":
        raise TaskNotReady(f"task {task.id} is already {task.status}")


def _require_candidate(may: Permissions, user: UserRecord, task: TaskRecord) -> None:
    if not may.may_work_on(user, task):
        offered = ", ".join(task.candidates) or "nobody"
        raise PermissionDenied(f"task {task.id} is offered to {offered}, not to {user.username}")
