"""The engine facade: the handful of commands the web UI and the CLI call.

Each command is one unit of work: load, run the engine, write state, task rows and journal
entries, commit — or change nothing.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any, Callable, Iterable

from engine.clock import Clock, SystemClock
from engine.definitions import ProcessBundle
from engine.errors import (
    InstanceNotFound, PermissionDenied, ProcessNotFound, TaskAlreadyClaimed, TaskNotClaimed,
    TaskNotFound, TaskNotReady, UserNotFound,
)
from engine.execution import Execution, StepResult
from engine.journal import GENESIS, JournalEntry, JournalWriter
from engine.ports import UnitOfWork
from engine.records import InstanceRecord, Organisation, StoredVersion, TaskRecord, UserRecord
from engine.specs import CompiledVersion, SpecCache, compile_bundle
from engine.views import DeployResult, FormView, InstanceView, ProcessView, TaskView, UserView


class Engine:
    """zhidu's runtime facade over SpiffWorkflow and storage."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock | None = None,
                 cache: SpecCache | None = None):
        self.uow_factory = uow_factory
        self.clock = clock or SystemClock()
        self.cache = cache or SpecCache()

    # -- definitions -------------------------------------------------------------------------
    def deploy(self, bundles: Iterable[ProcessBundle], actor: str | None = None,
               comment: str = "") -> list[DeployResult]:
        """Validate and store each bundle as a new version (unchanged ones are left as they are).

        Raises:
            DefinitionInvalid: a bundle fails validation; nothing is deployed.
        """
        bundles = list(bundles)
        for bundle in bundles:
            compile_bundle(bundle)
        results = []
        with self.uow_factory() as uow:
            for bundle in bundles:
                latest = uow.versions.latest(bundle.key)
                if latest is not None and latest.content_hash == bundle.content_hash:
                    results.append(DeployResult(bundle.key, latest.number, latest.content_hash, False))
                    continue
                number = (latest.number if latest else 0) + 1
                uow.versions.add(StoredVersion(bundle.key, number, bundle.content_hash, bundle.entry,
                                               dict(bundle.files), actor, self.clock.now(), comment))
                results.append(DeployResult(bundle.key, number, bundle.content_hash, True))
            uow.commit()
        return results

    def processes(self) -> list[ProcessView]:
        """The latest version of every deployed procedure."""
        with self.uow_factory() as uow:
            versions = uow.versions.all_latest()
        return [self._process_view(v) for v in sorted(versions, key=lambda v: v.key)]

    def startable(self, username: str) -> list[ProcessView]:
        """The procedures `username` may start."""
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            versions = uow.versions.all_latest()
        return [self._process_view(v) for v in sorted(versions, key=lambda v: v.key) if _may_start(user, v)]

    def _process_view(self, version: StoredVersion) -> ProcessView:
        compiled = self._compiled(version)
        form = compiled.start_form
        return ProcessView(version.key, version.number, version.content_hash, version.entry.name,
                           version.entry.starters, version.entry.owner_role, version.entry.clauses,
                           FormView(form.key, form.schema, form.title, form.ui) if form else None,
                           version.deployed_at, version.deployed_by)

    def _compiled(self, version: StoredVersion) -> CompiledVersion:
        return self.cache.get(ProcessBundle(version.entry, version.files))

    # -- organisation ------------------------------------------------------------------------
    def load_organisation(self, organisation: Organisation) -> int:
        """Create or update departments, roles and users; returns the number of users."""
        with self.uow_factory() as uow:
            for department in organisation.departments:
                uow.users.upsert_department(department)
            for role in organisation.roles:
                uow.users.upsert_role(role)
            for user in organisation.users:
                uow.users.upsert(user)
            uow.commit()
        return len(organisation.users)

    def users(self) -> list[UserView]:
        with self.uow_factory() as uow:
            users = uow.users.all()
        return [UserView(u.username, u.name, u.department, u.roles, u.active) for u in users]

    def user(self, username: str) -> UserView:
        """Raises: UserNotFound."""
        with self.uow_factory() as uow:
            u = self._user(uow, username)
        return UserView(u.username, u.name, u.department, u.roles, u.active)

    # -- instances ---------------------------------------------------------------------------
    def start(self, process_key: str, actor: str, data: dict[str, Any] | None = None) -> InstanceView:
        """Start a new instance of the latest version of `process_key`.

        Raises:
            UserNotFound, ProcessNotFound, PermissionDenied, FormInvalid.
        """
        data = dict(data or {})
        with self.uow_factory() as uow:
            user = self._user(uow, actor)
            version = uow.versions.latest(process_key)
            if version is None:
                raise ProcessNotFound(f"no procedure with key {process_key!r} is deployed")
            if not _may_start(user, version):
                raise PermissionDenied(f"{actor} may not start {process_key}")
            compiled = self._compiled(version)
            if compiled.start_form is not None:
                compiled.start_form.validate(data)
            now = self.clock.now()
            instance_id = str(uuid.uuid4())
            result = Execution(compiled, self.clock).start(data)
            record = InstanceRecord(instance_id, version.key, version.content_hash, version.number,
                                    result.status, result.state, result.data, actor, now, now)
            journal = JournalWriter(instance_id, 0, GENESIS, now, actor)
            journal.add("started", {"process_key": version.key, "version": version.number,
                                    "version_hash": version.content_hash, "data": data})
            uow.instances.add(record)
            self._apply(uow, record, result, journal, expected_revision=None)
            uow.commit()
            return self._instance_view(uow, record)

    def show(self, instance_id: str) -> InstanceView:
        """Raises: InstanceNotFound."""
        with self.uow_factory() as uow:
            return self._instance_view(uow, self._instance(uow, instance_id))

    def history(self, instance_id: str) -> list[JournalEntry]:
        """The instance's journal, in order. Raises: InstanceNotFound."""
        with self.uow_factory() as uow:
            self._instance(uow, instance_id)
            return uow.journal.for_instance(instance_id)

    def my_requests(self, username: str) -> list[InstanceView]:
        with self.uow_factory() as uow:
            self._user(uow, username)
            return [self._instance_view(uow, r, with_tasks=False) for r in uow.instances.started_by(username)]

    # -- tasks -------------------------------------------------------------------------------
    def tasks_for(self, username: str) -> list[TaskView]:
        """Tasks claimed by `username` and unclaimed tasks offered to them. Raises: UserNotFound."""
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            return [self._task_view(uow, t) for t in uow.tasks.inbox(user.username, user.roles)]

    def task(self, task_id: str) -> TaskView:
        """Raises: TaskNotFound."""
        with self.uow_factory() as uow:
            return self._task_view(uow, self._task(uow, task_id))

    def claim(self, task_id: str, actor: str) -> TaskView:
        """Claim an open task for `actor`.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, TaskAlreadyClaimed, PermissionDenied.
        """
        with self.uow_factory() as uow:
            user, task = self._user(uow, actor), self._task(uow, task_id)
            _require_open(task)
            if task.claimed_by == actor:
                return self._task_view(uow, task)
            if task.claimed_by is not None:
                raise TaskAlreadyClaimed(f"task {task_id} is already claimed by {task.claimed_by}")
            _require_candidate(user, task)
            task.claimed_by = actor
            self._record_task_command(uow, task, actor, "claimed", {"task_id": task.id, "element": task.spec_name})
            uow.commit()
            return self._task_view(uow, task)

    def release(self, task_id: str, actor: str) -> TaskView:
        """Give a claimed task back to its candidates.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, TaskNotClaimed, PermissionDenied.
        """
        with self.uow_factory() as uow:
            user, task = self._user(uow, actor), self._task(uow, task_id)
            _require_open(task)
            if task.claimed_by is None:
                raise TaskNotClaimed(f"task {task_id} is not claimed")
            if task.claimed_by != actor and not _manages(user, task):
                raise PermissionDenied(f"task {task_id} is claimed by {task.claimed_by}, not {actor}")
            previous, task.claimed_by = task.claimed_by, None
            self._record_task_command(uow, task, actor, "released",
                                      {"task_id": task.id, "element": task.spec_name, "from": previous})
            uow.commit()
            return self._task_view(uow, task)

    def complete_task(self, task_id: str, actor: str, data: dict[str, Any]) -> InstanceView:
        """Validate `data` against the task's form and complete the task.

        An unclaimed task offered to `actor` is claimed as part of completing it.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, TaskAlreadyClaimed, PermissionDenied,
            FormInvalid, ConcurrentUpdate.
        """
        with self.uow_factory() as uow:
            user, task = self._user(uow, actor), self._task(uow, task_id)
            _require_open(task)
            if task.claimed_by not in (None, actor):
                raise TaskAlreadyClaimed(f"task {task_id} is claimed by {task.claimed_by}")
            _require_candidate(user, task)
            record = self._instance(uow, task.instance_id)
            if record.status != "running":
                raise TaskNotReady(f"instance {record.id} is {record.status}")
            compiled = self._compiled(self._version(uow, record.version_hash))
            form = compiled.forms.get(task.form_key or "")
            if form is not None:
                form.validate(data)
            result = Execution(compiled, self.clock, record.state).complete(task_id, data)
            task.claimed_by = actor
            task.status, task.completed_by, task.completed_at = "completed", actor, self.clock.now()
            uow.tasks.save(task)
            journal = self._journal(uow, record, actor)
            journal.add("completed", {"task_id": task_id, "element": task.spec_name, "data": data})
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self._instance_view(uow, record)

    def fire_due_timers(self, limit: int = 100) -> list[str]:
        """Fire the timers of instances due by the engine clock, one transaction each."""
        with self.uow_factory() as uow:
            due = uow.instances.due(self.clock.now(), limit)
        fired = []
        for instance_id in due:
            with self.uow_factory() as uow:
                record = self._instance(uow, instance_id)
                if record.status != "running":
                    continue
                compiled = self._compiled(self._version(uow, record.version_hash))
                result = Execution(compiled, self.clock, record.state).fire_timers()
                journal = self._journal(uow, record, None)
                journal.add("timer_fired", {"at": self.clock.now().isoformat()}, actor=None)
                self._apply(uow, record, result, journal, expected_revision=record.revision)
                uow.commit()
                fired.append(instance_id)
        return fired

    # -- internals ---------------------------------------------------------------------------
    def _apply(self, uow: UnitOfWork, record: InstanceRecord, result: StepResult, journal: JournalWriter,
               expected_revision: int | None) -> None:
        """Write the outcome of one engine run: task rows, journal, instance state."""
        now = self.clock.now()
        open_tasks = {t.id: t for t in uow.tasks.open_for_instance(record.id)}
        ready_ids = {t.id for t in result.ready_tasks}
        for task_id, task in open_tasks.items():
            if task_id not in ready_ids and task.status == "open":
                task.status, task.completed_at = "cancelled", now
                uow.tasks.save(task)
                journal.add("task_left", {"task_id": task_id, "element": task.spec_name, "cancelled": True}, actor=None)
        for kind, payload in result.outcomes:
            journal.add(kind, payload, actor=None)
        for ready in result.ready_tasks:
            if ready.id in open_tasks:
                continue
            uow.tasks.add(TaskRecord(ready.id, record.id, record.process_key, ready.spec_name, ready.title,
                                     ready.lane, ready.form_key, ready.candidates, now, due_at=ready.due_at,
                                     department=_department_of(ready.candidates)))
            journal.add("task_entered", {"task_id": ready.id, "element": ready.spec_name,
                                         "candidates": list(ready.candidates)}, actor=None)
        record.state, record.status, record.data = result.state, result.status, result.data
        record.next_wake_at = result.next_wake_at if result.status == "running" else None
        record.current_step, record.incident, record.updated_at = result.current_step, result.incident, now
        uow.journal.append(journal.entries)
        if expected_revision is not None:
            uow.instances.save(record, expected_revision)

    def _record_task_command(self, uow: UnitOfWork, task: TaskRecord, actor: str, kind: str,
                             payload: dict[str, Any]) -> None:
        record = self._instance(uow, task.instance_id)
        journal = self._journal(uow, record, actor)
        journal.add(kind, payload)
        uow.tasks.save(task)
        uow.journal.append(journal.entries)
        record.updated_at = self.clock.now()
        uow.instances.save(record, record.revision)

    def _journal(self, uow: UnitOfWork, record: InstanceRecord, actor: str | None) -> JournalWriter:
        last = uow.journal.last(record.id)
        return JournalWriter(record.id, last.seq if last else 0, last.entry_hash if last else GENESIS,
                             self.clock.now(), actor)

    def _user(self, uow: UnitOfWork, username: str) -> UserRecord:
        user = uow.users.get(username)
        if user is None:
            raise UserNotFound(f"unknown user {username!r}")
        if not user.active:
            raise PermissionDenied(f"user {username!r} is deactivated")
        return user

    def _task(self, uow: UnitOfWork, task_id: str) -> TaskRecord:
        task = uow.tasks.get(task_id)
        if task is None:
            raise TaskNotFound(f"unknown task {task_id!r}")
        return task

    def _instance(self, uow: UnitOfWork, instance_id: str) -> InstanceRecord:
        record = uow.instances.get(instance_id)
        if record is None:
            raise InstanceNotFound(f"unknown instance {instance_id!r}")
        return record

    def _version(self, uow: UnitOfWork, content_hash: str) -> StoredVersion:
        version = uow.versions.by_hash(content_hash)
        if version is None:
            raise ProcessNotFound(f"no deployed version with hash {content_hash}")
        return version

    def _task_view(self, uow: UnitOfWork, task: TaskRecord) -> TaskView:
        form_view = None
        if task.form_key:
            record = uow.instances.get(task.instance_id)
            version = uow.versions.by_hash(record.version_hash) if record else None
            form = self._compiled(version).forms.get(task.form_key) if version else None
            if form is not None:
                form_view = FormView(form.key, form.schema, form.title, form.ui)
        return TaskView(task.id, task.instance_id, task.process_key, task.spec_name, task.title,
                        task.candidates, task.claimed_by, task.due_at, task.created_at, task.status,
                        form_view, task.lane, task.completed_by, task.completed_at)

    def _instance_view(self, uow: UnitOfWork, record: InstanceRecord, with_tasks: bool = True) -> InstanceView:
        tasks = tuple(self._task_view(uow, t) for t in uow.tasks.open_for_instance(record.id)) if with_tasks else ()
        return InstanceView(record.id, record.process_key, record.version_number, record.version_hash,
                            record.status, record.started_by, record.started_at, record.updated_at,
                            copy.deepcopy(record.data), tasks, record.current_step, record.incident)


def _may_start(user: UserRecord, version: StoredVersion) -> bool:
    starters = version.entry.starters
    return not starters or bool(set(starters) & set(user.roles))


def _require_open(task: TaskRecord) -> None:
    if task.status != "open":
        raise TaskNotReady(f"task {task.id} is already {task.status}")


def _is_candidate(user: UserRecord, task: TaskRecord) -> bool:
    offered = set(task.candidates)
    return f"user:{user.username}" in offered or any(f"role:{r}" in offered for r in user.roles)


def _manages(user: UserRecord, task: TaskRecord) -> bool:
    return "director" in user.roles or (task.department is not None and f"{task.department}-manager" in user.roles)


def _require_candidate(user: UserRecord, task: TaskRecord) -> None:
    if not _is_candidate(user, task) and not _manages(user, task):
        offered = ", ".join(task.candidates) or "nobody"
        raise PermissionDenied(f"task {task.id} is offered to {offered}, not to {user.username}")


def _department_of(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        role = candidate.removeprefix("role:")
        for suffix in ("-staff", "-manager"):
            if candidate.startswith("role:") and role.endswith(suffix):
                return role[: -len(suffix)]
    return None
