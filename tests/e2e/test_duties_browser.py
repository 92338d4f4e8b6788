"""Separation of duties in the browser (issue 16.5): the editor's panel shows a user task's
rules under their own heading, hints at a step that does not exist, and keeps what the owner
typed through validation and deployment; the person a step concerns finds nothing to do on it."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_editor_browser import select, set_field, site  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_the_panel_shows_edits_and_deploys_the_rules(browser, site):  # noqa: F811
    base, engine = site
    context = browser.new_context(viewport={"width": 1500, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "owner")
    page.goto(f"{base}/owner/complaint_handling/edit")
    page.wait_for_selector("#editor[data-ready=true]")
    select(page, "Task_Track")
    duties = page.locator("#prop-duties")
    assert duties.locator(".fw-semibold").inner_text() == "职责分离"
    assert page.locator("#element-fields [data-prop=notSameAs]").input_value() == "Task_Handle"
    assert page.locator("#element-fields [data-prop=notBy]").input_value() == ""
    set_field(page, "notSameAs", "Task_Handle, Task_Nowhere")
    field = page.locator("#element-fields [data-prop=notSameAs]")
    assert "is-invalid" in field.get_attribute("class")
    assert "不是本流程的用户任务" in duties.inner_text()
    set_field(page, "notSameAs", "Task_Handle,Task_Decide")
    assert "is-invalid" not in field.get_attribute("class")
    select(page, "Task_Feedback")
    set_field(page, "notBy", "started_by")
    screenshot(page, "editor-separation-of-duties")
    page.click("#validate")
    page.wait_for_selector("#editor[data-validated=ok]")
    page.fill("#deploy-comment", "职责分离 separation of duties")
    page.click("#deploy")
    page.wait_for_selector("#editor[data-deployed='2']")
    context.close()
    version = next(p for p in engine.processes() if p.key == "complaint_handling")
    assert version.version == 2
    with engine.run.unit() as uow:  # the deployed version, as the engine reads it
        tasks = engine.run.compiled_for(uow, version.content_hash).user_tasks
    assert tasks["Task_Track"].properties["notSameAs"] == "Task_Handle, Task_Decide"
    assert tasks["Task_Feedback"].properties["notBy"] == "started_by"
