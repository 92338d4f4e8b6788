"""The step every command and query shares, in one place.

A command opens one unit of work, loads what it needs once, asks `Permissions`, runs the
engine on the instance, and writes state, task rows and journal entries from the row's journal
head — then commits, or changes nothing. The command and query modules hold only what differs
between them; they get this runner, never each other.
"""

from __future__ import annotations

import copy
import functools
import dataclasses
from typing import Any, Callable, TypeVar

from engine.audit.confidential import Fingerprints, Redactor, rules_of
from engine.audit.journal import GENESIS, JournalWriter
from engine.clock import CommandClock
from engine.commands.duties import REFUSED, excluded_on_entry
from engine.commands.external_tasks import record_external
from engine.definitions.bundles import ProcessBundle
from engine.definitions.subjects import formatter_for
from engine import outbox
from engine.notify import REQUEST_KINDS, RunFacts, notices_of, notify_all
from engine.files import FileStore, MemoryFiles
from engine.errors import InstanceNotFound, PermissionDenied, ProcessNotFound, TaskNotFound, UserNotFound
from engine.permissions import OPERATOR, OPERATOR_NAME, OrgChart, Permissions
from engine.ports import UnitOfWork
from engine.records import InstanceRecord, StoredVersion, TaskRecord, UserRecord
from engine.spiff.duties import apart_in, element_of
from engine.spiff.execution import Execution, StepResult
from engine.spiff.outcomes import outcomes_of
from engine.spiff.schedules import schedule_for
from engine.spiff.specs import CompiledVersion, SpecCache
from engine.views import FormView, InstanceView, TaskView

T = TypeVar("T")


def found(value: T | None, error: type[Exception], message: str) -> T:
    """`value`, or `error(message)` when storage had nothing."""
    if value is None:
        raise error(message)
    return value


