"""Data analysis report (R3.3.1–R3.3.3) along every path, through the facade over SQLite."""

from __future__ import annotations

import pytest

from engine.errors import DutiesSeparated, FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

START = {"report_title": "2026 年第三季度客户流失分析", "purpose": "找出客户流失的主要原因",
         "requesting_departments": ["customer-service", "marketing"],
         "business_question": "哪些客户群流失率最高, 原因是什么?", "needed_by": "2026-12-15"}
SCOPE = {"data_scope": "2026 年 7-9 月全部活跃客户, 按周汇总",
         "sources": [{"source": "CRM 客户库", "origin": "internal", "method": "export", "channel": "CRM 月度导出"},
                     {"source": "行业流失率报告", "origin": "external", "method": "purchase", "channel": "咨询公司"}],
         "collection_frequency": "monthly"}
GOOD_DATA = {"records_collected": 120000, "period_from": "2026-07-01", "period_to": "2026-09-30",
             "cleaning_steps": "去重, 补齐缺失地区, 剔除测试账号", "records_removed": 830, "data_quality_ok": True}
BAD_DATA = {**GOOD_DATA, "data_quality_ok": False, "quality_issues": "9 月数据缺少两个地区"}
ANALYSIS = {"analysis_methods": ["descriptive", "segmentation", "regression"], "tools": "Python, SQL",
            "method_rationale": "先描述再分群, 用回归找流失因素", "conclusions": "价格敏感客户群流失率最高"}
REPORT = {"findings": "流失集中在价格敏感的中小客户, 与 8 月调价相关",
          "charts": [{"title": "月度流失率", "chart_type": "line", "description": "7-9 月流失率走势"},
                     {"title": "分群流失率", "chart_type": "bar", "description": "各客户群流失率对比"}],
          "recommendations": "对中小客户推出保留套餐"}


def review(decision: str, comments: str = "同意") -> dict:
    return {"review_decision": decision, "review_comments": comments}


def ack(follow_up: bool = False, feedback: str = "已收到") -> dict:
    return {"received": True, "feedback": feedback, "follow_up": follow_up}


def through_collection(zhidu, starter: str = "cs_manager") -> str:
    iid = start(zhidu, "data_analysis_report", starter, START)
    assert active(zhidu, iid) == {"Task_Scope"}
    complete_as(zhidu, iid, "Task_Scope", "da_staff1", SCOPE)
    complete_as(zhidu, iid, "Task_Collect", "da_staff1", GOOD_DATA)
    return iid


def acknowledge_all(zhidu, iid: str, answers: dict[str, tuple[str, dict]]) -> None:
    """answers: user -> (role the task is offered to, form data)."""
    tasks = [t for t in open_tasks(zhidu, iid) if t.name == "Task_Acknowledge [child]"]
    assert sorted(t.candidates for t in tasks) == sorted((f"role:{role}",) for role, _ in answers.values())
    for user, (role, answer) in answers.items():
        task = next(t for t in open_tasks(zhidu, iid)
                    if t.name == "Task_Acknowledge [child]" and t.candidates == (f"role:{role}",))
        complete_as(zhidu, iid, "Task_Acknowledge", user, answer, task=task)


def test_report_approved_first_time_goes_to_the_departments_and_the_director(zhidu):
    iid = through_collection(zhidu)
    complete_as(zhidu, iid, "Task_Analyse", "da_staff2", ANALYSIS)
    complete_as(zhidu, iid, "Task_WriteReport", "da_staff2", REPORT)
    complete_as(zhidu, iid, "Task_Review", "da_manager", review("approve"))
    assert data(zhidu, iid)["recipients"] == ["customer-service-manager", "marketing-manager", "director"]
    acknowledge_all(zhidu, iid, {"cs_manager": ("customer-service-manager", ack(follow_up=True, feedback="请按地区细分")),
                                 "mk_manager": ("marketing-manager", ack()),
                                 "director": ("director", ack(feedback="很好"))})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["acknowledgements"] == [
        {"recipient": "customer-service-manager", "received": True, "feedback": "请按地区细分", "follow_up": True},
        {"recipient": "marketing-manager", "received": True, "feedback": "已收到", "follow_up": False},
        {"recipient": "director", "received": True, "feedback": "很好", "follow_up": False}]
    assert result["analysis_methods"] == ["descriptive", "segmentation", "regression"]
    assert result["sources"][1]["origin"] == "external" and result["review_decision"] == "approve"


