"""Awards rounds (R4.2.1) through the facade over SQLite: a quarterly timer start event (or the
director, by hand) opens a round; each department's staff and manager nominate colleagues for
the outstanding employee, innovation or teamwork award (a parallel multi-instance per
department, which may nominate nobody); each nomination is reviewed by a manager of another
department than the nominee's, never by the nominee, the nominating department or the director
(notBy); the director decides each nomination, never their own; marketing announces the winners
and the round's outcome is recorded, also when nobody was nominated or nobody won."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.clock import FixedClock
from engine.errors import FormInvalid, PermissionDenied
from tests.conftest import make_zhidu
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, open_tasks, start, status,
)

KEY = "award_round"
DEPARTMENTS = ["marketing", "customer-service", "data-analysis", "project-management"]
MANAGERS = {"marketing": "mk_manager", "customer-service": "cs_manager", "data-analysis": "da_manager",
            "project-management": "pm_manager"}
STAFF = {"marketing": ["mk_staff1", "mk_staff2"], "customer-service": ["cs_staff1", "cs_staff2"],
         "data-analysis": ["da_staff1", "da_staff2"], "project-management": ["pm_staff1", "pm_staff2"]}
ROUND = {"round_label": "2026-Q4", "nomination_deadline": "2026-12-11"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


def row(nominee: str, award_kind: str) -> dict:
    return {"nominee": nominee, "award_kind": award_kind, "reasons": f"{nominee} 本季度表现突出"}


def tasks_of(zhidu, iid: str, element: str) -> list:
    return [t for t in open_tasks(zhidu, iid) if t.name.removesuffix(" [child]") == element]


def nominate(zhidu, iid: str, department: str, rows: list[dict], user: str | None = None) -> None:
    """The department's nomination task, offered to its staff and manager, completed by `user`."""
    [task] = [t for t in tasks_of(zhidu, iid, "Task_Nominate")
              if t.candidates == (f"role:{department}-staff", f"role:{department}-manager")]
    complete_as(zhidu, iid, "Task_Nominate", user or STAFF[department][0],
                {"nomination_rows": rows} if rows else {}, task=task)


def item_task(zhidu, iid: str, element: str, nominee: str):
    """The open task of a multi-instance step over the nominations that is about `nominee`."""
    found = [t for t in tasks_of(zhidu, iid, element)
             if _about(zhidu, t)["nominee"] == nominee]
    assert len(found) == 1, [(t.name, t.subject) for t in tasks_of(zhidu, iid, element)]
    return found[0]


def _about(zhidu, task) -> dict:
    context = zhidu.task_context(task.id, "director")
    return context.get("nomination") or context["to_decide"]


def inbox_holders(zhidu, task, users) -> list[str]:
    return [u for u in users if any(t.id == task.id for t in zhidu.tasks_for(u))]


def inbox_with_substitutions(zhidu, user: str) -> set[str]:
    """The ids in `user`'s inbox page, which holds the tasks of those they stand in for too."""
    return {t.id for t in zhidu.inbox_page(user, process_key=KEY).tasks}


def review(score: int, recommended: bool = True) -> dict:
    return {"review_score": score, "review_recommended": recommended, "review_comment": f"评分 {score}"}


def open_round_with_nominations(zhidu) -> str:
    """Marketing nominates one of customer service and one of its own, customer service one of
    its own, data analysis nobody, project management its manager."""
    iid = start(zhidu, KEY, "director", ROUND)
    nominate(zhidu, iid, "marketing", [row("cs_staff1", "teamwork"), row("mk_staff2", "innovation")], "mk_manager")
    nominate(zhidu, iid, "customer-service", [row("cs_staff2", "outstanding")], "cs_staff1")
    nominate(zhidu, iid, "data-analysis", [], "da_manager")
    nominate(zhidu, iid, "project-management", [row("pm_manager", "outstanding")], "pm_staff1")
    return iid


