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


def current_element(page) -> list[str]:
    return page.eval_on_selector_all(
        "#audit-diagram .djs-element.zd-current", "els => els.map(e => e.getAttribute('data-element-id'))")


def step(page) -> str:
    return page.get_attribute("#audit-diagram", "data-step")


def test_auditor_steps_through_every_entry_with_the_keys_and_verifies(new_page, server, complaint):
    page = new_page("auditor")
    page.click("#nav-audit")
    page.select_option("#participant", "cs_staff2")
    page.click("#audit-search button[type=submit]")
    page.click(f"tr[data-instance-id='{complaint}'] a")
    page.wait_for_selector("#audit-diagram[data-rendered=true]")

    steps = page.locator("section.zd-step").count()
    assert steps == page.locator("#timeline li.zd-entry").count() == 10  # every journal entry is a step
    assert step(page) == "9" and highlighted(page) == ["Task_Decide"]  # the last: waiting for the manager
    page.locator("body").press("ArrowLeft")  # the arrow keys move through the entries
    assert step(page) == "8" and highlighted(page) == [] and current_element(page) == ["Gateway_Founded"]
    assert page.is_visible("section.zd-step[data-step='8'] >> text=步骤完成")
    page.locator("body").press("Home")
    assert step(page) == "0" and page.is_disabled("#step-prev")
    assert page.is_visible("section.zd-step[data-step='0'] .zd-step-actor >> text=杨丽")  # a name, not cs_staff1
    page.fill("#step-slider", "2")  # drag the slider: the complaint waits to be recorded (and its timer)
    assert highlighted(page) == ["Task_Record", "Timer_Response"]
    page.locator("body").press("ArrowRight")
    assert step(page) == "3" and page.is_visible("section.zd-step[data-step='3'] >> text=客户三次预约均未送达")
    page.locator("body").press("ArrowRight")
    assert page.locator("section.zd-step[data-step='4'] .zd-changes tr[data-key=details]").is_visible()
    assert not page.is_visible("section.zd-step[data-step='3']")
    page.click("#timeline a.zd-goto[href='#entry-6']")  # an entry of the full history, on the diagram
    assert step(page) == "5" and highlighted(page) == ["Task_Verify"]
    assert page.get_attribute("#entry-6", "class").endswith("zd-current")

    page.click("#verify")  # posts, then comes back to the instance page with the verdict
    page.wait_for_selector("#verdict[data-verdict=ok]")
    assert page.url.split("#")[0].endswith(f"/audit/instances/{complaint}")
    page.wait_for_selector("#audit-diagram[data-rendered=true]")
    screenshot(page, "audit-step-through")
