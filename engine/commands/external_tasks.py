"""External tasks: programs outside zhidu do a procedure's service tasks (issue 14.4).

A service task names a topic (engine/spiff/external.py). When an instance reaches one, the
command that reached it writes an external-task row in its own unit of work (`record_external`,
called by `Runner.apply`). Workers then, as Camunda's, Flowable's and Zeebe's do:

- `fetch_and_lock` tasks of their topics whose lock is free or ran out, for a while;
- `complete_external` one they hold, with variables its result form validates: the instance
  runs on, journaled as `external_completed` (replay runs it again);
- `fail_external`: the task waits again after a back-off with the retries left; at none left
  the instance gets an incident (status failed) that an administrator's `retry` clears, which
  gives the task its retries back. Journaled as `external_failed`;
- `extend_lock` on a task they hold.

Locks change no instance and are not journaled; who completed or failed a task is. Workers are
users whose roles allow it (`Permissions.may_work_external`), through their API tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from engine.errors import (
    FieldError, FormInvalid, InvalidInput, PermissionDenied, TaskAlreadyClaimed, TaskNotClaimed, TaskNotFound,
    TaskNotReady,
)
from engine.permissions import OPERATOR_NAME
from engine.ports import ExternalTaskRecord, UnitOfWork
from engine.records import InstanceRecord, UserRecord
from engine.spiff.external import MAX_RETRIES, MAX_TOPIC, ExternalChanges
from engine.views import InstanceView

if TYPE_CHECKING:  # the runner calls record_external, so this module cannot import it at run time
    from engine.commands.runner import Runner

MAX_WORKER_ID = 100
MAX_TASKS = 100
MAX_TOPICS = 50
MAX_LOCK_SECONDS = 7 * 24 * 3600
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class ExternalTaskView:
    """An external task as a worker sees it: what to do, until when it holds it, and the
    instance's data (redacted as its user may read it)."""

    id: str
    topic: str
    instance_id: str
    process_key: str
    element: str
    worker_id: str | None
    locked_until: datetime | None
    retries: int
    error_message: str | None
    variables: dict[str, Any] = field(default_factory=dict)
    result_schema: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "topic": self.topic, "instance_id": self.instance_id,
                "process_key": self.process_key, "element": self.element, "worker_id": self.worker_id,
                "locked_until": self.locked_until.isoformat() if self.locked_until else None,
                "retries": self.retries, "error_message": self.error_message, "variables": self.variables,
                "result_schema": self.result_schema}


