"""Verify an export bundle with no database at all: the versions' files against their hashes,
then each instance replayed from its journal (`zhidu verify --bundle`, and whoever receives a
bundle). Nothing in a bundle is trusted that its versions and hashes do not prove."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Any

from engine.audit.confidential import version_rules
from engine.audit.journal import JournalEntry
from engine.audit.verify import Verdict, verify_instance
from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.errors import DefinitionInvalid, InvalidInput
from engine.files import sha256_of
from engine.records import Exclusion, InstanceRecord, TaskRecord
from engine.spiff.specs import CompiledVersion, SpecCache

EXPORT_FORMAT = "zhidu-export/1"


def verify_bundle(bundle: dict[str, Any], cache: SpecCache | None = None) -> list[Verdict]:
    """Verify an export bundle offline: version files against their hashes, then each instance.

    Raises:
        InvalidInput: the file is not a zhidu export bundle.
    """
    if not isinstance(bundle, dict) or bundle.get("format") != EXPORT_FORMAT:
        raise InvalidInput(f"not a zhidu export bundle (expected format {EXPORT_FORMAT})")
    cache = cache or SpecCache()
    compiled = {}
    for digest, raw in bundle.get("versions", {}).items():
        process = ProcessBundle(CatalogEntry.from_dict(raw["entry"]), dict(raw["files"]))
        if process.content_hash == digest:
            try:
                compiled[digest] = cache.get(process)
            except DefinitionInvalid:
                continue
    verdicts, files = [], _bundle_file_check(bundle)
    for item in bundle.get("instances", []):
        try:
            record = _instance(item["instance"])
            tasks = [_task(t) for t in item["tasks"]]
            entries = [_entry(e) for e in item["journal"]]
        except (KeyError, TypeError, ValueError) as err:
            raise InvalidInput(f"the bundle is malformed: {err}") from err
        found = compiled.get(record.version_hash)
        # The bundle's own "redacted" flag is not evidence: what may be hidden follows from the versions.
        verdicts.append(verify_instance(found, record, entries, tasks, found is not None, compiled.get,
                                        confidential=_confidential_fields(record, entries, compiled),
                                        files=files))
    return verdicts


def _confidential_fields(record: InstanceRecord, entries: list[JournalEntry],
                         compiled: dict[str, CompiledVersion]) -> frozenset[str]:
    """The fields marked confidential in any version the instance lived on (its journal names
    the versions it started on and was migrated to)."""
    hashes = {record.version_hash}
    for entry in entries:
        if entry.kind == "started":
            hashes.add(entry.payload.get("version_hash"))
        elif entry.kind == "migrated":
            hashes.update((entry.payload.get("from"), entry.payload.get("to")))
    return frozenset(name for digest in hashes if digest in compiled for name in version_rules(compiled[digest]))


def _bundle_file_check(bundle: dict[str, Any]):
    """A file check over the files a bundle carries; None when it was exported without them."""
    carried = bundle.get("files")
    if not isinstance(carried, dict):
        return None

    def check(ref: Any) -> str:
        text = carried.get(ref["sha256"])
        if not isinstance(text, str):
            return "missing"
        try:
            content = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return "altered"
        return "ok" if sha256_of(content) == ref["sha256"] and len(content) == ref["size"] else "altered"
    return check


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _instance(raw: dict[str, Any]) -> InstanceRecord:
    fields = dict(raw)
    for name in ("started_at", "updated_at", "next_wake_at"):
        fields[name] = _when(fields.get(name))
    return InstanceRecord(**fields)


def _task(raw: dict[str, Any]) -> TaskRecord:
    fields = dict(raw)
    for name in ("created_at", "due_at", "completed_at"):
        fields[name] = _when(fields.get(name))
    fields["candidates"] = tuple(fields["candidates"])
    fields["excluded"] = tuple(Exclusion(**e) for e in fields.get("excluded") or ())  # separation of duties
    return TaskRecord(**fields)


def _entry(raw: dict[str, Any]) -> JournalEntry:
    return JournalEntry(raw["instance_id"], raw["seq"], raw["kind"], raw["actor"], datetime.fromisoformat(raw["at"]),
                        raw["payload"], raw["prev_hash"], raw["hash"])