class Runner:
    """Storage, clock, compiled versions, fingerprints and attachments, and the steps built on them."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: CommandClock, cache: SpecCache,
                 fingerprints: Fingerprints, files: FileStore | None = None):
        self.uow_factory, self.clock, self.cache, self.fingerprints = uow_factory, clock, cache, fingerprints
        self.files: FileStore = files if files is not None else MemoryFiles()  # attachments (engine/files.py)

    def unit(self) -> UnitOfWork:
        """A new unit of work; the clock holds one instant until it ends."""
        return self.uow_factory()

    # -- loading -----------------------------------------------------------------------------
    def actor(self, uow: UnitOfWork, username: str | None) -> UserRecord:
        """The active user `username` (the operator for None or the operator's name).

        Raises:
            UserNotFound, PermissionDenied (deactivated).
        """
        if username is None or username == OPERATOR_NAME:
            return OPERATOR
        user = found(uow.users.get(username), UserNotFound, f"unknown user {username!r}")
        if not user.active:
            raise PermissionDenied(f"user {username!r} is deactivated")
        return user

    def permissions(self, uow: UnitOfWork, chart: OrgChart | None = None) -> Permissions:
        """The answers for the organisation as it stands in this unit of work (`chart`: its
        roles as the caller read them already, for a caller that runs many units in a row)."""
        return Permissions(chart if chart is not None else OrgChart.of(uow.users.roles()),
                           lambda username: uow.absences.standing_in(username, self.clock.now()))  # substitutes

    def task(self, uow: UnitOfWork, task_id: str) -> TaskRecord:
        return found(uow.tasks.get(task_id), TaskNotFound, f"unknown task {task_id!r}")

    def instance(self, uow: UnitOfWork, instance_id: str) -> InstanceRecord:
        return found(uow.instances.get(instance_id), InstanceNotFound, f"unknown instance {instance_id!r}")

    def version(self, uow: UnitOfWork, content_hash: str) -> StoredVersion:
        return found(uow.versions.by_hash(content_hash), ProcessNotFound, f"no version with hash {content_hash}")

    def seen(self, uow: UnitOfWork, user: UserRecord, record: InstanceRecord,
              what: str) -> tuple[Permissions, list[TaskRecord]]:
        """The permissions and the instance's tasks, once `user` may see the instance.

        Raises:
            PermissionDenied.
        """
        may, tasks = self.permissions(uow), uow.tasks.for_instance(record.id)
        if not may.may_view(user, record, tasks):
            raise PermissionDenied(f"{user.username} may not see {what}")
        return may, tasks

    def visible(self, uow: UnitOfWork, user: UserRecord, record: InstanceRecord,
                what: str) -> tuple[Permissions, InstanceView]:
        """The permissions and the instance as `user` may see it (redacted for them).

        Raises:
            PermissionDenied.
        """
        may, tasks = self.seen(uow, user, record, what)
        view = self.instance_view(uow, record, open_tasks=[t for t in tasks if t.status == "open"])
        return may, self.redacted(uow, view, user)

    def compiled(self, version: StoredVersion) -> CompiledVersion:
        return self.cache.pinned(version.content_hash, lambda: ProcessBundle(version.entry, version.files))

    def compiled_for(self, uow: UnitOfWork, content_hash: str) -> CompiledVersion:
        """The compiled version an instance is pinned to; storage is read only on first use."""
        def bundle() -> ProcessBundle:
            version = self.version(uow, content_hash)
            return ProcessBundle(version.entry, version.files)

        return self.cache.pinned(content_hash, bundle)

    # -- running -----------------------------------------------------------------------------
    def execution(self, uow: UnitOfWork, compiled: CompiledVersion, state: dict[str, Any] | None = None) -> Execution:
        """An engine run on `state` (a new instance without), its lookups reading `uow`."""
        return Execution(compiled, self.clock, state, script_functions(uow))

    def journal(self, record: InstanceRecord, actor: str | None) -> JournalWriter:
        """A writer that continues the instance's chain from the head its row holds."""
        return JournalWriter(record.id, record.journal_seq, record.journal_hash if record.journal_seq else GENESIS,
                             self.clock.now(), _journaled(actor), self.fingerprints.salt)

    def apply(self, uow: UnitOfWork, record: InstanceRecord, result: StepResult, journal: JournalWriter,
              expected_revision: int | None, open_tasks: list[TaskRecord] | None = None,
              may: Permissions | None = None) -> list[TaskRecord]:
        """Write the outcome of one engine run: task rows, journal, instance state.

        `expected_revision` None: `record` is new and is inserted (once, with its state after
        the run, before the task rows that refer to it). `open_tasks`, `may`: the instance's
        open task rows and the permissions, when the caller has them already (each is read at
        most once per command). Returns the instance's open tasks after the run.
        """
        now, previous = self.clock.now(), None if expected_revision is None else record.status
        if open_tasks is None:
            open_tasks = uow.tasks.open_for_instance(record.id)
        open_by_id = {t.id: t for t in open_tasks if t.status == "open"}
        outcomes = outcomes_of({t.id: t.spec_name for t in open_by_id.values()}, result)
        for task_id in outcomes.cancelled:
            task = open_by_id[task_id]
            task.status, task.completed_at = "cancelled", now
            uow.tasks.save(task)
        for kind, payload in outcomes.entries:
            journal.add(kind, payload, actor=None)
        record.state, record.status, record.data = result.state, result.status, result.data
        record.next_wake_at = result.next_wake_at if result.status == "running" else None
        record.current_step, record.incident, record.updated_at = result.current_step, result.incident, now
        record.journal_seq, record.journal_hash = journal.head
        if expected_revision is None:
            record.revision = 1  # its first write, as every later write adds one
            uow.instances.add(record)
        added = self._add_tasks(uow, record, result, outcomes.entered, may) if outcomes.entered else []
        if result.external:  # service tasks waiting for external workers (engine/commands/external_tasks.py)
            record_external(uow, record, result.external, now)
        uow.journal.append(journal.entries)
        if expected_revision is not None:
            uow.instances.save(record, expected_revision)
        outbox.emit(uow, outbox.events_of(record, previous, added, journal.entries, now))  # decision 15
        still_open = [t for t in open_by_id.values() if t.status == "open"]
        cancelled = [open_by_id[task_id] for task_id in outcomes.cancelled]
        notify_all(uow, notices_of(RunFacts(record, previous, tuple(added), tuple(cancelled), tuple(still_open),
                                            tuple(journal.entries), self._ended_name(uow, record, previous), now)))
        return still_open + added

    def _ended_name(self, uow: UnitOfWork, record: InstanceRecord, previous: str | None) -> dict[str, str]:
        """The procedure's name when this run ended the instance (its starter is told), else nothing."""
        if record.status == previous or record.status not in REQUEST_KINDS:
            return {}
        return dict(self.compiled_for(uow, record.version_hash).bundle.entry.name)

    def _add_tasks(self, uow: UnitOfWork, record: InstanceRecord, result: StepResult,
                   entered: list[Any], may: Permissions | None) -> list[TaskRecord]:
        now, chart = self.clock.now(), (may or self.permissions(uow)).chart
        compiled = self.compiled_for(uow, record.version_hash)
        subjects = formatter_for(compiled, functools.lru_cache(uow.users.get))
        pairs = apart_in(compiled)  # separation of duties: who did or holds a paired step
        rows = uow.tasks.for_instance(record.id) if any(element_of(r.spec_name) in pairs for r in entered) else []
        added = [TaskRecord(ready.id, record.id, record.process_key, ready.spec_name, ready.title,
                            ready.lane, ready.form_key, ready.candidates, now, due_at=ready.due_at,
                            department=chart.department_of(ready.candidates), context=ready.context,
                            subject=subjects.format(result.data, ready.context),
                            excluded=excluded_on_entry(ready.not_by, ready.spec_name, pairs, rows))
                 for ready in entered]
        for task in added:
            uow.tasks.add(task)
        return added

    def record_task_command(self, uow: UnitOfWork, task: TaskRecord, record: InstanceRecord, actor: str,
                            kind: str, payload: dict[str, Any]) -> None:
        """Journal a command on a task that runs no engine step (claim, release, reassign)."""
        journal = self.journal(record, actor)
        journal.add(kind, payload)
        uow.tasks.save(task)
        record.updated_at = self.clock.now()
        self._write(uow, record, journal, record.revision)

    def record_refusal(self, uow: UnitOfWork, record: InstanceRecord, actor: str, payload: dict[str, Any]) -> None:
        """Journal that separation of duties refused a command (engine/commands/duties.py); it
        changes nothing else, not even when the instance was last updated."""
        journal = self.journal(record, actor)
        journal.add(REFUSED, payload)
        self._write(uow, record, journal, record.revision)

    def _write(self, uow: UnitOfWork, record: InstanceRecord, journal: JournalWriter, expected_revision: int) -> None:
        uow.journal.append(journal.entries)
        record.journal_seq, record.journal_hash = journal.head
        uow.instances.save(record, expected_revision)

    def update_schedule(self, uow: UnitOfWork, compiled: CompiledVersion) -> None:
        """Keep the start schedule of a procedure that begins with a timer in step with it."""
        schedule = schedule_for(compiled, self.clock.now(), self.clock.zone)
        if schedule is None:
            uow.schedules.remove(compiled.bundle.key)
        else:
            uow.schedules.put(schedule)

    # -- views -------------------------------------------------------------------------------
    def task_view(self, uow: UnitOfWork, task: TaskRecord, version_hash: str | None = None) -> TaskView:
        """The task with its form (`version_hash`: the instance's, when the caller has it)."""
        form_view = None
        if task.form_key:
            digest = version_hash or uow.instances.version_of(task.instance_id)
            form = self.compiled_for(uow, digest).forms.get(task.form_key) if digest else None
            if form is not None:
                form_view = FormView(form.key, form.schema, form.title, form.ui)
        return TaskView(task.id, task.instance_id, task.process_key, task.spec_name, task.title,
                        task.candidates, task.claimed_by, task.due_at, task.created_at, task.status,
                        form_view, task.lane, task.completed_by, task.completed_at, task.subject,
                        excluded=tuple(e.username for e in task.excluded))

    def instance_view(self, uow: UnitOfWork, record: InstanceRecord, with_tasks: bool = True,
                      open_tasks: list[TaskRecord] | None = None) -> InstanceView:
        if with_tasks and open_tasks is None:
            open_tasks = uow.tasks.open_for_instance(record.id)
        tasks = tuple(self.task_view(uow, t, record.version_hash) for t in open_tasks or () if t.status == "open")
        now = self.clock.now()
        overdue = any(t.due_at is not None and t.due_at < now for t in tasks)
        return InstanceView(record.id, record.process_key, record.version_number, record.version_hash,
                            record.status, record.started_by, record.started_at, record.updated_at,
                            copy.deepcopy(record.data), tasks, record.current_step, record.incident, overdue,
                            record.revision)

    def redactor(self, uow: UnitOfWork, version_hash: str, user: UserRecord) -> Redactor:
        """What `user` may not read of an instance of this version (nothing, for the operator)."""
        compiled = self.compiled_for(uow, version_hash)
        forms = [f for f in (compiled.start_form, *compiled.forms.values()) if f is not None]
        rules = rules_of(forms) if user is not OPERATOR else {}
        return Redactor(rules, frozenset(user.roles), with_hash=Permissions.may_see_fingerprints(user),
                        fingerprints=self.fingerprints)

    def redacted(self, uow: UnitOfWork, view: InstanceView, user: UserRecord) -> InstanceView:
        """`view` with the confidential values `user` is not cleared for replaced by markers."""
        redactor = self.redactor(uow, view.version_hash, user)
        return dataclasses.replace(view, data=redactor.data(view.data)) if redactor.active else view


def script_functions(uow: UnitOfWork) -> dict[str, Callable[..., Any]]:
    """zhidu's lookups scripts and expressions may call, answered in the command's own unit of work."""
    def users_with_role(role: str) -> list[str]:
        return sorted(u.username for u in uow.users.all() if u.active and str(role) in u.roles)
    return {"users_with_role": users_with_role}


def _journaled(actor: str | None) -> str | None:
    """Commands the operator runs are journaled with no actor, as they always were."""
    return None if actor == OPERATOR_NAME else actor
