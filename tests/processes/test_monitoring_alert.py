"""Monitoring alert (R3.3.4) along every path, through the facade over SQLite."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.conftest import T0
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)


def alert(value: float, threshold: float = 100, direction: str = "above") -> dict:
    return {"indicator": "日投诉量", "indicator_category": "customer", "value": value, "threshold": threshold,
            "direction": direction, "observed_at": "2026-11-26", "data_source": "客服工单系统"}


CAUSE = {"cause_category": "business_change", "cause": "11 月调价后咨询与投诉集中", "affected_scope": "华东地区中小客户",
         "evidence": "投诉分类中 62% 涉及价格"}
MEASURES = {"measures": [{"measure": "发布调价说明", "department": "marketing", "deadline": "2026-11-30"},
                         {"measure": "客服话术更新", "department": "customer-service", "deadline": "2026-11-28"}],
            "recommendation": "对受影响客户推出过渡期优惠"}
CLOSE = {"indicator_back_to_normal": True, "closing_notes": "一周后投诉量回落到阈值以下"}


@pytest.mark.parametrize(("value", "threshold", "direction", "deviation", "severity"), [
    (95, 100, "above", -5.0, "none"), (100, 100, "above", 0.0, "none"), (130, 100, "below", -30.0, "none"),
    (101, 100, "above", 1.0, "low"), (119.9, 100, "above", 19.9, "low"), (120, 100, "above", 20.0, "medium"),
    (70, 100, "below", 30.0, "medium"), (150, 100, "above", 50.0, "high"), (0.5, 2, "below", 75.0, "high"),
])
def test_severity_from_how_far_beyond_the_threshold(zhidu, value, threshold, direction, deviation, severity):
    view = zhidu.start("monitoring_alert", "da_staff1", alert(value, threshold, direction))
    assert view.incident is None
    iid = view.id
    result = data(zhidu, iid)
    assert (result["deviation_pct"], result["severity"]) == (deviation, severity)
    if severity == "none":
        assert status(zhidu, iid) == "completed" and open_tasks(zhidu, iid) == []
    else:
        assert active(zhidu, iid) == {"Task_AnalyseCause"}


@pytest.mark.parametrize(("value", "direction", "severity", "due_in"), [
    (110, "above", "low", timedelta(days=3)), (70, "below", "medium", timedelta(days=1)),
])
def test_low_and_medium_alerts_close_without_the_director(zhidu, value, direction, severity, due_in):
    iid = start(zhidu, "monitoring_alert", "da_staff2", alert(value, direction=direction))
    (task,) = open_tasks(zhidu, iid)
    assert task.due_at == T0 + due_in
    complete_as(zhidu, iid, "Task_AnalyseCause", "da_staff1", CAUSE)
    complete_as(zhidu, iid, "Task_ProposeMeasures", "da_manager", MEASURES)
    assert active(zhidu, iid) == {"Task_Close"}
    complete_as(zhidu, iid, "Task_Close", "da_manager", CLOSE)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["severity"] == severity and "director_decision" not in result
    assert result["measures"][0]["department"] == "marketing" and result["indicator_back_to_normal"] is True


def test_high_alert_needs_the_director_who_sends_the_measures_back_twice(zhidu):
    iid = start(zhidu, "monitoring_alert", "da_manager", alert(180))
    (task,) = open_tasks(zhidu, iid)
    assert task.due_at == T0 + timedelta(hours=4)
    complete_as(zhidu, iid, "Task_AnalyseCause", "da_staff2", CAUSE)
    complete_as(zhidu, iid, "Task_ProposeMeasures", "da_manager", MEASURES)
    for round_ in range(2):
        assert active(zhidu, iid) == {"Task_DirectorAck"}
        with pytest.raises(PermissionDenied):
            zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "da_manager",
                                {"director_decision": "acknowledge", "director_instructions": "自己确认"})
        complete_as(zhidu, iid, "Task_DirectorAck", "director",
                    {"director_decision": "revise", "director_instructions": f"措施不够, 第 {round_ + 1} 次"})
        assert active(zhidu, iid) == {"Task_ProposeMeasures"}
        complete_as(zhidu, iid, "Task_ProposeMeasures", "da_manager",
                    {**MEASURES, "measures": MEASURES["measures"] * (round_ + 2)})
    complete_as(zhidu, iid, "Task_DirectorAck", "director",
                {"director_decision": "acknowledge", "director_instructions": "同意, 每日汇报"})
    complete_as(zhidu, iid, "Task_Close", "da_manager", {**CLOSE, "indicator_back_to_normal": False})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert (result["severity"], result["deviation_pct"], result["director_decision"]) == ("high", 80.0, "acknowledge")
    assert len(result["measures"]) == 6 and result["director_instructions"] == "同意, 每日汇报"


def test_forms_guard_the_alert_and_the_measures(zhidu):
    with pytest.raises(FormInvalid):
        zhidu.start("monitoring_alert", "da_staff1", alert(10, threshold=0))
    with pytest.raises(FormInvalid):
        zhidu.start("monitoring_alert", "da_staff1", {**alert(10), "direction": "sideways"})
    with pytest.raises(PermissionDenied):
        zhidu.start("monitoring_alert", "mk_staff1", alert(150))
    iid = start(zhidu, "monitoring_alert", "da_staff1", alert(125))
    complete_as(zhidu, iid, "Task_AnalyseCause", "da_staff1", CAUSE)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_ProposeMeasures", "da_manager", {**MEASURES, "measures": []})


def test_decision_table_is_deployed_with_the_procedure(zhidu):
    assert "monitoring_alert" in {p.key for p in zhidu.processes()}


def test_diagram_is_complete():
    assert_diagram_complete("monitoring_alert.bpmn")


def test_survives_a_new_process_for_every_command(zhidu):
    test_high_alert_needs_the_director_who_sends_the_measures_back_twice(NewProcessEachCommand(zhidu))
