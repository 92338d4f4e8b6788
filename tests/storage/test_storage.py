"""The SQL unit of work: round trips, one transaction per command, lost races, restarts."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from engine.errors import ConcurrentUpdate, TaskNotReady
from engine.audit.journal import verify_chain
from engine.runtime import Engine
from storage.database import migrate, uow_factory
from tests.conftest import make_zhidu, open_db

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}


def test_migration_creates_the_schema_and_is_repeatable(db_url):
    db = open_db(db_url)
    migrate(db)
    migrate(db)
    tables = set(inspect(db).get_table_names())
    assert {"process_versions", "instances", "tasks", "task_candidates", "journal", "users"} <= tables


def test_versions_are_immutable_and_hash_addressed(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    [process] = [p for p in zhidu.processes() if p.key == "complaint_handling"]
    assert process.version == 1 and len(process.content_hash) == 64
    from engine.definitions.bundles import load_catalog
    from tests.conftest import FORMS, PROCESSES
    again = zhidu.deploy(load_catalog(PROCESSES, FORMS))
    assert all(not r.created for r in again)


def test_latest_entries_are_the_newest_versions_catalog_entries(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    with zhidu.run.unit() as uow:
        newest = uow.versions.all_latest()
        entries = uow.versions.latest_entries()
    assert len(newest) > 1
    assert sorted(e.key for e in entries) == [e.key for e in entries]
    assert entries == sorted((v.entry for v in newest), key=lambda e: e.key)


def test_everything_survives_a_restart(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    instance = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    task = zhidu.show(instance.id).active_tasks[0]
    zhidu.claim(task.id, "cs_staff1")
    restarted = Engine(uow_factory(open_db(db_url)), clock)
    assert restarted.show(instance.id).active_tasks[0].claimed_by == "cs_staff1"
    restarted.complete_task(task.id, "cs_staff1", {"details": "d", "customer_calmed": True})
    shown = zhidu.show(instance.id)
    assert shown.active_tasks[0].name == "Task_Verify"
    assert shown.data["details"] == "d"
    assert verify_chain(zhidu.history(instance.id)) is None


def test_a_lost_race_raises_concurrent_update_and_writes_nothing(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    instance = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    task_id = zhidu.show(instance.id).active_tasks[0].id
    slow = zhidu.uow_factory()
    with slow:
        record = slow.instances.get(instance.id)
        zhidu.claim(task_id, "cs_staff2")  # another command commits first
        record.status = "cancelled"
        with pytest.raises(ConcurrentUpdate):
            slow.instances.save(record, record.revision)
    assert zhidu.show(instance.id).status == "running"


def test_a_failing_command_leaves_no_partial_writes(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    instance = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    task_id = zhidu.show(instance.id).active_tasks[0].id
    entries_before = len(zhidu.history(instance.id))
    original = zhidu.run.apply

    def explode(*args, **kwargs):
        original(*args, **kwargs)
        raise RuntimeError("disk full")  # after the writes of the command were issued

    zhidu.run.apply = explode
    with pytest.raises(RuntimeError):
        zhidu.complete_task(task_id, "cs_staff1", {"details": "d", "customer_calmed": True})
    zhidu.run.apply = original
    assert len(zhidu.history(instance.id)) == entries_before
    assert zhidu.task(task_id).status == "open"
    zhidu.complete_task(task_id, "cs_staff1", {"details": "d", "customer_calmed": True})
    with pytest.raises(TaskNotReady):
        zhidu.complete_task(task_id, "cs_staff1", {"details": "d", "customer_calmed": True})


def test_inbox_lists_claimed_and_offered_tasks_only(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    first = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    second = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    t1 = zhidu.show(first.id).active_tasks[0].id
    t2 = zhidu.show(second.id).active_tasks[0].id
    zhidu.claim(t1, "cs_staff2")
    assert {t.id for t in zhidu.tasks_for("cs_staff2")} == {t1, t2}
    assert {t.id for t in zhidu.tasks_for("cs_staff1")} == {t2}
    assert zhidu.tasks_for("da_staff1") == []
    assert [i.id for i in zhidu.my_requests("cs_staff1")] == [second.id, first.id] or \
        {i.id for i in zhidu.my_requests("cs_staff1")} == {first.id, second.id}
