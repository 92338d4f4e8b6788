"""The outbox against in-memory storage: which events a command writes (in its own unit of work,
or not at all), who may subscribe what URL, and how the worker delivers — signed, retried with
back-off by the engine clock, failed after the last attempt, never twice under one claim."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest

from engine.commands.webhook_http import Reply
from engine.errors import FormInvalid, NotFound, PermissionDenied
from engine.outbox import BACKOFF, EVENTS, LEASE, MAX_ATTEMPTS
from tests.engine.fakes import FakeUnitOfWork

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}
RECORD = {"details": "细节", "customer_calmed": True}


class FakeTransport:
    """Answers each POST with the next code of `codes` (the last one repeats) and keeps what came."""

    def __init__(self, *codes: int | None):
        self.codes, self.sent = list(codes) or [200], []

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Reply:
        self.sent.append((url, body, headers))
        code = self.codes.pop(0) if len(self.codes) > 1 else self.codes[0]
        return Reply(code, None if code else "ConnectionRefusedError: refused")


@pytest.fixture
def transport(fake_engine) -> FakeTransport:
    fake_engine.webhooks.transport = FakeTransport(200)
    return fake_engine.webhooks.transport


def kinds(store) -> list[str]:
    return [e.kind for e in store.outbox["events"].values()] if hasattr(store, "outbox") else []


def deliveries(engine) -> list:
    return list(engine.webhook_deliveries(actor="admin").entries)


def test_start_and_complete_write_their_events_in_the_command(fake_engine, store):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert kinds(store) == ["instance.started", "task.created"]
    task = instance.active_tasks[0]
    fake_engine.complete_task(task.id, "cs_staff1", RECORD)
    assert kinds(store)[2:] == ["task.completed", "task.created"]
    completed = json.loads([e for e in store.outbox["events"].values() if e.kind == "task.completed"][0].body)
    assert completed["data"] == {"instance_id": instance.id, "process_key": "complaint_handling", "version": 1,
                                 "started_by": "cs_staff1", "task_id": task.id, "element": "Task_Record",
                                 "completed_by": "cs_staff1"}
    assert "details" not in json.dumps(completed)  # ids and states only, never instance data


def test_a_refused_command_writes_no_event(fake_engine, store):
    instance = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    before = kinds(store)
    with pytest.raises(FormInvalid):
        fake_engine.complete_task(instance.active_tasks[0].id, "cs_staff1", {"customer_calmed": "yes"})
    with pytest.raises(PermissionDenied):
        fake_engine.cancel(instance.id, "mk_staff1")
    assert kinds(store) == before


def test_cancel_and_withdraw_are_events_of_their_own(fake_engine, store):
    first = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    second = fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    fake_engine.cancel(first.id, "cs_staff1", "duplicate")
    fake_engine.withdraw(second.id, "cs_staff1", "resolved by phone")
    assert kinds(store)[-2:] == ["instance.cancelled", "instance.withdrawn"]


def test_a_failed_instance_raises_instance_failed(fake_engine, store):
    from engine.definitions.bundles import CatalogEntry, ProcessBundle
    from tests.conftest import FIXTURES

    bpmn = (FIXTURES / "loop.bpmn").read_text().replace("count = count + 1", "count = count + undefined_name")
    bundle = ProcessBundle(CatalogEntry("loop", "loop", "loop.bpmn", {"zh": "循环", "en": "loop"}, (), "process-owner"),
                           {"loop.bpmn": bpmn, "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text()})
    fake_engine.deploy([bundle])
    store.users["worker1"] = store.users["cs_staff1"].__class__("worker1", "W", None, ("worker",))
    instance = fake_engine.start("loop", "worker1", {"count": 0, "limit": 3})
    fake_engine.complete_task(instance.active_tasks[0].id, "worker1", {})
    assert kinds(store)[-2:] == ["task.completed", "instance.failed"]


@pytest.mark.parametrize("url, code", [
    ("", "url_required"), ("ftp://example.com/hook", "url_scheme"), ("javascript:alert(1)", "url_scheme"),
    ("file:///etc/passwd", "url_scheme"), ("https://user:pw@example.com/hook", "url_credentials"),
    ("https://token@example.com/hook", "url_credentials"), ("http:///path-only", "url_host"),
    ("https://example.com/a b", "url_format"), ("https://example.com:99999/", "url_format"),
    ("https://example.com/" + "a" * 2000, "url_too_long"),
])
def test_only_plain_http_urls_may_subscribe(fake_engine, url, code):
    with pytest.raises(FormInvalid) as refused:
        fake_engine.add_webhook(url, ["task.created"], actor="admin")
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("url", code)]
    assert fake_engine.webhook_subscriptions(actor="admin") == []


def test_events_must_be_chosen_and_known(fake_engine):
    with pytest.raises(FormInvalid) as refused:
        fake_engine.add_webhook("https://example.com/hook", [], actor="admin")
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("events", "events_required")]
    with pytest.raises(FormInvalid) as refused:
        fake_engine.add_webhook("https://example.com/hook", ["task.deleted"], actor="admin")
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("events", "events_unknown")]


def test_only_administrators_manage_webhooks(fake_engine):
    for call in (lambda: fake_engine.add_webhook("https://example.com/h", ["task.created"], actor="cs_manager"),
                 lambda: fake_engine.webhook_subscriptions(actor="cs_staff1"),
                 lambda: fake_engine.webhook_deliveries(actor="auditor")):
        with pytest.raises(PermissionDenied):
            call()


def test_the_secret_is_shown_once_and_each_subscription_has_its_own(fake_engine):
    one = fake_engine.add_webhook("https://example.com/a", ["task.created"], actor="admin")
    two = fake_engine.add_webhook("http://example.com/b", list(EVENTS), actor="admin")
    assert len(one.secret) == 64 and one.secret != two.secret
    listed = fake_engine.webhook_subscriptions(actor="admin")
    assert [s.url for s in listed] == ["https://example.com/a", "http://example.com/b"]
    assert "secret" not in listed[0].to_dict() and one.secret not in repr(listed)
    assert listed[1].events == EVENTS


def test_delivery_is_signed_and_only_to_subscriptions_that_want_the_event(fake_engine, transport, clock):
    wanted = fake_engine.add_webhook("https://example.com/created", ["task.created"], actor="admin")
    fake_engine.add_webhook("https://example.com/done", ["instance.completed"], actor="admin")
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    done = fake_engine.deliver_webhooks()
    assert done.to_dict() == {"dispatched": 2, "delivered": 1, "retrying": 0, "failed": 0}
    [(url, body, headers)] = transport.sent
    assert url == "https://example.com/created" and headers["Zhidu-Event"] == "task.created"
    t = int(clock.now().timestamp())
    expected = hmac.new(wanted.secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["Zhidu-Signature"] == f"t={t},v1={expected}"
    assert headers["Zhidu-Delivery"] == deliveries(fake_engine)[0].id
    assert json.loads(body)["type"] == "task.created"
    assert fake_engine.deliver_webhooks().to_dict() == {"dispatched": 0, "delivered": 0, "retrying": 0, "failed": 0}


def test_a_failing_receiver_is_retried_with_back_off_then_failed(fake_engine, clock):
    fake_engine.webhooks.transport = FakeTransport(500)
    fake_engine.add_webhook("https://example.com/h", ["instance.started"], actor="admin")
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert fake_engine.deliver_webhooks().delivered == 0
        [entry] = deliveries(fake_engine)
        assert (entry.attempts, entry.last_code, entry.last_error) == (attempt, 500, "HTTP 500")
        if attempt < MAX_ATTEMPTS:
            assert entry.status == "pending" and entry.next_attempt_at == clock.now() + BACKOFF[attempt - 1]
            clock.advance(BACKOFF[attempt - 1] - timedelta(seconds=1))
            assert fake_engine.deliver_webhooks().retrying == 0  # not due a second early
            clock.advance(timedelta(seconds=1))
    assert (entry.status, entry.next_attempt_at) == ("failed", None)
    clock.advance(timedelta(days=30))
    assert fake_engine.deliver_webhooks().to_dict()["retrying"] == 0
    assert len(fake_engine.webhooks.transport.sent) == MAX_ATTEMPTS


def test_a_retry_that_succeeds_is_delivered(fake_engine, clock):
    fake_engine.webhooks.transport = FakeTransport(None, 204)
    fake_engine.add_webhook("https://example.com/h", ["instance.started"], actor="admin")
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert fake_engine.deliver_webhooks().retrying == 1
    assert deliveries(fake_engine)[0].last_error == "ConnectionRefusedError: refused"
    clock.advance(BACKOFF[0])
    assert fake_engine.deliver_webhooks().delivered == 1
    assert (deliveries(fake_engine)[0].status, deliveries(fake_engine)[0].last_code) == ("delivered", 204)


def test_a_claim_whose_worker_died_is_due_again_after_the_lease(fake_engine, store, clock, transport):
    fake_engine.add_webhook("https://example.com/h", ["instance.started"], actor="admin")
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    fake_engine.webhooks._dispatch(10)
    with FakeUnitOfWork(store) as uow:  # a worker claims the delivery, then dies before sending
        [lost] = uow.webhooks.claim_due(clock.now(), clock.now() + LEASE, 10, "dead-worker")
        uow.commit()
    assert fake_engine.deliver_webhooks().delivered == 0  # leased: nobody else sends it
    clock.advance(LEASE)
    assert fake_engine.deliver_webhooks().delivered == 1
    with FakeUnitOfWork(store) as uow:  # the dead worker's late outcome changes nothing
        assert not uow.webhooks.record_outcome(lost.id, "dead-worker", None)
    assert deliveries(fake_engine)[0].attempts == 2 and deliveries(fake_engine)[0].status == "delivered"


def test_removing_a_subscription_drops_what_it_has_not_received(fake_engine, transport):
    sub = fake_engine.add_webhook("https://example.com/h", ["task.created"], actor="admin")
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    fake_engine.webhooks._dispatch(10)
    fake_engine.remove_webhook(sub.subscription.id, actor="admin")
    assert fake_engine.deliver_webhooks().delivered == 0 and transport.sent == []
    assert deliveries(fake_engine)[0].status == "dropped"
    assert fake_engine.webhook_subscriptions(actor="admin") == []
    with pytest.raises(NotFound):
        fake_engine.remove_webhook(sub.subscription.id, actor="admin")


def test_events_nobody_wants_are_not_kept(fake_engine, store, transport):
    fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert fake_engine.deliver_webhooks().dispatched == 2
    assert store.outbox["events"] == {} and transport.sent == []


def test_the_log_is_newest_first_and_paged(fake_engine, clock, transport):
    fake_engine.add_webhook("https://example.com/h", ["instance.started"], actor="admin")
    for _ in range(3):
        fake_engine.start("complaint_handling", "cs_staff1", INTAKE)
        fake_engine.deliver_webhooks()
        clock.advance(timedelta(minutes=1))
    first = fake_engine.webhook_deliveries(1, actor="admin", size=2)
    second = fake_engine.webhook_deliveries(2, actor="admin", size=2)
    assert (first.total, first.pages, len(first.entries), len(second.entries)) == (3, 2, 2, 1)
    times = [e.created_at for e in first.entries + second.entries]
    assert times == sorted(times, reverse=True)


def test_a_url_is_subscribed_once(fake_engine):
    """The same receiver twice would get every event twice (seen in the closing walk)."""
    fake_engine.add_webhook("https://example.com/hook", ["task.created"], actor="admin")
    with pytest.raises(FormInvalid) as refused:
        fake_engine.add_webhook("https://example.com/hook", ["task.completed"], actor="admin")
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("url", "url_taken")]
    assert len(fake_engine.webhook_subscriptions(actor="admin")) == 1
