"""The administrator's webhook pages: a subscription added (its secret shown once, never again),
refusals beside their field in both languages with the input kept, removal, the delivery log
newest first and paged — administrators only, and every form needs its CSRF token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.clock import FixedClock
from engine.commands.webhook_http import Reply
from tests.conftest import T0
from tests.webui.support import INTAKE


class Always:
    def __init__(self, code: int):
        self.code = code

    def post(self, url, body, headers) -> Reply:
        return Reply(self.code)


@pytest.fixture
def admin(auth):
    auth.sign_in("admin")
    return auth


def field_error(html: str, input_id: str) -> str:
    start = html.index(f'id="{input_id}"')
    match = re.search(r'<div class="invalid-feedback d-block field-error">([^<]+)</div>', html[start:])
    assert match, f"no error under {input_id}"
    return match.group(1)


def test_adding_shows_the_secret_once(client, admin, engine):
    response = admin.post("/admin/webhooks", {"url": "https://crm.example.com/zhidu",
                                              "events": ["task.created", "instance.completed"]})
    html = response.get_data(as_text=True)
    assert response.status_code == 201
    secret = re.search(r'id="new-secret" value="([0-9a-f]{64})"', html).group(1)
    [sub] = engine.webhook_subscriptions()
    assert (sub.url, sub.events) == ("https://crm.example.com/zhidu", ("instance.completed", "task.created"))
    assert "任务创建" in html and "https://crm.example.com/zhidu" in html
    listed = client.get("/admin/webhooks").get_data(as_text=True)
    assert secret not in listed and 'id="new-secret"' not in listed
    with client.session_transaction() as session:
        assert secret not in repr(dict(session))


@pytest.mark.parametrize("form, input_id, message", [
    ({"url": "ftp://example.com/x", "events": ["task.created"]}, "webhook-url",
     "接收地址只能以 http:// 或 https:// 开头。"),
    ({"url": "https://me:pw@example.com/x", "events": ["task.created"]}, "webhook-url",
     "接收地址不得包含用户名或密码。"),
    ({"url": "", "events": ["task.created"]}, "webhook-url", "请填写接收地址。"),
    ({"url": "https://example.com/x"}, "webhook-events", "请至少选择一个事件。"),
    ({"url": "https://example.com/x", "events": ["task.deleted"]}, "webhook-events", "请从列表中选择事件。"),
])
def test_refusals_come_back_beside_the_field_with_the_input_kept(client, admin, engine, form, input_id, message):
    response = admin.post("/admin/webhooks", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="add-webhook"' in html
    assert field_error(html, input_id) == message
    assert f'value="{form["url"]}"' in html
    assert engine.webhook_subscriptions() == []


def test_english_messages(client, admin):
    admin.post("/language", {"lang": "en"})
    html = admin.post("/admin/webhooks", {"url": "javascript:alert(1)"}).get_data(as_text=True)
    assert field_error(html, "webhook-url") == "The URL must start with http:// or https://."
    assert field_error(html, "webhook-events") == "Choose at least one event."
    assert "Receiver URL" in html and "Task completed" in html


def test_removing_a_subscription(client, admin, engine):
    sub = engine.add_webhook("https://example.com/x", ["task.created"])
    response = admin.post(f"/admin/webhooks/{sub.subscription.id}/remove")
    assert response.status_code == 302
    assert engine.webhook_subscriptions() == []
    assert "已删除订阅 https://example.com/x" in client.get("/admin/webhooks").get_data(as_text=True)
    assert admin.post(f"/admin/webhooks/{sub.subscription.id}/remove").status_code == 404


def test_forms_need_their_csrf_token(client, admin, engine):
    response = client.post("/admin/webhooks", data={"url": "https://example.com/x", "events": ["task.created"]})
    assert response.status_code == 400 and engine.webhook_subscriptions() == []
    sub = engine.add_webhook("https://example.com/x", ["task.created"])
    assert client.post(f"/admin/webhooks/{sub.subscription.id}/remove").status_code == 400
    assert len(engine.webhook_subscriptions()) == 1


@pytest.mark.parametrize("user", ["cs_staff1", "cs_manager", "auditor", "director"])
def test_only_administrators_reach_the_pages(client, auth, engine, user):
    sub = engine.add_webhook("https://example.com/x", ["task.created"])
    auth.sign_in(user)
    assert client.get("/admin/webhooks").status_code == 403
    assert client.get("/admin/webhooks/deliveries").status_code == 403
    assert auth.post("/admin/webhooks", {"url": "https://evil.example.com/", "events": ["task.created"]}).status_code == 403
    assert auth.post(f"/admin/webhooks/{sub.subscription.id}/remove").status_code == 403
    assert [s.url for s in engine.webhook_subscriptions()] == ["https://example.com/x"]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/webhooks")
    assert response.status_code in (302, 401) and "sign-in" in response.headers.get("Location", "/sign-in")


def test_the_delivery_log_is_newest_first_and_paged(client, admin, engine):
    engine.clock.inner = FixedClock(T0)  # the log's order comes from the engine clock, not the wall
    engine.webhooks.transport = Always(503)
    engine.add_webhook("https://example.com/x", ["instance.started"])
    for _ in range(51):
        engine.start("complaint_handling", "cs_staff1", INTAKE)
        engine.deliver_webhooks()
        engine.clock.inner.advance(timedelta(minutes=1))
    first = client.get("/admin/webhooks/deliveries").get_data(as_text=True)
    assert first.count('data-status="pending"') == 50 and "HTTP 503" in first
    assert "第 1 / 2 页，共 51 条" in first and 'rel="next"' in first
    shown = re.findall(r'id="delivery-([^"]+)"', first)
    log = engine.webhook_deliveries(actor="admin").entries
    assert shown == [e.id for e in log]
    assert [e.created_at for e in log] == [T0 + timedelta(minutes=50 - i) for i in range(50)]
    second = client.get("/admin/webhooks/deliveries?page=2").get_data(as_text=True)
    assert second.count('data-status="pending"') == 1 and 'rel="prev"' in second
    assert client.get("/admin/webhooks/deliveries?page=zz").status_code == 200
