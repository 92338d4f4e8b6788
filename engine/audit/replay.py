"""Deterministic replay: rebuild an instance from its version and the journal's commands.

Each command runs on a fresh load of the previous state with the clock set to the time the
journal recorded, exactly as the live command did. The outcomes the engine produces are
compared, entry by entry, with the outcomes the journal recorded. Task ids are random, so
recorded ids are mapped to replayed ones as tasks are entered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any, Callable

from engine.clock import UTC, FixedClock, zone_named
from engine.errors import Divergence
from engine.spiff.execution import Execution, StepResult
from engine.spiff.migration import migrate_state
from engine.audit.journal import COMMANDS, NOTES, JournalEntry, json_safe, unsalted
from engine.spiff.outcomes import outcomes_of
from engine.spiff.plain_data import as_json
from engine.spiff.specs import CompiledVersion
from engine.spiff.stored import live_elements

# Finds the compiled version with a content hash (None when it is missing or altered).
Resolver = Callable[[str], "CompiledVersion | None"]
TASK_COMMANDS = {"claimed", "released", "reassigned"}
ENTERED = {"task_entered": "ids", "external_task_entered": "external_ids"}  # outcome -> its id map


@dataclass
class Replayed:
    """Where replay ended: the last result, open tasks and the mapping of task ids."""

    result: StepResult | None = None
    ids: dict[str, str] = field(default_factory=dict)            # recorded id -> replayed id
    open_tasks: dict[str, str] = field(default_factory=dict)     # replayed id -> element
    claimed_by: dict[str, str | None] = field(default_factory=dict)  # recorded id -> user
    completed: dict[str, tuple[str | None, dict]] = field(default_factory=dict)  # recorded id -> (actor, data)
    steps: list[dict[str, Any]] = field(default_factory=list)    # per command: seq, data, active
    zone: tzinfo = UTC  # the organisation's zone the instance started in (its `started` entry says)
    external_ids: dict[str, str] = field(default_factory=dict)   # external tasks: recorded id -> replayed id
    external_open: set[str] = field(default_factory=set)         # replayed ids of waiting external tasks
    # replayed id -> recorded id of both kinds, kept as they are entered so that no command's
    # comparison costs more the longer the instance's history (DESIGN 4)
    recorded_ids: dict[str, str] = field(default_factory=dict)


def replay(compiled: CompiledVersion, entries: list[JournalEntry], resolve: Resolver | None = None) -> Replayed:
    """Replay the journal; raises Divergence at the first disagreement.

    `compiled` is the version the instance is on now. An instance that was migrated started
    on another version and switched at each `migrated` command: `resolve` finds those.
    """
    done = Replayed()
    state: dict[str, Any] | None = None
    index = 0
    while index < len(entries):
        entry = entries[index]
        if entry.kind not in COMMANDS:
            raise Divergence(entry.seq, entry.payload.get("element"), "kind", entry.kind, None,
                             f"entry {entry.seq} ({entry.kind}) follows no command")
        following = _outcomes_after(entries, index)
        if entry.kind in NOTES:  # a comment is evidence, not a step of the workflow: nothing follows it
            if following:
                raise Divergence(following[0].seq, following[0].payload.get("element"), "kind", following[0].kind,
                                 None, f"entry {following[0].seq} ({following[0].kind}) follows a {entry.kind} entry")
        elif entry.kind in TASK_COMMANDS:
            _task_command(done, entry)
        elif entry.kind == "external_failed" and entry.payload.get("retries"):
            _external_task(done, entry)  # a failure with retries left changes only the worker's row
        else:
            before = compiled
            if entry.kind in ("started", "migrated"):
                compiled = _version_of(entry, compiled, resolve)
            if entry.kind == "started":
                done.zone = _zone_of(entry)
            result = _run_command(compiled, entry, state, done, before, _recorded_lookups(following))
            _compare(done, entry, result, following)
            state = as_json(result.state)  # as storage holds it
            done.result = result
            done.steps.append({"seq": entry.seq, "kind": entry.kind, "data": result.data,
                               "active": live_elements(result.state)})
        index += 1 + len(following)
    return done


def _zone_of(entry: JournalEntry):
    """The zone a `started` entry records (UTC for instances started before zhidu recorded one)."""
    try:
        return zone_named(entry.payload.get("time_zone"))
    except ValueError as err:
        raise Divergence(entry.seq, None, "time_zone", entry.payload.get("time_zone"), None, str(err)) from err


def _recorded_lookups(recorded: list[JournalEntry]) -> dict[str, Any]:
    """Lookups answered from the journal: the organisation may have changed since."""
    answers = [entry.payload for entry in recorded if entry.kind == "lookup"]

    def answering(name: str) -> Any:
        def answer(*args: Any) -> Any:
            wanted = json_safe(list(args))
            for index, found in enumerate(answers):
                if found.get("function") == name and found.get("args") == wanted:
                    return answers.pop(index).get("result")
            return None  # not in the record: the outcome comparison reports the divergence
        return answer

    return {name: answering(name) for name in {"users_with_role", *(a.get("function") for a in answers)}}


def _outcomes_after(entries: list[JournalEntry], index: int) -> list[JournalEntry]:
    end = index + 1
    while end < len(entries) and entries[end].kind not in COMMANDS:
        end += 1
    return entries[index + 1:end]


def _task_command(done: Replayed, entry: JournalEntry) -> None:
    task_id = entry.payload.get("task_id")
    if task_id not in done.ids or done.ids[task_id] not in done.open_tasks:
        raise Divergence(entry.seq, entry.payload.get("element"), "task_id", task_id, None,
                         f"entry {entry.seq} {entry.kind} a task that is not open")
    done.claimed_by[task_id] = {"claimed": entry.actor, "released": None}.get(entry.kind, entry.payload.get("to"))


def _external_task(done: Replayed, entry: JournalEntry) -> str:
    """The replayed id of the waiting external task an entry names (Divergence when none)."""
    replayed_id = done.external_ids.get(entry.payload.get("task_id"))
    if replayed_id is None or replayed_id not in done.external_open:
        raise Divergence(entry.seq, entry.payload.get("element"), "task_id", entry.payload.get("task_id"), None,
                         f"entry {entry.seq} ({entry.kind}) names an external task that is not waiting")
    return replayed_id


def _version_of(entry: JournalEntry, current: CompiledVersion, resolve: Resolver | None) -> CompiledVersion:
    """The version a `started` or `migrated` command runs the instance on from then on."""
    wanted = entry.payload.get("to" if entry.kind == "migrated" else "version_hash")
    if not wanted or wanted == current.content_hash:
        return current
    found = resolve(wanted) if resolve is not None else None
    if found is None:
        raise Divergence(entry.seq, None, "version", wanted, None,
                         f"entry {entry.seq} names version {wanted[:12]}, which is missing or altered")
    return found


def _run_command(compiled: CompiledVersion, entry: JournalEntry, state: dict | None, done: Replayed,
                 before: CompiledVersion | None = None, functions: dict[str, Any] | None = None) -> StepResult:
    clock = FixedClock(entry.at, done.zone)
    payload = entry.payload
    if entry.kind == "started":
        return _execution(compiled, clock, None, functions).start(payload.get("data") or {}, entry.actor)
    if state is None:
        raise Divergence(entry.seq, None, "kind", entry.kind, None, f"entry {entry.seq} comes before the start")
    if entry.kind == "completed":
        recorded_id = payload.get("task_id")
        replayed_id = done.ids.get(recorded_id)
        if replayed_id is None or replayed_id not in done.open_tasks:
            raise Divergence(entry.seq, payload.get("element"), "task_id", recorded_id, None,
                             f"entry {entry.seq} completes a task replay never offered")
        done.open_tasks.pop(replayed_id)
        done.claimed_by[recorded_id] = entry.actor
        done.completed[recorded_id] = (entry.actor, payload.get("data") or {})
        return _execution(compiled, clock, state, functions).complete(replayed_id, payload.get("data") or {})
    if entry.kind == "timer_fired":
        return _execution(compiled, clock, state, functions).fire_timers()[0]
    if entry.kind == "message_received":
        return _execution(compiled, clock, state, functions).receive_message(payload.get("name", ""), payload.get("payload") or {})
    if entry.kind == "cancelled":
        return _execution(compiled, clock, state, functions).cancel(payload.get("reason") or "")
    if entry.kind == "withdrawn":
        return withdrawn(_execution(compiled, clock, state, functions), payload.get("reason") or "")
    if entry.kind == "migrated":
        return migrate_state(before or compiled, compiled, state, clock)
    if entry.kind == "external_completed":
        return _execution(compiled, clock, state, functions).complete(_external_task(done, entry),
                                                                     payload.get("data") or {})
    if entry.kind == "external_failed":  # the last retry failed: an incident
        return _execution(compiled, clock, state, functions).fail_external(_external_task(done, entry),
                                                                          payload.get("message") or "")
    if entry.kind == "incident_retried":
        return _execution(compiled, clock, state, functions).retry(payload.get("data") or {})
    raise Divergence(entry.seq, None, "kind", entry.kind, None, f"replay cannot run {entry.kind!r} commands yet")


def _execution(compiled: CompiledVersion, clock: FixedClock, state: dict | None,
               functions: dict[str, Any] | None) -> Execution:
    """The command's run, as the live one ran it, but without what only the live one stores."""
    return Execution(compiled, clock, state, functions, replaying=True)


