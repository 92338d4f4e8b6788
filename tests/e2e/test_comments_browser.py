"""A comment with a mention, posted and read on the instance page in a real browser."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_complaint_journey import start_complaint

pytestmark = pytest.mark.browser


def test_a_comment_with_a_mention_shows_on_the_instance_page(new_page, server):
    staff = new_page("cs_staff1")
    url = start_complaint(staff, server)
    staff.click("#comment-post")  # nothing written: refused beside the field, nothing posted
    staff.wait_for_selector("#comment-error")
    assert staff.inner_text("#comment-error") == "请填写评论内容。"
    staff.fill("#comment-text", "请 @cs_staff2 核实快递单号，@nobody 不用管")
    staff.click("#comment-post")
    staff.wait_for_selector(".zd-comment")
    assert staff.url.split("#")[0] == url.split("#")[0]
    assert staff.inner_text(".zd-comment .zd-mention") == "@赵磊"
    assert staff.inner_text(".zd-comment .comment-text") == "请 @赵磊 核实快递单号，@nobody 不用管"
    assert staff.inner_text(".zd-comment .comment-author") == "杨丽"
    screenshot(staff, "instance-comment")
    colleague = new_page("cs_staff2")
    colleague.goto(url)
    assert colleague.inner_text(".zd-comment .zd-mention") == "@赵磊"