def test_every_loop_recollect_revise_and_reanalyse_twice(zhidu):
    iid = start(zhidu, "data_analysis_report", "da_staff1", {**START, "requesting_departments": ["data-analysis"]})
    complete_as(zhidu, iid, "Task_Scope", "da_staff1", SCOPE)
    for _ in range(2):
        complete_as(zhidu, iid, "Task_Collect", "da_staff1", BAD_DATA)
        assert active(zhidu, iid) == {"Task_Collect"}
    complete_as(zhidu, iid, "Task_Collect", "da_staff1", {**GOOD_DATA, "records_collected": 121500})
    complete_as(zhidu, iid, "Task_Analyse", "da_staff1", ANALYSIS)
    complete_as(zhidu, iid, "Task_WriteReport", "da_staff1", REPORT)
    for round_ in range(2):
        complete_as(zhidu, iid, "Task_Review", "da_manager", review("revise_report", f"图表说明不清 {round_}"))
        assert active(zhidu, iid) == {"Task_WriteReport"}
        complete_as(zhidu, iid, "Task_WriteReport", "da_staff1", REPORT)
    for round_ in range(2):
        complete_as(zhidu, iid, "Task_Review", "da_manager", review("reanalyse", f"需要加入预测 {round_}"))
        assert active(zhidu, iid) == {"Task_Analyse"}
        complete_as(zhidu, iid, "Task_Analyse", "da_staff2",
                    {**ANALYSIS, "analysis_methods": ["descriptive", "forecast"]})
        complete_as(zhidu, iid, "Task_WriteReport", "da_staff2", REPORT)
    complete_as(zhidu, iid, "Task_Review", "da_manager", review("approve", "可以提交"))
    acknowledge_all(zhidu, iid, {"da_manager": ("data-analysis-manager", ack()), "director": ("director", ack())})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["records_collected"] == 121500 and result["data_quality_ok"] is True
    assert result["analysis_methods"] == ["descriptive", "forecast"] and result["review_comments"] == "可以提交"
    assert [a["recipient"] for a in result["acknowledgements"]] == ["data-analysis-manager", "director"]


def test_forms_guard_collection_and_acknowledgement(zhidu):
    iid = start(zhidu, "data_analysis_report", "da_manager", START)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_Scope", "da_staff1", {**SCOPE, "sources": []})
    complete_as(zhidu, iid, "Task_Scope", "da_staff1", SCOPE)
    with pytest.raises(FormInvalid):  # data not sound needs the issues named
        complete_as(zhidu, iid, "Task_Collect", "da_staff1", {**GOOD_DATA, "data_quality_ok": False})
    complete_as(zhidu, iid, "Task_Collect", "da_staff1", GOOD_DATA)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_Analyse", "da_staff1", {**ANALYSIS, "analysis_methods": ["guesswork"]})
    complete_as(zhidu, iid, "Task_Analyse", "da_staff1", ANALYSIS)
    complete_as(zhidu, iid, "Task_WriteReport", "da_staff1", REPORT)
    complete_as(zhidu, iid, "Task_Review", "da_manager", review("approve"))
    task = next(t for t in open_tasks(zhidu, iid) if t.candidates == ("role:director",))
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_Acknowledge", "director", {**ack(), "received": False}, task=task)
    with pytest.raises(PermissionDenied):  # the director's acknowledgement is not the marketing manager's
        zhidu.complete_task(task.id, "mk_manager", ack())


def test_only_starters_may_request_a_report(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start("data_analysis_report", "cs_staff1", START)


def test_diagram_is_complete():
    assert_diagram_complete("data_analysis_report.bpmn")


def test_survives_a_new_process_for_every_command(zhidu):
    test_report_approved_first_time_goes_to_the_departments_and_the_director(NewProcessEachCommand(zhidu))


def test_the_writer_of_the_report_does_not_review_it(zhidu):
    """R1.3.4 (separation of duties): a manager who writes the report himself leaves its review
    to whoever manages every department."""
    iid = through_collection(zhidu)
    complete_as(zhidu, iid, "Task_Analyse", "da_staff2", ANALYSIS)
    write = open_tasks(zhidu, iid)[0]
    zhidu.complete_task(write.id, "da_manager", REPORT)  # a manager may do his staff's step
    review_task = open_tasks(zhidu, iid)[0]
    assert review_task.name == "Task_Review" and review_task.excluded == ("da_manager",)
    assert review_task.id not in {t.id for t in zhidu.tasks_for("da_manager")}
    with pytest.raises(DutiesSeparated):
        zhidu.complete_task(review_task.id, "da_manager", review("approve"))
    zhidu.complete_task(review_task.id, "director", review("approve"))
    assert "Task_Review" not in active(zhidu, iid)
    assert zhidu.verify(iid).status == "ok"
