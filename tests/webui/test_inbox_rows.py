"""An inbox page's rows (webui/views/pages.py InboxRow, employee/inbox.html): each row's words in
the reader's language, and links that are the ones url_for builds, though the page builds each
kind of link once."""

from __future__ import annotations

import re

from flask import url_for

from tests.webui.support import INTAKE


def test_each_row_links_where_url_for_does(app, client, auth, engine):
    offered, claimed = (engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0] for _ in range(2))
    engine.claim(claimed.id, "cs_staff1")
    auth.sign_in("cs_staff1")
    page = client.get("/").get_data(as_text=True)
    with app.test_request_context():
        links = {url_for("employee.task", task_id=t.id) for t in (offered, claimed)} | \
            {url_for("employee.instance", instance_id=t.instance_id) for t in (offered, claimed)}
        actions = {url_for("employee.claim", task_id=offered.id), url_for("employee.release", task_id=claimed.id)}
    assert links <= set(re.findall(r'href="([^"]+)"', page))
    assert actions == {a for a in re.findall(r'action="([^"]+)"', page) if "/tasks/" in a}
    assert "%7B" not in page


def test_a_row_speaks_the_readers_language(client, auth, engine):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("cs_staff2")
    english = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    chinese = client.get("/", headers={"Accept-Language": "zh"}).get_data(as_text=True)
    assert "Calm the customer" in english and "安抚客户并记录详情" not in english
    assert english.count("Customer complaint handling") == 2  # the procedure's filter and its row
    assert "安抚客户并记录详情" in chinese and chinese.count("客户投诉处理") >= 2
