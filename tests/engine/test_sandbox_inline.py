"""Expressions evaluated in the server (engine/sandbox/inline.py): the same answers as a sandbox
worker gives, and everything that is not a comparison or read of short plain values still goes
to a worker."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from engine.sandbox.inline import MISSING, inline_names, inline_value
from engine.sandbox.limits import DEFAULT_LIMITS, Limits
from engine.spiff.script_environment import SandboxEnvironment

DATA = {"founded": True, "resolved": False, "severity": "high", "responsible_department": "data-analysis",
        "resolve_by": "2026-12-05", "amount": 12_000, "ratio": 0.25, "nothing": None,
        "due": date(2026, 12, 5), "at": datetime(2026, 11, 27, 9, tzinfo=timezone.utc), "span": timedelta(days=2)}

INLINE = [
    "founded == True", "resolved == False", "founded", "not resolved", "resolve_by",
    "responsible_department + '-staff'", "severity in ('high', 'critical')", "severity not in ['low']",
    "amount > 10000 and ratio < 0.5", "amount >= 12000 or nothing", "nothing is None", "founded is not True",
    "-amount", "amount - 2000", "due if founded else None", "'urgent' if severity == 'high' else 'normal'",
    "at + span", "1 < amount <= 12000", "('high', 'x')", "{1, 2}", "[1, 'a', None]",
]
WORKER_ONLY = [
    "len(severity)", "severity.upper()", "at.date()", "users_with_role('x')", "[s for s in severity]",
    "scores[0]", "scores", "big == 'x'", "amount * 2", "now()", "severity is 'high'", "f'{severity}'",
    "huge > 1", "_secret == 1", "missing == 1", "{'a': 1}", "(severity, 'x')", "due < at.date() if False else due",
]
MORE = {"scores": [3, 4, 5], "big": "x" * 5_000, "huge": 2 ** 5_000, "_secret": 1}


def worker_value(source: str, data: dict):
    return SandboxEnvironment()._run("evaluate", source, data, None)[1]


@pytest.mark.parametrize("source", INLINE)
def test_an_inline_expression_gives_what_a_worker_gives(source):
    assert inline_names(source) is not None
    here = inline_value(source, DATA, None, DEFAULT_LIMITS)
    assert here is not MISSING
    there = worker_value(source, DATA)
    assert here == there and type(here) is type(there)


@pytest.mark.parametrize("source", WORKER_ONLY)
def test_calls_attributes_containers_long_values_and_helpers_go_to_a_worker(source):
    assert inline_value(source, {**DATA, **MORE}, None, DEFAULT_LIMITS) is MISSING


def test_the_environment_asks_no_worker_for_an_inline_expression(monkeypatch):
    asked = []
    env = SandboxEnvironment()
    real = env._run
    monkeypatch.setattr(env, "_run", lambda *args: asked.append(args[1]) or real(*args))
    assert env.evaluate("founded == True", DATA) is True
    assert env.evaluate("responsible_department + '-staff'", DATA) == "data-analysis-staff"
    assert asked == []
    assert env.evaluate("len(severity)", DATA) == 4
    assert asked == ["len(severity)"]


@pytest.mark.parametrize("source, data", [
    ("amount < severity", DATA),            # TypeError
    ("at + amount", DATA),                  # TypeError between a date-time and a number
    ("due + span + span", {**DATA, "due": date.max}),  # OverflowError
    ("nowhere == 1", DATA),                 # NameError
])
def test_an_error_is_the_workers_with_its_message(source, data):
    env = SandboxEnvironment()
    with pytest.raises(Exception) as here:
        env.evaluate(source, data)
    with pytest.raises(Exception) as there:
        worker_value(source, data)
    assert type(here.value) is type(there.value) and str(here.value) == str(there.value)


def test_data_the_worker_would_not_see_is_not_read_here():
    # Names that are not data (helpers, private names) are left out of a worker's scope; here too.
    assert inline_value("flag == 1", {"flag": print}, None, DEFAULT_LIMITS) is MISSING
    assert inline_value("flag == 1", {}, {"flag": 1}, DEFAULT_LIMITS) is True  # the external context counts
    assert inline_value("flag == 1", {"flag": 2}, {"flag": 1}, DEFAULT_LIMITS) is False  # task data wins


def test_inline_runs_keep_the_environments_limits():
    tight = Limits(size=3)
    # A comparison's operands are measured against the size limit first, in the server as in a worker.
    assert inline_value("severity == 'x'", DATA, None, tight) is MISSING
    with pytest.raises(Exception, match="limit exceeded"):
        SandboxEnvironment(limits=tight).evaluate("severity == 'x'", DATA)


def test_a_complaint_and_its_replay_ask_no_worker(fake_engine, monkeypatch):
    # Its gateways (founded == True, resolved == False) and assignments (responsible_department +
    # '-staff', resolve_by) are all inline: the half of each replayed command the round trips cost.
    from tests.processes.test_complaint_handling import DECIDE, FEEDBACK, HANDLE, INTAKE, RECORD, REVIEW

    asked = []
    real = SandboxEnvironment._run
    monkeypatch.setattr(SandboxEnvironment, "_run", lambda self, *args: asked.append(args[1]) or real(self, *args))
    instance_id = fake_engine.start("complaint_handling", "cs_staff1", INTAKE).id

    def complete(element: str, user: str, data: dict) -> None:
        task = next(t for t in fake_engine.show(instance_id).active_tasks if t.name == element)
        fake_engine.complete_task(task.id, user, data)

    complete("Task_Record", "cs_staff1", RECORD)
    complete("Task_Verify", "cs_staff2", {"findings": "属实", "founded": True})
    complete("Task_Decide", "cs_manager", DECIDE)
    for attempt in range(2):
        complete("Task_Handle", "da_staff1", HANDLE)
        complete("Task_Track", "cs_staff1", {"resolved": bool(attempt), "progress_note": f"{attempt}"})
    complete("Task_Feedback", "cs_staff1", FEEDBACK)
    complete("Task_Review", "cs_manager", REVIEW)
    assert fake_engine.show(instance_id).status == "completed"
    assert fake_engine.verify(instance_id).status == "ok"
    assert asked == []


def test_an_inline_expression_does_not_read_the_process_size_a_script_run_does(monkeypatch):
    # Reading /proc/self/statm cost more than evaluating a comparison; an inline expression cannot
    # loop, call or grow a value past its bounds, so its watch keeps the deadline only.
    from engine.sandbox import limits
    from engine.sandbox.runner import ScriptRunner

    reads = []
    monkeypatch.setattr(limits, "_resident_bytes", lambda: reads.append(1) or 1)
    assert inline_value("founded == True and severity == 'high'", {"founded": True, "severity": "high"},
                        {}, DEFAULT_LIMITS) is True
    assert reads == []
    ScriptRunner({}).evaluate("1 + 1", {})  # a script run (in a worker, as always) still measures
    assert reads == [1]
