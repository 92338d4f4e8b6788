"""A complaint handled end to end by three people, through the browser only."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.browser


def start_complaint(page, base: str, shot: str | None = None) -> str:
    """cs_staff1's part: start a complaint from the start page; returns the instance URL."""
    page.goto(f"{base}/start")
    page.click("[data-process=complaint_handling] a.btn")
    if shot:
        screenshot(page, shot)
    page.fill("[name=customer_name]", "王女士")
    page.fill("[name=contact]", "13800000000")
    page.select_option("[name=channel]", "phone")
    page.select_option("[name=category]", "delivery")
    page.check("#severity-3")
    page.fill("[name=description]", "快递三次未送达")
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("#instance-status")
    return page.url


def open_task(page, base: str, title_zh: str) -> None:
    page.goto(f"{base}/")
    page.click(f"#inbox a:text-is('{title_zh}')")
    page.wait_for_selector("#task-form")


def submit(page) -> None:
    page.click("#task-form button[type=submit]")
    page.wait_for_selector(".flash.alert-success")


def yes(page, name: str, answer: bool = True) -> None:
    page.check(f"[name={name}][value={'true' if answer else 'false'}]")


def test_complaint_is_handled_by_three_people_and_ends_completed(new_page, server):
    staff, manager, handler = new_page("cs_staff1"), new_page("cs_manager"), new_page("da_staff1")
    instance_url = start_complaint(staff, server, shot="start-form")

    open_task(staff, server, "安抚客户并记录详情")
    staff.fill("[name=details]", "客户三次预约送货均未送达")
    yes(staff, "customer_calmed")
    submit(staff)
    open_task(staff, server, "调查核实")
    staff.fill("[name=findings]", "物流记录显示未派送")
    yes(staff, "founded")
    submit(staff)

    open_task(manager, server, "确定责任部门和解决方案")
    manager.select_option("[name=responsible_department]", "data-analysis")
    manager.fill("[name=remedy]", "核查配送数据并重新派送")
    manager.fill("[name=resolve_by]", "2026-12-05")
    submit(manager)

    for round_, resolved in ((1, False), (2, True)):
        open_task(handler, server, "责任部门处理")
        handler.fill("[name=actions_taken]", f"第{round_}次处理：重新派送")
        handler.fill("[name=handled_on]", "2026-12-01")
        submit(handler)
        open_task(staff, server, "跟踪处理进度")
        yes(staff, "resolved", resolved)
        staff.fill("[name=progress_note]", "已解决" if resolved else "仍未送达")
        submit(staff)

    open_task(staff, server, "向客户反馈处理结果")
    staff.fill("[name=feedback]", "已重新送达并致歉")
    staff.check("[name=feedback_channel][value=phone]")
    yes(staff, "customer_satisfied")
    staff.fill("[name=satisfaction]", "5")
    submit(staff)

    open_task(manager, server, "案例总结与改进")
    manager.fill("[name=root_cause]", "配送排班不足")
    manager.fill("[name='improvement_measures[0].measure']", "增加配送排班")
    manager.select_option("[name='improvement_measures[0].owner_department']", "project-management")
    manager.fill("[name='improvement_measures[0].due_date']", "2026-12-31")
    manager.click("[data-add-row]")
    manager.fill("[name='improvement_measures[1].measure']", "每周复盘投诉数据")
    manager.select_option("[name='improvement_measures[1].owner_department']", "data-analysis")
    manager.fill("[name='improvement_measures[1].due_date']", "2027-01-15")
    screenshot(manager, "task-table")
    submit(manager)

    staff.goto(instance_url)
    assert staff.get_attribute("#instance-status", "data-status") == "completed"
    staff.wait_for_selector("#diagram[data-rendered=true]")
    assert staff.locator("#diagram svg").count() >= 1
    assert staff.locator("#diagram .djs-element.zd-done").count() >= 8
    assert staff.locator("#diagram .zd-count").first.inner_text() == "2"
    assert staff.locator("#history [data-kind=instance_completed]").count() == 1
    assert "增加配送排班" in staff.inner_text("#instance-data")
    screenshot(staff, "instance-zh")
    staff.click("#language-switch")
    staff.wait_for_selector("#diagram[data-rendered=true]")
    assert "Customer complaint handling" in staff.inner_text("h1")
    screenshot(staff, "instance-en")

    staff.goto(f"{server}/requests")
    assert "已完成" in staff.inner_text("#requests") or "completed" in staff.inner_text("#requests")
