"""The auditor's pages: search filters, who may open them, the timeline and step-through, the
verdict for an intact and a tampered instance, and the export download."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, update

from engine.audit import verify_bundle
from storage.models import InstanceRow, JournalRow
from tests.webui.conftest import csrf_of
from tests.webui.support import INTAKE

RECORD = {"details": "客户三次预约均未送达", "customer_expectation": "尽快送达", "customer_calmed": True}


@pytest.fixture
def cases(engine):
    """Two complaints: cs_staff1's (recorded, so it has a few steps) and cs_staff2's about billing."""
    first = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    task = engine.show(first).active_tasks[0]
    engine.complete_task(task.id, "cs_staff1", RECORD)
    second = engine.start("complaint_handling", "cs_staff2", {**INTAKE, "category": "billing"}).id
    return first, second


@pytest.fixture
def db(tmp_path):
    """The web test database, for editing rows behind the engine's back."""
    database = create_engine(f"sqlite:///{tmp_path / 'zhidu.db'}")
    yield database
    database.dispose()


def listed(html: str) -> list[str]:
    return re.findall(r'<tr data-instance-id="([^"]+)"', html)


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_search_filters(client, auth, cases):
    first, second = cases
    auth.sign_in("auditor")
    assert set(listed(page(client, "/audit/"))) == {first, second}
    assert listed(page(client, "/audit/?participant=cs_staff2")) == [second]
    assert listed(page(client, "/audit/?data=category%3Dbilling")) == [second]
    assert listed(page(client, "/audit/?data=customer_calmed%3Dtrue")) == [first]
    assert listed(page(client, "/audit/?process=training")) == []
    assert set(listed(page(client, "/audit/?process=complaint_handling&status=running"))) == {first, second}
    assert listed(page(client, "/audit/?status=completed")) == []
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    assert len(listed(page(client, f"/audit/?started_from={today}&started_to={today}"))) == 2
    assert listed(page(client, f"/audit/?started_to={today - timedelta(days=1)}")) == []
    assert listed(page(client, f"/audit/?started_from={today + timedelta(days=1)}")) == []


def test_bad_search_input_is_explained_not_an_error(client, auth, cases):
    auth.sign_in("auditor")
    html = page(client, "/audit/?started_from=27.11.2026")
    assert "年-月-日" in html and listed(html) == []
    assert "字段名=值" in page(client, "/audit/?data=category")


@pytest.mark.parametrize("username", ["auditor", "director", "admin"])
def test_auditors_the_director_and_administrators_see_the_audit_link(client, auth, username):
    auth.sign_in(username)
    assert 'id="nav-audit"' in page(client, "/start")


def test_staff_get_403_on_every_audit_url(client, auth, cases):
    first, _ = cases
    auth.sign_in("cs_staff1")  # the starter of `first`, so they may see it on the employee pages
    assert 'id="nav-audit"' not in page(client, "/")
    for url in ("/audit/", f"/audit/instances/{first}", f"/audit/instances/{first}/export", "/audit/?status=running"):
        assert client.get(url).status_code == 403, url
    assert auth.post(f"/audit/instances/{first}/verify").status_code == 403


