"""Evidence commands of the facade: verify instances, step through them, read and export them
for audit, and verify a bundle with no database at all.

`verify` and `step_through` take an actor: the operator (the default) sees everything; a person
must be allowed to audit (`Permissions.may_audit`) and sees confidential values they are not
cleared for as markers."""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Iterable

from engine.audit.confidential import Redactor
from engine.audit.journal import JournalEntry
from engine.audit.replay import replay
from engine.audit.snapshot import Evidence, read_evidence
from engine.audit.verify import Verdict, verify_instance
from engine.commands.offline import EXPORT_FORMAT, verify_bundle
from engine.commands.runner import Runner
from engine.definitions.bundles import ProcessBundle
from engine.errors import DefinitionInvalid, Divergence, PermissionDenied
from engine.files import FileStore, file_status, references
from engine.permissions import OPERATOR, OPERATOR_NAME, Permissions
from engine.ports import UnitOfWork
from engine.records import InstanceRecord, UserRecord
from engine.spiff.specs import CompiledVersion
from engine.views import FormView, InstanceView



@dataclass(frozen=True)
class AuditRead:
    """Everything the auditor's instance page shows, read in one unit of work from one read of
    the journal: the timeline and the replayed steps cannot disagree about which entries exist,
    however many commands run meanwhile."""

    instance: InstanceView
    bpmn: str
    entries: tuple[JournalEntry, ...]
    forms: tuple[FormView, ...]
    people: dict[str, str]                   # username -> name, for every user
    steps: tuple[dict[str, Any], ...]        # replay's steps (seq, kind, data, active), redacted
    replay_error: str | None = None          # why it does not replay (then `steps` is empty)