def review_all(zhidu, iid: str) -> None:
    reviewers = {"cs_staff1": "da_manager", "mk_staff2": "cs_manager", "cs_staff2": "pm_manager",
                 "pm_manager": "mk_manager"}
    for nominee, reviewer in reviewers.items():
        complete_as(zhidu, iid, "Task_Review", reviewer, review(4 if nominee.startswith("cs") else 3),
                    task=item_task(zhidu, iid, "Task_Review", nominee))


def rounds(zhidu, ids):
    return [i for i in ids if zhidu.show(i).process_key == KEY]


def test_diagram_is_complete():
    assert_diagram_complete("award_round.bpmn")


def test_a_round_without_nominations_closes_with_a_record_that_no_award_was_given(zhidu):
    engine = NewProcessEachCommand(zhidu)
    iid = start(engine, KEY, "director", ROUND)
    nominations = tasks_of(engine, iid, "Task_Nominate")
    assert sorted(t.candidates for t in nominations) == sorted(
        (f"role:{d}-staff", f"role:{d}-manager") for d in DEPARTMENTS)
    assert {t.due_at for t in nominations} == {datetime(2026, 12, 11, 23, 59, 59, 999999, tzinfo=timezone.utc)}
    marketing = next(t for t in nominations if t.candidates[0] == "role:marketing-staff")
    with pytest.raises(PermissionDenied):
        engine.complete_task(marketing.id, "cs_staff1", {})
    for nobody in ("director", "admin"):  # the director confers the awards; others are not employees of a department
        with pytest.raises(FormInvalid):
            engine.complete_task(marketing.id, "mk_staff1", {"nomination_rows": [row(nobody, "innovation")]})
    with pytest.raises(FormInvalid):
        engine.complete_task(marketing.id, "mk_staff1", {"nomination_rows": [row("mk_staff2", "best-seller")]})
    for department in DEPARTMENTS:
        nominate(engine, iid, department, [], MANAGERS[department] if department == "data-analysis" else None)
    assert status(engine, iid) == "completed"
    result = data(engine, iid)
    assert (result["nominations"], result["winners"]) == ([], [])
    assert (result["award_outcome"], result["recorded_on"]) == ("none-nominated", "2026-11-27")
    assert "nominations_by_department" not in result
    assert {"Task_Review", "Task_Decide", "Task_Announce"}.isdisjoint(zhidu.diagram(iid).completed)


def test_nominations_of_several_departments_go_to_managers_of_other_departments(zhidu):
    iid = open_round_with_nominations(zhidu)
    nominations = data(zhidu, iid)["nominations"]
    assert [(n["nominee"], n["award_kind"], n["nominating_department"], n["nominee_departments"]) for n in nominations] == [
        ("cs_staff1", "teamwork", "marketing", ["customer-service"]),
        ("mk_staff2", "innovation", "marketing", ["marketing"]),
        ("cs_staff2", "outstanding", "customer-service", ["customer-service"]),
        ("pm_manager", "outstanding", "project-management", ["project-management"])]
    assert nominations[0]["not_reviewers"] == ["cs_staff1", "director", "mk_manager", "mk_staff1", "mk_staff2"]
    reviews = tasks_of(zhidu, iid, "Task_Review")
    assert len(reviews) == 4 and {t.due_at for t in reviews} == {datetime(2026, 12, 4, 9, tzinfo=timezone.utc)}
    # neither the nominee's department's manager nor the nominating department's is offered the review
    expected = {"cs_staff1": ("data-analysis", "project-management"),
                "mk_staff2": ("customer-service", "data-analysis", "project-management"),
                "cs_staff2": ("marketing", "data-analysis", "project-management"),
                "pm_manager": ("marketing", "customer-service", "data-analysis")}
    for nominee, departments in expected.items():
        task = item_task(zhidu, iid, "Task_Review", nominee)
        assert task.candidates == tuple(f"role:{d}-manager" for d in departments)
    assert inbox_holders(zhidu, item_task(zhidu, iid, "Task_Review", "cs_staff1"), MANAGERS.values()) == \
        ["da_manager", "pm_manager"]
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(item_task(zhidu, iid, "Task_Review", "cs_staff2").id, "cs_manager", review(5))
    with pytest.raises(FormInvalid):
        zhidu.complete_task(item_task(zhidu, iid, "Task_Review", "cs_staff2").id, "pm_manager", review(6))


