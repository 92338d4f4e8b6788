"""Requesters see whom their request waits on and can withdraw it, with a reason, journaled."""

from __future__ import annotations

import json

import pytest

from engine.errors import FormInvalid, PermissionDenied, TaskNotReady
from tests.webui.support import INTAKE
from cli import commands, main as cli


def started(engine) -> str:
    return engine.start("complaint_handling", "cs_staff1", INTAKE).id


def test_the_starter_withdraws_with_a_reason_and_the_journal_replays(engine):
    iid = started(engine)
    view = engine.withdraw(iid, "cs_staff1", "  客户已自行解决  ")
    assert view.status == "withdrawn" and view.active_tasks == ()
    assert [e.payload.get("cancelled") for e in engine.history(iid) if e.kind == "task_left"] == [True]
    entry = [e for e in engine.history(iid) if e.kind == "withdrawn"][0]
    assert (entry.actor, entry.payload) == ("cs_staff1", {"reason": "客户已自行解决"})
    assert [v.status for v in engine.verify_all()] == ["ok"]


def test_only_the_starter_withdraws_only_a_running_request_and_only_with_a_reason(engine):
    iid = started(engine)
    with pytest.raises(PermissionDenied):
        engine.withdraw(iid, "cs_manager", "不需要了")
    with pytest.raises(FormInvalid) as err:
        engine.withdraw(iid, "cs_staff1", "   ")
    assert [e.field for e in err.value.field_errors] == ["reason"]
    assert engine.show(iid).status == "running" and "withdrawn" not in [e.kind for e in engine.history(iid)]
    engine.withdraw(iid, "cs_staff1", "重复登记")
    with pytest.raises(TaskNotReady):
        engine.withdraw(iid, "cs_staff1", "again")


def test_my_requests_say_whom_each_step_waits_on(client, auth, engine):
    iid = started(engine)
    auth.sign_in("cs_staff1")
    page = client.get("/requests").get_data(as_text=True)
    assert "客户服务部专员" in page  # offered to the role, by its name
    task = engine.show(iid).active_tasks[0]
    engine.claim(task.id, "cs_staff2")
    page = client.get("/requests").get_data(as_text=True)
    name = engine.user("cs_staff2").name
    assert name in page and "cs_staff2" not in page
    assert name in client.get(f"/instances/{iid}").get_data(as_text=True)


def test_withdrawing_in_the_browser_needs_a_reason_and_shows_the_new_status(client, auth, engine):
    iid = started(engine)
    auth.sign_in("cs_staff1")
    assert 'id="withdraw"' in client.get(f"/instances/{iid}").get_data(as_text=True)
    response = auth.post(f"/instances/{iid}/withdraw", {"reason": ""})
    assert response.status_code == 422
    assert "此项必填" in response.get_data(as_text=True) and engine.show(iid).status == "running"
    response = auth.post(f"/instances/{iid}/withdraw", {"reason": "客户撤诉"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert 'data-status="withdrawn"' in page and "已撤回" in page and "客户撤诉" in page
    assert 'zd-command" data-kind="withdrawn"' in page
    assert 'id="withdraw"' not in page
    assert "已撤回" in client.get("/requests").get_data(as_text=True)


def test_someone_else_sees_no_withdraw_button_and_cannot_post_it(client, auth, engine):
    iid = started(engine)
    auth.sign_in("cs_manager")
    assert 'id="withdraw"' not in client.get(f"/instances/{iid}").get_data(as_text=True)
    assert auth.post(f"/instances/{iid}/withdraw", {"reason": "x"}).status_code == 403
    assert engine.show(iid).status == "running"


def test_the_cli_withdraws_and_prints_json(engine, monkeypatch, capsys):
    iid = started(engine)
    monkeypatch.setattr(commands, "build", lambda *a, **k: type("S", (), {"engine": engine})())
    assert cli.main(["withdraw", iid, "--as", "cs_staff1", "--reason", "客户撤诉", "--json"]) in (0, None)
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "withdrawn" and out["id"] == iid
    assert cli.main(["withdraw", iid, "--as", "cs_staff1", "--reason", "again", "--json"]) == 1
