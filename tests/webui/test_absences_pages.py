"""The absence page: a person records an absence with a substitute (refusals beside their
fields), ends it; the substitute's inbox says on whose behalf; managers see who stands in for
whom on the team page. The engine's clock is fixed, so no test depends on today's date."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from engine.clock import FixedClock
from tests.conftest import T0  # 2026-11-27 17:00 in Shanghai
from tests.webui.support import INTAKE


@pytest.fixture(autouse=True)
def fixed_clock(engine):
    engine.clock.inner = FixedClock(T0, ZoneInfo("Asia/Shanghai"))


def record(auth, starts="2026-11-27", ends="2026-11-30", substitute="mk_staff1"):
    return auth.post("/absences/", {"starts_on": starts, "ends_on": ends, "substitute": substitute})


def test_recording_an_absence_puts_the_absent_persons_tasks_in_the_substitutes_inbox(client, auth, engine):
    task = engine.start("complaint_handling", "cs_staff2", INTAKE).active_tasks[0]
    auth.sign_in("cs_staff1")
    page = client.get("/absences/").get_data(as_text=True)
    assert 'id="no-absences"' in page and 'value="2026-11-27"' in page  # today, by the engine's clock
    response = record(auth)
    assert response.status_code == 302
    mine = client.get("/absences/").get_data(as_text=True)
    assert 'data-status="current"' in mine and "张晓明" in mine and "2026-11-27 – 2026-11-30" in mine
    auth.sign_in("mk_staff1")
    inbox = client.get("/").get_data(as_text=True)
    assert f'data-task-id="{task.id}"' in inbox and "代 杨丽" in inbox and 'id="inbox-count">1<' in inbox
    covering = client.get("/absences/").get_data(as_text=True)
    assert 'id="covering"' in covering and "杨丽" in covering


@pytest.mark.parametrize("fields, message", [
    ({"substitute": "cs_staff1"}, "不能由自己代理自己"),
    ({"substitute": ""}, "请选择代理人"),
    ({"starts": "2026-11-30", "ends": "2026-11-28"}, "结束日期不能早于开始日期"),
    ({"starts": "2026-11-01", "ends": "2026-11-02"}, "这段请假已经过去了"),
    ({"starts": "tomorrow"}, "请按 年-月-日 填写日期"),
])
def test_bad_absences_come_back_beside_their_fields(client, auth, engine, fields, message):
    auth.sign_in("cs_staff1")
    response = record(auth, **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "field-error" in page
    assert engine.absences("cs_staff1").mine == ()


def test_an_overlapping_absence_is_refused_and_ending_one_frees_the_days(client, auth, engine):
    auth.sign_in("cs_staff1")
    record(auth)
    overlap = record(auth, starts="2026-11-29", ends="2026-12-02", substitute="cs_staff2")
    assert overlap.status_code == 422 and "这些日期与已登记的请假重叠" in overlap.get_data(as_text=True)
    absence = engine.absences("cs_staff1").mine[0]
    assert auth.post(f"/absences/{absence.id}/end").status_code == 302
    assert engine.absences("cs_staff1").mine[0].status == "over"
    assert record(auth, starts="2026-11-29", ends="2026-12-02", substitute="cs_staff2").status_code == 302


def test_someone_else_cannot_end_my_absence(client, auth, engine):
    absence = engine.record_absence("cs_staff1", "2026-11-27", "2026-11-30", "mk_staff1", "cs_staff1")
    auth.sign_in("mk_staff1")
    assert auth.post(f"/absences/{absence.id}/end").status_code == 403
    assert engine.absences("cs_staff1").mine[0].status == "current"


def test_managers_see_who_stands_in_for_whom_on_the_team_page(client, auth, engine):
    engine.record_absence("cs_staff1", "2026-11-27", "2026-11-30", "mk_staff1", "cs_staff1")
    auth.sign_in("cs_manager")
    team = client.get("/team").get_data(as_text=True)
    assert 'id="team-absences"' in team and 'data-username="cs_staff1"' in team and 'data-substitute="mk_staff1"' in team
    auth.sign_in("mk_manager")
    assert 'id="team-absences"' not in client.get("/team").get_data(as_text=True)


def test_the_page_speaks_english_too(client, auth):
    auth.sign_in("cs_staff1")
    auth.post("/language", {"lang": "en"})
    page = client.get("/absences/").get_data(as_text=True)
    assert "Absence and substitute" in page and "Record an absence" in page
    assert "Nobody can stand in for themselves." in record(auth, substitute="cs_staff1").get_data(as_text=True)


def test_a_substitutes_step_is_shown_in_the_history_on_whose_behalf(client, auth, engine):
    iid = engine.start("complaint_handling", "cs_staff2", INTAKE).id
    task = engine.show(iid).active_tasks[0]
    engine.record_absence("cs_staff1", "2026-11-27", "2026-11-30", "mk_staff1", "cs_staff1")
    engine.claim(task.id, "mk_staff1")
    auth.sign_in("mk_staff1")
    page = client.get(f"/instances/{iid}").get_data(as_text=True)
    claimed = page[page.index('data-kind="claimed"'):].split("</li>")[0]
    assert "张晓明" in claimed and 'data-key="on_behalf_of">代理</dt>' in claimed and "杨丽" in claimed
