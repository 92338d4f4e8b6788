"""Suggestion box (R6.1.3) along every path, through the facade over SQLite: the manager of the
department concerned adopts, rejects or refers to the director; the director adopts or rejects;
the handling result is fed back to the submitter by username."""

from __future__ import annotations

import pytest

from engine.errors import DutiesSeparated, FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

KEY = "suggestion_box"
IMPLEMENT = {"measures": "客服热线延长至 22 点", "implementer": "杨丽", "implement_by": "2026-12-31"}
ACK = {"acknowledged": True, "submitter_comment": "谢谢"}


def submit(zhidu, user: str, department: str = "customer-service") -> str:
    return start(zhidu, KEY, user, {"department": department, "title": "延长热线时间",
                                    "content": "晚间咨询多,建议延长热线服务时间", "expected_benefit": "减少投诉"})


def feedback(zhidu, iid: str, submitter: str) -> None:
    task = open_tasks(zhidu, iid)[0]
    assert task.name == "Task_Feedback" and task.candidates == (f"user:{submitter}",)
    other = "cs_staff2" if submitter != "cs_staff2" else "cs_staff1"
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(task.id, other, ACK)
    with pytest.raises(FormInvalid):
        zhidu.complete_task(task.id, submitter, {"acknowledged": False})
    complete_as(zhidu, iid, "Task_Feedback", submitter, ACK)
    assert status(zhidu, iid) == "completed"


def test_diagram_is_complete():
    assert_diagram_complete("suggestion_box.bpmn")


def test_manager_adopts_and_the_result_goes_back_to_the_submitter(zhidu):
    iid = submit(zhidu, "mk_staff1", "customer-service")
    assess = open_tasks(zhidu, iid)[0]
    assert assess.candidates == ("role:customer-service-manager",)
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(assess.id, "mk_manager", {"assessment": "reject", "assessment_comment": "x"})
    complete_as(zhidu, iid, "Task_Assess", "cs_manager", {"assessment": "adopt", "assessment_comment": "可行"})
    assert active(zhidu, iid) == {"Task_Implement"}
    complete_as(zhidu, iid, "Task_Implement", "cs_manager", IMPLEMENT)
    feedback(zhidu, iid, "mk_staff1")
    result = data(zhidu, iid)
    assert result["handling_result"] == "adopted" and result["decided_by"] == "department-manager"
    assert result["started_by"] == "mk_staff1" and result["measures"] == IMPLEMENT["measures"]
    assert zhidu.show(iid).started_by == "mk_staff1"


def test_manager_rejects(zhidu):
    iid = submit(zhidu, "da_staff2", "data-analysis")
    complete_as(zhidu, iid, "Task_Assess", "da_manager", {"assessment": "reject", "assessment_comment": "成本过高"})
    feedback(zhidu, iid, "da_staff2")
    result = data(zhidu, iid)
    assert result["handling_result"] == "rejected" and result["assessment_comment"] == "成本过高"
    assert "Task_Implement" not in zhidu.diagram(iid).completed and "measures" not in result


def test_referred_to_the_director_who_adopts(zhidu):
    engine = NewProcessEachCommand(zhidu)
    iid = submit(engine, "pm_staff1", "project-management")
    complete_as(engine, iid, "Task_Assess", "pm_manager", {"assessment": "escalate", "assessment_comment": "涉及跨部门"})
    assert active(engine, iid) == {"Task_Director"}
    with pytest.raises(PermissionDenied):
        engine.complete_task(open_tasks(engine, iid)[0].id, "pm_manager",
                             {"director_decision": "adopt", "director_comment": "x"})
    complete_as(engine, iid, "Task_Director", "director", {"director_decision": "adopt", "director_comment": "同意试行"})
    assert open_tasks(engine, iid)[0].candidates == ("role:project-management-manager",)
    complete_as(engine, iid, "Task_Implement", "pm_manager", IMPLEMENT)
    feedback(engine, iid, "pm_staff1")
    result = data(engine, iid)
    assert result["handling_result"] == "adopted" and result["decided_by"] == "director"
    assert result["director_comment"] == "同意试行"


def test_referred_to_the_director_who_rejects(zhidu):
    iid = submit(zhidu, "cs_staff2", "marketing")
    complete_as(zhidu, iid, "Task_Assess", "mk_manager", {"assessment": "escalate", "assessment_comment": "预算大"})
    complete_as(zhidu, iid, "Task_Director", "director", {"director_decision": "reject", "director_comment": "明年再议"})
    feedback(zhidu, iid, "cs_staff2")
    result = data(zhidu, iid)
    assert result["handling_result"] == "rejected" and result["decided_by"] == "director"
    assert "Task_Implement" not in zhidu.diagram(iid).completed


def test_who_may_submit_and_what_the_form_accepts(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start(KEY, "auditor", {"department": "marketing", "title": "t", "content": "c"})
    with pytest.raises(FormInvalid):
        zhidu.start(KEY, "mk_staff1", {"department": "marketing", "content": "c"})
    with pytest.raises(FormInvalid):
        zhidu.start(KEY, "mk_staff1", {"department": "finance", "title": "t", "content": "c"})
    iid = submit(zhidu, "cs_staff1", "customer-service")
    with pytest.raises(FormInvalid):
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "cs_manager", {"assessment": "maybe", "assessment_comment": "x"})


def test_a_manager_does_not_assess_their_own_suggestion(zhidu):
    """R1.3.4 (separation of duties): the submitter never assesses the suggestion; a manager's
    own suggestion for their department is assessed by whoever manages every department."""
    iid = submit(zhidu, "cs_manager", "customer-service")
    assess = open_tasks(zhidu, iid)[0]
    assert assess.excluded == ("cs_manager",)
    assert assess.id not in {t.id for t in zhidu.tasks_for("cs_manager")}
    with pytest.raises(DutiesSeparated) as refused:
        zhidu.complete_task(assess.id, "cs_manager", {"assessment": "adopt", "assessment_comment": "好"})
    assert refused.value.text("zh") == "这项任务与您本人有关，须由他人办理。"
    zhidu.complete_task(assess.id, "director", {"assessment": "reject", "assessment_comment": "暂缓"})
    feedback(zhidu, iid, "cs_manager")
    assert zhidu.verify(iid).status == "ok"


def test_the_submitter_cannot_be_spoofed(zhidu):
    """Issue 12.8: the feedback went to whoever the submitter typed in `submitted_by`; now it goes
    to the engine's record of who started the instance, and the form has no such field."""
    with pytest.raises(FormInvalid) as refused:
        zhidu.start(KEY, "mk_staff1", {"submitted_by": "director", "department": "marketing", "title": "t",
                                       "content": "c"})
    assert "submitted_by" in str(refused.value.field_errors)
    with pytest.raises(FormInvalid):  # nor can the engine's own fact be overridden by a form
        zhidu.start(KEY, "mk_staff1", {"started_by": "director", "department": "marketing", "title": "t",
                                       "content": "c"})
    iid = submit(zhidu, "mk_staff1", "marketing")
    complete_as(zhidu, iid, "Task_Assess", "mk_manager", {"assessment": "reject", "assessment_comment": "否"})
    assert open_tasks(zhidu, iid)[0].candidates == ("user:mk_staff1",)
