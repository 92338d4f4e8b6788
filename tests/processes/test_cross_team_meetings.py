"""Cross-department teams (R6.2(2)): while the team works, a coordination meeting comes due at
the interval chosen when it was formed, counted from its forming or its last meeting; the lead's
task is due at the planned end (the reminder), in the organisation's days; and the meeting loop
keeps the live state flat however long the team lives (DESIGN.md decision 4)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.clock import FixedClock
from tests.conftest import make_zhidu
from tests.processes.helpers import active, complete_as, data, open_tasks
from tests.processes.test_cross_team import LEAD, MEETING, TEAM, formed_team

SHANGHAI = ZoneInfo("Asia/Shanghai")


def hold_meeting(zhidu, iid: str, decisions: str = "按计划推进") -> None:
    complete_as(zhidu, iid, "Task_Meeting", LEAD, {**MEETING, "decisions": decisions})


def fired(zhidu, iid: str) -> bool:
    return any(f.instance_id == iid for f in zhidu.fire_due_timers())


def stored_state(zhidu, iid: str) -> dict:
    with zhidu.uow_factory() as uow:
        return uow.instances.get(iid).state


@pytest.mark.parametrize(("cycle", "days"), [("P7D", 7), ("P14D", 14), ("P1M", 30)])  # a month from 27 November
def test_a_meeting_comes_due_at_the_chosen_interval(zhidu, clock, cycle, days):
    iid = formed_team(zhidu, {**TEAM, "meeting_cycle": cycle})
    clock.advance(timedelta(days=days) - timedelta(minutes=1))
    assert not fired(zhidu, iid)
    assert active(zhidu, iid) == {"Task_TeamWork"}
    clock.advance(timedelta(minutes=1))
    assert fired(zhidu, iid)
    [meeting] = open_tasks(zhidu, iid)
    assert (meeting.name, meeting.candidates) == ("Task_Meeting", (f"user:{LEAD}",))
    assert meeting.due_at == clock.now() + timedelta(days=3)


def test_several_meetings_each_counted_and_none_piles_up_while_one_is_open(zhidu, clock):
    iid = formed_team(zhidu)
    due = open_tasks(zhidu, iid)[0].due_at
    for number in (1, 2, 3):
        clock.advance(timedelta(days=14))
        assert fired(zhidu, iid)
        assert active(zhidu, iid) == {"Task_Meeting"}
        if number == 2:   # recorded late: no second meeting meanwhile, and the next counts from now
            clock.advance(timedelta(days=20))
            assert not fired(zhidu, iid)
            assert len(open_tasks(zhidu, iid)) == 1
        hold_meeting(zhidu, iid, f"第 {number} 次会议决定")
        [work] = open_tasks(zhidu, iid)
        assert (work.name, work.due_at) == ("Task_TeamWork", due)   # back at work, still due at the planned end
        assert (data(zhidu, iid)["meeting_count"], data(zhidu, iid)["decisions"]) == (number, f"第 {number} 次会议决定")
    decisions = [e.payload["data"]["decisions"] for e in zhidu.history(iid)
                 if e.kind == "completed" and e.payload.get("element") == "Task_Meeting"]
    assert decisions == ["第 1 次会议决定", "第 2 次会议决定", "第 3 次会议决定"]   # each meeting's record is kept


def test_the_lead_who_took_up_the_work_is_reminded_at_the_planned_end(zhidu, clock):
    iid = formed_team(zhidu, {**TEAM, "planned_end": "2026-12-05", "meeting_cycle": "P1M"})
    [work] = open_tasks(zhidu, iid)
    zhidu.claim(work.id, LEAD)
    clock.set(work.due_at - timedelta(seconds=1))
    assert zhidu.notify_overdue() == 0
    clock.advance(timedelta(seconds=1))
    assert zhidu.notify_overdue() == 1
    assert [n.task_id for n in zhidu.notifications(LEAD).entries if n.kind == "task_overdue"] == [work.id]


@pytest.mark.parametrize(("formed_at", "formed_on"), [
    (datetime(2026, 11, 27, 20, tzinfo=timezone.utc), "2026-11-28"),   # already the 28th in Shanghai
    (datetime(2026, 11, 27, 3, tzinfo=timezone.utc), "2026-11-27"),
])
def test_the_team_days_are_the_organisations(sqlite_url, formed_at, formed_on):
    clock = FixedClock(formed_at, SHANGHAI)
    zhidu = make_zhidu(sqlite_url, clock)
    iid = formed_team(zhidu)
    assert data(zhidu, iid)["formed_on"] == formed_on
    [work] = open_tasks(zhidu, iid)
    assert work.due_at == datetime.combine(date(2027, 2, 26), datetime.max.time(), SHANGHAI).astimezone(timezone.utc)
    complete_as(zhidu, iid, "Task_TeamWork", LEAD, {"close_reason": "goal_met"})
    complete_as(zhidu, iid, "Task_CloseOut", LEAD, {"goal_achieved": "achieved", "results": "完成", "lessons": "无"})
    for department, manager in (("marketing", "mk_manager"), ("data-analysis", "da_manager")):
        [task] = [t for t in open_tasks(zhidu, iid) if t.candidates == (f"role:{department}-manager",)]
        complete_as(zhidu, iid, "Task_ConfirmCloseOut", manager, {"closeout_confirmed": True}, task=task)
    assert data(zhidu, iid)["closed_on"] == formed_on


def test_a_long_lived_team_keeps_its_live_state_flat(zhidu, clock):
    iid = formed_team(zhidu, {**TEAM, "meeting_cycle": "P7D"})
    sizes = []
    for number in range(1, 41):
        clock.advance(timedelta(days=7))
        assert fired(zhidu, iid)
        hold_meeting(zhidu, iid)
        state = stored_state(zhidu, iid)
        sizes.append((len(json.dumps(state)), len(state["tasks"]), len(state.get("subprocesses", {}))))
    assert data(zhidu, iid)["meeting_count"] == 40
    (size_5, tasks_5, subs_5), (size_40, tasks_40, subs_40) = sizes[4], sizes[-1]
    assert tasks_40 == tasks_5 and subs_40 == subs_5 == 0
    assert size_40 < size_5 * 1.05, sizes
