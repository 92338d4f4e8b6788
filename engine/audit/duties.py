"""Verify's check of separation of duties (engine/spiff/duties.py): no step in the journal was
completed by someone its rules exclude.

Replay has already recomputed each task's ``notBy`` names and found them equal to those its
``task_entered`` entry records; this walk adds who did and who held each step, entry by entry,
and asks of every completion what the runtime asked before it (engine/commands/duties.py): the
person who completed it — or the absent person a substitute completed it for — is not named by
its ``notBy`` and did not complete, and does not hold, a step it must be done apart from. A
journal that says otherwise was written around the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from engine.audit.journal import JournalEntry
from engine.errors import Divergence
from engine.spiff.duties import apart_in, element_of
from engine.spiff.specs import CompiledVersion

Resolver = Callable[[str], "CompiledVersion | None"]


@dataclass
class _Steps:
    """What the journal says so far of the instance's human tasks."""

    element: dict[str, str] = field(default_factory=dict)           # task id -> element
    not_by: dict[str, tuple[str, ...]] = field(default_factory=dict)  # task id -> its notBy names
    held: dict[str, str] = field(default_factory=dict)              # open task id -> its holder
    done: dict[str, str] = field(default_factory=dict)              # completed task id -> by whom

    def why_not(self, task_id: str, person: str, pairs: dict[str, frozenset[str]]) -> str | None:
        """Why `person` may not complete `task_id` (None: nothing keeps them from it)."""
        if person in self.not_by.get(task_id, ()):
            return "its notBy rule names them"
        others = pairs.get(element_of(self.element.get(task_id)), frozenset())
        for other, element in self.element.items():
            if other == task_id or element_of(element) not in others:
                continue
            if self.done.get(other) == person:
                return f"they completed {element}, which it must be done apart from"
            if self.held.get(other) == person:
                return f"they held {element}, which it must be done apart from"
        return None


def check_duties(compiled: CompiledVersion, entries: list[JournalEntry], resolve: Resolver | None = None) -> None:
    """Raises Divergence at the first completion separation of duties would have refused.

    `compiled`: the version the instance is on now; a migrated instance's earlier versions come
    from `resolve`, as in replay.
    """
    steps, version = _Steps(), compiled
    for entry in entries:
        payload, kind = entry.payload, entry.kind
        if kind in ("started", "migrated"):
            wanted = payload.get("to" if kind == "migrated" else "version_hash")
            if wanted and wanted != version.content_hash:  # replay has found each version already
                found = compiled if wanted == compiled.content_hash else resolve(wanted) if resolve else None
                version = found or version
        elif kind == "task_entered":
            steps.element[payload.get("task_id")] = payload.get("element")
            steps.not_by[payload.get("task_id")] = tuple(payload.get("not_by") or ())
        elif kind in ("claimed", "reassigned"):
            steps.held[payload.get("task_id")] = entry.actor if kind == "claimed" else payload.get("to")
        elif kind in ("released", "task_left"):
            steps.held.pop(payload.get("task_id"), None)
        elif kind == "completed":
            _check_completion(steps, entry, apart_in(version))


def _check_completion(steps: _Steps, entry: JournalEntry, pairs: dict[str, frozenset[str]]) -> None:
    task_id = entry.payload.get("task_id")
    for person in (entry.actor, entry.payload.get("on_behalf_of")):
        reason = steps.why_not(task_id, person, pairs) if person else None
        if reason is not None:
            element = steps.element.get(task_id)
            raise Divergence(entry.seq, element, "separation_of_duties", person, None,
                             f"entry {entry.seq}: {person} completed {element}, which separation of duties "
                             f"keeps from them ({reason})")
    steps.held.pop(task_id, None)
    steps.done[task_id] = entry.actor or ""
