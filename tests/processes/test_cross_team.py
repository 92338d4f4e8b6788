"""Cross-department teams (R6.2) through the facade over SQLite: a manager or the director forms
a team with each department's duties; each department's manager accepts them (naming its
members) or asks for a change, which goes back to whoever formed the team and every department
answers again; while the team works, coordination meetings come due at the chosen interval
(tests/processes/test_cross_team_meetings.py) and issues go to the director; the lead closes the
team with a close-out that every department confirms, or the team goes back to work."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

KEY = "cross_team"
MANAGERS = {"marketing": "mk_manager", "customer-service": "cs_manager", "data-analysis": "da_manager",
            "project-management": "pm_manager"}
LEAD = "pm_staff1"
DUTIES = [{"department": "marketing", "duties": "策划会员拉新活动"},
          {"department": "data-analysis", "duties": "每周分析会员增长数据"}]
TEAM = {"team_name": "会员增长专项", "goal": "三个月内会员数增长 20%", "department_duties": DUTIES,
        "lead": LEAD, "planned_end": "2027-02-26", "meeting_cycle": "P14D"}
MEMBERS = {"marketing": ["mk_staff1", "mk_staff2"], "customer-service": ["cs_staff2"], "data-analysis": ["da_staff1"],
           "project-management": ["pm_staff1"]}
MEETING = {"meeting_date": "2026-12-11", "attendees": [LEAD, "mk_staff1", "da_staff1"], "progress": "活动方案已定稿",
           "issues": [], "decisions": "下周上线活动"}
CLOSE_OUT = {"goal_achieved": "achieved", "results": "会员数增长 23%", "lessons": "数据要每周同步"}


def department_task(zhidu, iid: str, element: str, department: str):
    """The open task of multi-instance `element` offered to `department`'s manager."""
    mine = [t for t in open_tasks(zhidu, iid)
            if t.name.removesuffix(" [child]") == element and t.candidates == (f"role:{department}-manager",)]
    assert len(mine) == 1, [(t.name, t.candidates) for t in open_tasks(zhidu, iid)]
    return mine[0]


def accept(zhidu, iid: str, department: str, decision: str = "accept", change: str = "") -> None:
    answer = ({"acceptance_decision": "accept", "members": MEMBERS[department]} if decision == "accept"
              else {"acceptance_decision": "change", "change_request": change})
    complete_as(zhidu, iid, "Task_Accept", MANAGERS[department], answer,
                task=department_task(zhidu, iid, "Task_Accept", department))


def confirm(zhidu, iid: str, department: str, confirmed: bool = True, comments: str = "") -> None:
    answer = {"closeout_confirmed": confirmed, **({"confirm_comments": comments} if comments else {})}
    complete_as(zhidu, iid, "Task_ConfirmCloseOut", MANAGERS[department], answer,
                task=department_task(zhidu, iid, "Task_ConfirmCloseOut", department))


def formed_team(zhidu, team: dict = TEAM) -> str:
    """A team every department of `team` accepted: it is at work, the lead's task open."""
    iid = start(zhidu, KEY, "mk_manager", team)
    for row in team["department_duties"]:
        accept(zhidu, iid, row["department"])
    assert active(zhidu, iid) == {"Task_TeamWork"}
    return iid


def test_diagram_is_complete():
    assert_diagram_complete("cross_team.bpmn")


