"""Yearly career conversation (R5.3.1) along every path, through the facade over SQLite: the
employee prepares (or lets the 14-day deadline pass), the manager of their department holds the
conversation (the director for a manager), the employee agrees or asks for a revision; nobody
holds their own conversation (notBy)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, offered_to, open_tasks, refused,
    start, status,
)

KEY = "career_conversation"
PREPARE = {"interests": "数据可视化", "strengths": "沟通、Excel", "career_goal": "三年内成为数据分析师",
           "development_wishes": ["training", "rotation"], "support_needed": "Python 培训"}
HOLD = {"held_on": "2026-12-03", "career_direction": "转向数据分析", "agreed_goals": "完成 Python 与 SQL 培训",
        "development_plan": "每季度参与一个分析项目", "training_needs": "Python、SQL", "opportunities": ["rotation"],
        "next_review_on": "2027-06-30"}
AGREE = {"acknowledgement": "agree"}


def begin(zhidu, starter: str, employee: str, year: str = "2026") -> str:
    return start(zhidu, KEY, starter, {"employee": employee, "year": year, "topics": "明年的发展"})


def test_diagram_is_complete():
    assert_diagram_complete("career_conversation.bpmn")


def test_a_staff_members_conversation_is_held_by_their_manager_and_agreed(zhidu, clock):
    iid = begin(zhidu, "da_manager", "da_staff1")
    assert offered_to(zhidu, iid, "Task_Prepare") == ("user:da_staff1",)
    [prepare] = open_tasks(zhidu, iid)
    assert prepare.due_at == clock.now() + timedelta(days=7)
    assert prepare.subject["zh"] == "周敏 · 2026"
    refused(zhidu, iid, "Task_Prepare", "da_staff2", PREPARE)
    complete_as(zhidu, iid, "Task_Prepare", "da_staff1", PREPARE)

    assert offered_to(zhidu, iid, "Task_Conversation") == ("role:data-analysis-manager",)
    assert open_tasks(zhidu, iid)[0].due_at == clock.now() + timedelta(days=14)
    refused(zhidu, iid, "Task_Conversation", "mk_manager", HOLD)
    complete_as(zhidu, iid, "Task_Conversation", "da_manager", HOLD)

    assert offered_to(zhidu, iid, "Task_Acknowledge") == ("user:da_staff1",)
    refused(zhidu, iid, "Task_Acknowledge", "da_manager", AGREE)
    complete_as(zhidu, iid, "Task_Acknowledge", "da_staff1", AGREE)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["employee_department"] == "data-analysis" and result["conversation_role"] == "data-analysis-manager"
    assert result["career_goal"] == PREPARE["career_goal"] and result["agreed_goals"] == HOLD["agreed_goals"]
    assert "preparation_missed" not in result


def test_the_employee_asks_for_a_revision_and_agrees_to_the_revised_plan(zhidu):
    engine = NewProcessEachCommand(zhidu)
    iid = begin(engine, "director", "mk_staff2")
    complete_as(engine, iid, "Task_Prepare", "mk_staff2", PREPARE)
    complete_as(engine, iid, "Task_Conversation", "mk_manager", HOLD)
    with pytest.raises(FormInvalid) as no_reason:  # a revision says what to change
        engine.complete_task(open_tasks(engine, iid)[0].id, "mk_staff2", {"acknowledgement": "revise"})
    assert [e.field for e in no_reason.value.field_errors] == ["employee_comment"]
    complete_as(engine, iid, "Task_Acknowledge", "mk_staff2",
                {"acknowledgement": "revise", "employee_comment": "希望加入轮岗安排"})
    assert active(engine, iid) == {"Task_Conversation"}
    assert offered_to(engine, iid, "Task_Conversation") == ("role:marketing-manager",)
    complete_as(engine, iid, "Task_Conversation", "mk_manager", {**HOLD, "development_plan": "下半年轮岗至数据分析部"})
    complete_as(engine, iid, "Task_Acknowledge", "mk_staff2", AGREE)
    result = data(engine, iid)
    assert status(engine, iid) == "completed" and result["development_plan"] == "下半年轮岗至数据分析部"
    assert result["employee_comment"] == "希望加入轮岗安排"
    entered = [e.payload["element"] for e in engine.history(iid) if e.kind == "task_entered"]
    assert entered.count("Task_Conversation") == 2 and entered.count("Task_Acknowledge") == 2


def test_a_preparation_not_done_in_14_days_no_longer_holds_the_conversation_up(zhidu, clock):
    iid = begin(zhidu, "cs_manager", "cs_staff2")
    clock.advance(timedelta(days=13, hours=23))
    assert zhidu.fire_due_timers() == []
    assert active(zhidu, iid) == {"Task_Prepare"}
    clock.advance(timedelta(hours=2))
    assert [f.instance_id for f in zhidu.fire_due_timers()] == [iid]
    assert active(zhidu, iid) == {"Task_Conversation"}
    assert data(zhidu, iid)["preparation_missed"] is True
    complete_as(zhidu, iid, "Task_Conversation", "cs_manager", HOLD)
    complete_as(zhidu, iid, "Task_Acknowledge", "cs_staff2", AGREE)
    result = data(zhidu, iid)
    assert status(zhidu, iid) == "completed" and "career_goal" not in result


def test_preparing_in_time_cancels_the_deadline(zhidu, clock):
    iid = begin(zhidu, "pm_manager", "pm_staff1")
    complete_as(zhidu, iid, "Task_Prepare", "pm_staff1", PREPARE)
    clock.advance(timedelta(days=20))
    assert zhidu.fire_due_timers() == []
    assert active(zhidu, iid) == {"Task_Conversation"} and "preparation_missed" not in data(zhidu, iid)


def test_a_managers_conversation_is_held_by_the_director(zhidu):
    iid = begin(zhidu, "director", "cs_manager")
    complete_as(zhidu, iid, "Task_Prepare", "cs_manager", PREPARE)
    assert offered_to(zhidu, iid, "Task_Conversation") == ("role:director",)
    refused(zhidu, iid, "Task_Conversation", "cs_manager", HOLD)
    complete_as(zhidu, iid, "Task_Conversation", "director", HOLD)
    complete_as(zhidu, iid, "Task_Acknowledge", "cs_manager", AGREE)
    result = data(zhidu, iid)
    assert result["conversation_role"] == "director" and result["employee_department"] == "customer-service"


def test_nobody_holds_their_own_conversation(zhidu):
    """An acting manager (staff and manager role of one department) talks with the other manager,
    never with themself: they are not offered the conversation and may not take it (notBy)."""
    zhidu.set_roles("cs_staff1", ["customer-service-staff", "customer-service-manager"], actor="admin")
    iid = begin(zhidu, "cs_manager", "cs_staff1")
    complete_as(zhidu, iid, "Task_Prepare", "cs_staff1", PREPARE)
    assert offered_to(zhidu, iid, "Task_Conversation") == ("role:customer-service-manager",)
    refused(zhidu, iid, "Task_Conversation", "cs_staff1", HOLD)
    complete_as(zhidu, iid, "Task_Conversation", "cs_manager", HOLD)
    complete_as(zhidu, iid, "Task_Acknowledge", "cs_staff1", AGREE)
    assert status(zhidu, iid) == "completed"


def test_who_may_start_it_and_what_the_forms_accept(zhidu):
    with pytest.raises(PermissionDenied):  # staff do not start conversations
        zhidu.start(KEY, "mk_staff1", {"employee": "mk_staff2", "year": "2026"})
    for wrong in ({"employee": "director", "year": "2026"},      # the director has no conversation here
                  {"employee": "auditor", "year": "2026"},       # nor does anyone outside the departments
                  {"employee": "mk_staff1", "year": "26"},
                  {"year": "2026"}):
        with pytest.raises(FormInvalid):
            zhidu.start(KEY, "mk_manager", wrong)
    iid = begin(zhidu, "mk_manager", "mk_staff1")
    task = open_tasks(zhidu, iid)[0]
    for wrong in ({"interests": "x", "strengths": "y"},
                  {**PREPARE, "development_wishes": ["holiday"]}):
        with pytest.raises(FormInvalid):
            zhidu.complete_task(task.id, "mk_staff1", wrong)
