"""Promotion or rotation request (R5.3.2) along every path, through the facade over SQLite: own
request or proposed by someone else (the employee agrees or declines), the employee's manager's
opinion (none for a manager's own request), the receiving manager's opinion for a move into
another department, the director's decision, the result back to the employee; the employee never
gives an opinion on, or decides, their own request (notBy)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, offered_to, open_tasks, refused,
    start, status,
)

KEY = "career_move_request"
SUPPORT = {"manager_opinion": "support", "manager_comment": "能力突出"}
RECEIVE = {"receiving_opinion": "support", "receiving_comment": "部门需要该岗位"}
APPROVE = {"move_decision": "approve", "effective_date": "2027-01-01", "decision_comment": "同意"}
REJECT = {"move_decision": "reject", "decision_comment": "岗位暂无空缺"}
READ = {"acknowledged": True, "employee_feedback": "谢谢"}


def request(zhidu, starter: str, kind: str, target_department: str, employee: str | None = None) -> str:
    form = {"kind": kind, "current_position": "专员", "target_position": "高级专员" if kind == "promotion" else "分析师",
            "target_department": target_department, "reasons": "希望承担更多职责", "achievements": "年度优秀员工"}
    if employee:
        form["employee"] = employee
    return start(zhidu, KEY, starter, form)


def decide_and_inform(zhidu, iid: str, employee: str, decision: dict) -> dict:
    assert active(zhidu, iid) == {"Task_Decide"} and offered_to(zhidu, iid, "Task_Decide") == ("role:director",)
    complete_as(zhidu, iid, "Task_Decide", "director", decision)
    assert offered_to(zhidu, iid, "Task_Result") == (f"user:{employee}",)
    complete_as(zhidu, iid, "Task_Result", employee, READ)
    assert status(zhidu, iid) == "completed"
    return data(zhidu, iid)


def test_diagram_is_complete():
    assert_diagram_complete("career_move_request.bpmn")


def test_own_promotion_in_the_department_approved_by_the_director(zhidu, clock):
    iid = request(zhidu, "da_staff1", "promotion", "data-analysis")
    assert active(zhidu, iid) == {"Task_ManagerOpinion"}
    [opinion] = open_tasks(zhidu, iid)
    assert opinion.candidates == ("role:data-analysis-manager",) and opinion.due_at == clock.now() + timedelta(days=7)
    assert opinion.subject["en"] == "周敏 · Promotion · 高级专员"
    refused(zhidu, iid, "Task_ManagerOpinion", "da_staff1", SUPPORT)
    refused(zhidu, iid, "Task_ManagerOpinion", "mk_manager", SUPPORT)
    complete_as(zhidu, iid, "Task_ManagerOpinion", "da_manager", SUPPORT)
    assert open_tasks(zhidu, iid)[0].due_at == clock.now() + timedelta(days=14)
    with pytest.raises(FormInvalid) as no_date:  # an approval says from when
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "director", {"move_decision": "approve", "decision_comment": "x"})
    assert [e.field for e in no_date.value.field_errors] == ["effective_date"]
    result = decide_and_inform(zhidu, iid, "da_staff1", APPROVE)
    assert result["employee"] == "da_staff1" and result["proposed_by"] == "da_staff1"
    assert result["move_result"] == "approved" and result["effective_date"] == "2027-01-01"
    assert result["needs_manager_opinion"] is True and result["needs_receiving_opinion"] is False
    assert "Task_Confirm" not in zhidu.diagram(iid).completed and "receiving_opinion" not in result


def test_own_rotation_into_another_department_hears_both_managers_and_is_rejected(zhidu):
    engine = NewProcessEachCommand(zhidu)
    iid = request(engine, "mk_staff1", "rotation", "data-analysis")
    complete_as(engine, iid, "Task_ManagerOpinion", "mk_manager", {"manager_opinion": "oppose", "manager_comment": "人手紧张"})
    assert active(engine, iid) == {"Task_ReceivingOpinion"}
    assert offered_to(engine, iid, "Task_ReceivingOpinion") == ("role:data-analysis-manager",)
    refused(engine, iid, "Task_ReceivingOpinion", "mk_manager", RECEIVE)
    complete_as(engine, iid, "Task_ReceivingOpinion", "da_manager", RECEIVE)
    result = decide_and_inform(engine, iid, "mk_staff1", REJECT)
    assert result["move_result"] == "rejected" and result["manager_opinion"] == "oppose"
    assert result["receiving_opinion"] == "support" and "effective_date" not in result


def test_a_manager_proposes_an_employee_who_agrees(zhidu):
    iid = request(zhidu, "cs_manager", "promotion", "customer-service", employee="cs_staff2")
    assert active(zhidu, iid) == {"Task_Confirm"} and offered_to(zhidu, iid, "Task_Confirm") == ("user:cs_staff2",)
    refused(zhidu, iid, "Task_Confirm", "cs_manager", {"employee_consents": True})
    complete_as(zhidu, iid, "Task_Confirm", "cs_staff2", {"employee_consents": True, "employee_remarks": "愿意"})
    complete_as(zhidu, iid, "Task_ManagerOpinion", "cs_manager", SUPPORT)  # the proposer may give the opinion
    result = decide_and_inform(zhidu, iid, "cs_staff2", APPROVE)
    assert result["proposed_by"] == "cs_manager" and result["employee"] == "cs_staff2"
    assert result["move_result"] == "approved" and result["employee_consents"] is True


def test_an_employee_who_does_not_want_the_move_ends_it(zhidu):
    iid = request(zhidu, "pm_staff1", "rotation", "marketing", employee="pm_staff2")
    complete_as(zhidu, iid, "Task_Confirm", "pm_staff2", {"employee_consents": False})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["move_result"] == "withdrawn" and "manager_opinion" not in result and "move_decision" not in result


def test_a_managers_own_request_goes_to_the_receiving_manager_and_the_director(zhidu):
    iid = request(zhidu, "pm_manager", "rotation", "marketing")
    assert active(zhidu, iid) == {"Task_ReceivingOpinion"}
    assert offered_to(zhidu, iid, "Task_ReceivingOpinion") == ("role:marketing-manager",)
    complete_as(zhidu, iid, "Task_ReceivingOpinion", "mk_manager", RECEIVE)
    refused(zhidu, iid, "Task_Decide", "pm_manager", APPROVE)
    result = decide_and_inform(zhidu, iid, "pm_manager", APPROVE)
    assert result["manager_role"] == "director" and result["needs_manager_opinion"] is False
    assert result["employee_department"] == "project-management" and "manager_opinion" not in result


def test_a_managers_own_request_in_the_department_goes_straight_to_the_director(zhidu):
    iid = request(zhidu, "mk_manager", "promotion", "marketing")
    result = decide_and_inform(zhidu, iid, "mk_manager", REJECT)
    assert result["move_result"] == "rejected"
    assert {"Task_ManagerOpinion", "Task_ReceivingOpinion"}.isdisjoint(zhidu.diagram(iid).completed)


def test_nobody_gives_an_opinion_on_their_own_request(zhidu):
    """An acting manager of their own department, and someone who also manages the department
    they would move into: each is passed over for the opinion on their own move (notBy)."""
    zhidu.set_roles("cs_staff1", ["customer-service-staff", "customer-service-manager"], actor="admin")
    zhidu.set_roles("mk_staff2", ["marketing-staff", "data-analysis-manager"], actor="admin")
    own = request(zhidu, "cs_staff1", "promotion", "customer-service")
    refused(zhidu, own, "Task_ManagerOpinion", "cs_staff1", SUPPORT)
    complete_as(zhidu, own, "Task_ManagerOpinion", "cs_manager", SUPPORT)
    decide_and_inform(zhidu, own, "cs_staff1", APPROVE)

    move = request(zhidu, "mk_manager", "rotation", "data-analysis", employee="mk_staff2")
    complete_as(zhidu, move, "Task_Confirm", "mk_staff2", {"employee_consents": True})
    assert offered_to(zhidu, move, "Task_ManagerOpinion") == ("role:marketing-manager",)
    complete_as(zhidu, move, "Task_ManagerOpinion", "mk_manager", SUPPORT)
    refused(zhidu, move, "Task_ReceivingOpinion", "mk_staff2", RECEIVE)
    complete_as(zhidu, move, "Task_ReceivingOpinion", "da_manager", RECEIVE)
    decide_and_inform(zhidu, move, "mk_staff2", APPROVE)


def test_who_may_ask_and_what_the_forms_accept(zhidu):
    good = {"kind": "promotion", "current_position": "专员", "target_position": "主管",
            "target_department": "marketing", "reasons": "r"}
    for outsider in ("director", "auditor"):
        with pytest.raises(PermissionDenied):
            zhidu.start(KEY, outsider, good)
    for wrong in ({**good, "kind": "transfer"}, {**good, "employee": "director"}, {**good, "employee": "owner"},
                  {**good, "target_department": "finance"}, {k: v for k, v in good.items() if k != "reasons"}):
        with pytest.raises(FormInvalid):
            zhidu.start(KEY, "mk_staff1", wrong)
    iid = request(zhidu, "mk_staff1", "promotion", "marketing")
    complete_as(zhidu, iid, "Task_ManagerOpinion", "mk_manager", SUPPORT)
    complete_as(zhidu, iid, "Task_Decide", "director", APPROVE)
    with pytest.raises(FormInvalid):
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "mk_staff1", {"acknowledged": False})
