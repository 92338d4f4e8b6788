"""Notifications against in-memory storage: who hears of what (in the command's own unit of work,
or not at all), reading and marking one's own, mail preferences, and the worker's passes —
overdue once per task, mail worded in the recipient's language, retried with back-off by the
engine clock, failed after the last attempt with its error kept, skipped without a mailer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.commands.mail_text import worded
from engine.errors import FormInvalid, PermissionDenied
from engine.notify import KINDS, Notice, notice_of, notify
from engine.outbox import BACKOFF, LEASE, MAX_ATTEMPTS
from tests.engine.fakes import FakeUnitOfWork

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}


class FakeMailer:
    """Refuses the first `failures` sends, then takes every one; keeps what it took."""

    def __init__(self, failures: int = 0):
        self.failures, self.sent = failures, []

    def send(self, to: str, subject: str, body: str, message_id: str) -> str | None:
        if self.failures:
            self.failures -= 1
            return "ConnectionRefusedError: [Errno 111] Connection refused"
        self.sent.append((to, subject, body, message_id))
        return None


def rows(store) -> list[dict]:
    return store.__dict__.get("notification_rows", {"rows": []})["rows"]


def heard(store, kind: str | None = None) -> list[tuple[str, str]]:
    return [(r["recipient"], r["kind"]) for r in rows(store) if kind is None or r["kind"] == kind]


def test_a_new_task_reaches_every_active_holder_of_its_role_but_not_the_actor(fake_engine, store):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert heard(store) == [("cs_staff2", "task_offered")]
    row = rows(store)[0]
    assert row["task_id"] == instance.active_tasks[0].id and row["instance_id"] == instance.id
    assert row["payload"]["actor"] == "cs_staff1" and "description" not in str(row["payload"])
    assert row["mail_status"] == "pending"  # demo users have addresses; mail is on by default


def test_a_deactivated_holder_hears_nothing(fake_engine, store):
    fake_engine.deactivate_user("cs_staff2", actor="admin")
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert heard(store) == []


def test_reassigning_tells_the_new_holder(fake_engine, store):
    task = fake_engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0]
    fake_engine.reassign(task.id, "cs_manager", "cs_staff2")
    assert heard(store, "task_assigned") == [("cs_staff2", "task_assigned")]
    assert rows(store)[-1]["payload"]["actor"] == "cs_manager"


def test_the_starter_hears_when_someone_else_ends_the_request(fake_engine, store):
    first = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    second = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    fake_engine.cancel(first.id, "cs_manager", "duplicate")
    fake_engine.withdraw(second.id, "cs_staff1", "resolved by phone")  # their own act: no news
    assert heard(store, "request_cancelled") == [("cs_staff1", "request_cancelled")]
    assert heard(store, "request_withdrawn") == []
    cancelled = [r for r in rows(store) if r["kind"] == "request_cancelled"][0]
    assert cancelled["payload"]["title"]["en"] and cancelled["instance_id"] == first.id


def test_a_refused_command_notifies_nobody(fake_engine, store):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    before = heard(store)
    with pytest.raises(FormInvalid):
        fake_engine.complete_task(instance.active_tasks[0].id, "cs_staff1", {"customer_calmed": "yes"})
    with pytest.raises(PermissionDenied):
        fake_engine.reassign(instance.active_tasks[0].id, "mk_staff1", "cs_staff2")
    assert heard(store) == before


def test_a_boundary_timer_escalates_the_held_task_to_its_holder(fake_engine, store, clock):
    task = fake_engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0]
    fake_engine.claim(task.id, "cs_staff2")
    clock.advance(timedelta(hours=25))
    fake_engine.fire_due_timers()
    assert ("cs_staff2", "task_escalated") in heard(store)
    assert ("cs_manager", "task_offered") in heard(store)  # the escalation task itself


def test_overdue_reaches_the_holder_once(fake_engine, store, clock):
    task = fake_engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0]
    fake_engine.claim(task.id, "cs_staff2")
    store.tasks[task.id].due_at = clock.now() + timedelta(hours=1)
    assert fake_engine.notify_overdue() == 0
    clock.advance(timedelta(hours=2))
    assert fake_engine.notify_overdue() == 1
    assert fake_engine.notify_overdue() == 0
    assert heard(store, "task_overdue") == [("cs_staff2", "task_overdue")]


def test_notify_reaches_names_and_roles_once_each_and_refuses_unknown_kinds(fake_engine, store, clock):
    with fake_engine.run.unit() as uow:
        notify(uow, clock, ["user:cs_staff2", "cs_staff2", "role:customer-service-manager", "ghost", ""],
               "mentioned", {"instance_id": "i1", "actor": "cs_staff1", "text": "@cs_staff2 看一下"})
        notify(uow, clock, ["cs_staff1"], "mentioned", {"actor": "cs_staff1"})  # only the actor: nobody
        uow.commit()
    assert sorted(heard(store)) == [("cs_manager", "mentioned"), ("cs_staff2", "mentioned")]
    with pytest.raises(ValueError):
        notice_of(["cs_staff2"], "made_up", {}, clock.now())
    assert isinstance(notice_of(["role:x"], "mentioned", {}, clock.now()), Notice)


def test_reading_and_marking_touch_only_ones_own(fake_engine, store):
    for _ in range(3):
        fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    page = fake_engine.notifications("cs_staff2", size=2)
    assert (page.total, page.pages, page.unread, len(page.entries)) == (3, 2, 3, 2)
    assert page.entries[0].id > page.entries[1].id  # newest first
    assert fake_engine.navigation("cs_staff2").unread == 3
    assert fake_engine.mark_read("cs_staff1", [page.entries[0].id]) == 0  # not theirs
    assert fake_engine.mark_read("cs_staff2", [page.entries[0].id]) == 1
    assert fake_engine.notifications("cs_staff2", unread_only=True).total == 2
    assert fake_engine.mark_all_read("cs_staff2") == 2
    assert fake_engine.navigation("cs_staff2").unread == 0


def test_a_kind_turned_off_is_still_shown_but_not_mailed(fake_engine, store):
    assert fake_engine.notification_preferences("cs_staff2") == {k: True for k in KINDS}
    prefs = fake_engine.set_notification_preferences("cs_staff2", {"task_offered": False, "bogus": False})
    assert prefs["task_offered"] is False and "bogus" not in prefs
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert [r["mail_status"] for r in rows(store)] == [None]
    fake_engine.set_notification_preferences("cs_staff2", {"task_offered": True})
    assert fake_engine.notification_preferences("cs_staff2")["task_offered"] is True


def test_mail_is_worded_in_the_recipients_language_with_a_link(fake_engine, store):
    store.languages["cs_staff2"] = "en"
    fake_engine.notices.mailer = FakeMailer()
    fake_engine.notices.base_url = "https://zhidu.example.com/"
    task = fake_engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0]
    assert fake_engine.deliver_mail().sent == 1
    to, subject, body, message_id = fake_engine.notices.mailer.sent[0]
    assert to == "cs_staff2@example.com" and subject.startswith("New task: ")
    assert f"https://zhidu.example.com/tasks/{task.id}" in body
    assert message_id == f"<notification-{rows(store)[0]['id']}@zhidu>"
    assert fake_engine.deliver_mail().sent == 0  # never twice


def test_chinese_is_the_default_language(fake_engine, store):
    fake_engine.notices.mailer = FakeMailer()
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    fake_engine.deliver_mail()
    assert fake_engine.notices.mailer.sent[0][1].startswith("新任务：")


def test_a_refused_mail_is_retried_with_back_off_then_failed_with_its_error(fake_engine, store, clock):
    fake_engine.notices.mailer = FakeMailer(failures=MAX_ATTEMPTS)
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert fake_engine.deliver_mail().retrying == 1
    for wait in BACKOFF:
        assert fake_engine.deliver_mail().to_dict() == {"sent": 0, "retrying": 0, "failed": 0, "skipped": 0}
        clock.advance(wait)
        outcome = fake_engine.deliver_mail()
    assert outcome.failed == 1 and fake_engine.notices.mailer.sent == []
    entry = fake_engine.mail_log(actor="admin").entries[0]
    assert (entry.status, entry.attempts, entry.recipient) == ("failed", MAX_ATTEMPTS, "cs_staff2")
    assert "Connection refused" in entry.last_error
    with pytest.raises(PermissionDenied):
        fake_engine.mail_log(actor="cs_staff2")


def test_a_mail_whose_sender_died_is_sent_after_the_lease(fake_engine, store, clock):
    fake_engine.notices.mailer = FakeMailer()
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    with fake_engine.run.unit() as uow:  # a worker claims it and dies before sending
        assert len(uow.notifications.claim_mail(clock.now(), clock.now() + LEASE, 10, "dead")) == 1
        uow.commit()
    assert fake_engine.deliver_mail().sent == 0
    clock.advance(LEASE + timedelta(seconds=1))
    assert fake_engine.deliver_mail().sent == 1


def test_without_a_mailer_due_mail_is_skipped_and_nothing_fails(fake_engine, store):
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert fake_engine.deliver_mail().skipped == 1
    assert [r["mail_status"] for r in rows(store)] == ["skipped"]
    fake_engine.notices.mailer = FakeMailer()
    assert fake_engine.deliver_mail().sent == 0  # no backlog once a server is configured


def test_a_mention_is_worded_with_who_and_what():
    from engine.notify import DueMail
    mail = DueMail(7, "cs_staff2", "a@example.com", "zh", "mentioned",
                   {"actor": "cs_staff1", "text": "请看附件", "title": {"zh": "投诉", "en": "Complaint"}},
                   "inst-1", None, 1)
    subject, body = worded(mail, "http://127.0.0.1:5000")
    assert subject == "cs_staff1 在评论中提到了您：投诉"
    assert "请看附件" in body and "http://127.0.0.1:5000/instances/inst-1" in body