class ExternalTaskCommands:
    """What external workers ask; each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def fetch_and_lock(self, worker_id: str, topics: list[str], lock_seconds: float, max_tasks: int = 1,
                       actor: str = OPERATOR_NAME) -> list[ExternalTaskView]:
        """Lock up to `max_tasks` waiting tasks of `topics` for `worker_id`, oldest first.

        A task is free when nobody holds it, its holder's lock ran out, or its back-off is over.
        On PostgreSQL the rows are taken with SKIP LOCKED, so concurrent workers never get the
        same task.

        Raises:
            UserNotFound, PermissionDenied, InvalidInput.
        """
        _check_worker(worker_id)
        _check_topics(topics)
        lock = _seconds(lock_seconds, "lock_seconds", minimum=1)
        if not isinstance(max_tasks, int) or isinstance(max_tasks, bool) or not 1 <= max_tasks <= MAX_TASKS:
            raise InvalidInput(f"max_tasks must be a whole number from 1 to {MAX_TASKS}")
        with self.run.unit() as uow:
            user = self._worker(uow, actor)
            now = self.run.clock.now()
            rows = uow.external_tasks.lock_available(sorted(set(topics)), worker_id, now, now + lock, max_tasks)
            views = [self._view(uow, row, user) for row in rows]
            uow.commit()
            return views

    def complete_external(self, task_id: str, worker_id: str, variables: dict[str, Any] | None = None,
                          actor: str = OPERATOR_NAME) -> InstanceView:
        """Complete a task `worker_id` holds with `variables` (validated by the task's result
        form; a task whose model names none takes none), and run the instance on.

        Raises:
            UserNotFound, PermissionDenied, TaskNotFound, TaskNotReady, TaskNotClaimed,
            TaskAlreadyClaimed (another worker holds it), FormInvalid, ConcurrentUpdate.
        """
        variables = dict(variables or {})
        with self.run.unit() as uow:
            user = self._worker(uow, actor)
            row, record = self._held(uow, task_id, worker_id)
            compiled = self.run.compiled_for(uow, record.version_hash)
            form = compiled.forms.get(row.form_key or "")
            if form is not None:
                form.validate(variables, uow.users)
            elif variables:
                raise FormInvalid(row.element, [FieldError(k, "this task's model names no result form: it takes "
                                                              "no variables", "unexpected") for k in sorted(variables)])
            result = self.run.execution(uow, compiled, record.state).complete(task_id, variables)
            journal = self.run.journal(record, actor)
            journal.add("external_completed", {"task_id": task_id, "element": row.element, "topic": row.topic,
                                               "worker_id": worker_id, "data": variables})
            now_open = self.run.apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self.run.redacted(uow, self.run.instance_view(uow, record, open_tasks=now_open), user)

    def fail_external(self, task_id: str, worker_id: str, message: str, retries_left: int | None = None,
                      retry_in_seconds: float = 0, actor: str = OPERATOR_NAME) -> ExternalTaskView:
        """Report that `worker_id` could not do a task it holds. With retries left it waits again
        (fetchable after `retry_in_seconds`); with none (`retries_left` 0, or its last retry
        used up when not given) the instance gets an incident at the task.

        Raises:
            UserNotFound, PermissionDenied, TaskNotFound, TaskNotReady, TaskNotClaimed,
            TaskAlreadyClaimed, InvalidInput, ConcurrentUpdate.
        """
        message = _message(message)
        back_off = _seconds(retry_in_seconds, "retry_in_seconds", minimum=0)
        with self.run.unit() as uow:
            user = self._worker(uow, actor)
            row, record = self._held(uow, task_id, worker_id)
            retries = _retries_left(retries_left, row.retries)
            now = self.run.clock.now()
            row.retries, row.error_message, row.worker_id = retries, message, None
            row.locked_until = now + back_off if back_off and retries else None
            uow.external_tasks.save(row)
            journal = self.run.journal(record, actor)
            journal.add("external_failed", {"task_id": task_id, "element": row.element, "topic": row.topic,
                                            "worker_id": worker_id, "message": message, "retries": retries,
                                            "retry_at": row.locked_until.isoformat() if row.locked_until else None})
            if retries:
                _write_journal(uow, record, journal, now)
            else:
                result = self.run.execution(uow, self.run.compiled_for(uow, record.version_hash),
                                            record.state).fail_external(task_id, message)
                self.run.apply(uow, record, result, journal, expected_revision=record.revision)
            view = self._view(uow, row, user, record)
            uow.commit()
            return view

    def extend_lock(self, task_id: str, worker_id: str, seconds: float, actor: str = OPERATOR_NAME) -> ExternalTaskView:
        """Hold a task `worker_id` holds for `seconds` from now.

        Raises:
            UserNotFound, PermissionDenied, TaskNotFound, TaskNotReady, TaskNotClaimed,
            TaskAlreadyClaimed, InvalidInput.
        """
        lock = _seconds(seconds, "seconds", minimum=1)
        with self.run.unit() as uow:
            user = self._worker(uow, actor)
            row, record = self._held(uow, task_id, worker_id)
            row.locked_until = self.run.clock.now() + lock
            uow.external_tasks.save(row)
            view = self._view(uow, row, user, record)
            uow.commit()
            return view

    # -- shared steps ------------------------------------------------------------------------
    def _worker(self, uow: UnitOfWork, actor: str) -> UserRecord:
        user = self.run.actor(uow, actor)
        if not self.run.permissions(uow).may_work_external(user):
            raise PermissionDenied(f"{user.username} may not work on external tasks")
        return user

    def _held(self, uow: UnitOfWork, task_id: str, worker_id: str) -> tuple[ExternalTaskRecord, InstanceRecord]:
        """The open task `worker_id` holds and its running instance.

        A worker whose lock ran out still holds the task until another worker fetches it."""
        _check_worker(worker_id)
        row = uow.external_tasks.get(task_id)
        if row is None:
            raise TaskNotFound(f"unknown external task {task_id!r}")
        if row.status != "open":
            raise TaskNotReady(f"external task {task_id} is already {row.status}")
        if row.worker_id is None:
            raise TaskNotClaimed(f"external task {task_id} is not locked: fetch and lock it first")
        if row.worker_id != worker_id:
            raise TaskAlreadyClaimed(f"external task {task_id} is locked by another worker")
        record = self.run.instance(uow, row.instance_id)
        if record.status != "running":
            raise TaskNotReady(f"instance {record.id} is {record.status}")
        return row, record

    def _view(self, uow: UnitOfWork, row: ExternalTaskRecord, user: UserRecord,
              record: InstanceRecord | None = None) -> ExternalTaskView:
        record = record or self.run.instance(uow, row.instance_id)
        form = self.run.compiled_for(uow, record.version_hash).forms.get(row.form_key or "")
        data = self.run.redactor(uow, record.version_hash, user).data(record.data)
        return ExternalTaskView(row.id, row.topic, row.instance_id, row.process_key, row.element, row.worker_id,
                                row.locked_until, row.retries, row.error_message, data,
                                form.schema if form is not None else None)


def record_external(uow: UnitOfWork, record: InstanceRecord, changes: ExternalChanges, now: datetime) -> None:
    """Write what one engine run did to the instance's external tasks, in the command's unit of
    work (`Runner.apply` calls it): rows for tasks entered, left ones closed, and after an
    incident retry the exhausted ones offered to workers again."""
    for ready in changes.entered:
        uow.external_tasks.add(ExternalTaskRecord(ready.id, record.id, record.process_key, ready.element,
                                                  ready.topic, ready.form_key, ready.retries, now,
                                                  default_retries=ready.retries))
    for task_id, how in changes.left.items():
        row = uow.external_tasks.get(task_id)
        if row is not None:
            row.status, row.completed_at, row.locked_until = how, now, None
            uow.external_tasks.save(row)
    for task_id in changes.revived:
        row = uow.external_tasks.get(task_id)
        if row is not None and row.status == "open" and row.retries == 0:
            row.retries, row.worker_id, row.locked_until = row.default_retries, None, None
            uow.external_tasks.save(row)


def _write_journal(uow: UnitOfWork, record: InstanceRecord, journal: Any, now: datetime) -> None:
    """Journal a command that runs no engine step, moving the instance's journal head."""
    uow.journal.append(journal.entries)
    record.journal_seq, record.journal_hash = journal.head
    record.updated_at = now
    uow.instances.save(record, record.revision)


