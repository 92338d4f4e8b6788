"""The bell and the notification pages: the header's unread count, the list newest first with
its links, marking one or all read (one's own only, with the CSRF token), the e-mail settings,
both languages, and the mail log for administrators only."""

from __future__ import annotations

import re

from tests.webui.support import INTAKE


def bell(html: str) -> str | None:
    match = re.search(r'id="unread-count">(\d+)<', html)
    return match.group(1) if match else None


def test_the_bell_counts_unread_notifications(engine, auth, client):
    auth.sign_in("cs_staff2")
    assert 'id="nav-bell"' in client.get("/inbox").get_data(as_text=True)
    assert bell(client.get("/inbox").get_data(as_text=True)) is None
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert bell(client.get("/inbox").get_data(as_text=True)) == "2"


def test_the_list_links_to_the_task_and_marks_read(engine, auth, client):
    task = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0]
    auth.sign_in("cs_staff2")
    html = client.get("/notifications").get_data(as_text=True)
    [entry] = engine.notifications("cs_staff2").entries
    assert f'id="notification-{entry.id}"' in html and 'data-read="no"' in html
    assert "有新任务可领取" in html
    opened = client.get(f"/notifications/{entry.id}/open?next=/tasks/{task.id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/tasks/{task.id}")
    assert engine.navigation("cs_staff2").unread == 0
    away = client.get(f"/notifications/{entry.id}/open?next=//evil.example.com/")
    assert away.headers["Location"].endswith("/notifications")  # never off the site


def test_mark_one_and_mark_all(engine, auth, client):
    for _ in range(3):
        engine.start("complaint_handling", "cs_staff1", INTAKE)
    first, *_ = engine.notifications("cs_staff2").entries
    auth.sign_in("cs_staff2")
    assert client.post("/notifications/read", data={"id": str(first.id)}).status_code == 400  # no CSRF token
    assert auth.post("/notifications/read", {"id": str(first.id)}).status_code == 302
    assert engine.navigation("cs_staff2").unread == 2
    html = client.get("/notifications?unread=1").get_data(as_text=True)
    assert html.count('data-read="no"') == 2 and 'id="mark-all-read"' in html
    auth.post("/notifications/read", {"all": "1"})
    assert engine.navigation("cs_staff2").unread == 0
    assert 'id="no-notifications"' in client.get("/notifications?unread=1").get_data(as_text=True)


def test_nobody_marks_anothers_notifications(engine, auth):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    [entry] = engine.notifications("cs_staff2").entries
    auth.sign_in("cs_staff1")
    auth.post("/notifications/read", {"id": str(entry.id)})
    assert engine.navigation("cs_staff2").unread == 1


def test_e_mail_settings_turn_kinds_off_and_on(engine, auth, client):
    auth.sign_in("cs_staff2")
    html = client.get("/notifications/settings").get_data(as_text=True)
    assert html.count("checked") == 9
    kept = ["task_assigned", "mentioned"]
    assert auth.post("/notifications/settings", {"mail": kept}).status_code == 302
    prefs = engine.notification_preferences("cs_staff2")
    assert [k for k, on in prefs.items() if on] == kept


def test_pages_read_in_english_too(engine, auth, client):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    auth.sign_in("cs_staff2")
    auth.post("/language", {"lang": "en"})
    html = client.get("/notifications").get_data(as_text=True)
    assert "A task is offered to you" in html and "Mark all read" in html
    assert "Notifications: 1 unread" in html


def test_the_mail_log_is_for_administrators(engine, auth, client):
    engine.start("complaint_handling", "cs_staff1", INTAKE)
    engine.deliver_mail()  # no mailer configured: skipped, and said so
    auth.sign_in("cs_staff2")
    assert client.get("/notifications/mail-log").status_code == 403
    auth.sign_in("admin")
    html = client.get("/notifications/mail-log").get_data(as_text=True)
    assert 'data-status="skipped"' in html and "cs_staff2" in html


def test_a_mention_reads_with_names_never_keys(engine, auth, client):
    """Seen in the every-page walk: the list showed the procedure's key, the mention's username
    and the author's username; a person reads names."""
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    engine.comment(instance.id, "cs_staff2", "@cs_staff1 请补充通话时间")
    auth.sign_in("cs_staff1")
    html = client.get("/notifications").get_data(as_text=True)
    entry = next(e for e in engine.notifications("cs_staff1").entries if e.kind == "mentioned")
    item = html[html.index(f'id="notification-{entry.id}"'):]
    item = item[:item.index("</li>")]
    assert "@杨丽 请补充通话时间" in item and "赵磊" in item
    assert "complaint_handling" not in item and "cs_staff" not in item
