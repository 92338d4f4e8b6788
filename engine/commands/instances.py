"""Commands on whole instances: start, deliver a message, cancel, withdraw, retry a failure."""

from __future__ import annotations

import uuid
from typing import Any

from engine.audit.replay import withdrawn
from engine.clock import zone_name
from engine.commands.runner import Runner
from engine.errors import FieldError, FormInvalid, PermissionDenied, ProcessNotFound, TaskNotReady
from engine.audit.journal import GENESIS, JournalWriter
from engine.permissions import Permissions
from engine.ports import UnitOfWork
from engine.records import InstanceRecord, StoredVersion
from engine.views import InstanceView

MAX_REASON = 2000


class InstanceCommands:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def start(self, process_key: str, actor: str, data: dict[str, Any] | None = None) -> InstanceView:
        """Start a new instance of the latest version of `process_key`.

        Raises:
            UserNotFound, ProcessNotFound, PermissionDenied, FormInvalid.
        """
        data = dict(data or {})
        with self.run.unit() as uow:
            user = self.run.actor(uow, actor)
            version = uow.versions.latest(process_key)
            if version is None:
                raise ProcessNotFound(f"no procedure with key {process_key!r} is deployed")
            may = self.run.permissions(uow)
            if not may.may_start(user, version.entry):
                raise PermissionDenied(f"{actor} may not start {process_key}")
            compiled = self.run.compiled(version)
            if compiled.start_form is not None:
                compiled.start_form.validate(data, uow.users, self.run.files)
            record, now_open = self.start_instance(uow, version, actor, data, may=may)
            uow.commit()
            return self.run.instance_view(uow, record, open_tasks=now_open)

    def start_instance(self, uow: UnitOfWork, version: StoredVersion, actor: str | None,
                       data: dict[str, Any], scheduled_for: str | None = None,
                       may: Permissions | None = None) -> tuple[InstanceRecord, list]:
        """Create, run and store a new instance of `version` within the caller's unit of work;
        returns it with its open tasks."""
        now = self.run.clock.now()
        instance_id = str(uuid.uuid4())
        result = self.run.execution(uow, self.run.compiled(version)).start(data, actor)
        record = InstanceRecord(instance_id, version.key, version.content_hash, version.number,
                                result.status, result.state, result.data, actor, now, now)
        journal = JournalWriter(instance_id, 0, GENESIS, now, actor, self.run.fingerprints.salt)
        payload = {"process_key": version.key, "version": version.number,
                   "version_hash": version.content_hash, "data": data,
                   "time_zone": zone_name(self.run.clock.zone)}  # replay turns dates into instants in it
        if scheduled_for:
            payload["scheduled_for"] = scheduled_for
        journal.add("started", payload)
        return record, self.run.apply(uow, record, result, journal, expected_revision=None, open_tasks=[], may=may)

    def correlate_message(self, instance_id: str, name: str, actor: str,
                          payload: dict[str, Any] | None = None) -> InstanceView:
        """Deliver the message `name` with `payload` to an instance waiting for it.

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, TaskNotReady (not waiting for it).
        """
        payload = dict(payload or {})
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            tasks, may = uow.tasks.for_instance(instance_id), self.run.permissions(uow)
            if not may.may_view(user, record, tasks):
                raise PermissionDenied(f"{actor} may not send messages to instance {instance_id}")
            if record.status != "running":
                raise TaskNotReady(f"instance {instance_id} is {record.status}")
            execution = self.run.execution(uow, self.run.compiled_for(uow, record.version_hash), record.state)
            return self._finish(uow, record, execution.receive_message(name, payload), actor,
                                ("message_received", {"name": name, "payload": payload}), tasks, may)

    def cancel(self, instance_id: str, actor: str, reason: str = "") -> InstanceView:
        """Stop a running or failed instance; its open tasks are cancelled.

        Allowed to its starter, administrators and the managers of the departments its tasks
        belong to (engine/permissions.py).

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, TaskNotReady (already finished).
        """
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            if record.status not in ("running", "failed"):
                raise TaskNotReady(f"instance {instance_id} is already {record.status}")
            tasks, may = uow.tasks.for_instance(instance_id), self.run.permissions(uow)
            if not may.may_cancel(user, record, tasks):
                raise PermissionDenied(f"{actor} may not cancel instance {instance_id}")
            execution = self.run.execution(uow, self.run.compiled_for(uow, record.version_hash), record.state)
            return self._finish(uow, record, execution.cancel(reason), actor, ("cancelled", {"reason": reason}),
                                tasks, may)

    def withdraw(self, instance_id: str, actor: str, reason: str) -> InstanceView:
        """The starter takes back their own request, saying why: its open tasks are cancelled and
        the instance ends as `withdrawn`, journaled like a cancel (replay and verify know it).

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied (not its starter), TaskNotReady
            (already finished), FormInvalid (no reason, or one over 2,000 characters).
        """
        reason = (reason or "").strip()
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            if not self.run.permissions(uow).may_withdraw(user, record):  # before the reason is checked
                raise PermissionDenied(f"only its starter may withdraw instance {instance_id}")
            _check_reason(reason)
            if record.status not in ("running", "failed"):
                raise TaskNotReady(f"instance {instance_id} is already {record.status}")
            execution = self.run.execution(uow, self.run.compiled_for(uow, record.version_hash), record.state)
            return self._finish(uow, record, withdrawn(execution, reason), actor, ("withdrawn", {"reason": reason}))

    def retry(self, instance_id: str, actor: str, data: dict[str, Any] | None = None) -> InstanceView:
        """Run a failed instance again, after merging corrected `data` into its waiting tasks.

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied, TaskNotReady (not failed).
        """
        with self.run.unit() as uow:
            user, record = self.run.actor(uow, actor), self.run.instance(uow, instance_id)
            if not self.run.permissions(uow).may_retry(user):
                raise PermissionDenied(f"only an administrator may retry an instance, not {actor}")
            if record.status != "failed":
                raise TaskNotReady(f"instance {instance_id} is {record.status}, not failed")
            execution = self.run.execution(uow, self.run.compiled_for(uow, record.version_hash), record.state)
            return self._finish(uow, record, execution.retry(data or {}), actor,
                                ("incident_retried", {"incident": record.incident, "data": data or {}}))

    def _finish(self, uow: UnitOfWork, record: InstanceRecord, result: Any, actor: str,
                command: tuple[str, dict[str, Any]], tasks: list | None = None,
                may: Permissions | None = None) -> InstanceView:
        """Journal `command`, write the run's outcome, commit, and return the instance."""
        journal = self.run.journal(record, actor)
        journal.add(*command)
        open_tasks = [t for t in tasks if t.status == "open"] if tasks is not None else None
        now_open = self.run.apply(uow, record, result, journal, expected_revision=record.revision,
                                  open_tasks=open_tasks, may=may)
        uow.commit()
        return self.run.instance_view(uow, record, open_tasks=now_open)


def _check_reason(reason: str) -> None:
    if not reason or len(reason) > MAX_REASON:
        code = "required" if not reason else "maxLength"
        message = "a reason is required" if not reason else f"the reason is over {MAX_REASON} characters"
        raise FormInvalid("withdraw", [FieldError("reason", message, code, {"limit": MAX_REASON} if reason else {})])
