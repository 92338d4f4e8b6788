"""Customer inquiry handling (R3.2.2, R3.2.1) along every path, through the facade over SQLite:
answered directly, or transferred to the responsible department (offered to that department's
staff) and replied to the customer; every inquiry ends in a record for periodic analysis."""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

KEY = "inquiry_handling"
INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "topic": "price",
          "question": "年卡续费有没有优惠?"}
RECORD = {"analysis_category": "common_question", "resolved": True, "customer_satisfied": True}


def test_diagram_is_complete():
    assert_diagram_complete("inquiry_handling.bpmn")


def test_simple_question_is_answered_directly(zhidu):
    iid = start(zhidu, KEY, "cs_staff1", INTAKE)
    assert active(zhidu, iid) == {"Task_Assess"}
    complete_as(zhidu, iid, "Task_Assess", "cs_staff1", {"handling": "direct"})
    assert active(zhidu, iid) == {"Task_Answer"}
    complete_as(zhidu, iid, "Task_Answer", "cs_staff1", {"answer": "续费享 9 折", "answered_on": "2026-11-27"})
    complete_as(zhidu, iid, "Task_Record", "cs_staff2", RECORD)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["answer"] == "续费享 9 折"
    assert result["inquiry_record"]["department"] == "customer-service"
    assert result["inquiry_record"]["handling"] == "direct"
    assert result["inquiry_record"]["topic"] == "price" and result["inquiry_record"]["resolved"] is True
    assert "Task_DeptAnswer" not in zhidu.diagram(iid).completed


@pytest.mark.parametrize(("department", "staff", "outsider"), [
    ("project-management", "pm_staff2", "da_staff1"),
    ("data-analysis", "da_staff1", "pm_staff1"),
])
def test_complex_question_is_transferred_to_the_responsible_department(zhidu, department, staff, outsider):
    engine = NewProcessEachCommand(zhidu)
    iid = start(engine, KEY, "cs_manager", {**INTAKE, "topic": "project", "question": "项目验收报告何时提供?"})
    complete_as(engine, iid, "Task_Assess", "cs_staff2",
                {"handling": "transfer", "responsible_department": department, "transfer_note": "客户急需"})
    assert active(engine, iid) == {"Task_DeptAnswer"}
    task = open_tasks(engine, iid)[0]
    assert task.candidates == (f"role:{department}-staff",)
    assert task.due_at is not None
    with pytest.raises(PermissionDenied):
        engine.complete_task(task.id, outsider, {"dept_answer": "x"})
    with pytest.raises(PermissionDenied):
        engine.complete_task(task.id, "cs_staff1", {"dept_answer": "x"})
    complete_as(engine, iid, "Task_DeptAnswer", staff, {"dept_answer": "下周一提供", "dept_contact": "郑伟"})
    assert active(engine, iid) == {"Task_Reply"}
    assert open_tasks(engine, iid)[0].candidates == ("role:customer-service-staff",)
    complete_as(engine, iid, "Task_Reply", "cs_staff2", {"answer": "下周一提供验收报告", "answered_on": "2026-11-28"})
    complete_as(engine, iid, "Task_Record", "cs_staff2", {**RECORD, "analysis_category": "process_issue",
                                                            "customer_satisfied": False, "record_note": "催办"})
    assert status(engine, iid) == "completed"
    result = data(engine, iid)
    assert result["dept_answer"] == "下周一提供" and result["answer"] == "下周一提供验收报告"
    assert result["inquiry_record"]["department"] == department
    assert result["inquiry_record"]["customer_satisfied"] is False
    assert "Task_Answer" not in zhidu.diagram(iid).completed


def test_forms_are_validated_and_only_customer_service_may_start(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start(KEY, "mk_staff1", INTAKE)
    with pytest.raises(FormInvalid):
        zhidu.start(KEY, "cs_staff1", {**INTAKE, "channel": "fax"})
    with pytest.raises(FormInvalid):
        zhidu.start(KEY, "cs_staff1", {**INTAKE, "question": ""})
    iid = start(zhidu, KEY, "cs_staff1", INTAKE)
    task = open_tasks(zhidu, iid)[0]
    with pytest.raises(FormInvalid) as err:
        zhidu.complete_task(task.id, "cs_staff1", {"handling": "transfer"})
    assert "responsible_department" in str(err.value.to_dict() if hasattr(err.value, "to_dict") else err.value)
    with pytest.raises(FormInvalid):
        zhidu.complete_task(task.id, "cs_staff1", {"handling": "transfer", "responsible_department": "legal"})
    complete_as(zhidu, iid, "Task_Assess", "cs_staff1", {"handling": "direct"})
    assert active(zhidu, iid) == {"Task_Answer"}
