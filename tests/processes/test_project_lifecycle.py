"""Project lifecycle (R3.4.1–R3.4.4) along every path, through the facade over SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import DutiesSeparated, FormInvalid
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

START = {"project_name": "客户门户升级", "customer": "华东贸易公司", "sponsor_department": "customer-service",
         "background": "客户自助查询需求增加"}
REQUIREMENTS = {"requirements": [{"requirement": "在线查询订单", "source": "customer", "priority": "high"}],
                "stakeholders": "客服部、数据分析部、客户", "departments_concerned": ["customer-service", "data-analysis"]}
FEASIBLE = {"technical_feasibility": "现有平台可扩展", "economic_feasibility": "一年回本", "risks": "接口改造",
            "estimated_cost": 180000, "feasible": True}
REPORT = {"goal": "上线客户门户 2.0", "scope": "订单查询与投诉入口", "start_date": "2026-12-01",
          "end_date": "2027-03-31", "budget": 200000, "expected_benefits": "来电量下降 20%"}
PLAN = {"schedule_plan": "12 月设计, 1-2 月开发, 3 月测试", "resource_plan": "开发 3 人, 测试 1 人",
        "quality_plan": "缺陷率低于 1%", "tasks": [
            {"task": "需求设计", "owner": "pm_staff1", "deadline": "2026-12-31", "deliverable": "设计文档"},
            {"task": "接口开发", "owner": "pm_staff2", "deadline": "2027-02-28", "deliverable": "接口"}]}
KICKOFF = {"kickoff_date": "2026-12-02", "attendees": "项目组全体", "goals_communicated": True}
DEPTS_AGREE = {"cs_manager": {"review_approved": True, "review_comments": "同意"},
               "da_manager": {"review_approved": True, "review_comments": "同意"}}


def execute(ready: bool) -> dict:
    return {"work_done": "开发与测试", "percent_complete": 100 if ready else 60, "ready_for_acceptance": ready}


def initiate(zhidu) -> str:
    iid = start(zhidu, "project_lifecycle", "pm_staff1", START)
    complete_as(zhidu, iid, "Task_Requirements", "pm_staff1", REQUIREMENTS)
    complete_as(zhidu, iid, "Task_Feasibility", "pm_staff2", FEASIBLE)
    complete_as(zhidu, iid, "Task_InitiationReport", "pm_manager", REPORT)
    return iid


def dept_review(zhidu, iid: str, by_manager: dict) -> None:
    reviews = [t for t in open_tasks(zhidu, iid) if t.name == "Task_DeptReview [child]"]
    assert sorted(t.candidates for t in reviews) == [("role:customer-service-manager",), ("role:data-analysis-manager",)]
    for manager, answer in by_manager.items():
        mine = [t for t in open_tasks(zhidu, iid) if t.name == "Task_DeptReview [child]"
                and t.candidates == (f"role:{'customer-service' if manager == 'cs_manager' else 'data-analysis'}-manager",)]
        complete_as(zhidu, iid, "Task_DeptReview", manager, answer, task=mine[0])


def approved_and_kicked_off(zhidu) -> str:
    iid = initiate(zhidu)
    dept_review(zhidu, iid, DEPTS_AGREE)
    complete_as(zhidu, iid, "Task_DirectorReview", "director", {"director_decision": "approve", "director_comments": "同意"})
    complete_as(zhidu, iid, "Task_ProjectPlan", "pm_manager", PLAN)
    complete_as(zhidu, iid, "Task_Kickoff", "pm_staff1", KICKOFF)
    assert active(zhidu, iid) == {"Task_Execute"}
    return iid


def accept(zhidu, iid: str, customer: bool = True, departments: tuple[bool, bool] = (True, True)) -> None:
    assert active(zhidu, iid) == {"Task_DeptAcceptance", "Task_CustomerAcceptance"}
    complete_as(zhidu, iid, "Task_CustomerAcceptance", "pm_staff2",
                {"customer_accepted": customer, "customer_signoff_by": "李经理", "customer_comments": "见意见"})
    for manager, role, ok in (("cs_manager", "customer-service", departments[0]), ("da_manager", "data-analysis", departments[1])):
        task = next(t for t in open_tasks(zhidu, iid) if t.candidates == (f"role:{role}-manager",))
        complete_as(zhidu, iid, "Task_DeptAcceptance", manager, {"acceptance_ok": ok, "acceptance_comments": "已验收"}, task=task)


def close(zhidu, iid: str) -> dict:
    complete_as(zhidu, iid, "Task_AcceptanceReport", "pm_manager",
                {"achievements": "门户上线", "lessons_learned": "接口需尽早联调", "handover": "已移交运维"})
    complete_as(zhidu, iid, "Task_PostEvaluation", "director",
                {"actual_effect": "来电量下降 25%", "benefits": "节省人力", "effect_rating": "good"})
    assert status(zhidu, iid) == "completed"
    return data(zhidu, iid)


def test_infeasible_project_stops_after_the_study(zhidu):
    iid = start(zhidu, "project_lifecycle", "pm_staff1", START)
    complete_as(zhidu, iid, "Task_Requirements", "pm_staff1", REQUIREMENTS)
    complete_as(zhidu, iid, "Task_Feasibility", "pm_staff1", {**FEASIBLE, "feasible": False})
    assert status(zhidu, iid) == "completed" and data(zhidu, iid)["feasible"] is False


def test_director_can_reject_the_project(zhidu):
    iid = initiate(zhidu)
    dept_review(zhidu, iid, DEPTS_AGREE)
    complete_as(zhidu, iid, "Task_DirectorReview", "director", {"director_decision": "reject", "director_comments": "暂缓"})
    assert status(zhidu, iid) == "completed"
    assert [r["department"] for r in data(zhidu, iid)["dept_reviews"]] == ["customer-service", "data-analysis"]


def test_within_budget_project_goes_straight_to_acceptance(zhidu):
    iid = approved_and_kicked_off(zhidu)
    complete_as(zhidu, iid, "Task_Execute", "pm_staff2", execute(ready=True))
    complete_as(zhidu, iid, "Task_QualityCheck", "pm_manager", {"quality_ok": True, "quality_findings": "合格"})
    complete_as(zhidu, iid, "Task_CostCheck", "pm_staff1", {"actual_cost": 190000, "cost_analysis": "节约"})
    result = data(zhidu, iid)
    assert result["cost_approval"] == "none"
    accept(zhidu, iid)
    result = close(zhidu, iid)
    assert result["lessons_learned"] == "接口需尽早联调" and result["tasks"][1]["owner"] == "pm_staff2"


def test_every_revision_rework_and_overrun_loop(zhidu):
    iid = initiate(zhidu)
    dept_review(zhidu, iid, {**DEPTS_AGREE, "da_manager": {"review_approved": False, "review_comments": "范围不清"}})
    assert active(zhidu, iid) == {"Task_InitiationReport"}
    complete_as(zhidu, iid, "Task_InitiationReport", "pm_manager", REPORT)
    dept_review(zhidu, iid, {**DEPTS_AGREE, "cs_manager": {"review_approved": False, "review_comments": "缺少客服培训"}})
    complete_as(zhidu, iid, "Task_InitiationReport", "pm_manager", REPORT)
    dept_review(zhidu, iid, DEPTS_AGREE)
    for budget in (170000, 150000):
        complete_as(zhidu, iid, "Task_DirectorReview", "director", {"director_decision": "revise", "director_comments": "压缩预算"})
        complete_as(zhidu, iid, "Task_InitiationReport", "pm_manager", {**REPORT, "budget": budget})
        dept_review(zhidu, iid, DEPTS_AGREE)
    complete_as(zhidu, iid, "Task_DirectorReview", "director", {"director_decision": "approve", "director_comments": "同意"})
    complete_as(zhidu, iid, "Task_ProjectPlan", "pm_manager", PLAN)
    complete_as(zhidu, iid, "Task_Kickoff", "pm_staff1", KICKOFF)
    for ready in (False, False, True):  # pm_staff1 does the cost accounting, so never the work (R1.3.4)
        complete_as(zhidu, iid, "Task_Execute", "pm_staff2", execute(ready=ready))
    for _ in range(2):
        complete_as(zhidu, iid, "Task_QualityCheck", "pm_manager", {"quality_ok": False, "quality_findings": "缺陷过多"})
        assert active(zhidu, iid) == {"Task_Execute"}
        complete_as(zhidu, iid, "Task_Execute", "pm_staff2", execute(ready=True))
    complete_as(zhidu, iid, "Task_QualityCheck", "pm_manager", {"quality_ok": True, "quality_findings": "合格"})
    for cost in (180000, 170000):
        complete_as(zhidu, iid, "Task_CostCheck", "pm_staff1", {"actual_cost": cost, "cost_analysis": "超支"})
        assert data(zhidu, iid)["cost_approval"] == "director"
        complete_as(zhidu, iid, "Task_OverrunApproval", "director", {"overrun_approved": False, "overrun_comments": "控制成本"})
        assert active(zhidu, iid) == {"Task_Execute"}
        complete_as(zhidu, iid, "Task_Execute", "pm_staff2", execute(ready=True))
        complete_as(zhidu, iid, "Task_QualityCheck", "pm_manager", {"quality_ok": True, "quality_findings": "合格"})
    complete_as(zhidu, iid, "Task_CostCheck", "pm_staff1", {"actual_cost": 157500, "cost_analysis": "超支 5%"})
    assert data(zhidu, iid)["cost_approval"] == "manager"
    accept(zhidu, iid, customer=False)
    assert active(zhidu, iid) == {"Task_Execute"}
    complete_as(zhidu, iid, "Task_Execute", "pm_staff2", execute(ready=True))
    complete_as(zhidu, iid, "Task_QualityCheck", "pm_manager", {"quality_ok": True, "quality_findings": "合格"})
    complete_as(zhidu, iid, "Task_CostCheck", "pm_staff1", {"actual_cost": 200000, "cost_analysis": "超支 33%"})
    complete_as(zhidu, iid, "Task_OverrunApproval", "director", {"overrun_approved": True, "overrun_comments": "同意"})
    accept(zhidu, iid, departments=(True, False))
    complete_as(zhidu, iid, "Task_Execute", "pm_staff2", execute(ready=True))
    complete_as(zhidu, iid, "Task_QualityCheck", "pm_manager", {"quality_ok": True, "quality_findings": "合格"})
    complete_as(zhidu, iid, "Task_CostCheck", "pm_staff1", {"actual_cost": 150000, "cost_analysis": "持平"})
    accept(zhidu, iid)
    result = close(zhidu, iid)
    assert result["budget"] == 150000 and result["cost_approval"] == "none"
    assert all(a["accepted"] for a in result["dept_acceptances"]) and result["customer_accepted"] is True


def test_weekly_progress_meeting_while_executing(zhidu, clock):
    iid = approved_and_kicked_off(zhidu)
    clock.advance(timedelta(days=8))
    zhidu.fire_due_timers()
    assert active(zhidu, iid) == {"Task_Execute", "Task_ProgressReport"}
    complete_as(zhidu, iid, "Task_ProgressReport", "pm_manager",
                {"meeting_date": "2026-12-05", "progress": "设计完成", "on_schedule": True})
    assert active(zhidu, iid) == {"Task_Execute"}
    clock.advance(timedelta(days=7))
    zhidu.fire_due_timers()
    assert active(zhidu, iid) == {"Task_Execute", "Task_ProgressReport"}
    complete_as(zhidu, iid, "Task_Execute", "pm_staff2", execute(ready=True))
    assert active(zhidu, iid) == {"Task_QualityCheck"}


def test_forms_guard_the_plan_and_the_kickoff(zhidu):
    iid = initiate(zhidu)
    dept_review(zhidu, iid, DEPTS_AGREE)
    complete_as(zhidu, iid, "Task_DirectorReview", "director", {"director_decision": "approve", "director_comments": "同意"})
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_ProjectPlan", "pm_manager", {**PLAN, "tasks": []})
    complete_as(zhidu, iid, "Task_ProjectPlan", "pm_manager", PLAN)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_Kickoff", "pm_staff1", {**KICKOFF, "goals_communicated": False})


def test_diagram_is_complete():
    assert_diagram_complete("project_lifecycle.bpmn")


def test_survives_a_new_process_for_every_command(zhidu, clock):
    test_weekly_progress_meeting_while_executing(NewProcessEachCommand(zhidu), clock)


def test_whoever_carried_out_the_plan_neither_checks_nor_accounts_for_it(zhidu):
    """R1.3.4 (separation of duties): quality and cost are checked by people who did not carry
    out the plan, in any round; the manager who drafted the plan does not accept it for a
    department either."""
    iid = approved_and_kicked_off(zhidu)
    complete_as(zhidu, iid, "Task_Execute", "pm_staff1", execute(ready=False))
    execute_task = next(t for t in open_tasks(zhidu, iid) if t.name == "Task_Execute")
    zhidu.claim(execute_task.id, "pm_manager")  # a manager may carry out the plan himself
    zhidu.complete_task(execute_task.id, "pm_manager", execute(ready=True))
    quality = next(t for t in open_tasks(zhidu, iid) if t.name == "Task_QualityCheck")
    assert set(quality.excluded) == {"pm_staff1", "pm_manager"}
    with pytest.raises(DutiesSeparated) as refused:
        zhidu.claim(quality.id, "pm_manager")
    assert "执行项目计划" in refused.value.text("zh")
    zhidu.complete_task(quality.id, "director", {"quality_ok": True, "quality_findings": "合格"})  # manages all
    cost = next(t for t in open_tasks(zhidu, iid) if t.name == "Task_CostCheck")
    assert cost.id not in {t.id for t in zhidu.tasks_for("pm_staff1")}
    complete_as(zhidu, iid, "Task_CostCheck", "pm_staff2", {"actual_cost": 190000, "cost_analysis": "节约"})
    accepting = [t for t in open_tasks(zhidu, iid) if t.name == "Task_DeptAcceptance [child]"]
    assert accepting and all({"pm_staff1", "pm_manager"} <= set(t.excluded) for t in accepting)
    assert zhidu.verify(iid).status == "ok"
