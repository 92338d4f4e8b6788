"""Timers on the engine clock, one fixture process per timer form, each round-tripped through SQLite.

Nothing sleeps: the FixedClock moves, `fire_due_timers` and `start_due_schedules` do the rest.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from engine.errors import DefinitionInvalid, PermissionDenied, TaskNotReady
from engine.spiff.specs import compile_bundle
from tests.conftest import T0, make_zhidu
from tests.fixtures.timers.bundles import all_bundles, fixture_text, timer_bundle

STAFF = "cs_staff1"


@pytest.fixture
def timers(sqlite_url, clock):
    """An engine with every timer fixture deployed and the demo users."""
    return make_zhidu(sqlite_url, clock, bundles=all_bundles())


def open_tasks(engine, instance_id: str) -> list[str]:
    return sorted(t.name for t in engine.show(instance_id).active_tasks)


def kinds(engine, instance_id: str, kind: str) -> list[dict]:
    return [e.payload for e in engine.history(instance_id) if e.kind == kind]


def fired_ids(engine) -> dict[str, tuple[str, ...]]:
    return {f.instance_id: f.elements for f in engine.fire_due_timers()}


def test_time_date_fires_at_that_moment_not_before(timers, clock):
    instance = timers.start("timer_date", STAFF).id
    assert open_tasks(timers, instance) == []
    clock.set(datetime(2026, 11, 28, 8, 59, 59, tzinfo=timezone.utc))
    assert fired_ids(timers) == {}
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc))
    assert fired_ids(timers) == {instance: ("WaitUntil",)}
    assert open_tasks(timers, instance) == ["Work"]
    assert fired_ids(timers) == {}  # fired once, never again
    [fired] = kinds(timers, instance, "timer_fired")
    assert fired == {"at": "2026-11-28T09:00:00+00:00", "elements": ["WaitUntil"]}


def test_time_date_in_the_past_fires_on_the_next_pass(timers, clock):
    clock.set(datetime(2026, 12, 5, tzinfo=timezone.utc))
    instance = timers.start("timer_date", STAFF).id
    # it is already due when the instance starts: whichever runs first, it fires exactly once
    if open_tasks(timers, instance) == []:
        assert fired_ids(timers) == {instance: ("WaitUntil",)}
    assert open_tasks(timers, instance) == ["Work"]
    assert fired_ids(timers) == {}


def test_duration_from_process_data(timers, clock):
    two_hours = timers.start("timer_expression", STAFF, {"wait_for": "PT2H"}).id
    half_hour = timers.start("timer_expression", STAFF, {"wait_for": "PT30M"}).id
    clock.advance(timedelta(minutes=30))
    assert fired_ids(timers) == {half_hour: ("WaitFor",)}
    clock.advance(timedelta(minutes=89))
    assert fired_ids(timers) == {}
    clock.advance(timedelta(minutes=1))
    assert fired_ids(timers) == {two_hours: ("WaitFor",)}
    assert open_tasks(timers, two_hours) == open_tasks(timers, half_hour) == ["Work"]


def test_interrupting_boundary_timer_cancels_the_task_and_takes_the_timer_path(timers, clock):
    instance = timers.start("timer_boundary", STAFF).id
    [answer] = timers.show(instance).active_tasks
    assert answer.id in {t.id for t in timers.tasks_for(STAFF)}
    clock.advance(timedelta(minutes=59))
    assert fired_ids(timers) == {}
    clock.advance(timedelta(minutes=1))
    assert fired_ids(timers) == {instance: ("AnswerLate",)}
    assert open_tasks(timers, instance) == ["Escalate"]
    assert timers.task(answer.id).status == "cancelled"
    inbox = {t.id: t.name for t in timers.tasks_for(STAFF)}
    assert answer.id not in inbox and "Escalate" in inbox.values()
    [left] = [p for p in kinds(timers, instance, "task_left") if p["task_id"] == answer.id]
    assert left["cancelled"] is True
    escalate = timers.show(instance).active_tasks[0]
    assert timers.complete_task(escalate.id, STAFF, {"note": "done"}).status == "completed"


def test_answering_in_time_cancels_the_boundary_timer(timers, clock):
    instance = timers.start("timer_boundary", STAFF).id
    [answer] = timers.show(instance).active_tasks
    assert timers.complete_task(answer.id, STAFF, {}).status == "completed"
    clock.advance(timedelta(days=1))
    assert fired_ids(timers) == {}
    assert kinds(timers, instance, "timer_fired") == []


def test_cycle_boundary_timer_reminds_three_times_and_keeps_the_task(timers, clock):
    instance = timers.start("timer_reminders", STAFF).id
    [answer] = timers.show(instance).active_tasks
    for hour in (1, 2, 3):
        clock.advance(timedelta(minutes=59))
        assert fired_ids(timers) == {}
        clock.advance(timedelta(minutes=1))
        assert fired_ids(timers) == {instance: ("Hourly",)}, f"hour {hour}"
        assert open_tasks(timers, instance) == ["Answer"] + ["Remind"] * hour
    clock.advance(timedelta(hours=5))
    assert fired_ids(timers) == {}  # R3: three and no more
    assert timers.task(answer.id).status == "open"
    assert len(kinds(timers, instance, "timer_fired")) == 3
    for remind in [t for t in timers.show(instance).active_tasks if t.name == "Remind"]:
        timers.complete_task(remind.id, STAFF, {})
    assert timers.complete_task(answer.id, STAFF, {}).status == "completed"


def test_catching_up_on_a_missed_cycle_fires_each_due_reminder(timers, clock):
    instance = timers.start("timer_reminders", STAFF).id
    clock.advance(timedelta(hours=10))
    for _ in range(3):
        timers.fire_due_timers()
    assert open_tasks(timers, instance) == ["Answer", "Remind", "Remind", "Remind"]
    assert fired_ids(timers) == {}


def test_event_gateway_timer_wins_when_no_message_came(timers, clock):
    instance = timers.start("timer_race", STAFF).id
    assert open_tasks(timers, instance) == []
    clock.advance(timedelta(hours=23))
    assert fired_ids(timers) == {}
    clock.advance(timedelta(hours=1))
    assert fired_ids(timers) == {instance: ("DayPassed",)}
    assert open_tasks(timers, instance) == ["ChaseUp"]
    clock.advance(timedelta(days=3))
    assert fired_ids(timers) == {}


def test_timer_event_subprocess_nudges_while_the_task_stays_open(timers, clock):
    instance = timers.start("timer_event_subprocess", STAFF).id
    assert open_tasks(timers, instance) == ["Work"]
    clock.advance(timedelta(minutes=29))
    assert fired_ids(timers) == {}
    clock.advance(timedelta(minutes=1))
    assert instance in fired_ids(timers)
    assert open_tasks(timers, instance) == ["NudgeTask", "Work"]
    clock.advance(timedelta(hours=2))
    assert fired_ids(timers) == {}  # a duration timer starts the subprocess once
    nudge = next(t for t in timers.show(instance).active_tasks if t.name == "NudgeTask")
    timers.complete_task(nudge.id, STAFF, {})
    work = next(t for t in timers.show(instance).active_tasks if t.name == "Work")
    assert timers.complete_task(work.id, STAFF, {}).status == "completed"


def test_periodic_start_once_per_due_time(timers, clock):
    assert timers.start_due_schedules() == []
    clock.advance(timedelta(days=3))
    started = timers.start_due_schedules()
    assert len(started) == 3 == len(set(started))
    assert timers.start_due_schedules() == []
    due = sorted(kinds(timers, i, "started")[0]["scheduled_for"] for i in started)
    assert due == [(T0 + timedelta(days=d)).isoformat() for d in (1, 2, 3)]
    assert all(open_tasks(timers, i) == ["Report"] for i in started)
    report = timers.show(started[0]).active_tasks[0]
    assert timers.complete_task(report.id, STAFF, {}).status == "completed"
    clock.advance(timedelta(hours=23))
    assert timers.start_due_schedules() == []
    clock.advance(timedelta(hours=1))
    assert len(timers.start_due_schedules()) == 1


@pytest.mark.parametrize(("tag", "text", "reason"), [
    ("timeDuration", "PT24X", "not valid ISO-8601"),
    ("timeCycle", "R/P1X", "not valid ISO-8601"),
    ("timeCycle", "PT1H", "not a repeating interval"),
    ("timeDate", "2026-13-01", "not valid ISO-8601"),
])
def test_invalid_timer_text_is_refused_at_deploy_naming_the_element(timers, tag, text, reason):
    original = {"timeDuration": ("timer_boundary", "PT1H", "AnswerLate"),
                "timeCycle": ("timer_reminders", "R3/PT1H", "Hourly"),
                "timeDate": ("timer_date", "2026-11-28T09:00:00+00:00", "WaitUntil")}
    key, good, element = original[tag]
    bad = fixture_text(key).replace(f">{good}</bpmn:{tag}>", f">{text}</bpmn:{tag}>")
    assert bad != fixture_text(key)
    with pytest.raises(DefinitionInvalid) as caught:
        timers.deploy([timer_bundle(key, bad)])
    [problem] = caught.value.problems
    assert problem.element == element and reason in problem.reason and text in problem.reason
    assert problem.line is not None
    assert [p.version for p in timers.processes() if p.key == key] == [1]  # nothing deployed


def test_timer_text_that_is_not_iso_nor_an_expression_is_refused():
    bad = fixture_text("timer_boundary").replace(">PT1H<", ">in one hour<")
    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle(timer_bundle("timer_boundary", bad))
    assert [p.element for p in caught.value.problems] == ["AnswerLate"]


def test_failing_timer_expression_fails_the_instance_and_the_pass_goes_on(timers, clock):
    broken = timers.start("timer_broken", STAFF).id
    healthy = timers.start("timer_expression", STAFF, {"wait_for": "PT1H"}).id
    clock.advance(timedelta(hours=1))
    fired = {f.instance_id: f for f in timers.fire_due_timers()}
    assert set(fired) == {broken, healthy}
    assert fired[healthy].status == "running" and open_tasks(timers, healthy) == ["Work"]
    view = timers.show(broken)
    assert view.status == "failed"
    assert view.incident["element"] == "WaitUndefined" and "undefined_variable" in view.incident["message"]
    [failed] = kinds(timers, broken, "instance_failed")
    assert failed["element"] == "WaitUndefined"
    clock.advance(timedelta(days=1))
    assert fired_ids(timers) == {}  # a failed instance is not woken again

    retried = timers.retry(broken, "admin", {"undefined_variable": "PT1H"})
    assert retried.status == "running" and retried.incident is None
    assert kinds(timers, broken, "incident_retried")[0]["data"] == {"undefined_variable": "PT1H"}
    clock.advance(timedelta(minutes=59))
    assert fired_ids(timers) == {}
    clock.advance(timedelta(minutes=1))
    assert fired_ids(timers) == {broken: ("WaitUndefined",)}
    assert open_tasks(timers, broken) == ["Work"]


def test_only_an_administrator_retries_and_only_failed_instances(timers, clock):
    broken = timers.start("timer_broken", STAFF).id
    with pytest.raises(TaskNotReady):
        timers.retry(broken, "admin", {})
    clock.advance(timedelta(hours=1))
    timers.fire_due_timers()
    with pytest.raises(PermissionDenied):
        timers.retry(broken, STAFF, {"undefined_variable": "PT1H"})
    assert timers.show(broken).status == "failed"