def test_only_managers_and_the_director_form_a_team_of_two_or_more_departments(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start(KEY, "mk_staff1", TEAM)
    with pytest.raises(FormInvalid) as one:
        zhidu.start(KEY, "mk_manager", {**TEAM, "department_duties": DUTIES[:1]})
    assert [e.field for e in one.value.field_errors] == ["department_duties"]
    with pytest.raises(FormInvalid) as twice:
        zhidu.start(KEY, "mk_manager", {**TEAM, "department_duties": [DUTIES[0], {**DUTIES[1], "department": "marketing"}]})
    assert [e.field for e in twice.value.field_errors] == ["department_duties[1].department"]
    with pytest.raises(FormInvalid) as director_leads:   # the lead comes from a department
        zhidu.start(KEY, "mk_manager", {**TEAM, "lead": "director"})
    assert [e.field for e in director_leads.value.field_errors] == ["lead"]
    with pytest.raises(FormInvalid):
        zhidu.start(KEY, "mk_manager", {**TEAM, "meeting_cycle": "P3D"})
    iid = start(zhidu, KEY, "director", TEAM)
    assert sorted(t.candidates for t in open_tasks(zhidu, iid)) == [("role:data-analysis-manager",),
                                                                    ("role:marketing-manager",)]


def test_each_manager_accepts_their_own_departments_duties_and_names_its_members(zhidu):
    iid = start(zhidu, KEY, "mk_manager", TEAM)
    marketing = department_task(zhidu, iid, "Task_Accept", "marketing")
    assert marketing.subject == {"zh": "会员增长专项 — 市场运营部", "en": "会员增长专项 — Marketing Operations"}
    assert marketing.due_at == zhidu.clock.now() + timedelta(days=3)
    context = zhidu.task_context(marketing.id, "mk_manager")
    assert (context["department"], context["duties"]) == ("marketing", "策划会员拉新活动")
    assert zhidu.task_context(department_task(zhidu, iid, "Task_Accept", "data-analysis").id,
                              "da_manager")["duties"] == "每周分析会员增长数据"
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(marketing.id, "da_manager", {"acceptance_decision": "accept", "members": ["da_staff1"]})
    with pytest.raises(FormInvalid):   # accepting names the members
        zhidu.complete_task(marketing.id, "mk_manager", {"acceptance_decision": "accept"})
    with pytest.raises(FormInvalid):   # asking for a change says what
        zhidu.complete_task(marketing.id, "mk_manager", {"acceptance_decision": "change"})
    accept(zhidu, iid, "marketing")
    assert active(zhidu, iid) == {"Task_Accept"}
    accept(zhidu, iid, "data-analysis")
    [work] = open_tasks(zhidu, iid)
    assert (work.name, work.candidates) == ("Task_TeamWork", (f"user:{LEAD}",))
    result = data(zhidu, iid)
    assert result["acceptances"] == [
        {"department": "marketing", "acceptance_decision": "accept", "members": ["mk_staff1", "mk_staff2"],
         "change_request": ""},
        {"department": "data-analysis", "acceptance_decision": "accept", "members": ["da_staff1"], "change_request": ""}]
    assert (result["formed_on"], result["meeting_count"]) == ("2026-11-27", 0)


def test_a_change_request_goes_back_to_the_initiator_and_every_department_answers_again(zhidu):
    iid = start(zhidu, KEY, "mk_manager", TEAM)
    accept(zhidu, iid, "marketing")
    accept(zhidu, iid, "data-analysis", "change", "客服部也应参与,负责收集会员反馈")
    [revise] = open_tasks(zhidu, iid)
    assert (revise.name, revise.candidates) == ("Task_Revise", ("user:mk_manager",))
    assert [a["change_request"] for a in data(zhidu, iid)["acceptances"]] == ["", "客服部也应参与,负责收集会员反馈"]
    with pytest.raises(PermissionDenied):   # whoever formed the team revises it, not the lead
        zhidu.complete_task(revise.id, LEAD, {})
    revised = [*DUTIES, {"department": "customer-service", "duties": "收集会员反馈"}]
    with pytest.raises(FormInvalid):
        zhidu.complete_task(revise.id, "mk_manager", {"goal": TEAM["goal"], "department_duties": [*revised, DUTIES[0]],
                                                      "planned_end": "2027-03-31", "revision_note": "重复"})
    complete_as(zhidu, iid, "Task_Revise", "mk_manager", {
        "goal": TEAM["goal"], "department_duties": revised, "planned_end": "2027-03-31",
        "revision_note": "加入客服部,延期一个月"})
    assert sorted(t.candidates for t in open_tasks(zhidu, iid)) == [
        ("role:customer-service-manager",), ("role:data-analysis-manager",), ("role:marketing-manager",)]
    assert data(zhidu, iid)["departments"] == ["marketing", "data-analysis", "customer-service"]
    accept(zhidu, iid, "customer-service", "change", "反馈渠道需要市场部配合")   # a second round of changes
    accept(zhidu, iid, "marketing")
    accept(zhidu, iid, "data-analysis")
    complete_as(zhidu, iid, "Task_Revise", "mk_manager", {
        "goal": TEAM["goal"], "department_duties": [{**revised[0], "duties": "策划拉新活动并开放反馈渠道"}, *revised[1:]],
        "planned_end": "2027-03-31", "revision_note": "市场部开放反馈渠道"})
    for department in ("data-analysis", "customer-service", "marketing"):
        accept(zhidu, iid, department)
    assert active(zhidu, iid) == {"Task_TeamWork"}
    result = data(zhidu, iid)
    # the answers of the last round, in the order they came
    assert [(a["department"], a["acceptance_decision"], a["change_request"]) for a in result["acceptances"]] == [
        ("data-analysis", "accept", ""), ("customer-service", "accept", ""), ("marketing", "accept", "")]
    assert (result["planned_end"], result["revision_note"]) == ("2027-03-31", "市场部开放反馈渠道")


def test_an_issue_raised_at_a_meeting_goes_to_the_director_who_decides_it(zhidu, clock):
    iid = formed_team(zhidu)
    clock.advance(timedelta(days=14))
    zhidu.fire_due_timers()
    issues = [{"issue": "活动预算不足", "proposed_solution": "追加 5 万元", "needs_director": True},
              {"issue": "数据口径不一致", "needs_director": False}]
    complete_as(zhidu, iid, "Task_Meeting", LEAD, {**MEETING, "issues": issues})
    [decide] = open_tasks(zhidu, iid)
    assert (decide.name, decide.candidates, decide.excluded) == ("Task_DirectorDecision", ("role:director",), (LEAD,))
    assert decide.due_at == clock.now() + timedelta(days=3)
    assert data(zhidu, iid)["escalated_issues"] == [issues[0]]
    assert zhidu.task_context(decide.id, "director")["escalated_issues"] == [issues[0]]
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(decide.id, "mk_manager", {"director_decision": "同意", "follow_up_by": "2026-12-18"})
    complete_as(zhidu, iid, "Task_DirectorDecision", "director",
                {"director_decision": "追加预算 5 万元", "follow_up_by": "2026-12-18"})
    assert active(zhidu, iid) == {"Task_TeamWork"}
    assert (data(zhidu, iid)["director_decision"], data(zhidu, iid)["meeting_count"]) == ("追加预算 5 万元", 1)


def test_nobody_decides_an_issue_they_raised_so_the_director_records_no_meeting(zhidu, clock):
    iid = formed_team(zhidu)
    zhidu.record_absence(LEAD, "2026-12-10", "2026-12-31", "director")
    clock.advance(timedelta(days=14))
    zhidu.fire_due_timers()
    [meeting] = open_tasks(zhidu, iid)
    assert meeting.name == "Task_Meeting" and meeting.excluded == ("director",)
    assert meeting.id not in {t.id for t in zhidu.inbox_page("director", process_key=KEY).tasks}
    with pytest.raises(PermissionDenied):
        zhidu.claim(meeting.id, "director")
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(meeting.id, "director", {**MEETING, "issues": [{"issue": "人手不足", "needs_director": True}]})
    # the lead's stand-in at the meeting raises an issue; the director decides it, the stand-in may not
    zhidu.end_absence(zhidu.absences(LEAD).mine[0].id, LEAD)
    zhidu.record_absence(LEAD, "2026-12-11", "2026-12-31", "mk_manager")
    assert meeting.id in {t.id for t in zhidu.inbox_page("mk_manager", process_key=KEY).tasks}
    zhidu.complete_task(meeting.id, "mk_manager", {**MEETING, "issues": [{"issue": "人手不足", "needs_director": True}]})
    [decide] = open_tasks(zhidu, iid)
    assert decide.name == "Task_DirectorDecision" and "mk_manager" in decide.excluded
    complete_as(zhidu, iid, "Task_DirectorDecision", "director", {"director_decision": "增派人手", "follow_up_by": "2026-12-18"})
    assert active(zhidu, iid) == {"Task_TeamWork"}


def test_the_close_out_is_confirmed_by_every_department_or_the_team_goes_back_to_work(zhidu, clock):
    iid = formed_team(zhidu)
    complete_as(zhidu, iid, "Task_TeamWork", LEAD, {"close_reason": "goal_met"})
    [close_out] = open_tasks(zhidu, iid)
    assert (close_out.name, close_out.candidates) == ("Task_CloseOut", (f"user:{LEAD}",))
    assert close_out.due_at == clock.now() + timedelta(days=7)
    complete_as(zhidu, iid, "Task_CloseOut", LEAD, {**CLOSE_OUT, "goal_achieved": "partly"})
    assert sorted(t.candidates for t in open_tasks(zhidu, iid)) == [("role:data-analysis-manager",),
                                                                    ("role:marketing-manager",)]
    marketing = department_task(zhidu, iid, "Task_ConfirmCloseOut", "marketing")
    assert zhidu.task_context(marketing.id, "mk_manager")["duties"] == "策划会员拉新活动"
    with pytest.raises(FormInvalid):   # not confirming says why
        zhidu.complete_task(marketing.id, "mk_manager", {"closeout_confirmed": False})
    confirm(zhidu, iid, "marketing", False, "活动尚未复盘")
    confirm(zhidu, iid, "data-analysis")
    # back to work: the lead closes again and meetings come due again
    assert active(zhidu, iid) == {"Task_TeamWork"}
    assert [c["confirm_comments"] for c in data(zhidu, iid)["confirmations"]] == ["活动尚未复盘", ""]
    clock.advance(timedelta(days=14))
    zhidu.fire_due_timers()
    complete_as(zhidu, iid, "Task_Meeting", LEAD, {**MEETING, "decisions": "完成活动复盘"})
    complete_as(zhidu, iid, "Task_TeamWork", LEAD, {"close_reason": "planned_end"})
    complete_as(zhidu, iid, "Task_CloseOut", LEAD, CLOSE_OUT)
    confirm(zhidu, iid, "data-analysis")
    confirm(zhidu, iid, "marketing")
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert [(c["department"], c["closeout_confirmed"], c["confirm_comments"]) for c in result["confirmations"]] == [
        ("data-analysis", True, ""), ("marketing", True, "")]
    assert {k: result[k] for k in ("close_reason", "goal_achieved", "results", "lessons", "meeting_count", "closed_on")} \
        == {**CLOSE_OUT, "close_reason": "planned_end", "meeting_count": 1, "closed_on": "2026-12-11"}
    assert [a["members"] for a in result["acceptances"]] == [MEMBERS["marketing"], MEMBERS["data-analysis"]]


def test_survives_a_new_process_for_every_command(zhidu, clock):
    engine = NewProcessEachCommand(zhidu)
    test_a_change_request_goes_back_to_the_initiator_and_every_department_answers_again(engine)
    test_an_issue_raised_at_a_meeting_goes_to_the_director_who_decides_it(engine, clock)
