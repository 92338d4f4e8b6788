"""Verification: is the journal intact, and does replaying it give what storage holds?"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from engine.audit.duties import check_duties
from engine.audit.journal import GENESIS, JournalEntry, compute_hash, json_safe, verify_chain
from engine.audit.markers import BLANK, blanked, hidden_fields, journal_markers, misplaced, reads
from engine.records import InstanceRecord, TaskRecord
from engine.errors import Divergence, StateFormatUnknown
from engine.audit.replay import Replayed, Resolver, first_difference, dig, replay
from engine.spiff.specs import CompiledVersion
from engine.spiff.stored import STATE_FORMAT, task_entries
from engine.files import references

# What a file reference's file is like now: "ok", "missing" or "altered" (engine/files.py file_status).
FileCheck = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True)
class Verdict:
    """`ok`, `tampered` (the chain breaks at `entry`) or `diverged` (replay disagrees); for a
    redacted bundle `redacted`: the chain holds and everything replays but the
    `redacted_values` values it hides behind markers, which only the chain vouches for; or
    `unreplayable`: replay stops at `element`, which computes from hidden values (`field`)."""

    instance_id: str
    status: str
    entry: int | None = None
    element: str | None = None
    field: str | None = None
    recorded: Any = None
    replayed: Any = None
    reason: str = ""
    redacted_values: int = 0

    @property
    def sound(self) -> bool:
        """Nothing found wrong: `ok`, or `redacted` with everything it holds replayed."""
        return self.status in ("ok", "redacted")

    def to_dict(self) -> dict[str, Any]:
        return {"instance_id": self.instance_id, "verdict": self.status, "entry": self.entry,
                "element": self.element, "field": self.field, "recorded": json_safe(self.recorded),
                "replayed": json_safe(self.replayed), "reason": self.reason,
                "redacted_values": self.redacted_values}


def verify_instance(compiled: CompiledVersion | None, record: InstanceRecord, entries: list[JournalEntry],
                    tasks: list[TaskRecord], version_hash_ok: bool = True,
                    resolve: Resolver | None = None, confidential: frozenset[str] | None = None,
                    files: FileCheck | None = None) -> Verdict:
    """Check the chain, the attached files, replay the commands and compare with the stored
    instance and task rows.

    `files` tells whether each file the journal references is still there, unaltered (None:
    files are not checked, as for a bundle exported without them).

    `confidential` is given for an export bundle: the fields the instance's versions mark
    confidential, the only ones whose values the bundle may hide behind markers (see
    engine/audit/markers.py). The database holds no markers, so there it is None.
    """
    if verify_chain(entries) is not None:
        return _chain_break(record.id, entries)
    head = (entries[-1].seq, entries[-1].entry_hash) if entries else (0, GENESIS)
    if head != (record.journal_seq, record.journal_hash):
        # The first entry past the shorter of the two ends; the last one when only the hash differs.
        first = min(head[0], record.journal_seq) + 1 if head[0] != record.journal_seq else head[0]
        return Verdict(record.id, "tampered", first, field="journal_head", recorded=record.journal_seq,
                       replayed=head[0], reason="the journal does not end where the instance says it does "
                                                "(entries removed from the end, or the head edited)")
    broken = _file_problem(record.id, entries, files) if files is not None else None
    if broken is not None:
        return broken
    if compiled is None or not version_hash_ok:
        return Verdict(record.id, "tampered", None, field="version", recorded=record.version_hash,
                       reason="the process version the instance is pinned to is missing or altered")
    hidden = journal_markers(entries) if confidential is not None else 0
    if confidential is not None:
        wrong = misplaced(record, entries, tasks, confidential)
        if wrong is not None:
            return Verdict(record.id, "tampered", wrong.seq, field=wrong.field, recorded=dict(BLANK),
                           reason=f"{wrong.where} hides the value of {wrong.field}, which no version of the "
                                  f"procedure marks confidential: only confidential values may be withheld")
        record, entries, tasks = blanked(record, entries, tasks)
    try:
        done = replay(compiled, entries, resolve)
        check_duties(compiled, entries, resolve)  # no step done by whom separation of duties excludes
        _compare_record(record, done, entries[-1].seq, state_withheld=hidden > 0)
        _compare_tasks(record, done, tasks, entries[-1].seq)
    except Divergence as div:
        if hidden:
            reading = reads(compiled.bundle.files.get(compiled.bundle.entry.bpmn, ""), div.element, hidden_fields(entries))
            if reading:  # not a forgery shown: a bundle without those values cannot replay past this
                return Verdict(record.id, "unreplayable", div.seq, div.element, ", ".join(reading),
                               reason=f"chain ok, but replay stops at entry {div.seq}: {div.element} computes from "
                                      f"the redacted value(s) {', '.join(reading)}; verify the instance in the "
                                      f"database or an unredacted export", redacted_values=hidden)
        return Verdict(record.id, "diverged", div.seq, div.element, div.field, div.recorded, div.replayed, div.reason)
    last = entries[-1].seq if entries else None
    if hidden:
        return Verdict(record.id, "redacted", last, reason=f"chain ok, replay not possible for {hidden} redacted "
                       f"value(s); everything else replays", redacted_values=hidden)
    return Verdict(record.id, "ok", last, reason="journal intact; replay matches")


def _file_problem(instance_id: str, entries: list[JournalEntry], files: FileCheck) -> Verdict | None:
    """The first file the journal vouches for (by hash, name, size and type) that is missing or
    altered, named; None when every one is as it was attached."""
    checked: set[str] = set()
    for entry in entries:
        for name, ref in references(entry.payload.get("data")):
            if ref["sha256"] in checked:
                continue
            checked.add(ref["sha256"])
            status = files(ref)
            if status != "ok":
                what = "is missing" if status == "missing" else "was altered (its content no longer has its hash)"
                return Verdict(instance_id, "tampered", entry.seq, field=name, recorded=ref["sha256"],
                               replayed=None if status == "missing" else status,
                               reason=f"the file {ref['name']!r} attached to {name} (entry {entry.seq}) {what}")
    return None


def _chain_break(instance_id: str, entries: list[JournalEntry]) -> Verdict:
    """Where and how the chain breaks: an entry missing (or out of place), or one altered."""
    previous = GENESIS
    for expected, entry in enumerate(entries, start=1):
        if entry.seq != expected:
            missing = entry.seq > expected
            return Verdict(instance_id, "tampered", expected, field="seq", recorded=entry.seq, replayed=expected,
                           reason=f"entry {expected} is missing (the next entry is {entry.seq})" if missing
                           else f"entry {entry.seq} is out of place at position {expected}")
        if compute_hash(entry) != entry.entry_hash or entry.prev_hash != previous:
            altered = compute_hash(entry) != entry.entry_hash
            return Verdict(instance_id, "tampered", expected, field="hash" if altered else "prev_hash",
                           recorded=entry.entry_hash if altered else entry.prev_hash,
                           replayed=compute_hash(entry) if altered else previous,
                           reason=f"entry {expected} was altered after it was written" if altered
                           else f"the hash chain breaks at entry {expected}")
        previous = entry.entry_hash
    raise AssertionError("verify_chain found a break that _chain_break does not")


def _compare_record(record: InstanceRecord, done: Replayed, last_seq: int, state_withheld: bool = False) -> None:
    """Status, data, incident and task states against replay; a redacted bundle leaves out the
    state (`state_withheld`), which holds the hidden values."""
    result = done.result
    if result is None:
        raise Divergence(None, None, "journal", None, None, "the journal has no start command")
    checks = [("status", record.status, result.status), ("data", json_safe(record.data), json_safe(result.data)),
              ("incident", json_safe(record.incident), json_safe(result.incident))]
    for name, stored, replayed in checks:
        if stored != replayed:
            key = first_difference(stored, replayed) if isinstance(stored, dict) and isinstance(replayed, dict) else None
            raise Divergence(last_seq, None, f"{name}.{key}" if key else name,
                             dig(stored, key) if key else stored, dig(replayed, key) if key else replayed,
                             f"the stored instance {name} differs from replay")
    if record.state is None:
        if state_withheld:
            return
        raise Divergence(last_seq, None, "state", None, None, "the instance state is missing, though no value is hidden")
    _compare_state(record.state, done, last_seq)


def _compare_state(state: dict[str, Any], done: Replayed, last_seq: int) -> None:
    """The stored state's tasks against replay's, without their random ids."""
    try:
        stored_tasks = _projection(state)
    except StateFormatUnknown as err:  # altered, or written by a newer zhidu: not what replay gives
        raise Divergence(last_seq, None, "state.format", err.found, STATE_FORMAT,
                         "the stored state's format is not one replay can read") from err
    replayed_tasks = _projection(json.loads(json.dumps(done.result.state)), {v: k for k, v in done.ids.items()})
    if stored_tasks == replayed_tasks:
        return
    stored_only = list((Counter(stored_tasks) - Counter(replayed_tasks)).elements())
    replayed_only = list((Counter(replayed_tasks) - Counter(stored_tasks)).elements())
    element = (stored_only or replayed_only)[0][0]
    stored = next((json.loads(task) for name, task in stored_only if name == element), None)
    twin = next((json.loads(task) for name, task in replayed_only if name == element), None)
    if stored is not None and twin is not None:  # the same task, stored one way and replayed another
        key = first_difference(stored, twin)
        raise Divergence(last_seq, element, f"state.{key}", dig(stored, key), dig(twin, key),
                         f"the stored state of {element} differs from replay in {key}")
    raise Divergence(last_seq, element, "state", [json.loads(task) for _, task in stored_only],
                     [json.loads(task) for _, task in replayed_only], f"the stored state of {element} differs from replay")


def _projection(state: dict[str, Any], recorded_id: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """(element, task as JSON) per task, the task without its random id and wall-clock stamps, so
    two runs can be compared; in the order of the JSON text.

    A multi-instance task lists the children it has merged by their ids (`merged`); replayed
    children have new ids, so a replayed state's are put back to the recorded ones first."""
    return sorted(((t.element, json.dumps({"task_spec": t.element, "state": t.state, "data": t.data,
                                           "internal_data": _recorded_ids(t.internal_data, recorded_id or {})},
                                          sort_keys=True, default=str)) for t in task_entries(state)),
                  key=lambda pair: pair[1])


