"""Lookups scripts make (users_with_role) are journaled, so replay gives the same answers after
the organisation has changed."""

from __future__ import annotations

from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.records import UserRecord
from tests.conftest import FIXTURES


def lookup_bundle() -> ProcessBundle:
    text = (FIXTURES / "loop.bpmn").read_text(encoding="utf-8").replace(
        "count = count + 1", "count = count + 1&#10;managers = users_with_role('customer-service-manager')")
    entry = CatalogEntry("lookup_loop", "loop", "loop.bpmn", {"zh": "查询", "en": "lookup"}, (), "process-owner")
    return ProcessBundle(entry, {"loop.bpmn": text,
                                 "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text(encoding="utf-8")})


def test_replay_answers_lookups_from_the_journal_after_roles_change(zhidu):
    zhidu.deploy([lookup_bundle()])
    with zhidu.uow_factory() as uow:
        uow.users.upsert(UserRecord("worker1", "W", None, ("worker",)))
        uow.commit()
    instance = zhidu.start("lookup_loop", "worker1", {"count": 0, "limit": 2})
    task = instance.active_tasks[0]
    after = zhidu.complete_task(task.id, "worker1", {})
    assert after.data["managers"] == ["cs_manager"]
    lookups = [e for e in zhidu.history(instance.id) if e.kind == "lookup"]
    assert lookups[0].payload == {"function": "users_with_role", "args": ["customer-service-manager"],
                                  "result": ["cs_manager"]}
    with zhidu.uow_factory() as uow:  # the manager changes job: the organisation now answers otherwise
        manager = uow.users.get("cs_manager")
        uow.users.upsert(UserRecord(manager.username, manager.name, manager.department, ("marketing-manager",)))
        uow.commit()
    assert zhidu.verify(instance.id).status == "ok"
