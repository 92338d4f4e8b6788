"""The inbox, claiming and releasing, and a manager's department view."""

from __future__ import annotations

import re

from tests.webui.support import INTAKE


def start(engine, n: int = 1) -> list[str]:
    """Start `n` complaints as cs_staff1; returns the ids of their first tasks."""
    return [engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id for _ in range(n)]


def nav_count(html: str) -> int:
    return int(re.search(r'id="inbox-count">(\d+)<', html).group(1))


def test_inbox_lists_offered_tasks_with_count_in_the_navigation(client, auth, engine):
    task_ids = start(engine, 3)
    auth.sign_in("cs_staff2")
    page = client.get("/").get_data(as_text=True)
    assert nav_count(page) == 3
    assert all(f'data-task-id="{task_id}"' in page for task_id in task_ids)
    assert "安抚客户并记录详情" in page and "Calm the customer" not in page
    assert "客户投诉处理" in page


def test_inbox_of_someone_else_role_is_empty(client, auth, engine):
    start(engine)
    auth.sign_in("mk_staff1")
    page = client.get("/").get_data(as_text=True)
    assert nav_count(page) == 0
    assert 'id="inbox-empty"' in page


def test_inbox_filters_by_procedure_and_pages(client, auth, engine, app):
    start(engine, 3)
    app.config["INBOX_PAGE_SIZE"] = 2
    auth.sign_in("cs_staff1")
    page = client.get("/?page=2").get_data(as_text=True)
    assert page.count('class="inbox-task') == 1
    page = client.get("/?process=no_such_procedure").get_data(as_text=True)
    assert 'id="inbox-empty"' in page
    page = client.get("/?process=complaint_handling&sort=created").get_data(as_text=True)
    assert page.count('class="inbox-task') == 2


def test_claim_and_release(client, auth, engine):
    (task_id,) = start(engine)
    auth.sign_in("cs_staff1")
    response = auth.post(f"/tasks/{task_id}/claim", {"next": "/"})
    assert response.status_code == 302 and response.location == "/"
    assert engine.task(task_id).claimed_by == "cs_staff1"
    page = client.get("/").get_data(as_text=True)
    assert "已认领任务" in page and f"/tasks/{task_id}/release" in page
    auth.post(f"/tasks/{task_id}/release")
    assert engine.task(task_id).claimed_by is None


def test_a_task_claimed_by_a_colleague_leaves_my_inbox_and_cannot_be_claimed(client, auth, engine):
    (task_id,) = start(engine)
    engine.claim(task_id, "cs_staff2")
    auth.sign_in("cs_staff1")
    assert f'data-task-id="{task_id}"' not in client.get("/").get_data(as_text=True)
    response = auth.post(f"/tasks/{task_id}/claim")
    assert response.status_code == 302 and response.location == "/"
    assert "已被其他人认领" in client.get("/").get_data(as_text=True)
    assert engine.task(task_id).claimed_by == "cs_staff2"


def test_manager_sees_department_tasks_and_reassigns(client, auth, engine):
    (task_id,) = start(engine)
    engine.claim(task_id, "cs_staff1")
    auth.sign_in("cs_manager")
    page = client.get("/team").get_data(as_text=True)
    assert f'data-task-id="{task_id}"' in page and 'value="cs_staff2"' in page
    response = auth.post(f"/tasks/{task_id}/reassign", {"to_user": "cs_staff2"})
    assert response.status_code == 302
    assert engine.task(task_id).claimed_by == "cs_staff2"


def test_staff_may_not_reassign(client, auth, engine):
    (task_id,) = start(engine)
    auth.sign_in("cs_staff1")
    refused = client.get("/team")  # not an empty team page: staff manage no department
    assert refused.status_code == 403 and 'id="team"' not in refused.get_data(as_text=True)
    response = auth.post(f"/tasks/{task_id}/reassign", {"to_user": "cs_staff2"})
    assert response.status_code == 403
    assert engine.task(task_id).claimed_by is None


def test_navigation_count_follows_my_own_submissions(client, auth, engine):
    task_ids = start(engine, 2)
    auth.sign_in("cs_staff1")
    assert nav_count(client.get("/requests").get_data(as_text=True)) == 2
    auth.post(f"/tasks/{task_ids[0]}", {"details": "d", "customer_calmed": "true"})
    assert nav_count(client.get("/requests").get_data(as_text=True)) == 2  # Verify took its place
    engine.complete_task(engine.tasks_for("cs_staff1")[0].id, "cs_staff2", {"details": "d", "customer_calmed": True})
    assert nav_count(client.get("/").get_data(as_text=True)) == 2  # the inbox itself always recounts


def complaint(engine, customer: str, category: str) -> str:
    return engine.start("complaint_handling", "cs_staff1", {**INTAKE, "customer_name": customer,
                                                            "category": category}).active_tasks[0].id


def rows(page: str) -> list[str]:
    return re.findall(r'data-task-id="([^"]+)"', page)


def test_each_row_says_what_the_task_is_about_in_the_reader_language(client, auth, engine):
    complaint(engine, "李先生", "billing")
    auth.sign_in("cs_staff2")
    assert "李先生 · 费用" in client.get("/").get_data(as_text=True)
    auth.post("/language", {"lang": "en", "next": "/"})
    assert "李先生 · Billing" in client.get("/").get_data(as_text=True)


def test_the_inbox_searches_subject_and_procedure_and_keeps_the_search_across_pages(client, auth, engine, app):
    li, wang = complaint(engine, "李先生", "billing"), complaint(engine, "王女士", "delivery")
    auth.sign_in("cs_staff2")
    assert rows(client.get("/?q=李先生").get_data(as_text=True)) == [li]
    assert rows(client.get("/?q=delivery").get_data(as_text=True)) == [wang]  # the English subject too
    assert set(rows(client.get("/?q=投诉处理").get_data(as_text=True))) == {li, wang}  # the procedure's name
    assert set(rows(client.get("/?q=Complaint").get_data(as_text=True))) == {li, wang}
    page = client.get("/?q=100%25").get_data(as_text=True)  # a LIKE wildcard is text, not "anything"
    assert rows(page) == [] and 'id="inbox-empty"' in page
    app.config["INBOX_PAGE_SIZE"] = 1
    page = client.get("/?q=投诉处理").get_data(as_text=True)
    assert "q=%E6%8A%95%E8%AF%89%E5%A4%84%E7%90%86" in page and "page=2" in page


def test_the_team_page_shows_subjects_and_searches(client, auth, engine):
    li, wang = complaint(engine, "李先生", "billing"), complaint(engine, "王女士", "delivery")
    auth.sign_in("cs_manager")
    page = client.get("/team").get_data(as_text=True)
    assert "李先生 · 费用" in page and "王女士 · 交付" in page
    page = client.get("/team?q=王女士").get_data(as_text=True)
    assert rows(page) == [wang]
