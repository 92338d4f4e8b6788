"""The auditor's pages: search filters, who may open them, the timeline and step-through, the
verdict for an intact and a tampered instance, and the export download."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, select, update

from engine.commands.evidence import verify_bundle
from engine.clock import FixedClock
from storage.models import InstanceRow, JournalRow
from tests.webui.conftest import csrf_of
from tests.webui.support import INTAKE

RECORD = {"details": "客户三次预约均未送达", "customer_expectation": "尽快送达", "customer_calmed": True}
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 20:00 UTC on 27 November is 04:00 on the 28th in Shanghai (the organisation's zone): the cases
# start then, on a fixed clock, so these tests mean the same whatever the hour they run at.
AT = datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc)


@pytest.fixture
def engine(engine):
    """The web tests' engine on a fixed clock at AT, in the organisation's zone."""
    engine.clock.inner = FixedClock(AT, engine.clock.zone)
    return engine


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
    today = date(2026, 11, 28)  # AT, in Shanghai
    assert len(listed(page(client, f"/audit/?started_from={today}&started_to={today}"))) == 2
    assert listed(page(client, f"/audit/?started_to={today - timedelta(days=1)}")) == []
    assert listed(page(client, f"/audit/?started_from={today + timedelta(days=1)}")) == []


@pytest.mark.parametrize("moment, day, shown", [
    (datetime(2026, 11, 27, 15, 59, tzinfo=timezone.utc), date(2026, 11, 27), "2026-11-27 23:59"),
    (datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc), date(2026, 11, 28), "2026-11-28 00:00"),
    (datetime(2026, 11, 27, 23, 59, tzinfo=timezone.utc), date(2026, 11, 28), "2026-11-28 07:59"),
    (datetime(2026, 11, 28, 0, 0, tzinfo=timezone.utc), date(2026, 11, 28), "2026-11-28 08:00"),
])
def test_a_search_day_is_the_organisations_day(client, auth, engine, moment, day, shown):
    """Either side of Shanghai's midnight (16:00 UTC) and of UTC's: found under its local day
    only, shown in local time."""
    engine.clock.inner.set(moment)
    found = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    auth.sign_in("auditor")
    html = page(client, f"/audit/?started_from={day}&started_to={day}")
    assert listed(html) == [found] and shown in html
    for other in (day - timedelta(days=1), day + timedelta(days=1)):
        assert listed(page(client, f"/audit/?started_from={other}&started_to={other}")) == []


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


def test_instance_page_shows_every_journal_entry_as_a_step_with_its_changes(client, auth, engine, cases):
    first, _ = cases
    auth.sign_in("auditor")
    html = page(client, f"/audit/instances/{first}")
    entries = engine.history(first)
    assert len(re.findall(r'<li class="zd-entry[^"]*" id="entry-\d+" data-seq=', html)) == len(entries)
    assert "客户三次预约均未送达" in html  # the data the recording step submitted
    assert re.search(r'<tr data-key="details">', html)  # ... and the change it made, before and after
    steps = re.findall(r'<section class="zd-step[^"]*" data-step="(\d+)" data-seq="(\d+)"', html)
    assert [int(seq) for _, seq in steps] == [e.seq for e in entries]  # every entry, not only commands
    sections = {int(seq): html[html.index(f'data-seq="{seq}" hidden' if i < len(steps) - 1 else f'data-seq="{seq}"'):]
                for i, (_, seq) in enumerate(steps)}
    left = next(e.seq for e in entries if e.kind == "task_left")
    assert re.match(r'[^<]*aria-live="polite">\s*<h3[^>]*>[^<]*日志第 %d 条 · <strong class="zd-step-actor">系统</strong> '
                    r'<span class="zd-step-kind">任务结束</span> · 安抚客户并记录详情' % left, sections[left])
    assert re.search(r'<tr data-key="details"><td>投诉详情</td>', sections[left].split("</section>")[0])
    assert "杨丽" in sections[1].split("</section>")[0] and "cs_staff1" not in sections[1].split("</section>")[0]
    last = html[html.index(f'data-step="{len(steps) - 1}"'):]
    assert "客户三次预约均未送达" in last and "调查核实" in last  # the data then, and where it waited
    script = json.loads(re.search(r'<script type="application/json" id="audit-data">(.*?)</script>', html, re.S)
                        .group(1))
    assert len(script["steps"]) == len(entries)
    assert script["steps"][0]["active"] == [] and script["steps"][-1]["active"] == ["Task_Verify"]
    entered = next(i for i, e in enumerate(entries) if e.kind == "task_entered")
    assert script["steps"][entered]["active"] == ["Task_Record", "Timer_Response"] and script["steps"][entered]["element"] == "Task_Record"
    assert "Task_Record" in script["steps"][-1]["done"]
    assert "13800000000" not in html and "SHA-256" in html  # the contact is confidential: auditors see its hash
    shown = re.sub(r'<script type="application/json".*?</script>', "", html, flags=re.S)
    assert "{'" not in shown and "[]" not in shown and "None" not in shown  # no Python reprs
    assert 'id="verdict"' not in html and "<script>" not in html  # no inline script (CSP)


@pytest.mark.parametrize("after_read", [1, 2, 3])
def test_the_page_shows_one_journal_while_commands_run(client, auth, engine, cases, after_read):
    """Under load a command can commit between two reads of one page; the page must show one
    consistent journal (it used to list one journal and replay a newer one: KeyError, a 500), the
    one of the row it shows. The command commits right after the page's `after_read`-th read of
    the journal, if any."""
    first, _ = cases
    task = engine.show(first).active_tasks[0]
    engine.claim(task.id, "cs_staff2")
    before = len(engine.history(first))
    factory, interleaved, reads = engine.uow_factory, [], []

    def complete_meanwhile(count: int) -> None:
        interleaved.append(count)  # another request completes a task right now
        worker = threading.Thread(target=lambda: engine.complete_task(
            task.id, "cs_staff2", {"findings": "属实", "founded": True}))
        worker.start()
        worker.join()

    class Journal:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def for_instance(self, instance_id):
            entries = self.inner.for_instance(instance_id)
            if instance_id == first:
                reads.append(len(entries))
                if len(reads) == after_read:
                    complete_meanwhile(len(entries))
            return entries

    class Interleaving:
        def __init__(self, inner):
            self.inner = inner

        def __enter__(self):
            self.inner.__enter__()
            self.journal = Journal(self.inner.journal)
            return self

        def __exit__(self, *exc):
            return self.inner.__exit__(*exc)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    def interleaving_factory():
        return Interleaving(factory())

    engine.uow_factory = interleaving_factory
    auth.sign_in("auditor")
    html = page(client, f"/audit/instances/{first}")
    engine.uow_factory = factory
    # one journal for the whole page: read once, or read again (once) because the row moved meanwhile
    # (engine/audit/snapshot.py), and then the newer one is shown throughout
    assert reads == ([before, len(engine.history(first))] if after_read == 1 else [before])
    assert len(engine.history(first)) > before if after_read == 1 else not interleaved
    steps = [int(s) for s in re.findall(r'<section class="zd-step[^"]*" data-step="\d+" data-seq="(\d+)"', html)]
    timeline = [int(s) for s in re.findall(r'<li class="zd-entry[^"]*" id="entry-\d+" data-seq="(\d+)"', html)]
    assert steps == timeline == list(range(1, reads[-1] + 1))


def verify(client, instance_id: str, html: str) -> str:
    """Press Verify: a POST that redirects back to the instance page, which shows the verdict."""
    response = client.post(f"/audit/instances/{instance_id}/verify", data={"csrf_token": csrf_of(html)})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/audit/instances/{instance_id}")
    return page(client, response.headers["Location"])


def test_verify_shows_ok_on_the_instance_page_after_a_redirect(client, auth, cases):
    first, _ = cases
    auth.sign_in("auditor")
    html = verify(client, first, page(client, f"/audit/instances/{first}"))
    assert 'data-verdict="ok"' in html and "校验通过" in html
    assert 'id="step-through"' in html  # the whole instance page, with the verdict on it
    assert 'id="verdict"' not in page(client, f"/audit/instances/{first}")  # shown once, as a message is


def test_verify_shows_where_a_tampered_journal_breaks(client, auth, db, cases):
    first, _ = cases
    with db.begin() as connection:
        seq, payload = connection.execute(select(JournalRow.seq, JournalRow.payload).where(
            JournalRow.instance_id == first, JournalRow.kind == "completed")).one()
        payload["data"]["details"] = "改过的记录"
        connection.execute(update(JournalRow).where(JournalRow.instance_id == first, JournalRow.seq == seq)
                           .values(payload=payload))
    auth.sign_in("auditor")
    html = verify(client, first, page(client, f"/audit/instances/{first}"))
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
    html = verify(client, first, page(client, f"/audit/instances/{first}"))
    assert 'data-verdict="diverged"' in html and "Diverged at entry" in html
    assert re.search(r'id="verdict-field">data.customer_expectation<', html)
    assert "全额赔偿" in html and "尽快送达" in html


def test_search_exports_as_csv_with_the_same_filters_and_names(client, auth, engine, cases):
    first, second = cases
    auth.sign_in("auditor")
    assert 'id="export-csv" href="/audit/export.csv?participant=cs_staff2"' in page(client, "/audit/?participant=cs_staff2")
    response = client.get("/audit/export.csv?participant=cs_staff2")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())  # UTF-8 with a byte order mark: Excel reads the Chinese
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:5] == ["实例", "流程", "版本", "状态", "发起人"]
    assert [r[0] for r in rows[1:]] == [second]
    names = {u.username: u.name for u in engine.users()}
    assert rows[1][1] == "客户投诉处理" and rows[1][3] == "进行中" and rows[1][4] == names["cs_staff2"]
    everything = list(csv.reader(io.StringIO(client.get("/audit/export.csv").get_data().decode("utf-8-sig"))))
    assert {r[0] for r in everything[1:]} == {first, second}
    bad = client.get("/audit/export.csv?started_from=27.11.2026").get_data().decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(bad)))) == 1  # invalid filters: the header only, no error page


def test_organisation_history_is_readable_with_its_chain_verdict(client, auth, engine, db):
    engine.add_user("newbie", "新人", ["customer-service-staff"], "customer-service", actor="admin")
    engine.set_roles("newbie", ["customer-service-manager"], actor="admin")
    engine.deactivate_user("newbie", actor="admin")
    auth.sign_in("auditor")
    assert 'id="org-history-link"' in page(client, "/audit/")
    html = page(client, "/audit/organisation")
    assert 'data-verdict="ok"' in html
    assert re.findall(r'<tr data-seq="(\d+)" data-kind="(\w+)"', html) == [
        ("3", "user_deactivated"), ("2", "roles_changed"), ("1", "user_added")]
    assert "新人 (newbie)" in html and "客户服务部经理" in html and "客户服务部专员" in html  # names, not keys
    assert "customer-service-manager" not in html.split('id="org-history"')[1]
    with db.begin() as connection:
        connection.execute(update(JournalRow).where(JournalRow.instance_id == "organisation", JournalRow.seq == 2)
                           .values(payload={"username": "someone-else"}))
    html = page(client, "/audit/organisation")
    assert 'data-verdict="tampered" data-entry="2"' in html


def test_staff_may_not_read_the_organisation_history_or_export(client, auth, cases):
    auth.sign_in("cs_manager")
    assert client.get("/audit/organisation").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403


def test_export_downloads_a_bundle_that_verifies(client, auth, cases):
    first, _ = cases
    auth.sign_in("auditor")
    response = client.get(f"/audit/instances/{first}/export")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    bundle = json.loads(response.get_data(as_text=True))
    verdicts = verify_bundle(bundle)  # the contact is confidential: the auditor's bundle holds its hash
    assert [v.status for v in verdicts] == ["redacted"] and verdicts[0].sound
    assert [i["instance"]["id"] for i in bundle["instances"]] == [first]


def test_unknown_instance_is_404(client, auth):
    auth.sign_in("auditor")
    assert client.get("/audit/instances/nope").status_code == 404
