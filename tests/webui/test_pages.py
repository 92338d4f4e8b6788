"""Starting procedures, my requests, and the instance page."""

from __future__ import annotations

import json
import re

from tests.webui.support import INTAKE


def test_start_page_lists_what_I_may_start_and_starts_it(client, auth, engine):
    auth.sign_in("cs_staff1")
    page = client.get("/start").get_data(as_text=True)
    assert 'data-process="complaint_handling"' in page
    form = client.get("/start/complaint_handling").get_data(as_text=True)
    assert 'name="severity"' in form and '<option value="phone">来电</option>' in form
    response = auth.post("/start/complaint_handling", INTAKE)
    assert response.status_code == 302
    instance_id = response.location.rsplit("/", 1)[-1]
    assert engine.show(instance_id).started_by == "cs_staff1"
    assert "流程已发起" in client.get(response.location).get_data(as_text=True)


def test_start_form_errors_keep_the_input(client, auth):
    auth.sign_in("cs_staff1")
    response = auth.post("/start/complaint_handling", {**INTAKE, "severity": "", "customer_name": "张三"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'value="张三"' in html and "此项必填" in html


def test_starting_a_procedure_I_may_not_start_is_403(client, auth):
    auth.sign_in("mk_staff1")
    assert 'data-process="complaint_handling"' not in client.get("/start").get_data(as_text=True)
    assert client.get("/start/complaint_handling").status_code == 403
    assert auth.post("/start/complaint_handling", INTAKE).status_code == 403
    assert client.get("/start/no_such").status_code == 404


def test_my_requests_show_status_and_current_step(client, auth, engine):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("cs_staff1")
    page = client.get("/requests").get_data(as_text=True)
    assert f'data-instance-id="{instance.id}"' in page
    assert "进行中" in page and "安抚客户并记录详情" in page
    auth.post("/language", {"lang": "en"})
    page = client.get("/requests").get_data(as_text=True)
    assert "running" in page and "Calm the customer and record details" in page


def test_instance_page_has_diagram_data_history_and_current_data(client, auth, engine):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    engine.complete_task(instance.active_tasks[0].id, "cs_staff1", {"details": "细节", "customer_calmed": True})
    auth.sign_in("cs_staff1")
    page = client.get(f"/instances/{instance.id}").get_data(as_text=True)
    data = json.loads(re.search(r'id="diagram-data">(.*?)</script>', page, re.S).group(1))
    assert data["xml"].startswith("<?xml") and data["completed"]["Task_Record"] == 1
    assert data["active"] == ["Task_Verify"]
    assert 'data-kind="started"' in page and 'data-kind="completed"' in page
    assert "客户情绪已安抚" in page and "细节" in page
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in page
    assert "<script>" not in page  # no inline scripts: a strict CSP can apply


def test_manager_and_auditor_may_see_the_instance_but_other_departments_may_not(client, auth, engine):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    for username, status in (("cs_manager", 200), ("auditor", 200), ("mk_manager", 403)):
        auth.sign_in(username)
        assert client.get(f"/instances/{instance.id}").status_code == status, username
        auth.post("/sign-out")