def _recorded_ids(internal: dict[str, Any], recorded_id: dict[str, str]) -> dict[str, Any]:
    if not recorded_id or not isinstance(internal.get("merged"), list):
        return internal
    return {**internal, "merged": [recorded_id.get(i, i) for i in internal["merged"]]}


def _compare_tasks(record: InstanceRecord, done: Replayed, tasks: list[TaskRecord], last_seq: int) -> None:
    open_recorded = {rec for rec, rep in done.ids.items() if rep in done.open_tasks}
    rows = {t.id: t for t in tasks}
    for recorded_id in done.ids:
        if recorded_id not in rows:
            raise Divergence(last_seq, None, "task", recorded_id, None, f"task row {recorded_id} is missing")
    for row in tasks:
        if row.id not in done.ids:
            raise Divergence(last_seq, row.spec_name, "task", None, row.id, f"task row {row.id} has no journal entry")
        expected_status = "open" if row.id in open_recorded else (
            "completed" if row.id in done.completed else "cancelled")
        actor, submitted = done.completed.get(row.id, (None, None))
        checks = [("status", row.status, expected_status), ("completed_by", row.completed_by, actor),
                  ("submitted", json_safe(row.submitted), json_safe(submitted)),
                  ("claimed_by", row.claimed_by, done.claimed_by.get(row.id))]
        for name, stored, replayed in checks:
            if stored != replayed:
                key = first_difference(stored, replayed) if isinstance(stored, dict) and isinstance(replayed, dict) else None
                raise Divergence(last_seq, row.spec_name, f"{name}.{key}" if key else name,
                                 dig(stored, key) if key else stored, dig(replayed, key) if key else replayed,
                                 f"task row {row.id} ({row.spec_name}) differs from the journal in {name}")