def test_the_director_decides_each_nomination_and_marketing_announces_the_winners(zhidu):
    iid = open_round_with_nominations(zhidu)
    review_all(zhidu, iid)
    decisions = tasks_of(zhidu, iid, "Task_Decide")
    assert len(decisions) == 4 and all(t.candidates == ("role:director",) for t in decisions)
    with pytest.raises(FormInvalid):  # an award needs its reward
        zhidu.complete_task(item_task(zhidu, iid, "Task_Decide", "cs_staff1").id, "director", {"awarded": True})
    complete_as(zhidu, iid, "Task_Decide", "director", {"awarded": True, "reward": "证书和奖金 1000 元"},
                task=item_task(zhidu, iid, "Task_Decide", "cs_staff1"))
    complete_as(zhidu, iid, "Task_Decide", "director", {"awarded": False, "decision_note": "下期再评"},
                task=item_task(zhidu, iid, "Task_Decide", "mk_staff2"))
    complete_as(zhidu, iid, "Task_Decide", "director", {"awarded": True, "reward": "证书"},
                task=item_task(zhidu, iid, "Task_Decide", "cs_staff2"))
    complete_as(zhidu, iid, "Task_Decide", "director", {"awarded": False},
                task=item_task(zhidu, iid, "Task_Decide", "pm_manager"))
    assert active(zhidu, iid) == {"Task_Announce"}
    [announce] = tasks_of(zhidu, iid, "Task_Announce")
    assert announce.candidates == ("role:marketing-staff", "role:marketing-manager")
    assert data(zhidu, iid)["winners"] == [
        {"award_kind": "outstanding", "nominee": "cs_staff2", "reward": "证书"},
        {"award_kind": "teamwork", "nominee": "cs_staff1", "reward": "证书和奖金 1000 元"}]
    complete_as(zhidu, iid, "Task_Announce", "mk_staff1", {
        "announcement": "祝贺赵磊获优秀员工奖、杨丽获团队协作奖", "announced_on": "2026-12-20",
        "announcement_channel": "all-hands"})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert (result["award_outcome"], result["recorded_on"]) == ("awarded", "2026-11-27")
    assert [(n["nominee"], n["review_score"], n["awarded"], n["reward"]) for n in result["nominations"]] == [
        ("cs_staff1", 4, True, "证书和奖金 1000 元"), ("mk_staff2", 3, False, ""),
        ("cs_staff2", 4, True, "证书"), ("pm_manager", 3, False, "")]
    assert result["nominations"][1]["decision_note"] == "下期再评"


def test_the_nominee_the_nominating_department_and_the_director_never_review(zhidu):
    iid = open_round_with_nominations(zhidu)
    # marketing nominated cs_staff1: marketing's manager is not offered the review
    teamwork = item_task(zhidu, iid, "Task_Review", "cs_staff1")
    assert teamwork.excluded == ("cs_staff1", "director", "mk_manager", "mk_staff1", "mk_staff2")
    for nominator in ("mk_manager", "mk_staff1"):
        with pytest.raises(PermissionDenied):
            zhidu.claim(teamwork.id, nominator)
    # the director decides, so does not also review (though a manager of every department)
    with pytest.raises(PermissionDenied):
        zhidu.claim(teamwork.id, "director")
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(teamwork.id, "director", review(5))
    # standing in for an absent reviewer, neither the nominating department nor the nominee may
    # review the nomination ...
    zhidu.record_absence("da_manager", "2026-11-27", "2026-12-31", "mk_staff1")
    zhidu.record_absence("pm_manager", "2026-11-27", "2026-12-31", "cs_staff1")
    for substitute in ("mk_staff1", "cs_staff1"):
        assert teamwork.id not in inbox_with_substitutions(zhidu, substitute)
        with pytest.raises(PermissionDenied):
            zhidu.claim(teamwork.id, substitute)
        with pytest.raises(PermissionDenied):
            zhidu.complete_task(teamwork.id, substitute, review(5))
    # ... but they do the absent managers' reviews of other nominations
    by_pm = item_task(zhidu, iid, "Task_Review", "pm_manager")
    by_mk = item_task(zhidu, iid, "Task_Review", "mk_staff2")
    assert by_pm.id in inbox_with_substitutions(zhidu, "mk_staff1")
    assert by_mk.id in inbox_with_substitutions(zhidu, "cs_staff1")
    zhidu.complete_task(by_pm.id, "mk_staff1", review(2, recommended=False))
    zhidu.complete_task(by_mk.id, "cs_staff1", review(3))
    complete_as(zhidu, iid, "Task_Review", "da_manager", review(5), task=teamwork)
    complete_as(zhidu, iid, "Task_Review", "mk_manager", review(3), task=item_task(zhidu, iid, "Task_Review", "cs_staff2"))
    assert active(zhidu, iid) == {"Task_Decide"}
    assert [(n["review_score"], n["review_recommended"]) for n in data(zhidu, iid)["nominations"]] == [
        (5, True), (3, True), (3, True), (2, False)]


