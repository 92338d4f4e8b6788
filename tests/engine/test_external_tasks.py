"""External tasks (issue 14.4) on the engine alone: service tasks wait for workers that fetch,
lock, complete and fail them; every step that changes an instance is journaled and replays."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import (
    DefinitionInvalid, FormInvalid, InvalidInput, PermissionDenied, TaskAlreadyClaimed, TaskNotClaimed, TaskNotReady,
)
from engine.runtime import Engine
from tests.conftest import organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork
from tests.fixtures.external.bundles import WORKER, external_bundle, fixture_text, with_worker

STAFF = "cs_staff1"
SCORING, NOTIFY = "external_scoring", "external_notify"


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def engine(store, clock) -> Engine:
    engine = Engine(lambda: FakeUnitOfWork(store), clock)
    engine.deploy([external_bundle(SCORING), external_bundle(NOTIFY)], actor="tests")
    engine.load_organisation(with_worker(organisation()))
    return engine


def rows(store: FakeStore) -> list:
    return sorted(store.__dict__.get("external_tasks", {}).values(), key=lambda t: t.created_at)


def fetch(engine: Engine, worker: str = "w1", topics=("lead-scoring",), seconds: int = 60, most: int = 10):
    return engine.fetch_and_lock(worker, list(topics), seconds, most, actor=WORKER)


def kinds(engine: Engine, instance_id: str) -> list[str]:
    return [e.kind for e in engine.history(instance_id)]


def assert_verified(engine: Engine, instance_id: str) -> None:
    verdict = engine.verify(instance_id)
    assert verdict.status == "ok", verdict.to_dict()


# -- modelling -----------------------------------------------------------------------------
def refused(engine: Engine, bpmn: str) -> list:
    with pytest.raises(DefinitionInvalid) as caught:
        engine.deploy([external_bundle(SCORING, bpmn)], actor="tests")
    return caught.value.problems


def test_a_service_task_without_a_topic_is_refused_naming_it(engine):
    text = fixture_text(SCORING).replace('<spiffworkflow:property name="topic" value="lead-scoring" />', "")
    [problem] = refused(engine, text)
    assert (problem.element, problem.file) == ("Score", "external_scoring.bpmn")
    assert "names no topic" in problem.reason


def test_a_result_form_that_does_not_exist_is_refused_naming_it(engine):
    [problem] = refused(engine, fixture_text(SCORING).replace('value="lead_score"', 'value="no_such_form"'))
    assert problem.element == "Score" and "'no_such_form' does not exist" in problem.reason


def test_retries_that_are_no_count_and_connector_operators_are_refused(engine):
    text = fixture_text(SCORING).replace('name="retries" value="2"', 'name="retries" value="many"')
    assert [p.element for p in refused(engine, text)] == ["Score"]
    operator = '<spiffworkflow:serviceTaskOperator id="http/GetRequest" resultVariable="r" />'
    text = fixture_text(SCORING).replace("</spiffworkflow:properties>", f"</spiffworkflow:properties>{operator}")
    [problem] = refused(engine, text)
    assert problem.element == "Score" and "operators" in problem.reason


# -- waiting and fetching ------------------------------------------------------------------
def test_reaching_a_service_task_waits_and_writes_its_row_in_the_same_command(engine, store):
    view = engine.start(SCORING, STAFF)
    assert (view.status, view.active_tasks, view.current_step) == ("running", (), "Score the lead")
    [row] = rows(store)
    assert (row.instance_id, row.element, row.topic, row.retries, row.status, row.worker_id) == (
        view.id, "Score", "lead-scoring", 2, "open", None)
    assert kinds(engine, view.id)[-1] == "external_task_entered"
    assert_verified(engine, view.id)


def test_fetch_locks_for_one_worker_and_gives_the_data_and_the_result_schema(engine, store, clock):
    first = engine.start(SCORING, STAFF)
    clock.advance(timedelta(seconds=1))  # oldest first
    second = engine.start(SCORING, STAFF)
    [task] = fetch(engine, "w1", most=1)
    assert (task.instance_id, task.topic, task.worker_id) == (first.id, "lead-scoring", "w1")
    assert task.locked_until == clock.now() + timedelta(seconds=60)
    assert task.variables["started_by"] == STAFF
    assert task.result_schema["required"] == ["score"]
    assert [t.instance_id for t in fetch(engine, "w2")] == [second.id]  # the locked one is not handed out
    assert fetch(engine, "w3") == [] and fetch(engine, "w3", topics=["other"]) == []


def test_an_expired_lock_is_fetched_again_and_only_the_new_holder_completes(engine, store, clock):
    started = engine.start(SCORING, STAFF)
    [task] = fetch(engine, "w1")
    clock.advance(timedelta(seconds=61))
    [again] = fetch(engine, "w2")
    assert again.id == task.id and again.worker_id == "w2"
    with pytest.raises(TaskAlreadyClaimed):
        engine.complete_external(task.id, "w1", {"score": 10}, actor=WORKER)
    done = engine.complete_external(task.id, "w2", {"score": 87, "grade": "A"}, actor=WORKER)
    assert [t.title for t in done.active_tasks] == ["Review the score"] and done.data["score"] == 87
    assert rows(store)[0].status == "completed"
    with pytest.raises(TaskNotReady):
        engine.complete_external(task.id, "w2", {"score": 87}, actor=WORKER)
    assert kinds(engine, started.id)[-3:] == ["external_completed", "external_task_left", "task_entered"]
    completed = [e for e in engine.history(started.id) if e.kind == "external_completed"][0]
    assert (completed.actor, completed.payload["worker_id"], completed.payload["data"]) == (
        WORKER, "w2", {"score": 87, "grade": "A"})
    assert_verified(engine, started.id)


def test_a_holder_whose_lock_ran_out_may_finish_while_nobody_else_took_it(engine, clock):
    engine.start(SCORING, STAFF)
    [task] = fetch(engine, "w1")
    clock.advance(timedelta(hours=1))
    assert engine.complete_external(task.id, "w1", {"score": 1}, actor=WORKER).status == "running"


def test_invalid_variables_are_refused_field_by_field_and_change_nothing(engine, store):
    started = engine.start(SCORING, STAFF)
    [task] = fetch(engine)
    before = kinds(engine, started.id)
    with pytest.raises(FormInvalid) as caught:
        engine.complete_external(task.id, "w1", {"score": "high", "grade": "Z"}, actor=WORKER)
    assert sorted(e.field for e in caught.value.field_errors) == ["grade", "score"]
    assert kinds(engine, started.id) == before and rows(store)[0].status == "open"


def test_a_task_whose_model_names_no_form_takes_no_variables(engine):
    started = engine.start(NOTIFY, STAFF)
    [task] = fetch(engine, topics=["notify"])
    with pytest.raises(FormInvalid) as caught:
        engine.complete_external(task.id, "w1", {"sent": True}, actor=WORKER)
    assert [e.field for e in caught.value.field_errors] == ["sent"]
    assert engine.complete_external(task.id, "w1", {}, actor=WORKER).status == "completed"
    assert_verified(engine, started.id)


def test_only_the_worker_role_may_work_and_only_on_a_fetched_task(engine, store):
    engine.start(SCORING, STAFF)
    for person in (STAFF, "admin"):
        with pytest.raises(PermissionDenied):
            engine.fetch_and_lock("w1", ["lead-scoring"], 60, 1, actor=person)
    task_id = rows(store)[0].id
    with pytest.raises(TaskNotClaimed):
        engine.complete_external(task_id, "w1", {"score": 1}, actor=WORKER)
    assert [t.id for t in engine.fetch_and_lock("op", ["lead-scoring"], 60, 1)] == [task_id]  # the operator may
    with pytest.raises(InvalidInput):
        engine.fetch_and_lock("w1", [], 60, 1, actor=WORKER)
    with pytest.raises(InvalidInput):
        engine.fetch_and_lock("w1", ["lead-scoring"], 0, 1, actor=WORKER)


# -- failures, incidents and retries -------------------------------------------------------
def test_failures_back_off_then_the_last_one_is_an_incident_that_retry_clears(engine, store, clock):
    started = engine.start(SCORING, STAFF)
    [task] = fetch(engine)
    failed = engine.fail_external(task.id, "w1", "CRM timed out", retry_in_seconds=30, actor=WORKER)
    assert (failed.retries, failed.worker_id, failed.error_message) == (1, None, "CRM timed out")
    assert fetch(engine, "w2") == []  # backing off
    clock.advance(timedelta(seconds=31))
    [again] = fetch(engine, "w2")
    engine.fail_external(again.id, "w2", "CRM down", actor=WORKER)
    instance = engine.show(started.id)
    assert instance.status == "failed"
    assert instance.incident["element"] == "Score" and "CRM down" in instance.incident["message"]
    assert fetch(engine, "w3") == []
    assert kinds(engine, started.id)[-3:] == ["external_failed", "external_failed", "instance_failed"]
    assert_verified(engine, started.id)
    assert engine.retry(started.id, "admin").status == "running"
    assert rows(store)[0].retries == 2
    [revived] = fetch(engine, "w3")
    engine.complete_external(revived.id, "w3", {"score": 5}, actor=WORKER)
    assert_verified(engine, started.id)


def test_retries_left_as_the_worker_says_and_zero_fails_at_once(engine, store):
    started = engine.start(SCORING, STAFF)
    [task] = fetch(engine)
    assert engine.fail_external(task.id, "w1", "try again", retries_left=5, actor=WORKER).retries == 5
    [task] = fetch(engine)
    engine.fail_external(task.id, "w1", "give up", retries_left=0, actor=WORKER)
    assert engine.show(started.id).status == "failed"
    assert_verified(engine, started.id)


def test_a_boundary_timer_cancels_the_waiting_external_task(engine, store, clock):
    started = engine.start(NOTIFY, STAFF)
    [task] = fetch(engine, topics=["notify"])
    clock.advance(timedelta(hours=1))
    engine.fire_due_timers()
    assert engine.show(started.id).status == "completed"
    assert rows(store)[0].status == "cancelled"
    with pytest.raises(TaskNotReady):
        engine.complete_external(task.id, "w1", {}, actor=WORKER)
    assert "external_task_left" in kinds(engine, started.id)
    assert_verified(engine, started.id)


def test_extend_lock_keeps_other_workers_off(engine, clock):
    engine.start(SCORING, STAFF)
    [task] = fetch(engine, "w1", seconds=60)
    clock.advance(timedelta(seconds=30))
    extended = engine.extend_lock(task.id, "w1", 600, actor=WORKER)
    assert extended.locked_until == clock.now() + timedelta(seconds=600)
    clock.advance(timedelta(seconds=120))
    assert fetch(engine, "w2") == []
    with pytest.raises(TaskAlreadyClaimed):
        engine.extend_lock(task.id, "w2", 600, actor=WORKER)
