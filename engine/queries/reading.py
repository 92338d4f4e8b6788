"""The read side of the facade: catalog, users, instances, tasks, history, diagrams."""

from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from engine.clock import Clock
from engine.audit.confidential import Redactor, rules_of
from engine.definitions.bundles import ProcessBundle
from engine.errors import InstanceNotFound, PermissionDenied, ProcessNotFound, TaskNotFound, UserNotFound
from engine.audit.journal import JournalEntry
from engine.ports import UnitOfWork
from engine.records import InstanceRecord, StoredVersion, TaskRecord, UserRecord
from engine.spiff.specs import CompiledVersion, SpecCache
from engine.views import FormView, InstanceView, ProcessView, TaskView, UserView

# Roles that may read every instance.
READ_ALL_ROLES = {"director", "auditor", "admin"}
_LIVE_STATES = 8 | 16 | 32  # SpiffWorkflow TaskState WAITING | READY | STARTED


@dataclass(frozen=True)
class DiagramView:
    """What the instance page draws: the version's BPMN and where the instance has been."""

    bpmn: str
    completed: dict[str, int]
    active: tuple[str, ...]


class ReadingMixin:
    """Queries of the engine facade; they never write."""

    uow_factory: Callable[[], UnitOfWork]
    cache: SpecCache
    clock: Clock

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
        return [self._process_view(v) for v in sorted(versions, key=lambda v: v.key) if may_start(user, v)]

    def _process_view(self, version: StoredVersion) -> ProcessView:
        compiled = self._compiled(version)
        form = compiled.start_form
        return ProcessView(version.key, version.number, version.content_hash, version.entry.name,
                           version.entry.starters, version.entry.owner_role, version.entry.clauses,
                           FormView(form.key, form.schema, form.title, form.ui) if form else None,
                           version.deployed_at, version.deployed_by)

    def users(self) -> list[UserView]:
        with self.uow_factory() as uow:
            users = uow.users.all()
        return [UserView(u.username, u.name, u.department, u.roles, u.active) for u in users]

    def user(self, username: str) -> UserView:
        """Raises: UserNotFound."""
        with self.uow_factory() as uow:
            u = self._user(uow, username)
        return UserView(u.username, u.name, u.department, u.roles, u.active)

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
        """Instances `username` started, with their open tasks (without forms): whom each waits on."""
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            return [self._redacted(uow, dataclasses.replace(
                self._instance_view(uow, r, with_tasks=False),
                active_tasks=tuple(light_task_view(t) for t in uow.tasks.open_for_instance(r.id))), user)
                for r in uow.instances.started_by(username)]

    def tasks_for(self, username: str) -> list[TaskView]:
        """Tasks claimed by `username` and unclaimed tasks offered to them. Raises: UserNotFound."""
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            return [self._task_view(uow, t) for t in uow.tasks.inbox(user.username, user.roles)]

    def task(self, task_id: str) -> TaskView:
        """Raises: TaskNotFound."""
        with self.uow_factory() as uow:
            return self._task_view(uow, self._task(uow, task_id))

    def _task_view(self, uow: UnitOfWork, task: TaskRecord) -> TaskView:
        form_view = None
        if task.form_key:
            digest = uow.instances.version_of(task.instance_id)
            form = self._compiled_for(uow, digest).forms.get(task.form_key) if digest else None
            if form is not None:
                form_view = FormView(form.key, form.schema, form.title, form.ui)
        return TaskView(task.id, task.instance_id, task.process_key, task.spec_name, task.title,
                        task.candidates, task.claimed_by, task.due_at, task.created_at, task.status,
                        form_view, task.lane, task.completed_by, task.completed_at, task.subject)

    def _instance_view(self, uow: UnitOfWork, record: InstanceRecord, with_tasks: bool = True) -> InstanceView:
        tasks = tuple(self._task_view(uow, t) for t in uow.tasks.open_for_instance(record.id)) if with_tasks else ()
        now = self.clock.now()
        overdue = any(t.due_at is not None and t.due_at < now for t in tasks)
        return InstanceView(record.id, record.process_key, record.version_number, record.version_hash,
                            record.status, record.started_by, record.started_at, record.updated_at,
                            copy.deepcopy(record.data), tasks, record.current_step, record.incident, overdue)

    def visible_instance(self, instance_id: str, username: str) -> InstanceView:
        """The instance, if `username` may see it: its starter, a participant, a manager of a
        department involved, the director, auditors and administrators.

        Raises:
            InstanceNotFound, UserNotFound, PermissionDenied.
        """
        with self.uow_factory() as uow:
            user, record = self._user(uow, username), self._instance(uow, instance_id)
            if not self._may_view(uow, user, record):
                raise PermissionDenied(f"{username} may not see instance {instance_id}")
            return self._redacted(uow, self._instance_view(uow, record), user)

    def task_context(self, task_id: str, username: str) -> dict[str, Any]:
        """The task's own values of what its form shows read-only (in a multi-instance, the item
        this task is about), redacted for `username` as the instance data is.

        Raises:
            TaskNotFound, UserNotFound, PermissionDenied.
        """
        with self.uow_factory() as uow:
            user, task = self._user(uow, username), self._task(uow, task_id)
            record = self._instance(uow, task.instance_id)
            if not self._may_view(uow, user, record):
                raise PermissionDenied(f"{username} may not see task {task_id}")
            return self._redactor(uow, record.version_hash, user).data(task.context or {})

    def visible_history(self, instance_id: str, username: str) -> list[JournalEntry]:
        """The instance's journal as `username` may read it: only if they may see the instance,
        with confidential values they have no clearance for replaced by markers.

        Raises:
            InstanceNotFound, UserNotFound, PermissionDenied.
        """
        with self.uow_factory() as uow:
            user, record = self._user(uow, username), self._instance(uow, instance_id)
            if not self._may_view(uow, user, record):
                raise PermissionDenied(f"{username} may not see instance {instance_id}")
            redactor = self._redactor(uow, record.version_hash, user)
            return [redactor.entry(e) for e in uow.journal.for_instance(instance_id)]

    def _redactor(self, uow: UnitOfWork, version_hash: str, user: UserRecord) -> Redactor:
        compiled = self._compiled_for(uow, version_hash)
        forms = [f for f in (compiled.start_form, *compiled.forms.values()) if f is not None]
        return Redactor(rules_of(forms), frozenset(user.roles), fingerprints=self.fingerprints)

    def _redacted(self, uow: UnitOfWork, view: InstanceView, user: UserRecord) -> InstanceView:
        """`view` with the confidential values `user` is not cleared for replaced by markers."""
        redactor = self._redactor(uow, view.version_hash, user)
        return dataclasses.replace(view, data=redactor.data(view.data)) if redactor.active else view

    def _may_view(self, uow: UnitOfWork, user: UserRecord, record: InstanceRecord) -> bool:
        if READ_ALL_ROLES & set(user.roles) or record.started_by == user.username:
            return True
        tasks = uow.tasks.for_instance(record.id)
        if any(t.claimed_by == user.username or t.completed_by == user.username for t in tasks):
            return True
        departments = {t.department for t in tasks if t.department}
        if any(f"{d}-manager" in user.roles for d in departments):
            return True
        open_offers = {c for t in tasks if t.status == "open" for c in t.candidates}
        return f"user:{user.username}" in open_offers or any(f"role:{r}" in open_offers for r in user.roles)

    def diagram(self, instance_id: str) -> DiagramView:
        """The BPMN of the instance's version, with run counts and active elements.

        Raises:
            InstanceNotFound.
        """
        with self.uow_factory() as uow:
            record = self._instance(uow, instance_id)
            version = self._version(uow, record.version_hash)
            entries = uow.journal.for_instance(instance_id)
        counts: Counter[str] = Counter()
        for entry in entries:
            if entry.kind in ("element_completed", "task_left") and entry.payload.get("element") \
                    and not entry.payload.get("cancelled"):
                counts[entry.payload["element"]] += 1
        active = sorted({t["task_spec"] for t in record.state.get("tasks", {}).values()
                         if t["state"] & _LIVE_STATES})
        return DiagramView(version.files[version.entry.bpmn], dict(counts), tuple(active))


    def _compiled_for(self, uow: UnitOfWork, content_hash: str) -> CompiledVersion:
        """The compiled version an instance is pinned to; storage is read only on first use."""
        def bundle() -> ProcessBundle:
            version = self._version(uow, content_hash)
            return ProcessBundle(version.entry, version.files)

        return self.cache.pinned(content_hash, bundle)

    def _compiled(self, version: StoredVersion) -> CompiledVersion:
        return self.cache.pinned(version.content_hash, lambda: ProcessBundle(version.entry, version.files))

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

    # -- queries the web UI needs -----------------------------------------------------------
    def password_hash(self, username: str) -> str | None:
        """The stored password hash of an active user; None if unknown, deactivated or unset."""
        with self.uow_factory() as uow:
            user = uow.users.get(username)
        return user.password_hash if user is not None and user.active else None

    def instance_forms(self, instance_id: str) -> list[FormView]:
        """Every form of the instance's version, start form first: labels for its data and history.

        Raises:
            InstanceNotFound.
        """
        with self.uow_factory() as uow:
            version = self._version(uow, self._instance(uow, instance_id).version_hash)
        compiled = self._compiled(version)
        forms = [compiled.start_form] if compiled.start_form else []
        forms += [f for f in compiled.forms.values() if f is not compiled.start_form]
        return [FormView(f.key, f.schema, f.title, f.ui) for f in forms]

    def data_fields(self, instance_id: str) -> dict[str, dict[str, Any]]:
        """The catalog's hints (label, options) for data of the instance's version that no form
        names. Raises: InstanceNotFound."""
        with self.uow_factory() as uow:
            version = self._version(uow, self._instance(uow, instance_id).version_hash)
        return copy.deepcopy(version.entry.data_fields)


def light_task_view(task: TaskRecord) -> TaskView:
    return TaskView(task.id, task.instance_id, task.process_key, task.spec_name, task.title,
                    task.candidates, task.claimed_by, task.due_at, task.created_at, task.status,
                    None, task.lane, task.completed_by, task.completed_at, task.subject)


def may_start(user: UserRecord, version: StoredVersion) -> bool:
    starters = version.entry.starters
    return not starters or bool(set(starters) & set(user.roles))
