"""The auditor's step-through: one step per journal entry, each with its kind, who, when, the
element, the data it submitted or changed, where the instance was waiting and its data then.

Replay gives the authoritative state after each command; the entries a command produced
between two commands (tasks left and entered, elements completed) move the state one at a
time, so every entry — not only every command — is a step, and the step that ends a command
shows exactly what replay rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping, Sequence

from engine.audit.journal import COMMANDS, JournalEntry
from webui.views.data_display import DataRow, DataValue
from webui.views.duties_text import refusal_text

CHILD_SUFFIX = " [child]"

# Outcomes that mean an element ran to its end (a cancelled task did not).
DONE_KINDS = ("element_completed", "task_left")


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: DataValue
    after: DataValue


@dataclass(frozen=True)
class Step:
    """One journal entry, and the instance right after it."""

    index: int
    seq: int
    kind: str
    actor: str
    at: datetime
    element_id: str
    element: str
    command: bool
    note: str = ""
    submitted: list[DataRow] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    active: list[str] = field(default_factory=list)
    active_names: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    data: list[DataRow] = field(default_factory=list)
    changed: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Readers:
    """How the page names things: data fields, people, BPMN elements."""

    rows: Callable[[Mapping[str, Any]], list[DataRow]]    # data -> labelled, readable values
    label: Callable[[str], str]                           # field key -> label
    value: Callable[[str, Any], DataValue]                # field key, value -> readable value
    people: Mapping[str, str]
    elements: Mapping[str, str]
    lang: str = "zh"  # the page's language (a refusal's words)


def build_steps(entries: Sequence[JournalEntry], replayed: Sequence[Mapping[str, Any]],
                readers: Readers) -> list[Step]:
    """A step for every entry of `entries`, anchored to `replayed` (replay's steps, possibly
    empty when the instance does not replay) at the end of each command's entries."""
    anchors = {s["seq"]: s for s in replayed}
    active: list[str] = []
    done: set[str] = set()
    data: dict[str, Any] = {}
    anchor: Mapping[str, Any] | None = None
    steps = []
    for index, entry in enumerate(entries):
        payload, element = entry.payload, element_id(entry.payload.get("element") or "")
        anchor = anchors.get(entry.seq, anchor)
        changed = _apply(entry, data)
        if entry.kind == "task_entered" and element and element not in active:
            active.append(element)
        if entry.kind in DONE_KINDS and element:
            active = [a for a in active if a != element]
            if not payload.get("cancelled"):
                done.add(element)
        last_of_command = index + 1 == len(entries) or entries[index + 1].kind in COMMANDS
        if last_of_command and anchor is not None:
            active, data = list(dict.fromkeys(element_id(a) for a in anchor["active"])), dict(anchor["data"])
        steps.append(_step(index, entry, readers, active, done, data, changed))
    return steps


def _apply(entry: JournalEntry, data: dict[str, Any]) -> frozenset[str]:
    """Moves `data` past `entry`; the keys it submitted or changed."""
    payload = entry.payload
    if entry.kind == "started" and isinstance(payload.get("data"), dict):
        data.update(payload["data"])
        return frozenset(payload["data"])
    changes = {k: c for k, c in (payload.get("changes") or {}).items() if isinstance(c, dict)}
    for key, change in changes.items():
        if change.get("after") is None and change.get("before") is not None:
            data.pop(key, None)
        else:
            data[key] = change.get("after")
    return frozenset(changes)


def _step(index: int, entry: JournalEntry, readers: Readers, active: list[str], done: set[str],
          data: Mapping[str, Any], changed: frozenset[str]) -> Step:
    payload = entry.payload
    element = element_id(payload.get("element") or "")
    submitted = payload.get("data") if entry.kind in ("started", "completed") else None
    changes = [Change(k, readers.label(k), readers.value(k, c.get("before")), readers.value(k, c.get("after")))
               for k, c in (payload.get("changes") or {}).items() if isinstance(c, dict)]
    note = readers.people.get(payload.get("to") or "", payload.get("to") or "") if entry.kind == "reassigned" else ""
    if entry.kind == "refused":  # separation of duties turned a command away: say what and why
        note = refusal_text(payload, readers.people, readers.elements, readers.lang)
    return Step(index, entry.seq, entry.kind, readers.people.get(entry.actor or "", entry.actor or ""), entry.at,
                element, readers.elements.get(element, element), entry.kind in COMMANDS, note,
                readers.rows(submitted) if isinstance(submitted, dict) else [], changes, list(active),
                [readers.elements.get(a, a) for a in active], sorted(done - set(active)), readers.rows(data),
                changed)


def element_id(raw: str) -> str:
    """The diagram element a journal entry names: SpiffWorkflow calls the task of one item of a
    multi-instance activity "Task_X [child]"; people and the diagram know it as Task_X."""
    return raw.removesuffix(CHILD_SUFFIX)


def diagram_steps(steps: Sequence[Step]) -> list[dict[str, Any]]:
    """What the diagram script needs of each step: the element of the entry, waiting, done."""
    return [{"seq": s.seq, "element": s.element_id, "active": s.active, "done": s.done} for s in steps]