class EvidenceCommands:
    """Reads only; each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def verify(self, instance_id: str, actor: str = OPERATOR_NAME) -> Verdict:
        """Verdict for one instance, as `actor` may read it: the recorded and replayed values
        become markers when the field that differs is confidential for them.

        Raises:
            UserNotFound, PermissionDenied (may not audit), InstanceNotFound; ConcurrentUpdate
            when commands kept committing on the instance while it was read (engine/audit/snapshot.py).
        """
        with self.run.unit() as uow:
            user = self._auditor(uow, actor)
            evidence = read_evidence(uow, self.run.instance(uow, instance_id))
            verdict = self._verify(uow, evidence)
            if user is OPERATOR or not verdict.field:
                return verdict
            redactor = self.run.redactor(uow, evidence.record.version_hash, user)
        if any(redactor.hidden(part) for part in verdict.field.split(".")):
            return dataclasses.replace(verdict, recorded=redactor.marker(verdict.recorded),
                                       replayed=redactor.marker(verdict.replayed))
        return verdict

    def verify_all(self, batch: int = 500) -> Iterable[Verdict]:
        """Verdicts for every instance, read in batches (the operator's).

        Raises:
            ConcurrentUpdate: see `verify`.
        """
        after = ""
        while True:
            with self.run.unit() as uow:
                ids = uow.instances.ids_after(after, batch)
                for instance_id in ids:
                    yield self._verify(uow, read_evidence(uow, uow.instances.get(instance_id)))
            if len(ids) < batch:
                return
            after = ids[-1]

    def step_through(self, instance_id: str, actor: str = OPERATOR_NAME) -> list[dict[str, Any]]:
        """After each command of the journal: its seq, the data, and the active elements; the
        data as `actor` may read it (auditors see each confidential value's SHA-256).

        Raises:
            UserNotFound, PermissionDenied (may not audit), InstanceNotFound; Divergence when
            the journal does not replay.
        """
        with self.run.unit() as uow:
            user = self._auditor(uow, actor)
            record = self.run.instance(uow, instance_id)
            compiled = self.run.compiled_for(uow, record.version_hash)
            steps = replay(compiled, uow.journal.for_instance(instance_id), self._resolver(uow)).steps
            redactor = self.run.redactor(uow, record.version_hash, user)
        if not redactor.active:
            return steps
        return [{**step, "data": redactor.data(step["data"])} for step in steps]

    def audit_read(self, auditor: str, instance_id: str) -> AuditRead:
        """The instance as `auditor` may read it (confidential values as markers), its journal,
        its diagram, its forms' labels, the names of people and the replayed steps — all from
        one unit of work, the journal read once.

        Raises:
            UserNotFound, PermissionDenied (may not audit), InstanceNotFound; ConcurrentUpdate
            when commands kept committing on the instance while it was read.
        """
        with self.run.unit() as uow:
            user = self._auditor(uow, auditor)
            # the row, journal and task rows of one moment (engine/audit/snapshot.py): the status
            # and open tasks shown are those of the last entry of the timeline shown
            evidence = read_evidence(uow, self.run.instance(uow, instance_id))
            record, entries = evidence.record, evidence.entries
            version = self.run.version(uow, record.version_hash)
            compiled = self.run.compiled_for(uow, record.version_hash)
            redactor = self.run.redactor(uow, record.version_hash, user)
            open_tasks = [t for t in evidence.tasks if t.status == "open"]
            view = self.run.redacted(uow, self.run.instance_view(uow, record, open_tasks=open_tasks), user)
            people = {u.username: u.name for u in uow.users.all()}
            try:
                steps, error = replay(compiled, entries, self._resolver(uow)).steps, None
            except (Divergence, DefinitionInvalid) as err:
                steps, error = [], str(err)
        return AuditRead(view, version.files[version.entry.bpmn], tuple(redactor.entry(e) for e in entries),
                         _forms(compiled), people,
                         tuple({**step, "data": redactor.data(step["data"])} for step in steps), error)

    def export(self, instance_ids: list[str] | None = None, username: str | None = None,
               with_files: bool = False) -> dict[str, Any]:
        """A self-contained bundle: journals, stored rows, and the versions' files and hashes;
        `with_files`: also the attached files the exported journals reference (base64, by
        SHA-256), so `verify_bundle` checks them too. A file no longer stored is left out, and
        verifying the bundle names it.

        With `username`, confidential values that user is not cleared for are replaced by their
        keyed fingerprints (the chain still verifies; offline, everything but those values
        replays) and the instance's live state is left out. Without it, everything (operators,
        full replay).

        Raises:
            UserNotFound, InstanceNotFound, PermissionDenied (`username` may not see an instance);
            ConcurrentUpdate: see `verify`.
        """
        versions: dict[str, Any] = {}
        instances = []
        with self.run.unit() as uow:
            user = self.run.actor(uow, username) if username else None
            may = self.run.permissions(uow)
            ids = instance_ids if instance_ids is not None else uow.instances.ids_after("", 10**9)
            for instance_id in ids:
                evidence = read_evidence(uow, self.run.instance(uow, instance_id))  # row, journal, tasks of one moment
                version = self.run.version(uow, evidence.record.version_hash)
                versions[version.content_hash] = {"key": version.key, "number": version.number,
                                                   "entry": version.entry.to_dict(), "files": version.files}
                instances.append(self._exported(uow, may, evidence, user))
        bundle = {"format": EXPORT_FORMAT, "exported_at": self.run.clock.now().isoformat(),
                  "versions": versions, "instances": instances}
        if with_files:
            bundle["files"] = _bundled_files(self.run.files, instances)
        return bundle

    # -- internals ---------------------------------------------------------------------------
    def _auditor(self, uow: UnitOfWork, username: str) -> UserRecord:
        """The active user `username`, who may audit (the operator always may)."""
        user = self.run.actor(uow, username)
        if not self.run.permissions(uow).may_audit(user):
            raise PermissionDenied(f"{username} may not audit instances")
        return user

    def _verify(self, uow: UnitOfWork, evidence: Evidence) -> Verdict:
        record = evidence.record
        version = uow.versions.by_hash(record.version_hash)
        compiled, intact = None, False
        if version is not None:
            bundle = ProcessBundle(version.entry, version.files)
            intact = bundle.content_hash == record.version_hash
            compiled = self.run.cache.get(bundle) if intact else None
        return verify_instance(compiled, record, evidence.entries, evidence.tasks, intact, self._resolver(uow),
                               files=lambda ref: file_status(self.run.files, ref))

    def _resolver(self, uow: UnitOfWork):
        """Compiled versions by hash for replay across migrations; None if missing or altered."""
        def resolve(digest: str):
            version = uow.versions.by_hash(digest)
            bundle = ProcessBundle(version.entry, version.files) if version is not None else None
            return self.run.cache.get(bundle) if bundle is not None and bundle.content_hash == digest else None
        return resolve

    def _exported(self, uow: UnitOfWork, may: Permissions, evidence: Evidence,
                  user: UserRecord | None) -> dict[str, Any]:
        record, entries, tasks = evidence.record, evidence.entries, evidence.tasks
        redactor = None
        if user is not None:
            if not may.may_view(user, record, tasks):
                raise PermissionDenied(f"{user.username} may not see instance {record.id}")
            redactor = dataclasses.replace(self.run.redactor(uow, record.version_hash, user), with_hash=True)
        if redactor is not None and redactor.active:
            entries = [redactor.entry(e) for e in entries]
        item = {"instance": _plain(asdict(record)), "tasks": [_plain(asdict(t)) for t in tasks],
                "journal": [e.to_dict() for e in entries]}
        if redactor is not None and redactor.active:
            _redact_item(item, record, redactor)
        return item


def _redact_item(item: dict[str, Any], record: InstanceRecord, redactor: Redactor) -> None:
    item["redacted"] = True
    item["instance"]["data"] = redactor.data(record.data)
    item["instance"]["state"] = None
    for task in item["tasks"]:
        for key in ("submitted", "context"):
            if isinstance(task.get(key), dict):
                task[key] = redactor.data(task[key])


def _bundled_files(files: FileStore, instances: list[dict[str, Any]]) -> dict[str, str]:
    """SHA-256 → base64 of every stored file the exported journals reference (as exported: a
    confidential attachment the reader may not see is a marker there, so its file stays out)."""
    bundled: dict[str, str] = {}
    for item in instances:
        for entry in item["journal"]:
            for _, ref in references(entry["payload"].get("data")):
                content = files.get(ref["sha256"]) if ref["sha256"] not in bundled else None
                if content is not None:
                    bundled[ref["sha256"]] = base64.b64encode(content).decode("ascii")
    return bundled


def _forms(compiled: CompiledVersion) -> tuple[FormView, ...]:
    """The version's forms, start form first (their labels name the data)."""
    forms = [compiled.start_form] if compiled.start_form else []
    forms += [f for f in compiled.forms.values() if f is not compiled.start_form]
    return tuple(FormView(f.key, f.schema, f.title, f.ui) for f in forms)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


__all__ = ["EvidenceCommands", "AuditRead", "Divergence", "Verdict", "verify_bundle"]
