"""Substitutes against the in-memory fakes under a fixed clock: while an absence lasts the
substitute is offered and may finish the absent person's work, the inbox says for whom, each
command done through the substitution is journaled with `on_behalf_of`; bad absences are refused
field by field; the days are local days of the organisation's zone."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.errors import FormInvalid, NotFound, PermissionDenied, TaskAlreadyClaimed
from engine.runtime import Engine
from engine.definitions.bundles import load_catalog
from tests.conftest import FORMS, PROCESSES, T0, organisation
from tests.engine.fakes import FakeUnitOfWork
from tests.engine.test_runtime import INTAKE, only_task

RECORD = {"details": "细节", "customer_calmed": True}
SHANGHAI = ZoneInfo("Asia/Shanghai")  # T0, 2026-11-27 09:00 UTC, is 17:00 there


@pytest.fixture
def zhidu(store, clock) -> Engine:
    clock.zone = SHANGHAI
    engine = Engine(lambda: FakeUnitOfWork(store), clock)
    engine.deploy(load_catalog(PROCESSES, FORMS), actor="tests")
    engine.load_organisation(organisation())
    return engine


@pytest.fixture
def task(zhidu):
    return only_task(zhidu, zhidu.start("complaint_handling", "cs_staff2", INTAKE).id)


def away(zhidu, first="2026-11-27", last="2026-11-30", who="cs_staff1", substitute="mk_staff1", actor=None):
    return zhidu.record_absence(who, first, last, substitute, actor or who)


def entries(store, instance_id, kind):
    return [e for e in store.journal if e.instance_id == instance_id and e.kind == kind]


def test_the_substitute_is_offered_the_absent_persons_tasks_and_completes_one_on_their_behalf(zhidu, task, store):
    assert zhidu.inbox_page("mk_staff1").tasks == ()
    absence = away(zhidu)
    assert (absence.status, absence.starts_on, absence.ends_on) == ("current", date(2026, 11, 27), date(2026, 11, 30))
    page = zhidu.inbox_page("mk_staff1")
    assert [t.id for t in page.tasks] == [task.id] and page.on_behalf_of == {task.id: "cs_staff1"}
    assert zhidu.inbox_count("mk_staff1") == 1
    zhidu.complete_task(task.id, "mk_staff1", RECORD)
    done = entries(store, task.instance_id, "completed")[-1]
    assert (done.actor, done.payload["on_behalf_of"]) == ("mk_staff1", "cs_staff1")
    assert zhidu.verify(task.instance_id).status == "ok"


def test_a_task_the_absent_person_holds_shows_in_the_substitutes_inbox_and_they_may_finish_it(zhidu, task, store):
    zhidu.claim(task.id, "cs_staff1")
    away(zhidu)
    page = zhidu.inbox_page("mk_staff1")
    assert page.on_behalf_of == {task.id: "cs_staff1"}
    assert "complete" in zhidu.task_sheet(task.id, "mk_staff1").task.actions
    with pytest.raises(TaskAlreadyClaimed):
        zhidu.complete_task(task.id, "cs_staff2", RECORD)  # a colleague, no substitute: someone else's task
    zhidu.complete_task(task.id, "mk_staff1", RECORD)
    assert entries(store, task.instance_id, "completed")[-1].payload["on_behalf_of"] == "cs_staff1"
    assert zhidu.verify(task.instance_id).status == "ok"


def test_claim_and_release_through_a_substitution_say_for_whom_and_own_work_does_not(zhidu, task, store, clock):
    away(zhidu, substitute="cs_staff2")  # a colleague with the same role acts for themselves
    zhidu.claim(task.id, "cs_staff2")
    assert "on_behalf_of" not in entries(store, task.instance_id, "claimed")[-1].payload
    zhidu.release(task.id, "cs_staff2")
    zhidu.claim(task.id, "cs_staff1")
    zhidu.end_absence(zhidu.absences("cs_staff1").mine[0].id, "cs_staff1")
    away(zhidu, first="2026-12-01", last="2026-12-02")
    clock.advance(timedelta(days=4))  # 2026-12-01 17:00 in Shanghai
    zhidu.release(task.id, "mk_staff1")  # gives back what the absent person held
    zhidu.claim(task.id, "mk_staff1")
    claims = [(e.actor, e.payload.get("on_behalf_of")) for e in entries(store, task.instance_id, "claimed")]
    assert claims == [("cs_staff2", None), ("cs_staff1", None), ("mk_staff1", "cs_staff1")]
    released = [(e.actor, e.payload.get("on_behalf_of")) for e in entries(store, task.instance_id, "released")]
    assert released == [("cs_staff2", None), ("mk_staff1", "cs_staff1")]
    assert zhidu.verify(task.instance_id).status == "ok"


def test_the_substitution_holds_only_on_the_local_days_of_the_absence(zhidu, task, clock):
    away(zhidu, first="2026-11-28", last="2026-11-28")
    with pytest.raises(PermissionDenied):
        zhidu.claim(task.id, "mk_staff1")
    clock.set(T0 + timedelta(hours=7))  # 2026-11-28 00:00 in Shanghai: the day begins
    assert zhidu.inbox_page("mk_staff1").on_behalf_of == {task.id: "cs_staff1"}
    clock.set(T0 + timedelta(hours=31))  # 2026-11-29 00:00 in Shanghai: it is over
    assert zhidu.inbox_page("mk_staff1").tasks == ()
    with pytest.raises(PermissionDenied):
        zhidu.claim(task.id, "mk_staff1")


def test_ending_an_absence_stops_the_substitution_at_once(zhidu, task, clock):
    absence = away(zhidu)
    clock.advance(timedelta(hours=1))
    ended = zhidu.end_absence(absence.id, "cs_staff1")
    assert (ended.status, ended.ended_at) == ("over", clock.now())
    assert zhidu.inbox_page("mk_staff1").tasks == ()
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(task.id, "mk_staff1", RECORD)
    with pytest.raises(NotFound):
        zhidu.end_absence("no-such-absence", "cs_staff1")


@pytest.mark.parametrize("first, last, substitute, field, code", [
    ("2026-11-27", "2026-11-30", "cs_staff1", "substitute", "absence_substitute_self"),
    ("2026-11-27", "2026-11-30", "nobody", "substitute", "absence_substitute_unknown"),
    ("2026-11-27", "2026-11-30", "", "substitute", "absence_substitute_required"),
    ("2026-11-30", "2026-11-27", "mk_staff1", "ends_on", "absence_order"),
    ("2026-11-20", "2026-11-26", "mk_staff1", "ends_on", "absence_past"),
    ("27/11/2026", "2026-11-30", "mk_staff1", "starts_on", "absence_date"),
    ("2026-11-27", "", "mk_staff1", "ends_on", "absence_date"),
])
def test_bad_absences_are_refused_field_by_field(zhidu, store, first, last, substitute, field, code):
    with pytest.raises(FormInvalid) as refused:
        away(zhidu, first, last, substitute=substitute)
    assert (field, code) in [(e.field, e.code) for e in refused.value.field_errors]
    assert not store.__dict__.get("absences")


def test_a_deactivated_substitute_and_overlapping_absences_are_refused(zhidu):
    zhidu.deactivate_user("mk_staff2")
    with pytest.raises(FormInvalid) as refused:
        away(zhidu, substitute="mk_staff2")
    assert [e.code for e in refused.value.field_errors] == ["absence_substitute_inactive"]
    away(zhidu)
    with pytest.raises(FormInvalid) as refused:
        away(zhidu, first="2026-11-30", last="2026-12-03", substitute="cs_staff2")
    assert [e.code for e in refused.value.field_errors] == ["absence_overlap"]
    assert away(zhidu, first="2026-12-01", last="2026-12-03", substitute="cs_staff2").status == "upcoming"


def test_who_may_record_an_absence_and_who_sees_who_stands_in_for_whom(zhidu):
    with pytest.raises(PermissionDenied):
        away(zhidu, actor="mk_staff2")  # a colleague of another department
    away(zhidu, actor="cs_manager")  # the manager of the absent person's department may
    assert [(a.username, a.substitute_name) for a in zhidu.absences("cs_manager").team] == [("cs_staff1", "张晓明")]
    assert [a.name for a in zhidu.absences("mk_staff1").covering] == ["杨丽"]
    assert zhidu.absences("mk_manager").team == ()  # not their department
    assert [a.username for a in zhidu.absences("director").team] == ["cs_staff1"]
    assert [a.username for a in zhidu.absences("cs_staff1").mine] == ["cs_staff1"]
    with pytest.raises(PermissionDenied):
        zhidu.end_absence(zhidu.absences("cs_staff1").mine[0].id, "mk_staff1")  # the substitute may not end it


def test_a_substitute_may_see_the_instance_of_the_task_they_stand_in_for(zhidu, task):
    with pytest.raises(PermissionDenied):
        zhidu.show(task.instance_id, "mk_staff1")
    away(zhidu)
    assert zhidu.show(task.instance_id, "mk_staff1").id == task.instance_id
