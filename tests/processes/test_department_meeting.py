"""Department meetings (R6.1.1) through the facade over SQLite: a weekly timer start event opens
a round with one meeting per department (a parallel multi-instance subprocess); in each, the
manager sets the agenda, every staff member reports progress and problems (a parallel
multi-instance assigned by username), and the manager writes minutes with action items; items
that need the director go to the director."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, complete_each, data, open_tasks, start,
    status,
)

KEY = "department_meeting"
MANAGERS = {"marketing": "mk_manager", "customer-service": "cs_manager", "data-analysis": "da_manager",
            "project-management": "pm_manager"}
STAFF = {"marketing": ["mk_staff1", "mk_staff2"], "customer-service": ["cs_staff1", "cs_staff2"],
         "data-analysis": ["da_staff1", "da_staff2"], "project-management": ["pm_staff1", "pm_staff2"]}
AGENDA = {"meeting_date": "2026-12-04", "agenda": [{"topic": "本周进展", "presenter": "全员"}, {"topic": "下周计划"}]}


def report(user: str) -> dict:
    return {"progress": f"{user} 完成本周任务", "problems": "数据延迟" if user.endswith("1") else "",
            "help_needed": ""}


def minutes(owner: str, needs_director: bool = False) -> dict:
    return {"minutes": "各人汇报进展,讨论问题", "action_items": [
        {"item": "跟进数据延迟", "owner": owner, "due_date": "2026-12-11", "needs_director": needs_director},
        {"item": "更新周报模板", "owner": owner, "due_date": "2026-12-08", "needs_director": False}]}


def hold_meeting(zhidu, iid: str, department: str, needs_director: bool = False) -> None:
    agenda = [t for t in open_tasks(zhidu, iid)
              if t.name.startswith("Task_Agenda") and t.candidates == (f"role:{department}-manager",)]
    assert len(agenda) == 1, [(t.name, t.candidates) for t in open_tasks(zhidu, iid)]
    complete_as(zhidu, iid, "Task_Agenda", MANAGERS[department], AGENDA, task=agenda[0])
    complete_each(zhidu, iid, "Task_Report", {user: report(user) for user in STAFF[department]})
    mine = [t for t in open_tasks(zhidu, iid)
            if t.name.startswith("Task_Minutes") and t.candidates == (f"role:{department}-manager",)]
    assert len(mine) == 1
    complete_as(zhidu, iid, "Task_Minutes", MANAGERS[department], minutes(STAFF[department][0], needs_director),
                task=mine[0])


def rounds(zhidu, ids):
    return [i for i in ids if zhidu.show(i).process_key == KEY]


def test_diagram_is_complete():
    assert_diagram_complete("department_meeting.bpmn")


def test_a_meeting_started_by_hand_needs_no_director(zhidu):
    engine = NewProcessEachCommand(zhidu)
    iid = start(engine, KEY, "cs_manager", {"meeting_department": "customer-service"})
    assert active(engine, iid) == {"Task_Agenda"}
    agenda = open_tasks(engine, iid)[0]
    with pytest.raises(PermissionDenied):
        engine.complete_task(agenda.id, "mk_manager", AGENDA)
    with pytest.raises(FormInvalid):
        engine.complete_task(agenda.id, "cs_manager", {"meeting_date": "2026-12-04", "agenda": []})
    complete_as(engine, iid, "Task_Agenda", "cs_manager", AGENDA)
    reports = [t for t in open_tasks(engine, iid) if t.name.startswith("Task_Report")]
    assert sorted(t.candidates for t in reports) == [("user:cs_staff1",), ("user:cs_staff2",)]
    with pytest.raises(PermissionDenied):
        engine.complete_task(reports[0].id, "mk_staff1", report("mk_staff1"))
    complete_each(engine, iid, "Task_Report", {"cs_staff2": report("cs_staff2"), "cs_staff1": report("cs_staff1")})
    complete_as(engine, iid, "Task_Minutes", "cs_manager", minutes("cs_staff1"))
    assert status(engine, iid) == "completed"
    result = data(engine, iid)
    assert [m["department"] for m in result["meetings"]] == ["customer-service"]
    meeting = result["meetings"][0]
    assert sorted(r["member"] for r in meeting["reports"]) == ["cs_staff1", "cs_staff2"]
    assert {r["member"]: r["problems"] for r in meeting["reports"]}["cs_staff1"] == "数据延迟"
    assert [a["item"] for a in meeting["action_items"]] == ["跟进数据延迟", "更新周报模板"]
    assert result["escalations"] == []
    assert "Task_DirectorReview" not in zhidu.diagram(iid).completed


def test_the_weekly_round_holds_every_departments_meeting_and_escalates_to_the_director(zhidu, clock):
    assert rounds(zhidu, zhidu.start_due_schedules()) == []
    clock.advance(timedelta(days=7))
    started = rounds(zhidu, zhidu.start_due_schedules())
    assert len(started) == 1
    iid = started[0]
    assert zhidu.show(iid).started_by is None
    agendas = sorted(t.candidates for t in open_tasks(zhidu, iid))
    assert agendas == sorted((f"role:{d}-manager",) for d in MANAGERS)
    for department in MANAGERS:
        hold_meeting(zhidu, iid, department, needs_director=department == "data-analysis")
    assert active(zhidu, iid) == {"Task_DirectorReview"}
    result = data(zhidu, iid)
    assert sorted(m["department"] for m in result["meetings"]) == sorted(MANAGERS)
    assert [(e["department"], e["item"]) for e in result["escalations"]] == [("data-analysis", "跟进数据延迟")]
    complete_as(zhidu, iid, "Task_DirectorReview", "director",
                {"director_decisions": "数据部门增派人手", "follow_up_by": "2026-12-15"})
    assert status(zhidu, iid) == "completed"
    assert data(zhidu, iid)["director_decisions"] == "数据部门增派人手"
    assert all(len(m["reports"]) == 2 for m in data(zhidu, iid)["meetings"])


def test_the_timer_starts_one_round_per_week(zhidu, clock):
    clock.advance(timedelta(days=14))
    started = rounds(zhidu, zhidu.start_due_schedules())
    assert len(started) == 2 == len(set(started))
    assert rounds(zhidu, zhidu.start_due_schedules()) == []
    clock.advance(timedelta(days=6))
    assert rounds(zhidu, zhidu.start_due_schedules()) == []
    clock.advance(timedelta(days=1))
    assert len(rounds(zhidu, zhidu.start_due_schedules())) == 1


def test_only_managers_and_the_director_start_a_meeting_by_hand(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start(KEY, "cs_staff1", {"meeting_department": "customer-service"})
    with pytest.raises(FormInvalid):
        zhidu.start(KEY, "director", {"meeting_department": "finance"})
    iid = start(zhidu, KEY, "director", {"meeting_department": "project-management"})
    assert open_tasks(zhidu, iid)[0].candidates == ("role:project-management-manager",)
