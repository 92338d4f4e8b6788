"""Webhooks over a real database (SQLite and PostgreSQL) to a REAL HTTP receiver on 127.0.0.1:
signatures a receiver can check, a 500 retried with back-off by the engine clock, a redirect not
followed, a command that commits while the receiver is down, the migrated schema equal to the
models, and several workers on PostgreSQL delivering each row exactly once."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.outbox import BACKOFF
from engine.runtime import Engine
from storage.database import migrate, uow_factory
from tests.conftest import make_zhidu, open_db
from tests.webui.support import INTAKE

RECORD = {"details": "细节", "customer_calmed": True}
TABLES = ("'outbox_events'", "'webhook_subscriptions'", "'webhook_deliveries'")


class Receiver:
    """An HTTP server in a thread that answers each POST with the next of `replies`."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.replies: list[tuple[int, dict[str, str]]] = [(200, {})]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append((self.path, dict(self.headers), body))
                code, headers = receiver.replies.pop(0) if len(receiver.replies) > 1 else receiver.replies[0]
                self.send_response(code)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    running = Receiver()
    yield running
    running.close()


@pytest.fixture
def zhidu(db_url, clock) -> Engine:
    return make_zhidu(db_url, clock)


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """What a receiver does (the README's snippet): recompute the HMAC and check the time."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"]) and abs(now - int(fields["t"])) <= tolerance


def only_delivery(engine: Engine):
    [entry] = engine.webhook_deliveries(actor="admin").entries
    return entry


def test_a_real_receiver_gets_a_body_it_can_verify(zhidu, receiver, clock):
    sub = zhidu.add_webhook(receiver.url + "?source=zhidu", ["instance.started"], actor="admin")
    instance = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    assert zhidu.deliver_webhooks().delivered == 1
    [(path, headers, body)] = receiver.requests
    assert path == "/hook?source=zhidu" and headers["Content-Type"] == "application/json; charset=utf-8"
    assert verify(sub.secret, headers["Zhidu-Signature"], body, int(clock.now().timestamp()))
    assert not verify("another secret", headers["Zhidu-Signature"], body, int(clock.now().timestamp()))
    assert not verify(sub.secret, headers["Zhidu-Signature"], body + b" ", int(clock.now().timestamp()))
    document = json.loads(body)
    assert (document["type"], document["data"]["instance_id"]) == ("instance.started", instance.id)
    assert headers["Zhidu-Event"] == "instance.started" and headers["Zhidu-Delivery"] == only_delivery(zhidu).id
    assert (only_delivery(zhidu).status, only_delivery(zhidu).last_code) == ("delivered", 200)


def test_a_500_is_retried_with_back_off_and_the_same_body(zhidu, receiver, clock):
    receiver.replies = [(500, {}), (500, {}), (200, {})]
    zhidu.add_webhook(receiver.url, ["instance.started"], actor="admin")
    zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    assert zhidu.deliver_webhooks().retrying == 1
    assert only_delivery(zhidu).next_attempt_at == clock.now() + BACKOFF[0]
    clock.advance(BACKOFF[0] - timedelta(seconds=1))
    zhidu.deliver_webhooks()
    assert len(receiver.requests) == 1  # not due yet
    clock.advance(timedelta(seconds=1))
    assert zhidu.deliver_webhooks().retrying == 1
    assert only_delivery(zhidu).next_attempt_at == clock.now() + BACKOFF[1]
    clock.advance(BACKOFF[1])
    assert zhidu.deliver_webhooks().delivered == 1
    bodies = {body for _, _, body in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1
    assert [h["Zhidu-Signature"].split(",")[0] for _, h, _ in receiver.requests] == [
        f"t={int((clock.now() - BACKOFF[1] - BACKOFF[0]).timestamp())}",
        f"t={int((clock.now() - BACKOFF[1]).timestamp())}", f"t={int(clock.now().timestamp())}"]
    assert (only_delivery(zhidu).attempts, only_delivery(zhidu).status) == (3, "delivered")


def test_a_redirect_is_not_followed(zhidu, receiver):
    receiver.replies = [(302, {"Location": receiver.url.replace("/hook", "/elsewhere")})]
    zhidu.add_webhook(receiver.url, ["instance.started"], actor="admin")
    zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    assert zhidu.deliver_webhooks().retrying == 1
    assert [path for path, _, _ in receiver.requests] == ["/hook"]
    entry = only_delivery(zhidu)
    assert (entry.status, entry.last_code) == ("pending", 302)
    assert "redirects are not followed" in entry.last_error


def test_a_command_commits_while_the_receiver_is_down(zhidu, clock):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    zhidu.add_webhook(f"http://127.0.0.1:{port}/hook", ["task.completed"], actor="admin")
    instance = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    after = zhidu.complete_task(instance.active_tasks[0].id, "cs_staff1", RECORD)
    assert after.active_tasks[0].name != "Task_Record"
    assert zhidu.deliver_webhooks().retrying == 1
    assert zhidu.show(instance.id).active_tasks[0].name == after.active_tasks[0].name
    entry = only_delivery(zhidu)
    assert entry.status == "pending" and entry.last_code is None and "Connection" in entry.last_error


def test_subscriptions_round_trip_and_removal_drops_pending(zhidu, receiver):
    sub = zhidu.add_webhook(receiver.url, ["task.created", "instance.failed"], actor="admin")
    [listed] = zhidu.webhook_subscriptions(actor="admin")
    assert (listed.url, listed.events, listed.created_by) == (receiver.url, ("instance.failed", "task.created"), "admin")
    zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    zhidu.webhooks._dispatch(10)
    zhidu.remove_webhook(sub.subscription.id, actor="admin")
    assert zhidu.deliver_webhooks().delivered == 0 and receiver.requests == []
    assert only_delivery(zhidu).status == "dropped" and zhidu.webhook_subscriptions(actor="admin") == []


def test_migration_0013_creates_what_the_models_describe(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    db = open_db(db_url)
    migrate(db)
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if any(table in repr(d) for table in TABLES)] == []


@pytest.mark.postgres
def test_several_workers_deliver_each_row_exactly_once(postgres_url, clock, receiver):
    engine = make_zhidu(postgres_url, clock)
    engine.add_webhook(receiver.url, ["instance.started", "task.created"], actor="admin")
    for _ in range(15):
        engine.start("complaint_handling", "cs_staff1", INTAKE)
    workers = [Engine(uow_factory(open_db(postgres_url)), clock) for _ in range(4)]
    barrier, errors = threading.Barrier(4), []

    def work(worker: Engine) -> None:
        try:
            barrier.wait()
            while worker.deliver_webhooks(limit=3).to_dict() != {"dispatched": 0, "delivered": 0,
                                                                  "retrying": 0, "failed": 0}:
                pass
        except BaseException as err:  # reported by the test thread
            errors.append(err)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    sent = Counter(headers["Zhidu-Delivery"] for _, headers, _ in receiver.requests)
    assert len(sent) == 30 and set(sent.values()) == {1}
    log = engine.webhook_deliveries(actor="admin", size=100)
    assert log.total == 30 and {e.status for e in log.entries} == {"delivered"}
