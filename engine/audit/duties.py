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
    """What the journal says so far of the instance's human tasks, indexed by step and person so
    that asking about one completion costs the same at the thousandth loop as at the first
    (DESIGN 4): a walk over every task so far made verify quadratic in a looping instance."""

    element: dict[str, str] = field(default_factory=dict)             # task id -> element
    not_by: dict[str, tuple[str, ...]] = field(default_factory=dict)  # task id -> its notBy names
    order: dict[str, int] = field(default_factory=dict)               # task id -> when it was entered
    held: dict[str, str] = field(default_factory=dict)                # open task id -> its holder
    # (step, person) -> the first-entered task of that step the person completed (order, task id);
    # replay has already refused a task completed twice, so a completion is never taken back
    done_first: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    # (step, person) -> {task id: order} of the tasks of that step the person holds now
    holding: dict[tuple[str, str], dict[str, int]] = field(default_factory=dict)

    def enter(self, task_id: str, element: str, not_by: tuple[str, ...]) -> None:
        self.order.setdefault(task_id, len(self.order))
        held = task_id in self.held
        holder = self.held.get(task_id)
        if held:  # entered again under another element: its hold moves with it
            self.release(task_id)
        self.element[task_id], self.not_by[task_id] = element, not_by
        if held:
            self.hold(task_id, holder)

    def hold(self, task_id: str, person: str | None) -> None:
        self.release(task_id)
        self.held[task_id] = person
        self.holding.setdefault((self._step(task_id), person), {})[task_id] = self.order.get(task_id, -1)

    def release(self, task_id: str) -> None:
        if task_id in self.held:
            self.holding.get((self._step(task_id), self.held.pop(task_id)), {}).pop(task_id, None)

    def complete(self, task_id: str, person: str) -> None:
        self.release(task_id)
        key, first = (self._step(task_id), person), (self.order.get(task_id, -1), task_id)
        self.done_first[key] = min(self.done_first.get(key, first), first)

    def why_not(self, task_id: str, person: str, pairs: dict[str, frozenset[str]]) -> str | None:
        """Why `person` may not complete `task_id` (None: nothing keeps them from it)."""
        if person in self.not_by.get(task_id, ()):
            return "its notBy rule names them"
        found: list[tuple[int, str, str]] = []  # (when entered, task id, what they did), the first one named
        for other in pairs.get(self._step(task_id), frozenset()):
            done = self.done_first.get((other, person))
            if done is not None and done[1] != task_id:
                found.append((done[0], done[1], "completed"))
            found += [(at, held, "held") for held, at in self.holding.get((other, person), {}).items()
                      if held != task_id]
        if not found:
            return None
        _, other_id, what = min(found)
        return f"they {what} {self.element.get(other_id)}, which it must be done apart from"

    def _step(self, task_id: str) -> str:
        return element_of(self.element.get(task_id))


def check_duties(compiled: CompiledVersion, entries: list[JournalEntry], resolve: Resolver | None = None) -> None:
    """Raises Divergence at the first completion separation of duties would have refused.

    `compiled`: the version the instance is on now; a migrated instance's earlier versions come
    from `resolve`, as in replay.
    """
    # A version's content hash is computed from its files on each use: each is taken once here.
    steps, compiled_hash, pairs = _Steps(), compiled.content_hash, None
    version, digest = compiled, compiled_hash
    for entry in entries:
        payload, kind = entry.payload, entry.kind
        if kind in ("started", "migrated"):
            wanted = payload.get("to" if kind == "migrated" else "version_hash")
            if wanted and wanted != digest:  # replay has found each version already
                found = compiled if wanted == compiled_hash else resolve(wanted) if resolve else None
                if found is not None:
                    version, digest, pairs = found, wanted, None
        elif kind == "task_entered":
            steps.enter(payload.get("task_id"), payload.get("element"), tuple(payload.get("not_by") or ()))
        elif kind in ("claimed", "reassigned"):
            steps.hold(payload.get("task_id"), entry.actor if kind == "claimed" else payload.get("to"))
        elif kind in ("released", "task_left"):
            steps.release(payload.get("task_id"))
        elif kind == "completed":
            pairs = apart_in(version) if pairs is None else pairs  # the rules of a version, read once
            _check_completion(steps, entry, pairs)


def _check_completion(steps: _Steps, entry: JournalEntry, pairs: dict[str, frozenset[str]]) -> None:
    task_id = entry.payload.get("task_id")
    for person in (entry.actor, entry.payload.get("on_behalf_of")):
        reason = steps.why_not(task_id, person, pairs) if person else None
        if reason is not None:
            element = steps.element.get(task_id)
            raise Divergence(entry.seq, element, "separation_of_duties", person, None,
                             f"entry {entry.seq}: {person} completed {element}, which separation of duties "
                             f"keeps from them ({reason})")
    steps.complete(task_id, entry.actor or "")
