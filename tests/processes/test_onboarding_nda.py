"""Onboarding with the confidentiality agreement (R7.1.2, R1.2) along every path, through the facade over SQLite."""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.conftest import T0
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

HIRE = {"employee": "da_staff3", "employee_name": "钱新", "department": "data-analysis", "position": "staff",
        "start_date": "2026-12-01"}
SIGNED = {"nda_signed": True, "nda_number": "NDA-2026-0107", "signed_on": "2026-11-30"}
NOT_SIGNED = {"nda_signed": False, "not_signed_reason": "需要先咨询律师"}
REMIND = {"nda_reminded_on": "2026-11-30", "nda_reminder_note": "入职前须签署保密协议, 否则不能开通权限"}
ACCESS = {"systems_granted": ["zhidu", "email", "bi"], "role_granted": True, "access_granted_on": "2026-12-01"}
TRAINING = {"trainings": [{"course": "保密与合规", "deadline": "2026-12-05"},
                          {"course": "数据平台入门", "deadline": "2026-12-12"}],
            "mentor": "da_staff1", "training_notes": "第一周跟随导师"}


def hire(zhidu, **changes) -> str:
    """The administrator creates the account without roles, then records the hire."""
    record = {**HIRE, **changes}
    zhidu.add_user(record["employee"], record["employee_name"], roles=[], actor="admin")
    iid = start(zhidu, "onboarding_nda", "admin", record)
    assert active(zhidu, iid) == {"Task_SignNDA"}
    assert open_tasks(zhidu, iid)[0].candidates == (f"user:{record['employee']}",)
    return iid


def access_and_training(zhidu, iid: str, manager: str = "da_manager") -> None:
    assert active(zhidu, iid) == {"Task_GrantAccess", "Task_AssignTraining"}
    complete_as(zhidu, iid, "Task_AssignTraining", manager, TRAINING)
    assert active(zhidu, iid) == {"Task_GrantAccess"}
    complete_as(zhidu, iid, "Task_GrantAccess", "admin", ACCESS)


def test_signed_at_once_then_access_and_training(zhidu):
    iid = hire(zhidu)
    (nda,) = open_tasks(zhidu, iid)
    assert nda.due_at.date().isoformat() == "2026-12-01" and nda.due_at > T0
    complete_as(zhidu, iid, "Task_SignNDA", "da_staff3", SIGNED)
    access_and_training(zhidu, iid)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert (result["access_role"], result["nda_reminders"], result["nda_number"]) == ("data-analysis-staff", 0, "NDA-2026-0107")
    assert result["systems_granted"] == ["zhidu", "email", "bi"] and result["mentor"] == "da_staff1"


def test_unsigned_agreement_loops_through_reminders_and_no_access_meanwhile(zhidu):
    iid = hire(zhidu, employee="cs_new", employee_name="孙新", department="customer-service", position="manager")
    for round_ in range(2):
        complete_as(zhidu, iid, "Task_SignNDA", "cs_new", NOT_SIGNED)
        assert active(zhidu, iid) == {"Task_RemindNDA"}
        assert zhidu.tasks_for("admin")[0].name == "Task_RemindNDA"
        assert zhidu.user("cs_new").roles == ()  # no access while the agreement is unsigned (R7.1.2)
        complete_as(zhidu, iid, "Task_RemindNDA", "admin", REMIND)
        assert active(zhidu, iid) == {"Task_SignNDA"} and data(zhidu, iid)["nda_reminders"] == round_ + 1
    complete_as(zhidu, iid, "Task_SignNDA", "cs_new", SIGNED)
    access_and_training(zhidu, iid, manager="cs_manager")
    # the administrator then runs `zhidu user-roles cs_new --roles customer-service-manager ...`
    zhidu.set_roles("cs_new", [data(zhidu, iid)["access_role"]], actor="admin", department="customer-service")
    assert status(zhidu, iid) == "completed"
    assert zhidu.user("cs_new").roles == ("customer-service-manager",)
    result = data(zhidu, iid)
    assert result["nda_reminders"] == 2 and result["nda_signed"] is True and result["trainings"][0]["course"] == "保密与合规"


def test_the_agreement_number_is_confidential(zhidu):
    iid = hire(zhidu)
    complete_as(zhidu, iid, "Task_SignNDA", "da_staff3", SIGNED)
    access_and_training(zhidu, iid)
    for cleared in ("admin", "director"):
        assert zhidu.show(iid, cleared).data["nda_number"] == "NDA-2026-0107"
    hidden = zhidu.show(iid, "da_manager").data["nda_number"]
    assert hidden != "NDA-2026-0107" and hidden["confidential"] is True
    assert "NDA-2026-0107" not in str(zhidu.show(iid, "auditor").data)


def test_forms_and_roles_guard_the_onboarding(zhidu):
    with pytest.raises(PermissionDenied):  # HR/the administrator records hires
        zhidu.start("onboarding_nda", "da_manager", HIRE)
    zhidu.add_user("da_staff3", "钱新", roles=[], actor="admin")
    with pytest.raises(FormInvalid):
        zhidu.start("onboarding_nda", "admin", {**HIRE, "position": "intern"})
    iid = start(zhidu, "onboarding_nda", "admin", HIRE)
    with pytest.raises(PermissionDenied):  # nobody signs for the new hire
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "admin", SIGNED)
    with pytest.raises(FormInvalid):  # signed needs the agreement number and date
        complete_as(zhidu, iid, "Task_SignNDA", "da_staff3", {"nda_signed": True})
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_SignNDA", "da_staff3", {**SIGNED, "nda_number": "12345"})
    with pytest.raises(FormInvalid):  # not signed needs a reason
        complete_as(zhidu, iid, "Task_SignNDA", "da_staff3", {"nda_signed": False})
    complete_as(zhidu, iid, "Task_SignNDA", "da_staff3", SIGNED)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_GrantAccess", "admin", {**ACCESS, "role_granted": False})
    with pytest.raises(PermissionDenied):  # training is the employee's own department manager's
        training = next(t for t in open_tasks(zhidu, iid) if t.name == "Task_AssignTraining")
        zhidu.complete_task(training.id, "mk_manager", TRAINING)


def test_diagram_is_complete():
    assert_diagram_complete("onboarding_nda.bpmn")


def test_survives_a_new_process_for_every_command(zhidu):
    test_unsigned_agreement_loops_through_reminders_and_no_access_meanwhile(NewProcessEachCommand(zhidu))
