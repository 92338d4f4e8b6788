"""Customer revisit (R3.2.4) along every path, through the facade over SQLite: started by its
monthly timer start event or by hand; key customers get a care activity; opinions that need
action go to the customer service manager."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

KEY = "customer_revisit"


def plan(*rows: tuple[str, bool]) -> dict:
    return {"period": "2026-12", "plan_note": "年底回访",
            "revisit_list": [{"customer": c, "contact": f"1380000000{i}", "key_customer": k}
                             for i, (c, k) in enumerate(rows)]}


def results(*rows: tuple[str, bool]) -> dict:
    return {"revisit_results": [{"customer": c, "revisit_date": "2026-12-03", "channel": "phone", "satisfaction": 4,
                                 "opinion": "希望增加夜间客服" if action else "", "needs_action": action}
                                for c, action in rows]}


CARE = {"care_activities": [{"customer": "华东贸易", "activity": "visit", "held_on": "2026-12-10", "note": "总监陪同"}]}
ACTION = {"opinion_measures": [{"customer": "张三", "measure": "试行夜间客服", "responsible_department": "customer-service",
                                "due_date": "2027-01-15"}]}
SUMMARY = {"overall_satisfaction": "high", "summary": "客户整体满意", "improvements": "夜间客服"}


def revisit(zhidu, iid, plan_data, result_data) -> None:
    assert active(zhidu, iid) == {"Task_PlanList"}
    complete_as(zhidu, iid, "Task_PlanList", "cs_staff1", plan_data)
    complete_as(zhidu, iid, "Task_Revisit", "cs_staff2", result_data)


def test_diagram_is_complete():
    assert_diagram_complete("customer_revisit.bpmn")


def test_key_customer_gets_care_and_opinions_go_to_the_manager(zhidu):
    iid = start(zhidu, KEY, "cs_staff1", {})
    revisit(zhidu, iid, plan(("华东贸易", True), ("张三", False)), results(("华东贸易", False), ("张三", True)))
    assert active(zhidu, iid) == {"Task_Care"}
    care = open_tasks(zhidu, iid)[0]
    assert care.candidates == ("role:customer-service-staff",)
    complete_as(zhidu, iid, "Task_Care", "cs_staff1", CARE)
    assert active(zhidu, iid) == {"Task_HandleOpinions"}
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "cs_staff1", ACTION)
    complete_as(zhidu, iid, "Task_HandleOpinions", "cs_manager", ACTION)
    complete_as(zhidu, iid, "Task_Summary", "cs_manager", SUMMARY)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["key_customers"] == ["华东贸易"]
    assert result["action_opinions"] == [{"customer": "张三", "opinion": "希望增加夜间客服"}]
    assert result["revisited_count"] == 2
    assert result["care_activities"][0]["activity"] == "visit"
    assert result["opinion_measures"][0]["responsible_department"] == "customer-service"
    assert zhidu.diagram(iid).completed.get("Task_Care") == 1


def test_no_key_customer_and_no_action_goes_straight_to_the_summary(zhidu):
    iid = start(zhidu, KEY, "cs_manager", {})
    revisit(zhidu, iid, plan(("李四", False)), results(("李四", False)))
    assert active(zhidu, iid) == {"Task_Summary"}
    complete_as(zhidu, iid, "Task_Summary", "cs_manager", {**SUMMARY, "overall_satisfaction": "medium"})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["key_customers"] == [] and result["action_opinions"] == []
    assert "care_activities" not in result and "opinion_measures" not in result
    completed = zhidu.diagram(iid).completed
    assert "Task_Care" not in completed and "Task_HandleOpinions" not in completed


def test_key_customer_without_opinions_and_opinions_without_key_customers(zhidu):
    care_only = start(zhidu, KEY, "cs_staff2", {})
    revisit(zhidu, care_only, plan(("华东贸易", True)), results(("华东贸易", False)))
    complete_as(zhidu, care_only, "Task_Care", "cs_staff2", CARE)
    assert active(zhidu, care_only) == {"Task_Summary"}
    complete_as(zhidu, care_only, "Task_Summary", "cs_manager", SUMMARY)
    action_only = start(zhidu, KEY, "cs_staff2", {})
    revisit(zhidu, action_only, plan(("张三", False)), results(("张三", True)))
    assert active(zhidu, action_only) == {"Task_HandleOpinions"}
    complete_as(zhidu, action_only, "Task_HandleOpinions", "cs_manager", ACTION)
    complete_as(zhidu, action_only, "Task_Summary", "cs_manager", SUMMARY)
    assert status(zhidu, care_only) == status(zhidu, action_only) == "completed"
    assert data(zhidu, care_only)["key_customers"] == ["华东贸易"]
    assert data(zhidu, action_only)["opinion_measures"][0]["measure"] == "试行夜间客服"


def test_the_timer_start_event_starts_one_round_a_month(zhidu, clock):
    def revisit_rounds(ids):
        return [i for i in ids if zhidu.show(i).process_key == KEY]

    assert revisit_rounds(zhidu.start_due_schedules()) == []
    clock.advance(timedelta(days=62))  # 2026-11-27 + 62 days: past 12-27 and 2027-01-27
    started = revisit_rounds(NewProcessEachCommand(zhidu).start_due_schedules())
    assert len(started) == 2 == len(set(started))
    assert revisit_rounds(zhidu.start_due_schedules()) == []
    for iid in started:
        assert zhidu.show(iid).started_by is None
        assert active(zhidu, iid) == {"Task_PlanList"}
    iid = started[0]
    revisit(zhidu, iid, plan(("王五", True)), results(("王五", True)))
    complete_as(zhidu, iid, "Task_Care", "cs_staff1", {"care_activities": [
        {"customer": "王五", "activity": "gift", "held_on": "2027-01-05"}]})
    complete_as(zhidu, iid, "Task_HandleOpinions", "cs_manager", {"opinion_measures": [
        {"customer": "王五", "measure": "回电说明", "responsible_department": "marketing", "due_date": "2027-01-20"}]})
    complete_as(zhidu, iid, "Task_Summary", "cs_manager", SUMMARY)
    assert status(zhidu, iid) == "completed"
    assert data(zhidu, iid)["care_activities"][0]["customer"] == "王五"
    clock.advance(timedelta(days=31))
    assert len(revisit_rounds(zhidu.start_due_schedules())) == 1


def test_only_customer_service_may_start_and_forms_are_validated(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start(KEY, "mk_staff1", {})
    iid = start(zhidu, KEY, "cs_staff1", {})
    task = open_tasks(zhidu, iid)[0]
    with pytest.raises(FormInvalid):
        zhidu.complete_task(task.id, "cs_staff1", {"period": "2026-12", "revisit_list": []})
    with pytest.raises(FormInvalid):
        zhidu.complete_task(task.id, "cs_staff1", {"period": "2026-12", "revisit_list": [{"customer": "甲"}]})
    complete_as(zhidu, iid, "Task_PlanList", "cs_staff1", plan(("甲", False)))
    revisit_task = open_tasks(zhidu, iid)[0]
    bad = results(("甲", False))
    bad["revisit_results"][0]["satisfaction"] = 6
    with pytest.raises(FormInvalid):
        zhidu.complete_task(revisit_task.id, "cs_staff1", bad)
