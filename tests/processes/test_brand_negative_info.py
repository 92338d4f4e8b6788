"""Negative brand information (R3.1.3's fast path, R1.3.3) along every path, through the facade
over SQLite: anyone in marketing or customer service reports it; the marketing manager triages
within 4 hours or the director is asked to act; a response is prepared by marketing, approved by
the director when the severity is high (never by whoever prepared it), and published; the
manager closes the case with a record and the reporter sees the result."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.definitions.forms import parse_form
from engine.errors import DutiesSeparated, FormInvalid, PermissionDenied
from engine.files import Upload
from tests.conftest import FORMS
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, offered_to, open_tasks, refused,
    start, status,
)

KEY = "brand_negative_info"
MARKETING = ("role:marketing-staff", "role:marketing-manager")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
REPORT = {"title": "微博热帖称服务响应慢", "source": "social_media", "source_detail": "微博 @某用户",
          "summary": "帖子称客服三天未回复,转发 2000+", "discovered_on": "2026-11-27"}
RESPONSE = {"response_statement": "我们已联系该客户并致歉,问题已解决", "response_channels": "官方微博",
            "corrective_actions": "客服响应时限缩短至 24 小时"}
PUBLISH = {"published_where": "官方微博", "published_on": "2026-11-27", "public_reaction": "评论转为正面"}
CLOSE = {"actions_summary": "发布致歉声明并解决客户问题", "outcome": "resolved", "lessons": "加强舆情监测"}
RESULT = {"result_acknowledged": True, "reporter_comment": "谢谢"}


def report(zhidu, reporter: str = "cs_staff1", **extra) -> str:
    return start(zhidu, KEY, reporter, {**REPORT, **extra})


def triage(severity: str, decision: str = "respond") -> dict:
    return {"severity": severity, "triage_decision": decision, "triage_note": f"{severity} / {decision}"}


def close_and_show_the_reporter(zhidu, iid: str, reporter: str, clock) -> dict:
    assert offered_to(zhidu, iid, "Task_Close") == ("role:marketing-manager",)
    complete_as(zhidu, iid, "Task_Close", "mk_manager", CLOSE)
    assert offered_to(zhidu, iid, "Task_Result") == (f"user:{reporter}",)
    other = "cs_staff2" if reporter != "cs_staff2" else "cs_staff1"
    refused(zhidu, iid, "Task_Result", other, RESULT)
    with pytest.raises(FormInvalid):
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, reporter, {"result_acknowledged": False})
    complete_as(zhidu, iid, "Task_Result", reporter, RESULT)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["outcome"] == "resolved" and result["closed_at"] == clock.now().isoformat()
    return result


def test_diagram_is_complete():
    assert_diagram_complete("brand_negative_info.bpmn")


def test_a_high_severity_response_is_approved_by_the_director_before_it_is_published(zhidu, clock):
    engine = NewProcessEachCommand(zhidu)
    iid = report(engine, "cs_staff1")
    [task] = open_tasks(engine, iid)
    assert task.name == "Task_Triage" and task.candidates == ("role:marketing-manager",)
    assert task.due_at == clock.now() + timedelta(hours=4)
    assert task.subject == {"zh": "微博热帖称服务响应慢 · 社交媒体", "en": "微博热帖称服务响应慢 · Social media"}
    refused(engine, iid, "Task_Triage", "cs_manager", triage("high"))
    complete_as(engine, iid, "Task_Triage", "mk_manager", triage("high"))

    assert offered_to(engine, iid, "Task_Respond") == MARKETING
    assert open_tasks(engine, iid)[0].due_at == clock.now() + timedelta(hours=8)
    complete_as(engine, iid, "Task_Respond", "mk_staff1", RESPONSE)
    assert offered_to(engine, iid, "Task_Approve") == ("role:director",)
    refused(engine, iid, "Task_Approve", "mk_manager", {"response_decision": "approve", "response_comment": "x"})
    complete_as(engine, iid, "Task_Approve", "director", {"response_decision": "approve", "response_comment": "同意发布"})

    assert offered_to(engine, iid, "Task_Publish") == MARKETING
    assert open_tasks(engine, iid)[0].due_at == clock.now() + timedelta(hours=4)
    complete_as(engine, iid, "Task_Publish", "mk_staff2", PUBLISH)
    result = close_and_show_the_reporter(engine, iid, "cs_staff1", clock)
    assert result["responded"] is True and result["director_approved"] is True
    assert result["response_comment"] == "同意发布" and result["published_where"] == "官方微博"
    assert zhidu.show(iid).started_by == "cs_staff1"


def test_the_director_returns_a_response_until_it_is_fit_to_publish(zhidu, clock):
    iid = report(zhidu, "mk_staff2")
    complete_as(zhidu, iid, "Task_Triage", "mk_manager", triage("high"))
    complete_as(zhidu, iid, "Task_Respond", "mk_staff1", RESPONSE)
    complete_as(zhidu, iid, "Task_Approve", "director", {"response_decision": "revise", "response_comment": "语气过硬"})
    assert active(zhidu, iid) == {"Task_Respond"}
    assert offered_to(zhidu, iid, "Task_Respond") == MARKETING
    complete_as(zhidu, iid, "Task_Respond", "mk_manager", {**RESPONSE, "response_statement": "诚恳致歉并说明改进"})
    complete_as(zhidu, iid, "Task_Approve", "director", {"response_decision": "approve", "response_comment": "可以"})
    complete_as(zhidu, iid, "Task_Publish", "mk_staff2", PUBLISH)
    result = close_and_show_the_reporter(zhidu, iid, "mk_staff2", clock)
    assert result["response_statement"] == "诚恳致歉并说明改进" and result["director_approved"] is True
    assert zhidu.diagram(iid).completed["Task_Respond"] == 2 and zhidu.diagram(iid).completed["Task_Approve"] == 2


@pytest.mark.parametrize("severity", ["medium", "low"])
def test_a_medium_or_low_severity_response_is_published_without_the_director(zhidu, clock, severity):
    iid = report(zhidu, "cs_manager")
    complete_as(zhidu, iid, "Task_Triage", "mk_manager", triage(severity))
    assert open_tasks(zhidu, iid)[0].due_at == clock.now() + timedelta(days=2)
    complete_as(zhidu, iid, "Task_Respond", "mk_staff2", RESPONSE)
    assert active(zhidu, iid) == {"Task_Publish"}
    assert open_tasks(zhidu, iid)[0].due_at == clock.now() + timedelta(days=1)
    complete_as(zhidu, iid, "Task_Publish", "mk_staff2", PUBLISH)
    result = close_and_show_the_reporter(zhidu, iid, "cs_manager", clock)
    assert result["responded"] is True and result["director_approved"] is False
    assert "Task_Approve" not in zhidu.diagram(iid).completed and "response_decision" not in result


@pytest.mark.parametrize("decision", ["monitor", "no_action"])
def test_information_not_responded_to_is_closed_with_the_triage_reasons(zhidu, clock, decision):
    iid = report(zhidu, "mk_manager")
    complete_as(zhidu, iid, "Task_Triage", "mk_manager", triage("high", decision))
    assert active(zhidu, iid) == {"Task_Close"}
    result = close_and_show_the_reporter(zhidu, iid, "mk_manager", clock)
    assert result["responded"] is False and result["director_approved"] is False
    assert result["triage_decision"] == decision and "response_statement" not in result
    assert not {"Task_Respond", "Task_Publish"} & set(zhidu.diagram(iid).completed)


def test_an_untriaged_report_is_escalated_to_the_director_after_four_hours(zhidu, clock):
    iid = report(zhidu, "cs_staff2")
    triage_task = open_tasks(zhidu, iid)[0]
    clock.advance(timedelta(hours=3, minutes=59))
    assert zhidu.fire_due_timers() == []
    clock.advance(timedelta(minutes=2))
    assert [f.instance_id for f in zhidu.fire_due_timers()] == [iid]
    assert active(zhidu, iid) == {"Task_Triage", "Task_Escalated"}
    assert offered_to(zhidu, iid, "Task_Escalated") == ("role:director",)
    assert [t.id for t in open_tasks(zhidu, iid) if t.name == "Task_Triage"] == [triage_task.id]
    assert zhidu.show(iid).overdue is True
    refused(zhidu, iid, "Task_Escalated", "mk_manager", {"escalation_action": "x"})
    complete_as(zhidu, iid, "Task_Escalated", "director", {"escalation_action": "已电话督促市场经理立即研判"})
    complete_as(zhidu, iid, "Task_Triage", "mk_manager", triage("medium"))
    complete_as(zhidu, iid, "Task_Respond", "mk_staff1", RESPONSE)
    complete_as(zhidu, iid, "Task_Publish", "mk_staff1", PUBLISH)
    result = close_and_show_the_reporter(zhidu, iid, "cs_staff2", clock)
    assert result["escalation_action"] == "已电话督促市场经理立即研判"
    assert [e.kind for e in zhidu.history(iid)].count("timer_fired") == 1


def test_triage_in_time_cancels_the_escalation(zhidu, clock):
    iid = report(zhidu)
    clock.advance(timedelta(hours=3))
    complete_as(zhidu, iid, "Task_Triage", "mk_manager", triage("low", "monitor"))
    clock.advance(timedelta(days=1))
    assert zhidu.fire_due_timers() == []
    assert active(zhidu, iid) == {"Task_Close"}


def test_whoever_prepared_the_response_may_not_approve_it(zhidu, clock):
    """The director may take the response over (they manage every department); it is then
    approved by another holder of the director role."""
    zhidu.add_user("deputy", "副总监", ["director"], actor="admin")
    iid = report(zhidu)
    complete_as(zhidu, iid, "Task_Triage", "mk_manager", triage("high"))
    zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "director", RESPONSE)
    approve = {"response_decision": "approve", "response_comment": "同意"}
    refused(zhidu, iid, "Task_Approve", "director", approve, DutiesSeparated)
    complete_as(zhidu, iid, "Task_Approve", "deputy", approve)
    complete_as(zhidu, iid, "Task_Publish", "mk_staff1", PUBLISH)
    close_and_show_the_reporter(zhidu, iid, "cs_staff1", clock)


def test_who_may_report_and_what_the_forms_accept(zhidu):
    for outsider in ("da_staff1", "pm_manager", "director"):
        with pytest.raises(PermissionDenied):
            zhidu.start(KEY, outsider, REPORT)
    with pytest.raises(FormInvalid) as caught:
        zhidu.start(KEY, "cs_staff1", {**REPORT, "source": "tv", "discovered_on": "昨天"})
    assert {e.field for e in caught.value.field_errors} == {"source", "discovered_on"}
    schema = parse_form((FORMS / "brand_negative_report.yaml").read_text(encoding="utf-8"), "f").schema
    with pytest.raises(FormInvalid):  # a screenshot must be an image, a PDF or text
        zhidu.store_uploads("brand_negative_report", schema, [Upload("evidence", "a.exe", b"MZ\x90\x00", "")])
    evidence = zhidu.store_uploads("brand_negative_report", schema, [Upload("evidence", "截图.png", PNG, "image/png")])
    iid = report(zhidu, "mk_staff1", **evidence)
    assert data(zhidu, iid)["evidence"]["name"] == "截图.png"
    with pytest.raises(FormInvalid):
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "mk_manager", {"severity": "critical", "triage_decision": "respond",
                                                                        "triage_note": "x"})
