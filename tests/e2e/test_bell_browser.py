"""The bell in a real browser: a colleague's new complaint lights it with a count, the list shows
it, marking it read puts the bell out."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_complaint_journey import start_complaint

pytestmark = pytest.mark.browser


def test_the_bell_counts_lists_and_marks_read(new_page, server):
    starter = new_page("cs_staff1")
    start_complaint(starter, server)
    staff = new_page("cs_staff2")
    staff.goto(f"{server}/")
    assert staff.inner_text("#unread-count") == "1"
    staff.click("#nav-bell")
    staff.wait_for_selector("#notifications")
    items = staff.locator("#notifications li[data-kind=task_offered]")
    assert items.count() == 1 and items.first.get_attribute("data-read") == "no"
    screenshot(staff, "notifications")
    staff.click("#notifications .mark-read")
    staff.wait_for_selector(".flash.alert-success")
    assert staff.locator("#notifications li[data-read=yes]").count() == 1
    assert staff.locator("#unread-count").count() == 0
    staff.click("#notifications li a.fw-semibold")
    staff.wait_for_selector("#task-form, #claim-form, form[action$='/claim']")
    assert "/tasks/" in staff.url
