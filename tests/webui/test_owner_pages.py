"""The process owners' pages: catalog with version history, editor, validate, deploy, compare,
migrate — and nobody else gets in."""

from __future__ import annotations

import json
import re

import pytest

from tests.webui.support import INTAKE

RECORD_VERIFY = '<bpmn:sequenceFlow id="Flow_Record_Verify" sourceRef="Task_Record" targetRef="Task_Verify" />'


def editor_payload(client) -> dict:
    html = client.get("/owner/complaint_handling/edit").get_data(as_text=True)
    start = html.index('<script type="application/json" id="editor-data">') + len('<script type="application/json" id="editor-data">')
    return json.loads(html[start:html.index("</script>", start)])


def posted(data: dict, **changes) -> str:
    return json.dumps({"key": data["key"], "xml": changes.get("xml", data["xml"]), "forms": data["forms"],
                       "entry": data["entry"]})


@pytest.mark.parametrize("url", ["/owner/", "/owner/complaint_handling/edit", "/owner/complaint_handling/compare",
                                 "/owner/complaint_handling/migrate"])
def test_only_process_owners_see_the_owner_pages(client, auth, url):
    auth.sign_in("cs_staff1")
    assert client.get(url).status_code == 403
    assert "nav-owner" not in client.get("/").get_data(as_text=True)


def test_others_cannot_deploy_even_by_posting(client, auth):
    auth.sign_in("owner")
    data = editor_payload(client)
    auth.sign_in("cs_manager")
    response = auth.post("/owner/deploy", {"payload": posted(data), "comment": "x"})
    assert response.status_code == 403


def test_the_catalog_lists_each_procedures_versions(client, auth):
    auth.sign_in("owner")
    html = client.get("/owner/").get_data(as_text=True)
    assert 'id="nav-owner"' in html and 'id="history-complaint_handling"' in html
    assert 'data-version="1"' in html and "tests" in html


def test_the_editor_page_carries_its_data_without_inline_scripts(client, auth):
    auth.sign_in("owner")
    html = client.get("/owner/complaint_handling/edit").get_data(as_text=True)
    data = editor_payload(client)
    assert data["xml"].startswith("<?xml") and "complaint_verify" in data["forms"]
    assert data["entry"]["lanes"]["客服专员 Customer service staff"] == "customer-service-staff"
    assert "<script>" not in html and "bpmn-modeler.production.min.js" in html


def test_validate_lists_errors_with_elements_and_deploy_refuses_them(client, auth, engine):
    auth.sign_in("owner")
    data = editor_payload(client)
    broken = data["xml"].replace("founded == True", "__import__('os')")
    reply = auth.post("/owner/validate", {"payload": posted(data, xml=broken)}).get_json()
    errors = [p for p in reply["problems"] if p["severity"] == "error"]
    assert errors and errors[0]["element"] == "Flow_Founded_Yes"
    refused = auth.post("/owner/deploy", {"payload": posted(data, xml=broken), "comment": "broken"})
    assert refused.status_code == 422 and refused.get_json()["problems"]
    assert len(engine.version_history("complaint_handling", "owner")) == 1


