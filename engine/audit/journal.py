"""The journal: append-only, hash-chained entries per instance. It is the record."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

GENESIS = "0" * 64

# Commands are inputs (replayable); outcomes are what the engine did in response.
COMMANDS = {"started", "claimed", "released", "reassigned", "completed", "timer_fired",
            "message_received", "cancelled", "withdrawn", "migrated", "incident_retried",
            "external_completed", "external_failed", "commented", "refused"}
# Commands that record what people said or did beside the workflow: replay passes over them
# (`refused`: separation of duties turned a command away, engine/commands/duties.py).
NOTES = {"commented", "refused"}
OUTCOMES = {"task_entered", "task_left", "element_completed", "instance_completed", "instance_failed",
            "instance_cancelled", "lookup", "external_task_entered", "external_task_left"}


@dataclass(frozen=True)
class JournalEntry:
    """One journal entry; `entry_hash` covers every other field and the previous hash."""

    instance_id: str
    seq: int
    kind: str
    actor: str | None
    at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    entry_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id, "seq": self.seq, "kind": self.kind, "actor": self.actor,
            "at": self.at.isoformat(), "payload": self.payload,
            "prev_hash": self.prev_hash, "hash": self.entry_hash,
        }


def canonical(value: Any) -> bytes:
    """The byte form hashed: sorted keys, no whitespace, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def compute_hash(entry: JournalEntry) -> str:
    """SHA-256 over the entry with each data value committed to by its own hash.

    Hashing values one by one lets an export hide a confidential value behind its fingerprint
    (a marker ``{"confidential": true, "sha256": …}``) and still verify: the chain covers the
    value's hash, which the marker carries. A value written with a salt (see `SALTS`) is
    committed to as ``sealed(salt, value)``; the salt is keyed, so the marker cannot be
    reversed by trying every possible value, yet checking the chain needs no key.
    """
    body = {
        "instance_id": entry.instance_id, "seq": entry.seq, "kind": entry.kind, "actor": entry.actor,
        "at": entry.at.isoformat(), "payload": commitment(entry.payload), "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical(body)).hexdigest()


def fingerprint(value: Any) -> str:
    """SHA-256 of the canonical JSON of `value` (sorted keys, no spaces, UTF-8)."""
    return hashlib.sha256(canonical(value)).hexdigest()


def sealed(salt: str, value: Any) -> str:
    """SHA-256 over a value's salt and its canonical JSON: the commitment of a salted value."""
    return hashlib.sha256(salt.encode("ascii") + b":" + canonical(value)).hexdigest()


def is_marker(value: Any) -> bool:
    """True for what stands in for a hidden value: ``{"confidential": true[, "sha256": …]}``."""
    return isinstance(value, dict) and value.get("confidential") is True and set(value) <= {"confidential", "sha256"}


# Payload key of the salts of the values of ``data`` and ``changes``, laid out like them:
# {"data": {key: salt}, "changes": {key: {"before": salt, "after": salt}}}. Entries written
# before salts existed have none, and their values are committed to by plain `fingerprint`.
SALTS = "salts"


def _committed(value: Any, salt: Any = None) -> Any:
    if is_marker(value):
        return value.get("sha256", "")
    return sealed(salt, value) if isinstance(salt, str) else fingerprint(value)


def commitment(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload as hashed: values of ``data`` and of ``changes`` replaced by their
    commitments. The salts are not hashed themselves: each is bound by the commitment it makes,
    so an export may drop the salt of a value it hides."""
    out = dict(payload)
    salts = out.pop(SALTS, None) if isinstance(out.get(SALTS), dict) else {}
    data_salts, change_salts = salts.get("data") or {}, salts.get("changes") or {}
    if isinstance(out.get("data"), dict):
        out["data"] = {k: _committed(v, data_salts.get(k)) for k, v in out["data"].items()}
    if isinstance(out.get("changes"), dict):
        out["changes"] = {k: {side: _committed(v, (change_salts.get(k) or {}).get(side)) for side, v in change.items()}
                          if isinstance(change, dict) else _committed(change) for k, change in out["changes"].items()}
    return out


def with_salts(payload: dict[str, Any], salt: Callable[[Any], str]) -> dict[str, Any]:
    """`payload` with a salt for every value of its ``data`` and ``changes`` (see `SALTS`) but
    null, which stands for no value and is never hidden."""
    salts: dict[str, Any] = {}
    if isinstance(payload.get("data"), dict):
        salts["data"] = {k: salt(v) for k, v in payload["data"].items() if v is not None}
    if isinstance(payload.get("changes"), dict):
        salts["changes"] = {k: {side: salt(v) for side, v in change.items() if v is not None}
                            for k, change in payload["changes"].items() if isinstance(change, dict)}
    return {**payload, SALTS: salts} if salts else payload


def unsalted(entry: JournalEntry) -> JournalEntry:
    """`entry` without the salts of its payload, to compare what it records with what replay
    produces."""
    if SALTS not in entry.payload:
        return entry
    return JournalEntry(entry.instance_id, entry.seq, entry.kind, entry.actor, entry.at,
                        {k: v for k, v in entry.payload.items() if k != SALTS}, entry.prev_hash, entry.entry_hash)


class JournalWriter:
    """Chains new entries onto an instance's journal within one command."""

    def __init__(self, instance_id: str, last_seq: int, last_hash: str, at: datetime, actor: str | None,
                 salt: Callable[[Any], str] | None = None):
        self.instance_id = instance_id
        self._salt = salt  # keyed salts for data values (see `SALTS`); None writes none
        self._seq = last_seq
        self._hash = last_hash
        self._at = at
        self._actor = actor
        self.entries: list[JournalEntry] = []

    @property
    def head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry: the instance row keeps it, so truncation shows."""
        return self._seq, self._hash

    def add(self, kind: str, payload: dict[str, Any] | None = None, actor: str | None = "") -> JournalEntry:
        self._seq += 1
        payload = json_safe(payload or {})
        if self._salt is not None:
            payload = with_salts(payload, self._salt)
        draft = JournalEntry(self.instance_id, self._seq, kind, self._actor if actor == "" else actor,
                             self._at, payload, self._hash)
        entry = JournalEntry(**{**draft.__dict__, "entry_hash": compute_hash(draft)})
        self._hash = entry.entry_hash
        self.entries.append(entry)
        return entry


def verify_chain(entries: list[JournalEntry]) -> int | None:
    """Return the seq of the first entry whose chain breaks, or None when the chain holds."""
    prev = GENESIS
    for expected_seq, entry in enumerate(entries, start=1):
        if entry.seq != expected_seq or entry.prev_hash != prev or compute_hash(entry) != entry.entry_hash:
            return entry.seq
        prev = entry.entry_hash
    return None


def data_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Top-level keys whose values differ, as {key: {"before": ..., "after": ...}}."""
    changes = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if key not in before or key not in after or old != new:
            changes[key] = {"before": old, "after": new}
    return changes


def json_safe(value: Any) -> Any:
    """A JSON round-trip, so what is hashed now is what will be read back later."""
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))
