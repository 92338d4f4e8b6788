"""Values an export bundle withholds behind markers (``{"confidential": true, "sha256": …}``).

A redacted bundle cannot replay a value it does not hold, and nothing in the bundle may say
which of its values to trust: its `redacted` flag is the forger's to set. So the bundle itself
is the proof. A marker may only stand where a version the instance lived on marks the field
confidential; every other value replays as usual. For replay, each marker is reduced to the
bare ``{"confidential": true}`` (its fingerprint is checked by the hash chain, which has run
before): the engine carries it wherever the hidden value went, and whatever the visible values
of the instance are, replay must still reproduce them.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Iterable
from xml.etree import ElementTree

from engine.audit.journal import SALTS, JournalEntry, is_marker
from engine.records import InstanceRecord, TaskRecord

BLANK = {"confidential": True}
_TASK_KEYS = ("submitted", "context")


@dataclass(frozen=True)
class Withheld:
    """A marker standing where its field is not confidential: `seq` None outside the journal."""

    seq: int | None
    field: str
    where: str


def journal_markers(entries: Iterable[JournalEntry]) -> int:
    """How many values of the journal's data and changes are markers."""
    return sum(is_marker(value) for entry in entries for _, _, value in _journal_values(entry))


def hidden_fields(entries: Iterable[JournalEntry]) -> frozenset[str]:
    """The fields whose values the journal hides somewhere."""
    return frozenset(name for entry in entries for _, name, value in _journal_values(entry) if is_marker(value))


def reads(bpmn: str, element: str | None, names: Iterable[str]) -> list[str]:
    """Which of `names` the element `element` of the BPMN text mentions (a script or condition
    that computes from them)."""
    if not element:
        return []
    try:
        root = ElementTree.fromstring(bpmn)
    except ElementTree.ParseError:
        return []
    found = next((e for e in root.iter() if e.get("id") == element), None)
    if found is None:
        return []
    text = " ".join(found.itertext())
    return sorted(n for n in names if re.search(rf"\b{re.escape(n)}\b", text))


def misplaced(record: InstanceRecord, entries: list[JournalEntry], tasks: list[TaskRecord],
              confidential: frozenset[str]) -> Withheld | None:
    """The first marker standing for a field no version of the instance marks confidential."""
    for entry in entries:
        for part, name, value in _journal_values(entry):
            if is_marker(value) and name not in confidential:
                return Withheld(entry.seq, name, f"entry {entry.seq} {part}")
    for name, value in (record.data or {}).items():
        if is_marker(value) and name not in confidential:
            return Withheld(None, name, "the instance data")
    for task in tasks:
        for key in _TASK_KEYS:
            for name, value in (getattr(task, key) or {}).items():
                if is_marker(value) and name not in confidential:
                    return Withheld(None, name, f"task {task.id} {key}")
    return None


def blanked(record: InstanceRecord, entries: list[JournalEntry],
            tasks: list[TaskRecord]) -> tuple[InstanceRecord, list[JournalEntry], list[TaskRecord]]:
    """The bundle's rows with every marker reduced to `BLANK` and the journal's salts dropped."""
    record = dataclasses.replace(record, data=_blank_data(record.data))
    tasks = [dataclasses.replace(t, **{k: _blank_data(getattr(t, k)) for k in _TASK_KEYS}) for t in tasks]
    return record, [_blank_entry(e) for e in entries], tasks


def _journal_values(entry: JournalEntry) -> Iterable[tuple[str, str, Any]]:
    payload = entry.payload
    if isinstance(payload.get("data"), dict):
        for name, value in payload["data"].items():
            yield "data", name, value
    if isinstance(payload.get("changes"), dict):
        for name, change in payload["changes"].items():
            for value in (change.values() if isinstance(change, dict) else [change]):
                yield "changes", name, value


def _blank(value: Any) -> Any:
    return dict(BLANK) if is_marker(value) else value


def _blank_data(data: Any) -> Any:
    return {k: _blank(v) for k, v in data.items()} if isinstance(data, dict) else data


def _blank_entry(entry: JournalEntry) -> JournalEntry:
    payload = {k: v for k, v in entry.payload.items() if k != SALTS}
    if isinstance(payload.get("data"), dict):
        payload["data"] = _blank_data(payload["data"])
    if isinstance(payload.get("changes"), dict):
        payload["changes"] = {k: _blank_data(c) if isinstance(c, dict) else _blank(c)
                              for k, c in payload["changes"].items()}
    return dataclasses.replace(entry, payload=payload)
