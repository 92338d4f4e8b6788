"""The process owners' pages: catalog with version history, editor, validate, deploy, compare,
migrate — and nobody else gets in."""

from __future__ import annotations

import json

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
    moved = auth.post(f"/owner/complaint_handling/migrate/{instance.id}", {"to": "2"}, follow_redirects=True)
    assert "已迁移到版本 2" in moved.get_data(as_text=True)
    assert engine.show(instance.id).version == 2
    assert engine.verify(instance.id).status == "ok"


def test_a_new_procedure_opens_on_an_empty_diagram_or_an_upload(client, auth):
    auth.sign_in("owner")
    empty = auth.post("/owner/new", {"key": "leave_request", "name_zh": "请假", "name_en": "Leave"})
    assert empty.status_code == 200 and "StartEvent_1" in empty.get_data(as_text=True)
    taken = auth.post("/owner/new", {"key": "complaint_handling"})
    assert taken.status_code == 400


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