def test_the_nominee_never_decides_their_own_nomination(zhidu):
    iid = open_round_with_nominations(zhidu)
    review_all(zhidu, iid)
    zhidu.record_absence("director", "2026-11-27", "2026-12-31", "pm_manager")
    own = item_task(zhidu, iid, "Task_Decide", "pm_manager")
    assert own.excluded == ("pm_manager",)
    assert own.id not in inbox_with_substitutions(zhidu, "pm_manager")
    assert len(inbox_with_substitutions(zhidu, "pm_manager")) == 3
    with pytest.raises(PermissionDenied):
        zhidu.claim(own.id, "pm_manager")
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(own.id, "pm_manager", {"awarded": True, "reward": "奖金"})
    # standing in for the director, he decides the others' nominations
    for nominee in ("cs_staff1", "mk_staff2", "cs_staff2"):
        zhidu.complete_task(item_task(zhidu, iid, "Task_Decide", nominee).id, "pm_manager", {"awarded": False})
    complete_as(zhidu, iid, "Task_Decide", "director", {"awarded": False}, task=own)
    assert status(zhidu, iid) == "completed"


def test_the_director_gives_no_award_and_the_round_records_it(zhidu):
    iid = start(zhidu, KEY, "director", {**ROUND, "round_label": "2026", "round_note": "年度评选"})
    nominate(zhidu, iid, "data-analysis", [row("da_staff2", "innovation")])
    for department in ("marketing", "customer-service", "project-management"):
        nominate(zhidu, iid, department, [])
    [only] = tasks_of(zhidu, iid, "Task_Review")
    assert only.candidates == ("role:marketing-manager", "role:customer-service-manager",
                               "role:project-management-manager")
    assert only.excluded == ("da_manager", "da_staff1", "da_staff2", "director")
    complete_as(zhidu, iid, "Task_Review", "cs_manager", review(2, recommended=False), task=only)
    complete_as(zhidu, iid, "Task_Decide", "director", {"awarded": False, "decision_note": "创新成果尚未落地"})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert (result["winners"], result["award_outcome"]) == ([], "none-awarded")
    assert result["nominations"][0]["awarded"] is False
    assert "Task_Announce" not in zhidu.diagram(iid).completed


