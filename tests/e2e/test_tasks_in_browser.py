"""Field errors, a claim conflict between two people, and permissions — in the browser."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_complaint_journey import start_complaint

pytestmark = pytest.mark.browser


def test_field_errors_show_beside_fields_and_keep_the_input(new_page, server):
    staff = new_page("cs_staff1")
    start_complaint(staff, server)
    staff.goto(f"{server}/")
    screenshot(staff, "inbox")
    staff.click("#inbox a.btn-primary")
    staff.fill("[name=customer_expectation]", "退款")
    staff.click("#task-form button[type=submit]")
    staff.wait_for_selector("#form-errors")
    assert staff.inner_text("[data-field=details] .field-error") == "此项必填"
    assert staff.inner_text("[data-field=customer_calmed] .field-error") == "此项必填"
    assert staff.input_value("[name=customer_expectation]") == "退款"
    screenshot(staff, "task-field-errors")
    staff.click("#language-switch")
    staff.wait_for_selector("#task-form")
    staff.click("#task-form button[type=submit]")
    staff.wait_for_selector("#form-errors")
    assert staff.inner_text("[data-field=details] .field-error") == "This field is required"
    staff.fill("[name=details]", "详情")
    staff.check("[name=customer_calmed][value=true]")
    staff.click("#task-form button[type=submit]")
    staff.wait_for_selector(".flash.alert-success")


def test_double_click_on_submit_sends_the_form_once(new_page, server):
    staff = new_page("cs_staff1")
    start_complaint(staff, server)
    staff.goto(f"{server}/")
    staff.click("#inbox a.btn-primary")
    staff.fill("[name=details]", "详情")
    staff.check("[name=customer_calmed][value=true]")
    staff.dblclick("#task-form button[type=submit]")
    staff.wait_for_selector(".flash")
    assert staff.locator(".flash.alert-success").count() == 1
    assert staff.locator(".flash.alert-warning").count() == 0


def test_claim_conflict_between_two_colleagues(new_page, server):
    first, second = new_page("cs_staff1"), new_page("cs_staff2")
    start_complaint(first, server)
    first.goto(f"{server}/")
    second.goto(f"{server}/")
    second.click("#inbox a.btn-primary")  # cs_staff2 opens the form before anyone claims it
    second.fill("[name=details]", "我来处理")
    second.check("[name=customer_calmed][value=true]")
    first.click("#inbox form[action$='/claim'] button")
    first.wait_for_selector(".flash.alert-success")
    second.click("#task-form button[type=submit]")
    second.wait_for_selector(".flash.alert-warning")
    assert "已被其他人认领" in second.inner_text(".flash")
    assert second.locator("#inbox-empty").count() == 1
    assert first.locator("#inbox form[action$='/release']").count() == 1


def test_people_outside_the_case_get_403(new_page, server):
    staff = new_page("cs_staff1")
    instance_url = start_complaint(staff, server)
    staff.goto(f"{server}/")
    task_url = staff.locator("#inbox a.btn-primary").get_attribute("href")
    outsider = new_page("mk_staff1")
    for url in (instance_url, f"{server}{task_url}"):
        response = outsider.goto(url)
        assert response.status == 403
        assert "您无权访问此页面" in outsider.inner_text("#error-message")
    assert outsider.locator("#inbox-empty").count() == 0
    outsider.goto(f"{server}/start")
    assert outsider.locator("[data-process=complaint_handling]").count() == 0
