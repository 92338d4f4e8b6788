"""The read side of the facade: catalog, users, instances, tasks, history, diagrams.

Every question of who may see or do what goes to `Permissions` (engine/permissions.py); an
actor left out is the operator, who sees everything unredacted.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from engine.audit.journal import JournalEntry
from engine.commands.runner import Runner
from engine.errors import InvalidInput
from engine.permissions import OPERATOR_NAME, Permissions
from engine.records import InstanceRecord, StoredVersion, TaskRecord, UserRecord
from engine.spiff.stored import live_elements
from engine.ports import InstanceFilter, UnitOfWork
from engine.views import Abilities, FormView, InstanceView, Navigation, ProcessView, TaskView, UserView

# A business key names an instance the way the outside system knows it (a CRM's case number): the
# text of one field of the instance's data, by default this one. A start form that wants one adds
# the field like any other; a caller may name another field (a contact number, say).
BUSINESS_KEY = "business_key"
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,99}$")  # as the audit search: a plain data key


@dataclass(frozen=True)
class DiagramView:
    """What the instance page draws: the version's BPMN and where the instance has been."""

    bpmn: str
    completed: dict[str, int]
    active: tuple[str, ...]


class ReadingQueries:
    """Queries of the engine facade, each one unit of work through the runner; they never write."""

    def __init__(self, run: Runner):
        self.run = run

    # -- procedures and people ---------------------------------------------------------------
    def processes(self) -> list[ProcessView]:
        """The latest version of every deployed procedure."""
        with self.run.unit() as uow:
            versions = uow.versions.all_latest()
        return [self._process_view(v) for v in sorted(versions, key=lambda v: v.key)]

    def startable(self, username: str) -> list[ProcessView]:
        """The procedures `username` may start. Raises: UserNotFound, PermissionDenied (deactivated)."""
        with self.run.unit() as uow:
            user, may = self.run.actor(uow, username), self.run.permissions(uow)
            versions = uow.versions.all_latest()
        return [self._process_view(v) for v in sorted(versions, key=lambda v: v.key) if may.may_start(user, v.entry)]

    def _process_view(self, version: StoredVersion) -> ProcessView:
        form = self.run.compiled(version).start_form
        return ProcessView(version.key, version.number, version.content_hash, version.entry.name,
                           version.entry.starters, version.entry.owner_role, version.entry.clauses,
                           FormView(form.key, form.schema, form.title, form.ui) if form else None,
                           version.deployed_at, version.deployed_by)

    def users(self) -> list[UserView]:
        with self.run.unit() as uow:
            return [user_view(u) for u in uow.users.all()]

    def user(self, username: str) -> UserView:
        """Raises: UserNotFound, PermissionDenied (deactivated)."""
        with self.run.unit() as uow:
            return user_view(self.run.actor(uow, username))

    def password_hash(self, username: str) -> str | None:
        """The stored password hash of an active user; None if unknown, deactivated or unset."""
        with self.run.unit() as uow:
            user = uow.users.get(username)
        return user.password_hash if user is not None and user.active else None

    def abilities(self, username: str) -> Abilities:
        """What `username` may do at all: which parts of the interface are theirs.

        Raises:
            UserNotFound, PermissionDenied (deactivated).
        """
        with self.run.unit() as uow:
            return self._abilities(uow, self.run.actor(uow, username))

    def navigation(self, username: str, inbox: int | None = None) -> Navigation:
        """`abilities`, the inbox count and the unread notifications, in one unit of work: what
        every page's header shows. `inbox`: the count when the caller has it already (the inbox
        page counts its tasks anyway; counting a large inbox twice is what costs).

        Raises:
            UserNotFound, PermissionDenied (deactivated).
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            if inbox is None:
                absent = tuple(uow.absences.standing_in(user.username, self.run.clock.now()))  # a substitute's too
                inbox = uow.tasks.inbox_count(user.username, user.roles, standing_in=absent)
            return Navigation(self._abilities(uow, user), inbox, uow.notifications.unread_count(user.username))

    def _abilities(self, uow: UnitOfWork, user: UserRecord) -> Abilities:
        may, entries = self.run.permissions(uow), uow.versions.latest_entries()
        return Abilities(start=any(may.may_start(user, e) for e in entries), manage=may.may_manage(user),
                         own=may.may_own(user), audit=may.may_audit(user), administer=may.may_administer(user))

    # -- instances ---------------------------------------------------------------------------
    def show(self, instance_id: str, actor: str = OPERATOR_NAME) -> InstanceView:
        """The instance as `actor` may see it: refused to those who may not (see
        `Permissions.may_view`), confidential values they are not cleared for replaced by markers.

        Raises:
            InstanceNotFound, UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            return self.run.visible(uow, user, record, f"instance {instance_id}")[1]

    def history(self, instance_id: str, actor: str = OPERATOR_NAME) -> list[JournalEntry]:
        """The instance's journal, in order, as `actor` may read it: only if they may see the
        instance, with confidential values they have no clearance for replaced by markers.

        Raises:
            InstanceNotFound, UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            self.run.seen(uow, user, record, f"instance {instance_id}")
            redactor = self.run.redactor(uow, record.version_hash, user)
            return [redactor.entry(e) for e in uow.journal.for_instance(instance_id)]

    def my_requests(self, username: str) -> list[InstanceView]:
        """Instances `username` started, with their open tasks (without forms): whom each waits on."""
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            started = uow.instances.started_by(username)
            open_tasks = uow.tasks.open_for_instances([r.id for r in started])  # one read, not one each
            return [self.run.redacted(uow, dataclasses.replace(
                self.run.instance_view(uow, r, with_tasks=False),
                active_tasks=tuple(light_task_view(t) for t in open_tasks.get(r.id, ()))), user)
                for r in started]

    def find_by_business_key(self, actor: str, value: str, field: str = BUSINESS_KEY,
                             process_key: str | None = None, limit: int = 10) -> list[str]:
        """The running instances (of `process_key`, if given) whose `data[field]` reads `value` —
        strings bare, numbers and true/false as JSON writes them, as `search_instances` matches —
        and that `actor` may see, newest first, at most `limit` ids. An instance where `field` is
        confidential for `actor` is left out: finding it would confirm a value they may not read.

        Raises:
            UserNotFound, PermissionDenied (deactivated), InvalidInput (not a plain field name).
        """
        if not _FIELD.match(field or ""):
            raise InvalidInput(f"{field!r} is not a field name")
        with self.run.unit() as uow:
            user, may = self.run.actor(uow, actor), self.run.permissions(uow)
            records, _ = uow.instances.search(InstanceFilter(process_key or None, "running", data_key=field,
                                                             data_value=str(value)), 0, max(1, limit))
            return [r.id for r in records if may.may_view(user, r, uow.tasks.for_instance(r.id))
                    and not self.run.redactor(uow, r.version_hash, user).hidden(field)]

    def diagram(self, instance_id: str, actor: str = OPERATOR_NAME) -> DiagramView:
        """The BPMN of the instance's version, with run counts and active elements.

        Raises:
            InstanceNotFound, UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            self.run.seen(uow, user, record, f"instance {instance_id}")
            version = self.run.version(uow, record.version_hash)
            return diagram_of(version, record, uow.journal.for_instance(instance_id))

    def instance_forms(self, instance_id: str) -> list[FormView]:
        """Every form of the instance's version, start form first: labels for its data and history.

        Raises:
            InstanceNotFound.
        """
        with self.run.unit() as uow:
            version = self.run.version(uow, self.run.instance(uow, instance_id).version_hash)
        compiled = self.run.compiled(version)
        forms = [compiled.start_form] if compiled.start_form else []
        forms += [f for f in compiled.forms.values() if f is not compiled.start_form]
        return [FormView(f.key, f.schema, f.title, f.ui) for f in forms]

    def data_fields(self, instance_id: str) -> dict[str, dict[str, Any]]:
        """The catalog's hints (label, options) for data of the instance's version that no form
        names. Raises: InstanceNotFound."""
        with self.run.unit() as uow:
            version = self.run.version(uow, self.run.instance(uow, instance_id).version_hash)
        return copy.deepcopy(version.entry.data_fields)

    # -- tasks -------------------------------------------------------------------------------
    def tasks_for(self, username: str) -> list[TaskView]:
        """Tasks claimed by `username` and unclaimed tasks offered to them. Raises: UserNotFound."""
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            return [self.run.task_view(uow, t) for t in uow.tasks.inbox(user.username, user.roles)]

    def task(self, task_id: str, actor: str = OPERATOR_NAME) -> TaskView:
        """The task with its form, if `actor` may see its instance, and the `actions` (claim,
        release, complete, reassign) they may take on it now.

        Raises:
            TaskNotFound, UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user, task = self.run.actor(uow, actor), self.run.task(uow, task_id)
            record = self.run.instance(uow, task.instance_id)
            may, _ = self.run.seen(uow, user, record, f"task {task_id}")
            view = self.run.task_view(uow, task, record.version_hash)
        return dataclasses.replace(view, actions=actions_on(may, user, task))

    def task_context(self, task_id: str, username: str) -> dict[str, Any]:
        """The task's own values of what its form shows read-only (in a multi-instance, the item
        this task is about), redacted for `username` as the instance data is.

        Raises:
            TaskNotFound, UserNotFound, PermissionDenied.
        """
        with self.run.unit() as uow:
            user, task = self.run.actor(uow, username), self.run.task(uow, task_id)
            record = self.run.instance(uow, task.instance_id)
            self.run.seen(uow, user, record, f"task {task_id}")
            return self.run.redactor(uow, record.version_hash, user).data(task.context or {})


def diagram_of(version: StoredVersion, record: InstanceRecord, entries: list[JournalEntry]) -> DiagramView:
    """The version's BPMN with how often each element ran and which are live now."""
    counts: Counter[str] = Counter()
    for entry in entries:
        if entry.kind in ("element_completed", "task_left") and entry.payload.get("element") \
                and not entry.payload.get("cancelled"):
            counts[entry.payload["element"]] += 1
    return DiagramView(version.files[version.entry.bpmn], dict(counts), tuple(live_elements(record.state)))


def actions_on(may: Permissions, user: UserRecord, task: TaskRecord) -> frozenset[str]:
    """What `user` may do with `task` now, as the task commands would allow it."""
    if task.status != "open":
        return frozenset()
    allowed = {"claim": task.claimed_by is None and may.may_work_on(user, task),
               "release": task.claimed_by is not None and may.may_release(user, task),
               "complete": may.may_complete(user, task),
               "reassign": may.may_reassign(user, task)}
    return frozenset(name for name, yes in allowed.items() if yes)


def user_view(user: UserRecord) -> UserView:
    return UserView(user.username, user.name, user.department, user.roles, user.active)


def light_task_view(task: TaskRecord) -> TaskView:
    """A task without its form: for lists, where loading every form would cost too much."""
    return TaskView(task.id, task.instance_id, task.process_key, task.spec_name, task.title,
                    task.candidates, task.claimed_by, task.due_at, task.created_at, task.status,
                    None, task.lane, task.completed_by, task.completed_at, task.subject,
                    excluded=tuple(e.username for e in task.excluded))