def test_deploy_compare_and_migrate_through_the_pages(client, auth, engine):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("owner")
    data = editor_payload(client)
    renamed = data["xml"].replace('name="调查核实 Investigate and verify"', 'name="调查 Investigate"')
    reply = auth.post("/owner/deploy", {"payload": posted(data, xml=renamed), "comment": "shorter name"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["deployed"]["version"] == 2
    history = client.get("/owner/").get_data(as_text=True)
    assert "shorter name" in history and 'data-version="2"' in history

    compare = client.get("/owner/complaint_handling/compare?old=1&new=2").get_data(as_text=True)
    assert 'data-element="Task_Verify" data-kind="changed"' in compare

    plan = client.get("/owner/complaint_handling/migrate?to=2").get_data(as_text=True)
    assert f'data-instance="{instance.id}" data-movable="true"' in plan
    moved = auth.post("/owner/complaint_handling/migrate", {"to": "2", "instance": [instance.id], "confirm": "yes"},
                      follow_redirects=True)
    assert "已迁移到版本 2" in moved.get_data(as_text=True)
    assert engine.show(instance.id).version == 2
    assert engine.verify(instance.id).status == "ok"


def test_a_new_procedure_opens_on_an_empty_diagram_or_an_upload(client, auth):
    auth.sign_in("owner")
    empty = auth.post("/owner/new", {"key": "leave_request", "name_zh": "请假", "name_en": "Leave"})
    assert empty.status_code == 200 and "StartEvent_1" in empty.get_data(as_text=True)
    taken = auth.post("/owner/new", {"key": "complaint_handling"}, follow_redirects=True)
    assert "complaint_handling" in taken.get_data(as_text=True) and "already exists" in taken.get_data(as_text=True)


def test_the_form_preview_draws_fields_or_says_what_is_wrong(client, auth):
    auth.sign_in("owner")
    data = editor_payload(client)
    good = auth.post("/owner/form-preview", {"text": data["forms"]["complaint_verify"]}).get_json()
    assert 'data-field="findings"' in good["html"] and good["problems"] == []
    bad = auth.post("/owner/form-preview", {"text": "key: x\nschema: [unclosed"}).get_json()
    assert bad["problems"]


def test_files_without_a_diagram_get_a_simple_layout_so_the_editor_can_open_them():
    from pathlib import Path

    from webui.views.owner_layout import with_layout

    betsy = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "betsy" / "bpmn"
    files = sorted(betsy.rglob("*.bpmn"))
    assert files, f"missing {betsy}"
    for path in files:
        laid_out = with_layout(path.read_text(encoding="utf-8"))
        assert "BPMNDiagram" in laid_out and "BPMNShape" in laid_out, path.name
    own = (Path(__file__).resolve().parents[2] / "processes" / "complaint_handling.bpmn").read_text(encoding="utf-8")
    assert with_layout(own) == own
    assert with_layout("not xml") == "not xml"


DEAD_END = '<bpmn:sequenceFlow id="Flow_Review_End" sourceRef="Task_Review" targetRef="End_Closed" />'


def test_a_version_that_cannot_finish_needs_a_reason_to_deploy_and_keeps_it(client, auth, engine):
    auth.sign_in("owner")
    data = editor_payload(client)
    stuck = posted(data, xml=data["xml"].replace(DEAD_END, ""))
    refused = auth.post("/owner/deploy", {"payload": stuck, "comment": "no end"})
    assert refused.status_code == 409 and refused.get_json()["needs_reason"] is True
    assert {p["element"] for p in refused.get_json()["problems"]} == {"End_Closed", "Task_Review"}
    assert len(engine.version_history("complaint_handling", "owner")) == 1
    blank = auth.post("/owner/deploy", {"payload": stuck, "comment": "no end", "warnings_reason": "   "})
    assert blank.status_code == 409

    accepted = auth.post("/owner/deploy", {"payload": stuck, "comment": "no end", "warnings_reason": "临时停用结案"})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    newest = engine.version_history("complaint_handling", "owner")[0]
    assert newest.number == 2 and newest.warnings_reason == "临时停用结案"
    assert any("End_Closed" in w for w in newest.warnings)
    history = client.get("/owner/").get_data(as_text=True)
    assert "临时停用结案" in history and "data-accepted-warnings" in history


def test_errors_block_a_deploy_even_with_a_reason(client, auth, engine):
    auth.sign_in("owner")
    data = editor_payload(client)
    broken = posted(data, xml=data["xml"].replace("founded == True", "__import__('os')"))
    refused = auth.post("/owner/deploy", {"payload": broken, "comment": "x", "warnings_reason": "I insist"})
    assert refused.status_code == 422
    assert len(engine.version_history("complaint_handling", "owner")) == 1


def test_warnings_are_listed_in_the_users_language(client, auth):
    auth.sign_in("owner")
    data = editor_payload(client)
    stuck = posted(data, xml=data["xml"].replace(DEAD_END, ""))
    problems = auth.post("/owner/validate", {"payload": stuck}).get_json()["problems"]
    reasons = {p["element"]: p["reason"] for p in problems}
    assert reasons["End_Closed"] == "从开始事件无法到达这个结束事件"
    assert {p["severity_text"] for p in problems} == {"警告"}


@pytest.mark.parametrize("change, field", [
    ({"entry": "complaint"}, "entry"),
    ({"entry": {"lanes": ["a", "b"]}}, "entry.lanes"),
    ({"entry": {"lanes": {"客服专员": 3}}}, "entry.lanes.客服专员"),
    ({"entry": {"name": "x"}}, "entry.name"),
    ({"entry": {"starters": {"a": 1}}}, "entry.starters"),
    ({"forms": ["x"]}, "forms"),
    ({"xml": 42}, "xml"),
    ({"key": None}, "key"),
])
def test_a_payload_of_wrong_types_is_a_400_naming_the_field(client, auth, engine, change, field):
    auth.sign_in("owner")
    data = json.loads(posted(editor_payload(client)))
    payload = json.dumps({**data, **change})
    for url in ("/owner/validate", "/owner/deploy", "/owner/complaint_handling/draft"):
        reply = auth.post(url, {"payload": payload, "comment": "x"})
        assert reply.status_code == 400, (url, reply.get_data(as_text=True))
        assert reply.get_json()["field"] == field and field in reply.get_json()["error"]
    assert len(engine.version_history("complaint_handling", "owner")) == 1
    assert auth.post("/owner/deploy", {"payload": "[1, 2]"}).get_json()["field"] == "payload"


def test_a_draft_is_kept_per_user_and_procedure_and_is_not_a_version(client, auth, engine):
    auth.sign_in("owner")
    data = editor_payload(client)
    assert data["draft"] is None
    assert client.get("/owner/complaint_handling/draft").status_code == 404
    draft = posted(data, xml=data["xml"].replace('name="调查核实 Investigate and verify"', 'name="草稿 Draft"'))
    saved = auth.post("/owner/complaint_handling/draft", {"payload": draft})
    assert saved.status_code == 200 and saved.get_json()["saved_at"]
    assert editor_payload(client)["draft"] == saved.get_json()["saved_at"]
    assert client.get("/owner/complaint_handling/draft").get_json()["payload"] == draft
    assert len(engine.version_history("complaint_handling", "owner")) == 1
    assert auth.post("/owner/complaint_handling/draft/discard").get_json() == {"discarded": True}
    assert client.get("/owner/complaint_handling/draft").status_code == 404


def test_several_instances_move_in_one_confirmed_post_each_journaled(client, auth, engine):
    first = engine.start("complaint_handling", "cs_staff1", INTAKE)
    second = engine.start("complaint_handling", "cs_staff2", INTAKE)
    auth.sign_in("owner")
    data = editor_payload(client)
    renamed = data["xml"].replace('name="调查核实 Investigate and verify"', 'name="调查 Investigate"')
    assert auth.post("/owner/deploy", {"payload": posted(data, xml=renamed), "comment": "v2"}).status_code == 200
    chosen = {"to": "2", "instance": [first.id, second.id]}
    unconfirmed = auth.post("/owner/complaint_handling/migrate", chosen, follow_redirects=True)
    assert "请选择要迁移的实例并勾选确认" in unconfirmed.get_data(as_text=True)
    assert engine.show(first.id).version == 1
    moved = auth.post("/owner/complaint_handling/migrate", {**chosen, "confirm": "yes"}, follow_redirects=True)
    assert moved.get_data(as_text=True).count("已迁移到版本 2") == 2
    for instance in (first, second):
        assert engine.show(instance.id).version == 2
        assert [e.kind for e in engine.history(instance.id)].count("migrated") == 1


def test_the_migration_page_links_only_instances_the_owner_may_open(client, auth, engine):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("owner")
    data = editor_payload(client)
    renamed = data["xml"].replace('name="调查核实 Investigate and verify"', 'name="调查 Investigate"')
    auth.post("/owner/deploy", {"payload": posted(data, xml=renamed), "comment": "v2"})
    plan = client.get("/owner/complaint_handling/migrate?to=2").get_data(as_text=True)
    assert f'data-instance="{instance.id}"' in plan
    assert f"/instances/{instance.id}" not in plan and 'id="confirm-move"' in plan
    assert client.get(f"/instances/{instance.id}").status_code == 403


def test_the_comparison_names_elements_and_the_flows_they_connect(client, auth):
    auth.sign_in("owner")
    data = editor_payload(client)
    xml = data["xml"].replace('name="调查核实 Investigate and verify"', 'name="调查 Investigate"')
    xml = xml.replace("founded == True", "founded == True and severity != 'low'")
    assert auth.post("/owner/deploy", {"payload": posted(data, xml=xml), "comment": "x"}).status_code == 200
    html = client.get("/owner/complaint_handling/compare?old=1&new=2").get_data(as_text=True)
    listed = html[html.index('id="changes"'):html.index("</ul>", html.index('id="changes"'))]
    shown = re.sub(r"<[^>]+>", " ", listed)  # what a person reads, without the markup's attributes
    assert "用户任务" in shown and "调查" in shown and "连线" in shown
    assert "Task_Verify" not in shown and "Flow_Founded_Yes" not in shown
