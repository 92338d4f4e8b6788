"""A process owner changes the complaint procedure in the browser: edits a label and a
condition, adds a step with its form, sees an error listed and marked on the diagram, deploys,
compares the versions and moves a waiting instance — which still verifies."""

from __future__ import annotations

import threading

import pytest
from werkzeug.serving import make_server

from engine.clock import FixedClock
from tests.conftest import T0
from tests.e2e.conftest import screenshot, sign_in
from tests.webui.support import INTAKE, build_services
from webui.app import create_app

pytestmark = pytest.mark.browser

NEW_STEP = """
  const m = window.zhiduEditor, reg = m.get('elementRegistry'), modeling = m.get('modeling');
  const shape = modeling.createShape(m.get('elementFactory').createShape({type: 'bpmn:UserTask'}),
                                     {x: 560, y: 275}, reg.get('Participant_CustomerService'));
  const flow = reg.get('Flow_Verify_Founded');
  modeling.reconnectEnd(flow, shape, {x: 560, y: 275});
  modeling.connect(shape, reg.get('Gateway_Founded'));
  m.get('selection').select(shape);
  return shape.id;
"""


@pytest.fixture
def site(tmp_path):
    """zhidu on a fixed clock (reproducible journal times), with the engine at hand."""
    services = build_services(f"sqlite:///{tmp_path / 'zhidu.db'}")
    services.engine.clock = FixedClock(T0)
    app = create_app({"SECRET_KEY": "e2e", "ENGINE": services.engine})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", services.engine
    httpd.shutdown()
    thread.join(5)
    httpd.server_close()
    services.db.dispose()


def select(page, element: str) -> None:
    page.evaluate("id => { const m = window.zhiduEditor; m.get('selection').select(m.get('elementRegistry').get(id)); }",
                  element)
    page.wait_for_selector(f"#element-fields[data-element='{element}']")


def set_field(page, prop: str, value: str) -> None:
    field = page.locator(f"#element-fields [data-prop='{prop}']")
    field.fill(value)
    field.dispatch_event("change")


def test_owner_edits_deploys_compares_and_migrates_in_the_browser(browser, site):
    base, engine = site
    waiting = engine.start("complaint_handling", "cs_staff1", INTAKE)
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "owner")
    page.click("#nav-owner")
    page.click("[data-process=complaint_handling] [data-action=edit]")
    page.wait_for_selector("#editor[data-ready=true]")
    assert page.locator("#lane-roles [data-lane] input").first.input_value() == "customer-service-staff"

    # a label and a condition, the condition first with an error
    page.click("[data-element-id=Task_Verify]")
    page.wait_for_selector("#element-fields[data-element=Task_Verify]")
    set_field(page, "name", "调查核实并留证 Investigate, verify and keep evidence")
    select(page, "Flow_Founded_Yes")
    set_field(page, "condition", "founded == True and ().__class__")
    page.click("#validate")
    page.wait_for_selector("#editor[data-validated=errors]")
    problem = page.locator("#problems li[data-severity=error]").first
    assert problem.get_attribute("data-element") == "Flow_Founded_Yes"
    assert page.locator(".djs-element.zd-error[data-element-id=Flow_Founded_Yes]").count() == 1
    screenshot(page, "editor-error-listed")

    set_field(page, "condition", "founded == True and severity != 'none'")

    # a new step after the investigation, with a new form
    page.fill("#new-form-key", "complaint_evidence")
    page.click("#add-form")
    page.wait_for_selector("#form-preview [data-field=note]")
    new_task = page.evaluate(f"() => {{ {NEW_STEP} }}")
    page.wait_for_selector(f"#element-fields[data-element='{new_task}']")
    set_field(page, "name", "整理证据 File the evidence")
    set_field(page, "formKey", "complaint_evidence")
    page.click("#validate")
    page.wait_for_selector("#editor[data-validated=ok]")

    page.fill("#deploy-comment", "留证步骤 evidence step")
    page.click("#deploy")
    page.wait_for_selector("#editor[data-deployed='2']")
    screenshot(page, "editor-deployed")

    page.click("#owner-compare")
    page.wait_for_selector("#compare-diagram[data-rendered=true]")
    kinds = {row.get_attribute("data-element"): row.get_attribute("data-kind")
             for row in page.locator("#changes li").all()}
    assert kinds[new_task] == "added" and kinds["Task_Verify"] == "changed" and kinds["Flow_Founded_Yes"] == "changed"
    assert page.locator(f".djs-element.zd-added[data-element-id='{new_task}']").count() == 1
    screenshot(page, "editor-compare")

    page.goto(f"{base}/owner/complaint_handling/migrate?to=2")
    row = page.locator(f"[data-instance='{waiting.id}']")
    assert row.get_attribute("data-movable") == "true"
    screenshot(page, "editor-migration-plan")
    row.locator("button").click()
    page.wait_for_selector(".flash.alert-success")
    screenshot(page, "editor-migrated")
    page.goto(f"{base}/owner/")
    screenshot(page, "owner-versions")
    context.close()

    assert engine.show(waiting.id).version == 2
    assert engine.verify(waiting.id).status == "ok"
    record = next(t for t in engine.show(waiting.id).active_tasks if t.name == "Task_Record")
    engine.complete_task(record.id, "cs_staff1", {"details": "三次未送达", "customer_calmed": True})
    verify = next(t for t in engine.show(waiting.id).active_tasks if t.name == "Task_Verify")
    engine.complete_task(verify.id, "cs_staff1", {"findings": "属实", "founded": True})
    assert [t.name for t in engine.show(waiting.id).active_tasks] == [new_task]
    assert engine.verify(waiting.id).status == "ok"


CAMUNDA = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="leave_request" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="approve" />
    <bpmn:userTask id="approve" name="Approve" camunda:assignee="${manager}" />
    <bpmn:sequenceFlow id="f2" sourceRef="approve" targetRef="wait" />
    <bpmn:intermediateCatchEvent id="wait"><bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_uploaded_camunda_file_opens_with_its_problems_and_timer_text_can_be_edited(browser, site, tmp_path):
    base, _engine = site
    upload = tmp_path / "leave.bpmn"
    upload.write_text(CAMUNDA, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "owner")
    page.goto(f"{base}/owner/")
    page.fill("#new-key", "leave_request")
    page.fill("#new-name-en", "Leave request")
    page.set_input_files("#new-file", str(upload))
    page.click("#new-procedure button[type=submit]")
    page.wait_for_selector("#editor[data-ready=true]")  # no DI: bpmn-js lays nothing out, but imports
    page.click("#validate")
    page.wait_for_selector("#editor[data-validated=errors]")
    listed = {li.get_attribute("data-element"): li.inner_text() for li in page.locator("#problems li").all()}
    assert "formKey" in listed["approve"]
    assert "end event" in listed["wait"] or "outgoing" in listed["wait"]
    select(page, "wait")
    field = page.locator("#element-fields [data-prop=timer]")
    assert field.input_value() == "PT1H"
    field.fill("PT2H")
    field.dispatch_event("change")
    xml = page.evaluate("() => window.zhiduEditor.saveXML().then(r => r.xml)")
    assert "PT2H" in xml and "camunda:assignee" in xml
    screenshot(page, "editor-upload-problems")
    context.close()
