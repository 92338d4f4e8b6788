"""Process owners deploy edited versions and move running instances onto them when safe;
replay keeps verifying the moved instances."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from engine.errors import PermissionDenied
from engine.errors import MigrationRefused

INTAKE = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "快递三次未送达"}
CHECK_FORM = """key: complaint_check
title: {zh: 复核, en: Double-check}
schema:
  type: object
  required: [checked]
  properties:
    checked: {type: boolean}
ui:
  order: [checked]
  fields:
    checked: {label: {zh: 已复核, en: Checked}, widget: yesno}
"""
STEP = ('<bpmn:userTask id="Task_Check" name="复核 Double-check"><bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formKey" value="complaint_check" />'
        '<spiffworkflow:property name="candidateRoles" value="\'customer-service-manager\'" />'
        '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
        '<bpmn:sequenceFlow id="Flow_Check_Verify" sourceRef="Task_Check" targetRef="Task_Verify" />')
RECORD_VERIFY = '<bpmn:sequenceFlow id="Flow_Record_Verify" sourceRef="Task_Record" targetRef="Task_Verify" />'


def edit(bundle, old: str, new: str, **files):
    text = bundle.files[bundle.entry.bpmn]
    assert old in text
    return replace(bundle, files={**bundle.files, bundle.entry.bpmn: text.replace(old, new), **files})


def with_check_step(bundle):
    return edit(bundle, RECORD_VERIFY, RECORD_VERIFY.replace('targetRef="Task_Verify"', 'targetRef="Task_Check"') + STEP,
                **{"forms/complaint_check.yaml": CHECK_FORM})


def open_task(engine, instance_id: str, element: str):
    return next(t for t in engine.show(instance_id).active_tasks if t.name == element)


def test_only_process_owners_edit_deploy_and_migrate(fake_engine):
    bundle = fake_engine.version_bundle("complaint_handling", "owner")
    for call in (lambda: fake_engine.version_bundle("complaint_handling", "cs_staff1"),
                 lambda: fake_engine.deploy_edited(with_check_step(bundle), "cs_manager", "sneaky"),
                 lambda: fake_engine.validate(bundle, "auditor"),
                 lambda: fake_engine.migration_plan("complaint_handling", "director"),
                 lambda: fake_engine.compare("complaint_handling", "cs_staff1", 1, 1)):
        with pytest.raises(PermissionDenied):
            call()


def test_a_waiting_instance_moves_onto_a_version_with_a_new_step_and_still_verifies(fake_engine, clock):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    bundle = fake_engine.version_bundle("complaint_handling", "owner")
    result = fake_engine.deploy_edited(with_check_step(bundle), "owner", "double-check before verifying")
    assert (result.version, result.created) == (2, True)
    history = fake_engine.version_history("complaint_handling", "owner")
    assert [(v.number, v.deployed_by, v.comment) for v in history][0] == (2, "owner", "double-check before verifying")

    plan = fake_engine.migration_plan("complaint_handling", "owner")
    assert [(c.instance_id, c.movable) for c in plan] == [(instance.id, True)]
    clock.advance(timedelta(hours=1))
    moved = fake_engine.migrate(instance.id, "owner")
    assert (moved.version, moved.version_hash) == (2, result.content_hash)
    assert fake_engine.verify(instance.id).status == "ok"
    assert fake_engine.history(instance.id)[-1].kind == "migrated"

    record = open_task(fake_engine, instance.id, "Task_Record")
    fake_engine.complete_task(record.id, "cs_staff1", {"details": "三次未送达", "customer_calmed": True})
    check = open_task(fake_engine, instance.id, "Task_Check")
    fake_engine.complete_task(check.id, "cs_manager", {"checked": True})
    assert open_task(fake_engine, instance.id, "Task_Verify")
    verdict = fake_engine.verify(instance.id)
    assert verdict.status == "ok", verdict
    assert fake_engine.step_through(instance.id)[-1]["active"]
    assert fake_engine.migration_plan("complaint_handling", "owner") == []


def test_an_instance_waiting_at_a_changed_step_stays_where_it_is(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    bundle = fake_engine.version_bundle("complaint_handling", "owner")
    changed = edit(bundle, 'name="安抚客户并记录详情 Calm the customer and record details"', 'name="记录 Record"')
    fake_engine.deploy_edited(changed, "owner", "shorter name")
    [check] = fake_engine.migration_plan("complaint_handling", "owner")
    assert not check.movable and "Task_Record" in check.reasons[0] and "name" in check.reasons[0]
    with pytest.raises(MigrationRefused):
        fake_engine.migrate(instance.id, "owner")
    assert fake_engine.show(instance.id).version == 1
    assert fake_engine.verify(instance.id).status == "ok"


def test_removing_the_open_step_or_breaking_its_form_blocks_the_move(fake_engine):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    record = open_task(fake_engine, instance.id, "Task_Record")
    fake_engine.complete_task(record.id, "cs_staff1", {"details": "三次未送达", "customer_calmed": True})
    bundle = fake_engine.version_bundle("complaint_handling", "owner")
    form = bundle.files["forms/complaint_verify.yaml"].replace("required: [findings, founded]",
                                                                "required: [findings, founded, evidence_id]")
    form = form.replace("    founded: {type: boolean}\n",
                        "    founded: {type: boolean}\n    evidence_id: {type: string}\n")
    form = form.replace("order: [findings, founded, evidence]", "order: [findings, founded, evidence, evidence_id]")
    form = form.replace("    evidence: {label: {zh: 证据文件, en: Evidence file}, widget: file}",
                        "    evidence: {label: {zh: 证据文件, en: Evidence file}, widget: file}\n"
                        "    evidence_id: {label: {zh: 证据编号, en: Evidence id}, widget: text}")
    fake_engine.deploy_edited(replace(bundle, files={**bundle.files, "forms/complaint_verify.yaml": form}), "owner", "ids")
    [check] = fake_engine.migration_plan("complaint_handling", "owner")
    assert any("evidence_id" in reason for reason in check.reasons)


def test_a_long_running_loop_moves_from_its_pruned_state_and_replays(fake_engine):
    from engine.definitions.bundles import CatalogEntry, ProcessBundle
    from tests.conftest import FIXTURES

    entry = CatalogEntry("loop", "loop", "loop.bpmn", {"zh": "循环", "en": "loop"}, (), "process-owner")
    files = {"loop.bpmn": (FIXTURES / "loop.bpmn").read_text(), "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text()}
    fake_engine.deploy([ProcessBundle(entry, files)], actor="owner")
    instance = fake_engine.start("loop", "director", {"count": 0, "limit": 100})
    for _ in range(30):
        fake_engine.complete_task(open_task(fake_engine, instance.id, "Work").id, "director", {})
    bundle = fake_engine.version_bundle("loop", "owner")
    fake_engine.deploy_edited(edit(bundle, "count = count + 1", "count = count + 2"), "owner", "count in twos")
    [check] = fake_engine.migration_plan("loop", "owner")
    assert check.movable, check.reasons
    fake_engine.migrate(instance.id, "owner")
    fake_engine.complete_task(open_task(fake_engine, instance.id, "Work").id, "director", {})
    assert fake_engine.show(instance.id).data["count"] == 32
    assert fake_engine.verify(instance.id).status == "ok"
