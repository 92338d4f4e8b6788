"""An auditor finds a complaint, steps through it on the diagram and verifies it, in Chromium."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot, serving
from tests.webui.support import INTAKE, build_services

pytestmark = pytest.mark.browser

RECORD = {"details": "客户三次预约均未送达", "customer_expectation": "尽快送达", "customer_calmed": True}


@pytest.fixture
def services(tmp_path):
    services = build_services(f"sqlite:///{tmp_path / 'zhidu.db'}")
    yield services
    services.db.dispose()


@pytest.fixture
def complaint(services) -> str:
    """A complaint recorded and found to be founded: three steps to go through."""
    engine = services.engine
    instance_id = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    for element, user, data in (("Task_Record", "cs_staff1", RECORD),
                                ("Task_Verify", "cs_staff2", {"findings": "物流记录显示未派送", "founded": True})):
        task = next(t for t in engine.show(instance_id).active_tasks if t.name == element)
        engine.complete_task(task.id, user, data)
    return instance_id


@pytest.fixture
def server(services, complaint):
    """The app over `services` (overrides the conftest server, whose database is empty)."""
    with serving(services.engine) as url:
        yield url


def highlighted(page) -> list[str]:
    """Ids of the elements the diagram highlights as active (bpmn-js adds the marker class)."""
    return sorted(page.eval_on_selector_all(
        "#audit-diagram .djs-element.zd-active", "els => els.map(e => e.getAttribute('data-element-id'))"))


def test_auditor_steps_through_a_complaint_and_verifies_it(new_page, server, complaint):
    page = new_page("auditor")
    page.click("#nav-audit")
    page.select_option("#participant", "cs_staff2")
    page.click("#audit-search button[type=submit]")
    page.click(f"tr[data-instance-id='{complaint}'] a")
    page.wait_for_selector("#audit-diagram[data-rendered=true]")

    assert highlighted(page) == ["Task_Decide"]  # the last step: waiting for the manager's decision
    page.click("#step-prev")
    assert page.get_attribute("#audit-diagram", "data-step") == "1"
    assert highlighted(page) == ["Task_Verify"]
    assert page.is_visible("section.zd-step[data-step='1'] >> text=客户三次预约均未送达")
    page.fill("#step-slider", "0")  # drag the slider to the start
    assert highlighted(page) == ["Task_Record", "Timer_Response"]
    assert page.is_disabled("#step-prev") and not page.is_visible("section.zd-step[data-step='1']")
    page.click("#step-next")
    assert highlighted(page) == ["Task_Verify"]
    assert page.locator("section.zd-step[data-step='1'] dt.zd-changed[data-key=details]").count() == 1

    page.click("#verify")
    page.wait_for_selector("#verdict[data-verdict=ok]")
    page.wait_for_selector("#audit-diagram[data-rendered=true]")
    page.fill("#step-slider", "1")
    assert highlighted(page) == ["Task_Verify"]
    screenshot(page, "audit-step-through")