def test_reviews_still_open_after_ten_days_are_chased_by_the_director(zhidu, clock):
    iid = open_round_with_nominations(zhidu)
    clock.advance(timedelta(days=9, hours=23))
    assert iid not in {f.instance_id for f in zhidu.fire_due_timers()}
    assert active(zhidu, iid) == {"Task_Review"}
    complete_as(zhidu, iid, "Task_Review", "da_manager", review(4), task=item_task(zhidu, iid, "Task_Review", "cs_staff1"))
    clock.advance(timedelta(hours=1))
    assert iid in {f.instance_id for f in zhidu.fire_due_timers()}
    assert active(zhidu, iid) == {"Task_Review", "Task_ChaseReviews"}
    [chase] = tasks_of(zhidu, iid, "Task_ChaseReviews")
    assert chase.candidates == ("role:director",)
    complete_as(zhidu, iid, "Task_ChaseReviews", "director", {"chase_note": "已提醒各位经理两天内完成"})
    assert len(tasks_of(zhidu, iid, "Task_Review")) == 3
    for nominee, reviewer in {"mk_staff2": "cs_manager", "cs_staff2": "pm_manager", "pm_manager": "mk_manager"}.items():
        complete_as(zhidu, iid, "Task_Review", reviewer, review(3), task=item_task(zhidu, iid, "Task_Review", nominee))
    for decision in tasks_of(zhidu, iid, "Task_Decide"):
        complete_as(zhidu, iid, "Task_Decide", "director", {"awarded": False}, task=decision)
    assert status(zhidu, iid) == "completed"
    assert data(zhidu, iid)["chase_note"] == "已提醒各位经理两天内完成"


def test_the_timer_opens_a_round_each_quarter_for_the_quarter_just_ended(zhidu, clock):
    assert rounds(zhidu, zhidu.start_due_schedules()) == []
    clock.advance(timedelta(days=91))
    assert rounds(zhidu, zhidu.start_due_schedules()) == []
    clock.advance(timedelta(days=1))  # 2027-02-27, three months after deployment
    [first] = rounds(zhidu, zhidu.start_due_schedules())
    assert zhidu.show(first).started_by is None
    assert {k: data(zhidu, first)[k] for k in ROUND} == {"round_label": "2026-Q4", "nomination_deadline": "2027-03-13"}
    nominations = tasks_of(zhidu, first, "Task_Nominate")
    assert len(nominations) == 4
    assert {t.due_at for t in nominations} == {datetime(2027, 3, 13, 23, 59, 59, 999999, tzinfo=timezone.utc)}
    nominate(zhidu, first, "customer-service", [row("cs_staff1", "outstanding")])
    for department in ("marketing", "data-analysis", "project-management"):
        nominate(zhidu, first, department, [])
    assert active(zhidu, first) == {"Task_Review"}
    clock.advance(timedelta(days=89))  # 2027-05-27
    [second] = rounds(zhidu, zhidu.start_due_schedules())
    assert data(zhidu, second)["round_label"] == "2027-Q1"
    assert rounds(zhidu, zhidu.start_due_schedules()) == []


def test_only_the_director_opens_a_round_by_hand(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start(KEY, "mk_manager", ROUND)
    for wrong in ({**ROUND, "round_label": "2026-Q5"}, {"round_label": "2026-Q4"}):
        with pytest.raises(FormInvalid):
            zhidu.start(KEY, "director", wrong)


@pytest.mark.parametrize(("deployed", "label", "deadline"), [
    # 20:00 UTC on 31 March is already 1 April in Shanghai: the first quarter has ended
    (datetime(2026, 12, 31, 20, tzinfo=timezone.utc), "2027-Q1", date(2027, 4, 15)),
    # 03:00 UTC is 11:00 the same day there: still the first quarter
    (datetime(2026, 12, 31, 3, tzinfo=timezone.utc), "2026-Q4", date(2027, 4, 14)),
])
def test_the_quarter_and_deadline_of_a_timer_round_are_the_organisations_days(sqlite_url, deployed, label, deadline):
    clock = FixedClock(deployed, SHANGHAI)
    zhidu = make_zhidu(sqlite_url, clock)
    clock.advance(timedelta(days=90))  # to 31 March, the same hour
    [iid] = rounds(zhidu, zhidu.start_due_schedules())
    assert (data(zhidu, iid)["round_label"], data(zhidu, iid)["nomination_deadline"]) == (label, deadline.isoformat())
    due = {t.due_at for t in tasks_of(zhidu, iid, "Task_Nominate")}
    assert due == {datetime.combine(deadline, datetime.max.time(), SHANGHAI).astimezone(timezone.utc)}
    assert {v.status for v in zhidu.verify_all()} == {"ok"}
