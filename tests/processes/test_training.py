"""Training plan and evaluation (R5.1, R5.2) along every path, through the facade over SQLite."""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, entered_in_order, start, status,
)

START = {"department": "data-analysis", "year": 2027, "business_needs": "新数据平台上线",
         "personal_needs": "员工希望提升建模能力"}


def session(title: str, participants: str, day: str = "2027-03-10") -> dict:
    """A planned session; `participants` as usernames separated by commas, for brevity."""
    return {"title": title, "form": "internal", "content": "skills", "goal": "掌握新平台", "date": day,
            "place": "三楼会议室", "trainer": "外聘讲师", "participants": [name.strip() for name in participants.split(",")]}


def plan(*sessions: dict) -> dict:
    return {"plan_goal": "全员掌握新数据平台", "sessions": list(sessions), "budget": 20000}


def scores(exam: int, assignment: int, practice: int) -> dict:
    return {"exam_score": exam, "assignment_score": assignment, "practice_score": practice,
            "feedback": "内容实用", "satisfaction": 4}


RUN = {"held_on": "2027-03-10", "methods": ["lecture", "practice"], "attendance_note": "全员出勤"}
APPROVE = {"plan_approved": True, "director_comments": "同意"}


def run_session(zhidu, iid: str, by_participant: dict[str, dict]) -> None:
    """Run the next session and evaluate each of its participants (one multi-instance task each)."""
    complete_as(zhidu, iid, "Task_RunSession", "da_staff1", RUN)
    evaluations = entered_in_order(zhidu, iid, "Task_Evaluate [child]")
    assert len(evaluations) == len(by_participant)
    for task in evaluations:
        assert task.candidates == ("role:data-analysis-manager",)
    for task, participant in zip(evaluations, by_participant):
        complete_as(zhidu, iid, "Task_Evaluate", "da_manager", by_participant[participant], task=task)


def outcomes(zhidu, iid: str) -> list[dict]:
    return [o for record in data(zhidu, iid)["training_records"] for o in record["outcomes"]]


def test_plan_approved_first_time_everyone_passes(zhidu):
    iid = start(zhidu, "training", "da_manager", START)
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("平台入门", "da_staff1, da_staff2")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    run_session(zhidu, iid, {"da_staff1": scores(90, 85, 88), "da_staff2": scores(70, 60, 65)})
    assert active(zhidu, iid) == {"Task_Report"}
    assert data(zhidu, iid)["retrain"] == []
    complete_as(zhidu, iid, "Task_Report", "da_manager",
                {"report_summary": "效果良好", "application": "已在工作中应用", "adjust_plan": False})
    assert status(zhidu, iid) == "completed"
    assert [(o["participant"], o["result"]) for o in outcomes(zhidu, iid)] == [("da_staff1", "pass"), ("da_staff2", "pass")]


def test_plan_revisions_sessions_retraining_and_adjustments_loop(zhidu):
    iid = start(zhidu, "training", "da_manager", START)
    for round_ in range(2):
        complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("草案", "da_staff1")))
        complete_as(zhidu, iid, "Task_ApprovePlan", "director", {"plan_approved": False, "director_comments": "不够具体"})
        assert active(zhidu, iid) == {"Task_DraftPlan"}
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(
        session("平台入门", "da_staff1,da_staff2"), session("数据建模", "da_staff1, da_staff2, mk_staff1", "2027-04-10"),
        session("可视化", "da_staff2", "2027-05-10")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    run_session(zhidu, iid, {"da_staff1": scores(50, 90, 90), "da_staff2": scores(80, 80, 80)})
    run_session(zhidu, iid, {"da_staff1": scores(80, 90, 40), "da_staff2": scores(80, 30, 90),
                             "mk_staff1": scores(60, 60, 60)})
    run_session(zhidu, iid, {"da_staff2": scores(100, 100, 100)})
    result = data(zhidu, iid)
    assert [(o["participant"], o["result"], o["reason"]) for o in outcomes(zhidu, iid)] == [
        ("da_staff1", "retrain", "exam"), ("da_staff2", "pass", ""),
        ("da_staff1", "retrain", "practice"), ("da_staff2", "retrain", "assignment"), ("mk_staff1", "pass", ""),
        ("da_staff2", "pass", "")]
    assert result["retrain"] == ["da_staff1", "da_staff1", "da_staff2"]
    complete_as(zhidu, iid, "Task_Report", "da_manager", {"report_summary": "部分学员未通过", "application": "一般",
                                                         "adjust_plan": True, "plan_adjustments": "为未通过者补训"})
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("补训", "da_staff1, da_staff2", "2027-06-10")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    run_session(zhidu, iid, {"da_staff1": scores(70, 70, 70), "da_staff2": scores(70, 50, 50)})
    # hit policy FIRST: practice and assignment both fall short; practice comes first in the table
    assert [o["reason"] for o in outcomes(zhidu, iid)[-2:]] == ["", "practice"]
    complete_as(zhidu, iid, "Task_Report", "da_manager", {"report_summary": "仍有一人未通过", "application": "较好",
                                                         "adjust_plan": True, "plan_adjustments": "再次补训"})
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("二次补训", "da_staff2", "2027-07-10")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    run_session(zhidu, iid, {"da_staff2": scores(75, 75, 75)})
    complete_as(zhidu, iid, "Task_Report", "da_manager", {"report_summary": "全部通过", "application": "良好",
                                                         "adjust_plan": False})
    assert status(zhidu, iid) == "completed"
    records = data(zhidu, iid)["training_records"]
    assert [r["session"] for r in records] == ["平台入门", "数据建模", "可视化", "补训", "二次补训"]
    assert records[-1]["outcomes"][0]["result"] == "pass"


def test_sessions_and_scores_are_validated(zhidu):
    iid = start(zhidu, "training", "da_manager", START)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan())
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("x", "Da Staff; ")))
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("平台入门", "da_staff1")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    complete_as(zhidu, iid, "Task_RunSession", "da_staff2", RUN)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_Evaluate", "da_manager", scores(120, 50, 50))


def test_diagram_is_complete():
    assert_diagram_complete("training.bpmn")


def test_survives_a_new_process_for_every_command(zhidu):
    test_plan_approved_first_time_everyone_passes(NewProcessEachCommand(zhidu))
