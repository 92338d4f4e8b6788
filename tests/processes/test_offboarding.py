"""Offboarding (R7.1.4) along every path, through the facade over SQLite."""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

LEAVER = {"leaver": "mk_staff2", "leaver_name": "刘芳", "department": "marketing", "last_working_day": "2026-12-15",
          "leaving_reason": "resignation"}
OPEN_WORK = [{"item": "双十二活动复盘报告", "handed_over_to": "mk_staff1"},
             {"item": "营销策划流程中的执行任务", "handed_over_to": "mk_staff1"}]
AUDIT_OK = {"open_work": OPEN_WORK, "handover_notes": "全部工作已交接给张晓明", "materials_returned": True,
            "handover_complete": True}
REMINDER = {"obligations_acknowledged": True, "no_materials_retained": True, "acknowledged_on": "2026-12-15"}
REVOKE = {"systems_revoked": ["zhidu", "email", "crm", "restricted_area"], "account_deactivated": True,
          "revoked_on": "2026-12-15"}


def finish(zhidu, iid: str, leaver: str = "mk_staff2") -> dict:
    assert active(zhidu, iid) == {"Task_ConfidentialityReminder"}
    complete_as(zhidu, iid, "Task_ConfidentialityReminder", leaver, REMINDER)
    assert active(zhidu, iid) == {"Task_RevokeAccess"}
    zhidu.deactivate_user(leaver, actor="admin")  # what the task tells the administrator to run
    complete_as(zhidu, iid, "Task_RevokeAccess", "admin", REVOKE)
    assert status(zhidu, iid) == "completed"
    assert next(u for u in zhidu.administered_users("admin") if u.username == leaver).active is False
    with pytest.raises(PermissionDenied):
        zhidu.tasks_for(leaver)
    return data(zhidu, iid)


def test_complete_handover_then_reminder_then_access_revoked(zhidu):
    iid = start(zhidu, "offboarding", "mk_manager", LEAVER)
    (audit,) = open_tasks(zhidu, iid)
    assert audit.candidates == ("role:marketing-manager",) and audit.due_at.date().isoformat() == "2026-12-15"
    complete_as(zhidu, iid, "Task_ExitAudit", "mk_manager", AUDIT_OK)
    reminder = open_tasks(zhidu, iid)[0]
    assert reminder.candidates == ("user:mk_staff2",)
    result = finish(zhidu, iid)
    assert result["open_work"] == OPEN_WORK and result["obligations_acknowledged"] is True
    assert result["systems_revoked"] == ["zhidu", "email", "crm", "restricted_area"] and result["account_deactivated"] is True


def test_incomplete_handover_goes_back_to_the_leaver_twice(zhidu):
    iid = start(zhidu, "offboarding", "director", {**LEAVER, "leaver": "da_staff2", "leaver_name": "吴强",
                                                   "department": "data-analysis", "leaving_reason": "contract_end"})
    outstanding = [
        {**AUDIT_OK, "open_work": [], "handover_complete": False, "outstanding_items": "客户流失模型未交接"},
        {**AUDIT_OK, "materials_returned": False, "outstanding_items": "笔记本电脑未归还"},
    ]
    for n, audit in enumerate(outstanding):
        complete_as(zhidu, iid, "Task_ExitAudit", "da_manager", audit)
        assert active(zhidu, iid) == {"Task_CompleteHandover"}
        assert open_tasks(zhidu, iid)[0].candidates == ("user:da_staff2",)
        complete_as(zhidu, iid, "Task_CompleteHandover", "da_staff2", {"handover_done": f"第 {n + 1} 次补交"})
        assert active(zhidu, iid) == {"Task_ExitAudit"}
    complete_as(zhidu, iid, "Task_ExitAudit", "da_manager",
                {**AUDIT_OK, "open_work": [{"item": "客户流失模型", "handed_over_to": "da_staff1"}]})
    result = finish(zhidu, iid, leaver="da_staff2")
    assert result["handover_done"] == "第 2 次补交" and result["open_work"][0]["handed_over_to"] == "da_staff1"
    assert result["materials_returned"] is True and result["handover_complete"] is True


def test_forms_and_roles_guard_the_exit(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start("offboarding", "mk_staff1", LEAVER)
    with pytest.raises(FormInvalid):
        zhidu.start("offboarding", "mk_manager", {**LEAVER, "leaver": "Not A Username"})
    iid = start(zhidu, "offboarding", "admin", LEAVER)
    audit = open_tasks(zhidu, iid)[0]
    with pytest.raises(PermissionDenied):  # the leaver's own department manager audits
        zhidu.complete_task(audit.id, "cs_manager", AUDIT_OK)
    with pytest.raises(FormInvalid):  # incomplete handover must say what is outstanding
        complete_as(zhidu, iid, "Task_ExitAudit", "mk_manager", {**AUDIT_OK, "handover_complete": False})
    complete_as(zhidu, iid, "Task_ExitAudit", "mk_manager", AUDIT_OK)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_ConfidentialityReminder", "mk_staff2", {**REMINDER, "obligations_acknowledged": False})
    with pytest.raises(PermissionDenied):  # nobody acknowledges for the leaver
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "mk_manager", REMINDER)
    complete_as(zhidu, iid, "Task_ConfidentialityReminder", "mk_staff2", REMINDER)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_RevokeAccess", "admin", {**REVOKE, "account_deactivated": False})


def test_a_deactivated_leaver_can_no_longer_act(zhidu):
    iid = start(zhidu, "offboarding", "mk_manager", LEAVER)
    complete_as(zhidu, iid, "Task_ExitAudit", "mk_manager", AUDIT_OK)
    zhidu.deactivate_user("mk_staff2", actor="admin")  # deactivated too early: the reminder can no longer be acknowledged
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "mk_staff2", REMINDER)
    assert active(zhidu, iid) == {"Task_ConfidentialityReminder"}


def test_diagram_is_complete():
    assert_diagram_complete("offboarding.bpmn")


def test_survives_a_new_process_for_every_command(zhidu):
    test_incomplete_handover_goes_back_to_the_leaver_twice(NewProcessEachCommand(zhidu))
