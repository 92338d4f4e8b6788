"""The facade against in-memory storage: commands, permissions, and failures that change nothing."""

from __future__ import annotations

import copy

import pytest

from engine.errors import (
    ConcurrentUpdate, FormInvalid, InstanceNotFound, PermissionDenied, ProcessNotFound, TaskAlreadyClaimed,
    TaskNotClaimed, TaskNotFound, TaskNotReady, UserNotFound,
)
from engine.audit.journal import verify_chain
from tests.engine.fakes import FakeUnitOfWork

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}


def only_task(engine, instance_id):
    tasks = engine.show(instance_id).active_tasks
    assert len(tasks) == 1, tasks
    return tasks[0]


def test_start_offers_first_task_to_the_lane_role(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert instance.status == "running"
    task = only_task(fake_engine, instance.id)
    assert task.name == "Task_Record"
    assert task.candidates == ("role:customer-service-staff",)
    assert task.form.key == "complaint_record"
    assert [t.id for t in fake_engine.tasks_for("cs_staff2")] == [task.id]
    assert fake_engine.tasks_for("mk_staff1") == []
    assert instance.data["customer_name"] == "张三"


def test_start_refuses_who_may_not_start_and_writes_nothing(fake_engine, store):
    with pytest.raises(PermissionDenied):
        fake_engine.start("complaint_handling", "mk_staff1", INTAKE)
    with pytest.raises(ProcessNotFound):
        fake_engine.start("no_such_process", "cs_staff1", INTAKE)
    with pytest.raises(UserNotFound):
        fake_engine.start("complaint_handling", "nobody", INTAKE)
    assert store.instances == {} and store.journal == []


def test_start_validates_the_start_form_field_by_field(fake_engine, store):
    bad = {**INTAKE, "channel": "pigeon", "customer_name": ""}
    del bad["description"]
    with pytest.raises(FormInvalid) as caught:
        fake_engine.start("complaint_handling", "cs_staff1", bad)
    fields = {e.field for e in caught.value.field_errors}
    assert fields == {"customer_name", "channel", "description"}
    assert store.instances == {}


def test_claim_release_and_claim_conflicts(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    task = only_task(fake_engine, instance.id)
    assert fake_engine.claim(task.id, "cs_staff2").claimed_by == "cs_staff2"
    with pytest.raises(TaskAlreadyClaimed):
        fake_engine.claim(task.id, "cs_staff1")
    assert fake_engine.tasks_for("cs_staff1") == []
    with pytest.raises(PermissionDenied):
        fake_engine.release(task.id, "cs_staff1")
    with pytest.raises(TaskAlreadyClaimed):
        fake_engine.complete_task(task.id, "cs_staff1", {"details": "x", "customer_calmed": True})
    assert fake_engine.release(task.id, "cs_staff2").claimed_by is None
    with pytest.raises(TaskNotClaimed):
        fake_engine.release(task.id, "cs_staff2")
    with pytest.raises(PermissionDenied):
        fake_engine.claim(task.id, "da_staff1")
    with pytest.raises(TaskNotFound):
        fake_engine.claim("no-such-task", "cs_staff1")


def test_manager_may_release_and_reassign_in_their_department(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    task = only_task(fake_engine, instance.id)
    fake_engine.claim(task.id, "cs_staff1")
    assert fake_engine.reassign(task.id, "cs_manager", "cs_staff2").claimed_by == "cs_staff2"
    with pytest.raises(PermissionDenied):
        fake_engine.reassign(task.id, "mk_manager", "cs_staff1")
    with pytest.raises(PermissionDenied):
        fake_engine.reassign(task.id, "cs_manager", "mk_staff1")
    assert fake_engine.release(task.id, "cs_manager").claimed_by is None


def test_complete_with_invalid_data_changes_nothing(fake_engine, store):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    task = only_task(fake_engine, instance.id)
    before = copy.deepcopy(store.__dict__)
    with pytest.raises(FormInvalid) as caught:
        fake_engine.complete_task(task.id, "cs_staff1", {"details": "", "customer_calmed": "yes", "extra": 1})
    assert {(e.field, e.code) for e in caught.value.field_errors} == {
        ("details", "minLength"), ("customer_calmed", "type"), ("extra", "unknown")}
    assert store.__dict__ == before


def test_completed_task_cannot_be_completed_twice(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    task = only_task(fake_engine, instance.id)
    fake_engine.complete_task(task.id, "cs_staff1", {"details": "d", "customer_calmed": True})
    with pytest.raises(TaskNotReady):
        fake_engine.complete_task(task.id, "cs_staff1", {"details": "d", "customer_calmed": True})
    assert fake_engine.task(task.id).completed_by == "cs_staff1"


def test_journal_records_commands_and_outcomes_in_a_chain(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    task = only_task(fake_engine, instance.id)
    fake_engine.claim(task.id, "cs_staff1")
    fake_engine.complete_task(task.id, "cs_staff1", {"details": "d", "customer_calmed": True})
    entries = fake_engine.history(instance.id)
    kinds = [e.kind for e in entries]
    assert kinds[0] == "started" and entries[0].payload["data"] == INTAKE
    assert "claimed" in kinds and "completed" in kinds
    completed = next(e for e in entries if e.kind == "completed")
    assert completed.actor == "cs_staff1"
    assert completed.payload["data"] == {"details": "d", "customer_calmed": True}
    left = next(e for e in entries if e.kind == "task_left")
    assert left.payload["changes"]["details"] == {"before": None, "after": "d"}
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    assert verify_chain(entries) is None
    with pytest.raises(InstanceNotFound):
        fake_engine.history("nope")


def test_a_command_that_lost_a_race_fails_and_changes_nothing(fake_engine, store):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    task = only_task(fake_engine, instance.id)
    racing = FakeUnitOfWork(store)
    racing.__enter__()
    fake_engine.claim(task.id, "cs_staff1")  # commits first, bumping the revision
    record = racing.instances.get(instance.id)
    with pytest.raises(ConcurrentUpdate):
        racing.instances.save(record, record.revision)
    assert store.instances[instance.id].revision == record.revision + 1


def test_script_failure_marks_the_instance_failed_with_the_element(fake_engine, store, clock):
    from engine.definitions.bundles import CatalogEntry, ProcessBundle
    from tests.conftest import FIXTURES

    bpmn = (FIXTURES / "loop.bpmn").read_text().replace("count = count + 1", "count = count + undefined_name")
    bundle = ProcessBundle(CatalogEntry("loop", "loop", "loop.bpmn", {"zh": "循环", "en": "loop"}, (), "process-owner"),
                           {"loop.bpmn": bpmn, "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text()})
    fake_engine.deploy([bundle])
    store.users["worker1"] = store.users["cs_staff1"].__class__("worker1", "W", None, ("worker",))
    instance = fake_engine.start("loop", "worker1", {"count": 0, "limit": 3})
    task = only_task(fake_engine, instance.id)
    after = fake_engine.complete_task(task.id, "worker1", {})
    assert after.status == "failed"
    assert after.incident["element"] == "Count"
    assert "undefined_name" in after.incident["message"]
    assert fake_engine.history(instance.id)[-1].kind == "instance_failed"


def test_the_starter_is_in_the_data_and_replays(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff2", INTAKE)
    assert instance.data["started_by"] == "cs_staff2"
    assert fake_engine.history(instance.id)[0].payload["data"] == INTAKE
    assert fake_engine.verify(instance.id).status == "ok"
