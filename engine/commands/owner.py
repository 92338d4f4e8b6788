"""What process owners do through the facade: deploy, read versions, validate and deploy
edited procedures, compare versions, and move running instances onto a newer version.

Every command asks `Permissions.may_own` here (a process owner, or for one procedure the role
its catalog names as owner), so no caller can skip the check by going around the web views.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Iterable

from lxml import etree

from engine.clock import FixedClock
from engine.commands.runner import Runner, found
from engine.definitions.bundles import ProcessBundle
from engine.definitions.diff import VersionDiff, diff_versions
from engine.errors import (
    DefinitionInvalid, InstanceNotFound, InvalidInput, MigrationRefused, PermissionDenied, ProcessNotFound,
    Problem, WarningsNotAccepted,
)
from engine.ports import OwnerDraft, UnitOfWork, VersionNote
from engine.records import InstanceRecord, StoredVersion, UserRecord
from engine.spiff.migration import blockers, migrate_state
from engine.spiff.reachability import path_warnings
from engine.spiff.specs import CompiledVersion, validate_bundle
from engine.views import DeployResult, InstanceView

DRAFT_LIMIT = 4_000_000  # characters of one draft: far above any procedure, far below a flood


@dataclass(frozen=True)
class VersionView:
    """One deployed version as the history lists it."""

    key: str
    number: int
    content_hash: str
    deployed_by: str | None
    deployed_at: datetime
    comment: str
    warnings_reason: str = ""            # why it was deployed although validation warned
    warnings: tuple[str, ...] = ()        # what validation warned of then

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "number": self.number, "hash": self.content_hash,
                "deployed_by": self.deployed_by, "deployed_at": self.deployed_at.isoformat(),
                "comment": self.comment, "warnings_reason": self.warnings_reason, "warnings": list(self.warnings)}


@dataclass(frozen=True)
class MigrationCheck:
    """Whether one running instance can move to the target version, and if not, why."""

    instance_id: str
    from_version: int
    to_version: int
    current_step: str | None
    reasons: tuple[str, ...]
    viewable: bool = True  # whether the owner may open the instance's page

    @property
    def movable(self) -> bool:
        return not self.reasons

    def to_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "from_version": self.from_version, "to_version": self.to_version,
                "current_step": self.current_step, "movable": self.movable, "reasons": list(self.reasons),
                "viewable": self.viewable}


class OwnerCommands:
    """Each method one unit of work through the runner."""

    def __init__(self, run: Runner):
        self.run = run

    def deploy(self, bundles: Iterable[ProcessBundle], actor: str | None = None,
               comment: str = "") -> list[DeployResult]:
        """Validate and store each bundle as a new version (unchanged ones are left as they are).

        Each bundle is compiled once, into the cache its instances will run from; the start
        schedule is taken from that same compiled version.

        Raises:
            DefinitionInvalid: a bundle fails validation; nothing is deployed.
        """
        compiled = [self.run.cache.get(bundle) for bundle in bundles]  # all valid before any is stored
        results = []
        with self.run.unit() as uow:
            for version in compiled:
                bundle = version.bundle
                latest = uow.versions.latest(bundle.key)
                if latest is not None and latest.content_hash == bundle.content_hash:
                    results.append(DeployResult(bundle.key, latest.number, latest.content_hash, False))
                    continue
                number = (latest.number if latest else 0) + 1
                uow.versions.add(StoredVersion(bundle.key, number, bundle.content_hash, bundle.entry,
                                               dict(bundle.files), actor, self.run.clock.now(), comment))
                self.run.update_schedule(uow, version)
                results.append(DeployResult(bundle.key, number, bundle.content_hash, True))
            uow.commit()
        return results

    def version_history(self, key: str, actor: str) -> list[VersionView]:
        """Every version of `key`, newest first. Raises: PermissionDenied, ProcessNotFound."""
        with self.run.unit() as uow:
            self._owner(uow, actor, key)
            versions = uow.versions.history(key)
            notes = {n.number: n for n in uow.version_notes.for_key(key)}
        if not versions:
            raise ProcessNotFound(f"no procedure with key {key!r} is deployed")
        views = []
        for v in sorted(versions, key=lambda v: v.number, reverse=True):
            note = notes.get(v.number)
            views.append(VersionView(v.key, v.number, v.content_hash, v.deployed_by, v.deployed_at, v.comment,
                                     note.reason if note else "", note.warnings if note else ()))
        return views

    def version_bundle(self, key: str, actor: str, number: int | None = None) -> ProcessBundle:
        """The files of version `number` of `key` (the latest if None), to edit or compare.

        Raises:
            PermissionDenied, ProcessNotFound.
        """
        with self.run.unit() as uow:
            self._owner(uow, actor, key)
            version = _numbered(uow, key, number)
        return ProcessBundle(version.entry, dict(version.files))

    def validate(self, bundle: ProcessBundle, actor: str) -> list[Problem]:
        """Errors (which refuse a deploy) and warnings (which do not). Raises: PermissionDenied."""
        with self.run.unit() as uow:
            self._owner(uow, actor, bundle.key)
        return validate_bundle(bundle)

    def deploy_edited(self, bundle: ProcessBundle, actor: str, comment: str,
                      warnings_reason: str = "") -> DeployResult:
        """Deploy an edited procedure as a new version, recording who and why. Errors refuse it;
        warnings need `warnings_reason`, kept with the version beside the warnings it accepted.

        Raises:
            PermissionDenied, DefinitionInvalid, WarningsNotAccepted.
        """
        compiled = self.run.cache.get(bundle)  # compiled once: DefinitionInvalid lists its errors
        warnings = _path_warnings(compiled)
        if warnings and not warnings_reason.strip():
            raise WarningsNotAccepted(warnings)
        now = self.run.clock.now()
        with self.run.unit() as uow:
            self._owner(uow, actor, bundle.key)
            latest = uow.versions.latest(bundle.key)
            if latest is not None and latest.content_hash == bundle.content_hash:
                return DeployResult(bundle.key, latest.number, latest.content_hash, False)
            number = (latest.number if latest else 0) + 1
            # The same steps as deploy, plus the note, in this one transaction.
            uow.versions.add(StoredVersion(bundle.key, number, bundle.content_hash, bundle.entry,
                                           dict(bundle.files), actor, now, comment))
            if warnings:
                uow.version_notes.add(VersionNote(bundle.key, number, warnings_reason.strip(),
                                                  tuple(p.describe() for p in warnings), actor, now))
            self.run.update_schedule(uow, compiled)
            uow.commit()
        return DeployResult(bundle.key, number, bundle.content_hash, True)

    def save_draft(self, key: str, actor: str, payload: str) -> OwnerDraft:
        """Keep `actor`'s unfinished edit of `key` (replacing their earlier draft); not a version.

        Raises:
            PermissionDenied, InvalidInput (the draft is too large).
        """
        if len(payload) > DRAFT_LIMIT:
            raise InvalidInput(f"a draft holds at most {DRAFT_LIMIT} characters")
        draft = OwnerDraft(actor, key, payload, self.run.clock.now())
        with self.run.unit() as uow:
            self._owner(uow, actor, key)
            uow.drafts.put(draft)
            uow.commit()
        return draft

    def draft(self, key: str, actor: str) -> OwnerDraft | None:
        """`actor`'s draft of `key`, if they kept one. Raises: PermissionDenied."""
        with self.run.unit() as uow:
            self._owner(uow, actor, key)
            return uow.drafts.get(actor, key)

    def discard_draft(self, key: str, actor: str) -> None:
        """Forget `actor`'s draft of `key`. Raises: PermissionDenied."""
        with self.run.unit() as uow:
            self._owner(uow, actor, key)
            uow.drafts.remove(actor, key)
            uow.commit()

    def compare(self, key: str, actor: str, old: int, new: int) -> VersionDiff:
        """What changed from version `old` to version `new` of `key`.

        Raises:
            PermissionDenied, ProcessNotFound.
        """
        with self.run.unit() as uow:
            self._owner(uow, actor, key)
            before, after = _numbered(uow, key, old), _numbered(uow, key, new)
        return diff_versions(ProcessBundle(before.entry, before.files), ProcessBundle(after.entry, after.files))

    def migration_plan(self, key: str, actor: str, number: int | None = None) -> list[MigrationCheck]:
        """A dry run: every running instance of `key` on another version, and whether it can
        move to version `number` (the latest if None). Changes nothing.

        Raises:
            PermissionDenied, ProcessNotFound.
        """
        checks = []
        with self.run.unit() as uow:
            user = self._owner(uow, actor, key)
            may = self.run.permissions(uow)
            target = _numbered(uow, key, number)
            for record in _running(uow, key):
                if record.version_hash != target.content_hash:
                    viewable = may.may_view(user, record, uow.tasks.for_instance(record.id))
                    checks.append(replace(self._check(uow, record, target), viewable=viewable))
        return checks

    def migrate(self, instance_id: str, actor: str, number: int | None = None) -> InstanceView:
        """Move one running instance to version `number` of its procedure (the latest if None),
        journaled as a `migrated` command so that replay repeats it.

        Raises:
            PermissionDenied, InstanceNotFound, ProcessNotFound, MigrationRefused (with the
            reasons it cannot move), ConcurrentUpdate.
        """
        with self.run.unit() as uow:
            record = uow.instances.get(instance_id)
            self._owner(uow, actor, record.process_key if record else None)  # before it is told whether it exists
            record = found(record, InstanceNotFound, f"unknown instance {instance_id!r}")
            target = _numbered(uow, record.process_key, number)
            check = self._check(uow, record, target)
            if check.reasons:
                raise MigrationRefused(list(check.reasons))
            old, new = self.run.compiled_for(uow, record.version_hash), self.run.compiled(target)
            # The command's one instant for the state and the journal, so replay (which runs at
            # the journal's time) computes the same due times.
            result = migrate_state(old, new, record.state, FixedClock(self.run.clock.now(), self.run.clock.zone))
            journal = self.run.journal(record, actor)
            journal.add("migrated", {"from": record.version_hash, "to": target.content_hash,
                                     "from_version": record.version_number, "to_version": target.number})
            record.version_hash, record.version_number = target.content_hash, target.number
            now_open = self.run.apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self.run.instance_view(uow, record, open_tasks=now_open)

    # -- internals ---------------------------------------------------------------------------
    def _owner(self, uow: UnitOfWork, actor: str, key: str | None = None) -> UserRecord:
        """The active user `actor`, who may own procedures (`key`'s, by its latest version's
        owning role, when a key is known).

        Raises:
            UserNotFound, PermissionDenied.
        """
        user = self.run.actor(uow, actor)
        version = uow.versions.latest(key) if key else None
        if not self.run.permissions(uow).may_own(user, version):
            raise PermissionDenied(f"{actor} is not a process owner" + (f" of {key}" if key else ""))
        return user

    def _check(self, uow: UnitOfWork, record: InstanceRecord, target: StoredVersion) -> MigrationCheck:
        if record.status != "running":
            reasons = [f"the instance is {record.status}"]
        else:
            old = self.run.compiled_for(uow, record.version_hash)
            try:
                new = self.run.compiled(target)
            except DefinitionInvalid as err:  # a version deployed before a new rule was added
                new, reasons = None, [f"version {target.number} no longer compiles: {err.message}"]
            if new is not None:
                open_tasks = {t.id: t.candidates for t in uow.tasks.open_for_instance(record.id)}
                reasons = blockers(old, new, record.state, open_tasks)
        return MigrationCheck(record.id, record.version_number, target.number, record.current_step, tuple(reasons))


def _path_warnings(compiled: CompiledVersion) -> list[Problem]:
    """The warnings `validate_bundle` gives a bundle that compiles, without compiling it again."""
    bundle = compiled.bundle
    return path_warnings(bundle.entry.bpmn, etree.fromstring(bundle.files[bundle.entry.bpmn].encode("utf-8")))


def _numbered(uow: UnitOfWork, key: str, number: int | None) -> StoredVersion:
    versions = [v for v in uow.versions.history(key) if number is None or v.number == number]
    if not versions:
        what = f"version {number} of {key!r}" if number is not None else f"a procedure with key {key!r}"
        raise ProcessNotFound(f"there is no {what}")
    return max(versions, key=lambda v: v.number)


def _running(uow: UnitOfWork, key: str) -> list[InstanceRecord]:
    running, after = [], ""
    while True:
        ids = uow.instances.ids_after(after, 500)
        for instance_id in ids:
            record = uow.instances.get(instance_id)
            if record is not None and record.process_key == key and record.status == "running":
                running.append(record)
        if len(ids) < 500:
            return running
        after = ids[-1]