def _check_worker(worker_id: Any) -> None:
    if not isinstance(worker_id, str) or not worker_id.strip() or len(worker_id) > MAX_WORKER_ID:
        raise InvalidInput(f"the worker id must be a text of 1 to {MAX_WORKER_ID} characters")


def _check_topics(topics: Any) -> None:
    if (not isinstance(topics, (list, tuple)) or not 1 <= len(topics) <= MAX_TOPICS
            or not all(isinstance(t, str) and 0 < len(t) <= MAX_TOPIC for t in topics)):
        raise InvalidInput(f"topics must be a list of 1 to {MAX_TOPICS} topic names")


def _seconds(value: Any, name: str, minimum: int) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value <= MAX_LOCK_SECONDS:
        raise InvalidInput(f"{name} must be a number of seconds from {minimum} to {MAX_LOCK_SECONDS}")
    return timedelta(seconds=value)


def _retries_left(given: Any, current: int) -> int:
    if given is None:
        return max(current - 1, 0)
    if isinstance(given, bool) or not isinstance(given, int) or not 0 <= given <= MAX_RETRIES:
        raise InvalidInput(f"retries left must be a whole number from 0 to {MAX_RETRIES}")
    return given


def _message(message: Any) -> str:
    if not isinstance(message, str) or not message.strip():
        raise InvalidInput("say why the task failed (an error message)")
    return message.strip()[:MAX_MESSAGE]