def test_not_signed_in_goes_to_the_sign_in_page(client, cases):
    response = client.get("/audit/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_auditors_change_nothing(client, auth, engine, cases):
    """The engine refuses an auditor every employee command, and the pages offer them none."""
    first, _ = cases
    task = engine.show(first).active_tasks[0]
    auth.sign_in("auditor")
    html = page(client, f"/tasks/{task.id}")
    assert 'id="task-form"' not in html and "/claim" not in html
    assert "data-process=" not in page(client, "/start")
    assert f"/tasks/{task.id}" not in page(client, f"/audit/instances/{first}")  # no link to act on the task
    assert auth.post(f"/tasks/{task.id}/claim").status_code == 403
    assert auth.post(f"/tasks/{task.id}", {"findings": "x", "founded": "true"}).status_code == 403
    assert auth.post("/start/complaint_handling", {**INTAKE}).status_code == 403
    assert auth.post(f"/tasks/{task.id}/reassign", {"to_user": "auditor"}).status_code == 403
    assert engine.task(task.id).claimed_by is None and len(engine.history(first)) == 6


def test_instance_page_shows_the_timeline_with_data_changes_and_every_step(client, auth, engine, cases):
    first, _ = cases
    auth.sign_in("auditor")
    html = page(client, f"/audit/instances/{first}")
    entries = engine.history(first)
    assert len(re.findall(r'<li class="zd-entry[^"]*" data-seq=', html)) == len(entries)
    assert "客户三次预约均未送达" in html  # the data the recording step submitted
    assert re.search(r'<tr data-key="details">', html)  # ... and the change it made, before and after
    steps = re.findall(r'<section class="zd-step[^"]*" data-step="(\d+)" data-seq="(\d+)"', html)
    assert [int(seq) for _, seq in steps] == [e.seq for e in entries if e.kind in ("started", "completed")]
    last = html[html.index(f'data-step="{len(steps) - 1}"'):]
    assert "客户三次预约均未送达" in last and "调查核实" in last  # the data then, and where it waited
    script = json.loads(re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', html, re.S)
                        .group(1))
    assert [s["active"] for s in script["steps"]] == [["Task_Record", "Timer_Response"], ["Task_Verify"]]
    assert "Task_Record" in script["steps"][-1]["done"]
    assert "13800000000" not in html and "SHA-256" in html  # the contact is confidential: auditors see its hash
    assert 'id="verdict"' not in html and "<script>" not in html  # no inline script (CSP)


def test_verify_shows_ok(client, auth, cases):
    first, _ = cases
    auth.sign_in("auditor")
    html = page(client, f"/audit/instances/{first}")
    response = client.post(f"/audit/instances/{first}/verify", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 200
    assert 'data-verdict="ok"' in response.get_data(as_text=True)
    assert "校验通过" in response.get_data(as_text=True)


def test_verify_shows_where_a_tampered_journal_breaks(client, auth, db, cases):
    first, _ = cases
    with db.begin() as connection:
        seq, payload = connection.execute(select(JournalRow.seq, JournalRow.payload).where(
            JournalRow.instance_id == first, JournalRow.kind == "completed")).one()
        payload["data"]["details"] = "改过的记录"
        connection.execute(update(JournalRow).where(JournalRow.instance_id == first, JournalRow.seq == seq)
                           .values(payload=payload))
    auth.sign_in("auditor")
    html = page(client, f"/audit/instances/{first}")
    html = client.post(f"/audit/instances/{first}/verify", data={"csrf_token": csrf_of(html)}).get_data(as_text=True)
    assert 'data-verdict="tampered"' in html and f'data-entry="{seq}"' in html
    assert f"记录被篡改：第 {seq} 条" in html


def test_verify_shows_a_diverged_field_with_both_values(client, auth, db, cases):
    first, _ = cases
    with db.begin() as connection:
        data = connection.execute(select(InstanceRow.data).where(InstanceRow.id == first)).scalar_one()
        connection.execute(update(InstanceRow).where(InstanceRow.id == first)
                           .values(data={**data, "customer_expectation": "全额赔偿"}))
    auth.sign_in("auditor")
    client.post("/language", data={"lang": "en", "csrf_token": csrf_of(page(client, "/audit/"))})
    html = page(client, f"/audit/instances/{first}")
    html = client.post(f"/audit/instances/{first}/verify", data={"csrf_token": csrf_of(html)}).get_data(as_text=True)
    assert 'data-verdict="diverged"' in html and "Diverged at entry" in html
    assert re.search(r'id="verdict-field">data.customer_expectation<', html)
    assert "全额赔偿" in html and "尽快送达" in html


def test_export_downloads_a_bundle_that_verifies(client, auth, cases):
    first, _ = cases
    auth.sign_in("auditor")
    response = client.get(f"/audit/instances/{first}/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    bundle = json.loads(response.get_data(as_text=True))
    assert [v.status for v in verify_bundle(bundle)] == ["ok"]
    assert [i["instance"]["id"] for i in bundle["instances"]] == [first]


def test_unknown_instance_is_404(client, auth):
    auth.sign_in("auditor")
    assert client.get("/audit/instances/nope").status_code == 404
