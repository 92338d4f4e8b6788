"""What process owners do through the facade: read versions, validate and deploy edited
procedures, compare versions, and move running instances onto a newer version.

Every command checks here that the actor is a process owner (the procedure's `owner_role`),
so no caller can skip the check by going around the web views.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Callable

from engine.clock import Clock, FixedClock
from engine.definitions.bundles import ProcessBundle
from engine.definitions.diff import VersionDiff, diff_versions
from engine.errors import (
    DefinitionInvalid, InvalidInput, MigrationRefused, PermissionDenied, ProcessNotFound, Problem,
    WarningsNotAccepted,
)
from engine.audit.journal import GENESIS, JournalWriter
from engine.spiff.migration import blockers, migrate_state
from engine.ports import OwnerDraft, UnitOfWork, VersionNote
from engine.records import InstanceRecord, StoredVersion
from engine.spiff.specs import SpecCache, validate_bundle
from engine.views import DeployResult, InstanceView

OWNER_ROLE = "process-owner"
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
    """Mixed into the Engine facade."""

    uow_factory: Callable[[], UnitOfWork]
    cache: SpecCache
    clock: Clock

    def version_history(self, key: str, actor: str) -> list[VersionView]:
        """Every version of `key`, newest first. Raises: PermissionDenied, ProcessNotFound."""
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
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
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            version = self._numbered(uow, key, number)
        return ProcessBundle(version.entry, dict(version.files))

    def validate(self, bundle: ProcessBundle, actor: str) -> list[Problem]:
        """Errors (which refuse a deploy) and warnings (which do not). Raises: PermissionDenied."""
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
        return validate_bundle(bundle)

    def deploy_edited(self, bundle: ProcessBundle, actor: str, comment: str,
                      warnings_reason: str = "") -> DeployResult:
        """Deploy an edited procedure as a new version, recording who and why. Errors refuse it;
        warnings need `warnings_reason`, kept with the version beside the warnings it accepted.

        Raises:
            PermissionDenied, DefinitionInvalid, WarningsNotAccepted.
        """
        problems = validate_bundle(bundle)
        if any(p.severity == "error" for p in problems):
            raise DefinitionInvalid(problems)
        warnings = [p for p in problems if p.severity == "warning"]
        if warnings and not warnings_reason.strip():
            raise WarningsNotAccepted(warnings)
        now = self.clock.now()
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            latest = uow.versions.latest(bundle.key)
            if latest is not None and latest.content_hash == bundle.content_hash:
                return DeployResult(bundle.key, latest.number, latest.content_hash, False)
            number = (latest.number if latest else 0) + 1
            # The same steps as Engine.deploy, plus the note, in this one transaction.
            uow.versions.add(StoredVersion(bundle.key, number, bundle.content_hash, bundle.entry,
                                           dict(bundle.files), actor, now, comment))
            if warnings:
                uow.version_notes.add(VersionNote(bundle.key, number, warnings_reason.strip(),
                                                  tuple(p.describe() for p in warnings), actor, now))
            self._update_schedule(uow, self.cache.get(bundle), now)
            uow.commit()
        return DeployResult(bundle.key, number, bundle.content_hash, True)

    def save_draft(self, key: str, actor: str, payload: str) -> OwnerDraft:
        """Keep `actor`'s unfinished edit of `key` (replacing their earlier draft); not a version.

        Raises:
            PermissionDenied, InvalidInput (the draft is too large).
        """
        if len(payload) > DRAFT_LIMIT:
            raise InvalidInput(f"a draft holds at most {DRAFT_LIMIT} characters")
        draft = OwnerDraft(actor, key, payload, self.clock.now())
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            uow.drafts.put(draft)
            uow.commit()
        return draft

    def draft(self, key: str, actor: str) -> OwnerDraft | None:
        """`actor`'s draft of `key`, if they kept one. Raises: PermissionDenied."""
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            return uow.drafts.get(actor, key)

    def discard_draft(self, key: str, actor: str) -> None:
        """Forget `actor`'s draft of `key`. Raises: PermissionDenied."""
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            uow.drafts.remove(actor, key)
            uow.commit()

    def compare(self, key: str, actor: str, old: int, new: int) -> VersionDiff:
        """What changed from version `old` to version `new` of `key`.

        Raises:
            PermissionDenied, ProcessNotFound.
        """
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            before, after = self._numbered(uow, key, old), self._numbered(uow, key, new)
        return diff_versions(ProcessBundle(before.entry, before.files), ProcessBundle(after.entry, after.files))

    def migration_plan(self, key: str, actor: str, number: int | None = None) -> list[MigrationCheck]:
        """A dry run: every running instance of `key` on another version, and whether it can
        move to version `number` (the latest if None). Changes nothing.

        Raises:
            PermissionDenied, ProcessNotFound.
        """
        checks = []
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            user = self._user(uow, actor)
            target = self._numbered(uow, key, number)
            for record in self._running(uow, key):
                if record.version_hash != target.content_hash:
                    check = self._check(uow, record, target)
                    checks.append(replace(check, viewable=self._may_view(uow, user, record)))
        return checks

    def migrate(self, instance_id: str, actor: str, number: int | None = None) -> InstanceView:
        """Move one running instance to version `number` of its procedure (the latest if None),
        journaled as a `migrated` command so that replay repeats it.

        Raises:
            PermissionDenied, InstanceNotFound, ProcessNotFound, MigrationRefused (with the
            reasons it cannot move), ConcurrentUpdate.
        """
        with self.uow_factory() as uow:
            self._require_owner(uow, actor)
            record = self._instance(uow, instance_id)
            target = self._numbered(uow, record.process_key, number)
            check = self._check(uow, record, target)
            if check.reasons:
                raise MigrationRefused(list(check.reasons))
            old = self._compiled_for(uow, record.version_hash)
            new = self._compiled(target)
            # One reading of the clock for the state and the journal, so replay (which runs at
            # the journal's time) computes the same due times.
            now = self.clock.now()
            result = migrate_state(old, new, record.state, FixedClock(now, self.clock.zone))
            last = uow.journal.last(record.id)
            journal = JournalWriter(record.id, last.seq if last else 0, last.entry_hash if last else GENESIS, now, actor,
                                    self.fingerprints.salt)
            journal.add("migrated", {"from": record.version_hash, "to": target.content_hash,
                                     "from_version": record.version_number, "to_version": target.number})
            record.version_hash, record.version_number = target.content_hash, target.number
            self._apply(uow, record, result, journal, expected_revision=record.revision)
            uow.commit()
            return self._instance_view(uow, record)

    # -- internals ---------------------------------------------------------------------------
    def _require_owner(self, uow: UnitOfWork, actor: str) -> None:
        user = self._user(uow, actor)
        if OWNER_ROLE not in user.roles:
            raise PermissionDenied(f"{actor} is not a process owner")

    def _numbered(self, uow: UnitOfWork, key: str, number: int | None) -> StoredVersion:
        versions = uow.versions.history(key)
        found = [v for v in versions if number is None or v.number == number]
        if not found:
            what = f"version {number} of {key!r}" if number is not None else f"a procedure with key {key!r}"
            raise ProcessNotFound(f"there is no {what}")
        return max(found, key=lambda v: v.number)

    def _running(self, uow: UnitOfWork, key: str) -> list[InstanceRecord]:
        found, after = [], ""
        while True:
            ids = uow.instances.ids_after(after, 500)
            for instance_id in ids:
                record = uow.instances.get(instance_id)
                if record is not None and record.process_key == key and record.status == "running":
                    found.append(record)
            if len(ids) < 500:
                return found
            after = ids[-1]

    def _check(self, uow: UnitOfWork, record: InstanceRecord, target: StoredVersion) -> MigrationCheck:
        if record.status != "running":
            reasons = [f"the instance is {record.status}"]
        else:
            old = self._compiled_for(uow, record.version_hash)
            try:
                new = self._compiled(target)
            except DefinitionInvalid as err:  # a version deployed before a new rule was added
                new, reasons = None, [f"version {target.number} no longer compiles: {err.message}"]
            if new is not None:
                open_tasks = {t.id: t.candidates for t in uow.tasks.open_for_instance(record.id)}
                reasons = blockers(old, new, record.state, open_tasks)
        return MigrationCheck(record.id, record.version_number, target.number, record.current_step, tuple(reasons))
