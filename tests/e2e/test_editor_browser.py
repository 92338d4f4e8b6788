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
    row.locator("input.zd-move").check()
    page.check("#confirm-move")
    page.click("#move-selected")
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


STUCK = '<bpmn:sequenceFlow id="Flow_Review_End" sourceRef="Task_Review" targetRef="End_Closed" />'


@pytest.mark.parametrize("width, lang", [(1280, "en-US"), (390, "zh-CN")])
def test_the_canvas_spans_the_page_and_the_palette_covers_no_element(browser, site, width, lang):
    base, _engine = site
    context = browser.new_context(viewport={"width": width, "height": 900}, locale=lang)
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "owner")
    page.goto(f"{base}/owner/complaint_handling/edit")
    page.wait_for_selector("#editor[data-ready=true]")
    canvas = page.locator("#canvas").bounding_box()
    assert canvas["width"] >= width * (0.7 if width > 1000 else 0.85)
    palette = page.locator("#canvas .djs-palette").bounding_box()
    shapes = page.evaluate("""() => Array.from(document.querySelectorAll('#canvas .djs-shape')).map(s => {
        const r = s.getBoundingClientRect(); return [s.getAttribute('data-element-id'), r.left, r.top, r.right, r.bottom]; })""")
    covered = [s[0] for s in shapes if s[1] < palette["x"] + palette["width"] and s[3] > palette["x"]
               and s[2] < palette["y"] + palette["height"] and s[4] > palette["y"] and not s[0].startswith(("Participant", "Lane"))]
    assert covered == [], f"the palette covers {covered}"
    wider = page.evaluate("""() => Array.from(document.querySelectorAll('#editor *'))
        .filter(e => !e.closest('.djs-container') && e.getBoundingClientRect().width > 0
                     && e.getBoundingClientRect().right > window.innerWidth + 1).map(e => e.id || e.className)""")
    assert wider == [], f"wider than the window: {wider}"
    screenshot(page, f"editor-{width}-{lang[:2]}")
    context.close()


def test_warnings_need_a_reason_drafts_come_back_and_leaving_unsaved_work_asks(browser, site):
    base, engine = site
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "owner")
    page.goto(f"{base}/owner/complaint_handling/edit")
    page.wait_for_selector("#editor[data-ready=true]")
    assert page.get_attribute("#editor", "data-dirty") == "false"
    page.evaluate("""() => { const m = window.zhiduEditor;
        m.get('modeling').removeElements([m.get('elementRegistry').get('Flow_Review_End')]); }""")
    assert page.get_attribute("#editor", "data-dirty") == "true"
    assert page.is_visible("#unsaved")

    page.click("#save-draft")
    page.wait_for_selector("#editor[data-draft=saved]")
    assert page.get_attribute("#editor", "data-dirty") == "false"
    page.goto(f"{base}/owner/complaint_handling/edit")
    page.wait_for_selector("#editor[data-ready=true]")
    assert page.evaluate("() => !!window.zhiduEditor.get('elementRegistry').get('Flow_Review_End')")
    page.click("#load-draft")
    page.wait_for_selector("#editor[data-draft=loaded]")
    assert page.evaluate("() => !window.zhiduEditor.get('elementRegistry').get('Flow_Review_End')")

    page.click("#deploy")
    page.wait_for_selector("#editor[data-deployed=needs-reason]")
    assert page.is_visible("#warnings-confirm")
    assert page.locator("#problems li[data-severity=warning]").count() == 2
    assert "警告" in page.inner_text("#problems")
    screenshot(page, "editor-warnings-need-a-reason")
    page.click("#deploy-anyway")  # no reason given: nothing happens
    assert page.get_attribute("#editor", "data-deployed") == "needs-reason"
    page.fill("#warnings-reason", "结案步骤暂停使用")
    page.click("#deploy-anyway")
    page.wait_for_selector("#editor[data-deployed='2']")
    assert engine.version_history("complaint_handling", "owner")[0].warnings_reason == "结案步骤暂停使用"

    page.evaluate("""() => { const m = window.zhiduEditor, reg = m.get('elementRegistry');
        m.get('modeling').updateLabel(reg.get('Task_Verify'), 'x'); }""")
    page.on("dialog", lambda dialog: dialog.dismiss())
    with page.expect_event("dialog", timeout=20000) as asked:  # no fixed wait: a busy machine is slow
        page.close(run_before_unload=True)
    assert asked.value.type == "beforeunload"
    context.close()


IMPORTED = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="http://x">
  <bpmn:collaboration id="c"><bpmn:participant id="p" processRef="trip" /></bpmn:collaboration>
  <bpmn:process id="trip" isExecutable="false">
    <bpmn:laneSet id="ls"><bpmn:lane id="L1" name="Travellers"><bpmn:flowNodeRef>start</bpmn:flowNodeRef>
      <bpmn:flowNodeRef>ask</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="ask" />
    <bpmn:userTask id="ask" name="Ask" />
    <bpmn:sequenceFlow id="f2" sourceRef="ask" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_an_imported_process_is_marked_executable_and_its_lanes_mapped_in_the_editor(browser, site, tmp_path):
    base, engine = site
    upload = tmp_path / "trip.bpmn"
    upload.write_text(IMPORTED, encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "owner")
    page.goto(f"{base}/owner/")
    page.fill("#new-key", "business_trip")
    page.set_input_files("#new-file", str(upload))
    page.click("#new-procedure button[type=submit]")
    page.wait_for_selector("#editor[data-ready=true]")
    assert not page.is_checked("#entry-executable")
    page.check("#entry-executable")
    lane = page.locator("#lane-roles [data-lane='Travellers'] input")
    lane.fill("no-such-role")
    lane.dispatch_event("change")
    assert page.locator("#lane-roles [data-lane='Travellers'] .text-danger").inner_text() == "No such role."
    page.locator("#lane-roles [data-lane='Travellers'] input").fill("project-management-staff")
    page.locator("#lane-roles [data-lane='Travellers'] input").dispatch_event("change")
    select(page, "ask")
    assert page.inner_text("#element-fields label[for=prop-formkey]") == "Form (formKey)"
    assert page.locator("#element-fields [data-prop=formKey]").evaluate("e => e.classList.contains('is-invalid')")
    page.fill("#new-form-key", "trip_request")
    page.click("#add-form")
    select(page, "ask")
    set_field(page, "formKey", "trip_request")
    page.click("#validate")
    page.wait_for_selector("#editor[data-validated=ok]")
    page.fill("#deploy-comment", "imported")
    page.click("#deploy")
    page.wait_for_selector("#editor[data-deployed='1']")
    deployed = engine.version_bundle("business_trip", "owner")
    assert 'isExecutable="true"' in deployed.files[deployed.entry.bpmn]
    assert deployed.entry.lanes == {"Travellers": "project-management-staff"}
    context.close()