def withdrawn(execution: Execution, reason: str) -> StepResult:
    """Run a withdrawal: a cancel whose instance ends `withdrawn` (the runtime's command too)."""
    result = execution.cancel(reason)
    result.status = "withdrawn"
    return result


def _compare(done: Replayed, command: JournalEntry, result: StepResult, recorded: list[JournalEntry]) -> None:
    expected = outcomes_of(dict(done.open_tasks), result)
    reverse = done.recorded_ids
    for position, (kind, payload) in enumerate(expected.entries):
        if position >= len(recorded):
            raise Divergence(command.seq, payload.get("element"), kind, None, payload,
                             f"after entry {command.seq} replay produced {kind} that the journal lacks")
        actual = unsalted(recorded[position])  # salts are not outcomes
        if kind in ENTERED and actual.kind == kind and actual.payload.get("element") == payload["element"]:
            reverse[payload["task_id"]] = actual.payload["task_id"]
            getattr(done, ENTERED[kind])[actual.payload["task_id"]] = payload["task_id"]
        translated = as_json(_translate(payload, reverse), default=str)  # as the journal holds it (json_safe)
        if actual.kind != kind or actual.payload != translated:
            field_name = first_difference(actual.payload, translated) if actual.kind == kind else "kind"
            raise Divergence(actual.seq, actual.payload.get("element") or payload.get("element"), field_name,
                             dig(actual.payload, field_name) if actual.kind == kind else actual.kind,
                             dig(translated, field_name) if actual.kind == kind else kind,
                             f"entry {actual.seq} records {actual.kind} but replay gives {kind}"
                             if actual.kind != kind else f"entry {actual.seq} differs from replay in {field_name}")
    if len(recorded) > len(expected.entries):
        extra = recorded[len(expected.entries)]
        raise Divergence(extra.seq, extra.payload.get("element"), "kind", extra.kind, None,
                         f"entry {extra.seq} ({extra.kind}) is not something replay produced")
    for task_id in expected.cancelled:
        done.open_tasks.pop(task_id, None)
    for ready in expected.entered:
        done.open_tasks[ready.id] = ready.spec_name
    done.external_open = {t.id for t in result.external.ready}


def _translate(payload: dict[str, Any], reverse: dict[str, str]) -> dict[str, Any]:
    if "task_id" in payload and payload["task_id"] in reverse:
        return {**payload, "task_id": reverse[payload["task_id"]]}
    return payload


def first_difference(recorded: dict[str, Any], replayed: dict[str, Any]) -> str:
    for key in sorted(set(recorded) | set(replayed)):
        if recorded.get(key) != replayed.get(key):
            if isinstance(recorded.get(key), dict) and isinstance(replayed.get(key), dict):
                return f"{key}.{first_difference(recorded[key], replayed[key])}"
            return key
    return "payload"


def dig(value: Any, dotted: str) -> Any:
    """The value at a dotted path such as ``changes.details.after``."""
    for part in dotted.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value
