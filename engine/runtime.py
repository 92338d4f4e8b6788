"""The engine facade: the handful of commands the web UI and the CLI call.

Each command is one unit of work: load, run the engine, write state, task rows and journal
entries, commit — or change nothing.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable, Iterable

from engine.commands.people import ADMIN_ROLES, AdminCommands
from engine.commands.evidence import AuditCommands
from engine.queries.audit_search import AuditQueries
from engine.clock import Clock, CommandClock, SystemClock, zone_name
from engine.definitions.bundles import ProcessBundle
from engine.audit.confidential import Fingerprints, ephemeral_fingerprints
from engine.errors import (
    FieldError, FormInvalid, PermissionDenied, ProcessNotFound, TaskAlreadyClaimed, TaskNotClaimed, TaskNotReady,
)
from engine.spiff.execution import Execution, StepResult
from engine.audit.journal import GENESIS, JournalWriter
from engine.spiff.outcomes import outcomes_of
from engine.commands.owner import OwnerCommands
from engine.ports import UnitOfWork
from engine.queries.inbox import InboxQueries
from engine.queries.reading import ReadingMixin, may_start
from engine.audit.replay import withdrawn
from engine.commands.timers import TimerCommands
from engine.records import InstanceRecord, Organisation, StoredVersion, TaskRecord, UserRecord
from engine.spiff.specs import SpecCache, compile_bundle
from engine.definitions.subjects import formatter_for
from engine.views import DeployResult, InstanceView, TaskView


class Engine(ReadingMixin, InboxQueries, TimerCommands, AuditCommands, AuditQueries, OwnerCommands, AdminCommands):
    """zhidu's runtime facade over SpiffWorkflow and storage."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], clock: Clock | None = None,
                 cache: SpecCache | None = None, fingerprint_key: bytes | None = None):
        # Confidential values are fingerprinted under the installation's key (engine/audit/confidential.py).
        self.fingerprints = Fingerprints(fingerprint_key) if fingerprint_key else ephemeral_fingerprints()
        self.clock = CommandClock(clock or SystemClock())  # one instant per command, as replay sees it
        self.uow_factory = self.clock.freezing(uow_factory)
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
                self._update_schedule(uow, self.cache.get(bundle), self.clock.now())
                results.append(DeployResult(bundle.key, number, bundle.content_hash, True))
            uow.commit()
        return results

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
            if not may_start(user, version):
                raise PermissionDenied(f"{actor} may not start {process_key}")
            compiled = self._compiled(version)
            if compiled.start_form is not None:
                compiled.start_form.validate(data, uow.users)
            record = self._start_instance(uow, version, actor, data)
            uow.commit()
            return self._instance_view(uow, record)

    def _start_instance(self, uow: UnitOfWork, version: StoredVersion, actor: str | None,
                        data: dict[str, Any], scheduled_for: str | None = None) -> InstanceRecord:
        now = self.clock.now()
        instance_id = str(uuid.uuid4())
        result = Execution(self._compiled(version), self.clock, functions=self._script_functions()).start(data, actor)
        record = InstanceRecord(instance_id, version.key, version.content_hash, version.number,
                                result.status, result.state, result.data, actor, now, now)
        journal = JournalWriter(instance_id, 0, GENESIS, now, actor, self.fingerprints.salt)
        payload = {"process_key": version.key, "version": version.number,
                   "version_hash": version.content_hash, "data": data,
                   "time_zone": zone_name(self.clock.zone)}  # replay turns dates into instants in it
        if scheduled_for:
            payload["scheduled_for"] = scheduled_for
        journal.add("started", payload)
        uow.instances.add(record)
        self._apply(uow, record, result, journal, expected_revision=None)
        return record

    def correlate_message(self, instance_id: str, name: str, actor: str,
                          payload: dict[str, Any] | None = None) -> InstanceView:
        """Deliver the message `name` with `payload` to an instance waiting for it.

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, TaskNotReady (not waiting for it).
        """
        payload = dict(payload or {})
        with self.uow_factory() as uow:
            user, record = self._user(uow, actor), self._instance(uow, instance_id)
            if not self._may_view(uow, user, record):
                raise PermissionDenied(f"{actor} may not send messages to instance {instance_id}")
            if record.status != "running":
                raise TaskNotReady(f"instance {instance_id} is {record.status}")
            compiled = self._compiled_for(uow, record.version_hash)
            result = Execution(compiled, self.clock, record.state,
                               self._script_functions()).receive_message(name, payload)
            journal = self._journal(uow, record, actor)
            journal.add("message_received", {"name": name, "payload": payload})
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self._instance_view(uow, record)

    def cancel(self, instance_id: str, actor: str, reason: str = "") -> InstanceView:
        """Stop a running or failed instance; its open tasks are cancelled.

        Allowed to its starter, the director, administrators and the managers of the
        departments its tasks belong to.

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, TaskNotReady (already finished).
        """
        with self.uow_factory() as uow:
            user, record = self._user(uow, actor), self._instance(uow, instance_id)
            if record.status not in ("running", "failed"):
                raise TaskNotReady(f"instance {instance_id} is already {record.status}")
            departments = {t.department for t in uow.tasks.for_instance(instance_id) if t.department}
            allowed = record.started_by == actor or {"director", *ADMIN_ROLES} & set(user.roles) or \
                any(f"{d}-manager" in user.roles for d in departments)
            if not allowed:
                raise PermissionDenied(f"{actor} may not cancel instance {instance_id}")
            compiled = self._compiled_for(uow, record.version_hash)
            result = Execution(compiled, self.clock, record.state, self._script_functions()).cancel(reason)
            journal = self._journal(uow, record, actor)
            journal.add("cancelled", {"reason": reason})
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self._instance_view(uow, record)

    def withdraw(self, instance_id: str, actor: str, reason: str) -> InstanceView:
        """The starter takes back their own request, saying why: its open tasks are cancelled and
        the instance ends as `withdrawn`, journaled like a cancel (replay and verify know it).

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied (not its starter), TaskNotReady
            (already finished), FormInvalid (no reason, or one over 2,000 characters).
        """
        reason = (reason or "").strip()
        with self.uow_factory() as uow:
            self._user(uow, actor)
            record = self._instance(uow, instance_id)
            if record.started_by != actor:  # before the reason: nobody else learns how it is checked
                raise PermissionDenied(f"only its starter may withdraw instance {instance_id}")
            if not reason or len(reason) > 2000:
                code = "required" if not reason else "maxLength"
                message = "a reason is required" if not reason else "the reason is over 2000 characters"
                raise FormInvalid("withdraw", [FieldError("reason", message, code, {"limit": 2000} if reason else {})])
            if record.status not in ("running", "failed"):
                raise TaskNotReady(f"instance {instance_id} is already {record.status}")
            compiled = self._compiled_for(uow, record.version_hash)
            result = withdrawn(Execution(compiled, self.clock, record.state, self._script_functions()), reason)
            journal = self._journal(uow, record, actor)
            journal.add("withdrawn", {"reason": reason})
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self._instance_view(uow, record)

    # -- tasks -------------------------------------------------------------------------------
    def claim(self, task_id: str, actor: str) -> TaskView:
        """Claim an open task for `actor`.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, TaskAlreadyClaimed, PermissionDenied.
        """
        with self.uow_factory() as uow:
            user, task = self._user(uow, actor), self._task(uow, task_id)
            _require_open(task)
            _require_candidate(user, task)  # before anything about the task's state is told
            if task.claimed_by == actor:
                return self._task_view(uow, task)
            if task.claimed_by is not None:
                raise TaskAlreadyClaimed(f"task {task_id} is already claimed by {task.claimed_by}")
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
            if task.claimed_by != actor and not _manages(user, task) and not _is_candidate(user, task):
                raise PermissionDenied(f"{actor} may not release task {task_id}")
            if task.claimed_by is None:
                raise TaskNotClaimed(f"task {task_id} is not claimed")
            if task.claimed_by != actor and not _manages(user, task):
                raise PermissionDenied(f"task {task_id} is claimed by {task.claimed_by}, not {actor}")
            previous, task.claimed_by = task.claimed_by, None
            self._record_task_command(uow, task, actor, "released",
                                      {"task_id": task.id, "element": task.spec_name, "from": previous})
            uow.commit()
            return self._task_view(uow, task)

    def reassign(self, task_id: str, actor: str, to_user: str) -> TaskView:
        """A manager (of the task's department) or the director hands a task to someone.

        Raises:
            UserNotFound, TaskNotFound, TaskNotReady, PermissionDenied.
        """
        with self.uow_factory() as uow:
            user, task = self._user(uow, actor), self._task(uow, task_id)
            target = self._user(uow, to_user)
            _require_open(task)
            if not _manages(user, task):
                raise PermissionDenied(f"{actor} does not manage the department of task {task_id}")
            if not _is_candidate(target, task) and not _manages(target, task):
                raise PermissionDenied(f"task {task_id} cannot be given to {to_user}: not one of its candidates")
            previous, task.claimed_by = task.claimed_by, to_user
            self._record_task_command(uow, task, actor, "reassigned",
                                      {"task_id": task.id, "element": task.spec_name, "from": previous, "to": to_user})
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
            _require_candidate(user, task)
            if task.claimed_by not in (None, actor):
                raise TaskAlreadyClaimed(f"task {task_id} is claimed by {task.claimed_by}")
            record = self._instance(uow, task.instance_id)
            if record.status != "running":
                raise TaskNotReady(f"instance {record.id} is {record.status}")
            compiled = self._compiled_for(uow, record.version_hash)
            form = compiled.forms.get(task.form_key or "")
            if form is not None:
                form.validate(data, uow.users)
            result = Execution(compiled, self.clock, record.state, self._script_functions()).complete(task_id, data)
            task.claimed_by = actor
            task.status, task.completed_by, task.completed_at = "completed", actor, self.clock.now()
            task.submitted = data
            uow.tasks.save(task)
            journal = self._journal(uow, record, actor)
            journal.add("completed", {"task_id": task_id, "element": task.spec_name, "data": data})
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self._instance_view(uow, record)

    # -- internals ---------------------------------------------------------------------------
    def _apply(self, uow: UnitOfWork, record: InstanceRecord, result: StepResult, journal: JournalWriter,
               expected_revision: int | None) -> None:
        """Write the outcome of one engine run: task rows, journal, instance state."""
        now = self.clock.now()
        open_tasks = {t.id: t for t in uow.tasks.open_for_instance(record.id)}
        outcomes = outcomes_of({t.id: t.spec_name for t in open_tasks.values()}, result)
        for task_id in outcomes.cancelled:
            task = open_tasks[task_id]
            task.status, task.completed_at = "cancelled", now
            uow.tasks.save(task)
        for kind, payload in outcomes.entries:
            journal.add(kind, payload, actor=None)
        subjects = formatter_for(self._compiled_for(uow, record.version_hash), uow.users.get)
        for ready in outcomes.entered:
            uow.tasks.add(TaskRecord(ready.id, record.id, record.process_key, ready.spec_name, ready.title,
                                     ready.lane, ready.form_key, ready.candidates, now, due_at=ready.due_at,
                                     department=_department_of(ready.candidates), context=ready.context,
                                     subject=subjects.format(result.data, ready.context)))
        record.state, record.status, record.data = result.state, result.status, result.data
        record.next_wake_at = result.next_wake_at if result.status == "running" else None
        record.current_step, record.incident, record.updated_at = result.current_step, result.incident, now
        uow.journal.append(journal.entries)
        record.journal_seq, record.journal_hash = journal.head
        uow.instances.save(record, record.revision if expected_revision is None else expected_revision)

    def _record_task_command(self, uow: UnitOfWork, task: TaskRecord, actor: str, kind: str,
                             payload: dict[str, Any]) -> None:
        record = self._instance(uow, task.instance_id)
        journal = self._journal(uow, record, actor)
        journal.add(kind, payload)
        uow.tasks.save(task)
        uow.journal.append(journal.entries)
        record.journal_seq, record.journal_hash = journal.head
        record.updated_at = self.clock.now()
        uow.instances.save(record, record.revision)

    def _journal(self, uow: UnitOfWork, record: InstanceRecord, actor: str | None) -> JournalWriter:
        last = uow.journal.last(record.id)
        return JournalWriter(record.id, last.seq if last else 0, last.entry_hash if last else GENESIS,
                             self.clock.now(), actor, self.fingerprints.salt)



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
