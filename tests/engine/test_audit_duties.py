"""Verify's separation-of-duties check (engine/audit/duties.py) indexes what it has seen by step
and person; it must refuse exactly the completions, with exactly the reasons, that asking about
every task seen so far (what it did before, quadratic in a looping instance) refused."""

from __future__ import annotations

import random
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from engine.audit.duties import check_duties
from engine.audit.journal import JournalEntry
from engine.errors import Divergence
from engine.spiff.duties import apart, apart_in, element_of

AT = datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
PEOPLE = ("ann", "bob", "cy")
# Steps A and B are done apart, and C apart from A; "B [child]" is an item of a multi-instance B.
USER_TASKS = {
    "A": SimpleNamespace(properties={"notSameAs": "B"}), "B": SimpleNamespace(properties={}),
    "B [child]": SimpleNamespace(properties={}), "C": SimpleNamespace(properties={"notSameAs": "A"}),
    "D": SimpleNamespace(properties={})}
VERSION = SimpleNamespace(content_hash="v1", user_tasks=USER_TASKS,  # as CompiledVersion keeps them
                          apart=apart({name: task.properties for name, task in USER_TASKS.items()}))


def by_walking_every_task(entries: list[JournalEntry]) -> str | None:
    """The reason the earlier check gave at the first refused completion (None: none refused)."""
    element, not_by, held, done = {}, {}, {}, {}
    pairs = apart_in(VERSION)
    for entry in entries:
        payload, task_id = entry.payload, entry.payload.get("task_id")
        if entry.kind == "task_entered":
            element[task_id], not_by[task_id] = payload["element"], tuple(payload.get("not_by") or ())
        elif entry.kind in ("claimed", "reassigned"):
            held[task_id] = entry.actor if entry.kind == "claimed" else payload.get("to")
        elif entry.kind in ("released", "task_left"):
            held.pop(task_id, None)
        elif entry.kind == "completed":
            for person in (entry.actor, payload.get("on_behalf_of")):
                if not person:
                    continue
                reason = None
                if person in not_by.get(task_id, ()):
                    reason = "its notBy rule names them"
                others = pairs.get(element_of(element.get(task_id)), frozenset())
                for other, name in element.items():
                    if reason or other == task_id or element_of(name) not in others:
                        continue
                    if done.get(other) == person:
                        reason = f"they completed {name}, which it must be done apart from"
                    elif held.get(other) == person:
                        reason = f"they held {name}, which it must be done apart from"
                if reason:
                    return f"entry {entry.seq}: {person} completed {element.get(task_id)}, which separation " \
                           f"of duties keeps from them ({reason})"
            held.pop(task_id, None)
            done[task_id] = entry.actor or ""
    return None


def random_journal(seed: int) -> list[JournalEntry]:
    """Tasks of the steps entered, claimed, released, reassigned and completed in a random order,
    each command on a task that is open, as replay lets through."""
    rng, entries, open_tasks, count = random.Random(seed), [], [], 0

    def add(kind: str, actor: str | None, **payload) -> None:
        entries.append(JournalEntry("i", len(entries) + 1, kind, actor, AT, payload))

    for _ in range(rng.randint(5, 60)):
        move = rng.random()
        if move < 0.35 or not open_tasks:
            count += 1
            task_id, step = f"t{count}", rng.choice(list(VERSION.user_tasks))
            add("task_entered", None, task_id=task_id, element=step,
                **({"not_by": [rng.choice(PEOPLE)]} if rng.random() < 0.2 else {}))
            open_tasks.append(task_id)
            continue
        task_id = rng.choice(open_tasks)
        if move < 0.55:
            add("claimed", rng.choice(PEOPLE), task_id=task_id)
        elif move < 0.62:
            add("reassigned", "boss", task_id=task_id, to=rng.choice(PEOPLE))
        elif move < 0.7:
            add("released", rng.choice(PEOPLE), task_id=task_id)
        elif move < 0.75:
            add("task_left", None, task_id=task_id, cancelled=True)
            open_tasks.remove(task_id)
        else:
            behalf = {"on_behalf_of": rng.choice(PEOPLE)} if rng.random() < 0.2 else {}
            add("completed", rng.choice(PEOPLE), task_id=task_id, **behalf)
            open_tasks.remove(task_id)
    return entries


def refusal(entries: list[JournalEntry]) -> str | None:
    try:
        check_duties(VERSION, entries)
    except Divergence as div:
        return div.reason
    return None


@pytest.mark.parametrize("seed", range(400))
def test_the_indexed_check_refuses_what_walking_every_task_refused(seed):
    entries = random_journal(seed)
    assert refusal(entries) == by_walking_every_task(entries)


def test_the_random_journals_do_reach_refusals_of_each_kind():
    reasons = [refusal(random_journal(seed)) or "" for seed in range(400)]
    for kind in ("notBy rule", "they completed", "they held"):
        assert any(kind in reason for reason in reasons), kind
    assert any(reason == "" for reason in reasons)


def test_a_long_loop_is_checked_in_time_linear_in_its_length():
    # A and B apart, taken in turn by two people 3,000 times: every completion used to look at
    # every task before it (18 million looks, seconds of CPU); the index answers each in a few.
    import time

    entries, seq = [], 0
    for turn in range(3000):
        for step, person in (("A", "ann"), ("B", "bob")):
            task_id = f"{step}{turn}"
            entries += [JournalEntry("i", seq + 1, "task_entered", None, AT, {"task_id": task_id, "element": step}),
                        JournalEntry("i", seq + 2, "completed", person, AT, {"task_id": task_id})]
            seq += 2
    began = time.process_time()
    check_duties(VERSION, entries)
    assert time.process_time() - began < 1.0
    entries.append(JournalEntry("i", seq + 1, "task_entered", None, AT, {"task_id": "late", "element": "B"}))
    entries.append(JournalEntry("i", seq + 2, "completed", "ann", AT, {"task_id": "late"}))
    with pytest.raises(Divergence, match="ann completed B.*they completed A, which"):
        check_duties(VERSION, entries)
