"""The API tokens page (every signed-in person, zh and en) and bearer authentication of /api/v1:
a token authenticates; no token, a made-up, revoked or expired one, or a session cookie does not."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from engine.clock import FixedClock
from engine.commands.tokens import TokenPolicy
from engine.runtime import Engine
from storage.database import uow_factory
from tests.conftest import T0
from tests.webui.support import build_services


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def engine(tmp_path, clock):
    """The web app's engine on a fixed clock, so expiry and last use are the test's to set."""
    services = build_services(f"sqlite:///{tmp_path / 'zhidu.db'}")
    yield Engine(uow_factory(services.db), clock)
    services.db.dispose()


def _secret(html: str) -> str:
    match = re.search(r'id="new-token" value="(zhidu_[^"]+)"', html)
    assert match, "the page shows no new token"
    return match.group(1)


def test_every_signed_in_person_finds_the_page_in_the_menu(client, auth):
    auth.sign_in("cs_staff1")
    inbox = client.get("/").get_data(as_text=True)
    assert 'id="nav-tokens"' in inbox and 'href="/tokens/"' in inbox
    page = client.get("/tokens/")
    assert page.status_code == 200 and 'id="no-tokens"' in page.get_data(as_text=True)


def test_the_page_needs_a_signed_in_person(client):
    response = client.get("/tokens/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_new_token_is_shown_once_and_then_listed_without_it(client, auth, engine, clock):
    auth.sign_in("cs_staff1")
    made = auth.post("/tokens/", {"name": "CRM import", "expires_days": "30"})
    html = made.get_data(as_text=True)
    secret = _secret(html)
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    assert "只显示这一次" in html and f"Bearer {secret}" in html
    assert engine.authenticate_token(secret).username == "cs_staff1"
    clock.advance(timedelta(minutes=10))  # (within the session's idle limit)
    listed = client.get("/tokens/").get_data(as_text=True)
    assert secret not in listed and 'id="new-token"' not in listed
    [token] = engine.tokens("cs_staff1")
    row = re.search(rf'<tr id="token-{token.id}" data-status="active".*?</tr>', listed, re.S).group(0)
    assert "CRM import" in row and "2026-11-27 09:00" in row and "2026-12-27 09:00" in row and "zd-stack" in listed


def test_the_page_speaks_english_too(client, auth):
    auth.sign_in("cs_staff1")
    auth.post("/language", {"lang": "en"})
    html = auth.post("/tokens/", {"name": "script", "expires_days": ""}).get_data(as_text=True)
    assert "shown only this once" in html and "Never used" in html and ">Never<" in html
    assert "API tokens" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("form, field, words", [
    ({"name": "", "expires_days": ""}, "token-name", "请为令牌命名"),
    ({"name": "x" * 101, "expires_days": ""}, "token-name", "最多 100 个字符"),
    ({"name": "ok", "expires_days": "0"}, "token-days", "1 到 3650"),
    ({"name": "ok", "expires_days": "3651"}, "token-days", "1 到 3650"),
    ({"name": "ok", "expires_days": "soon"}, "token-days", "1 到 3650"),
    ({"name": "ok", "expires_days": "-3"}, "token-days", "1 到 3650"),
])
def test_a_refused_form_comes_back_with_the_error_beside_its_field(client, auth, engine, form, field, words):
    auth.sign_in("cs_staff1")
    response = auth.post("/tokens/", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and words in html and 'id="new-token"' not in html
    assert re.search(rf'class="form-control is-invalid" [^>]*id="{field}"', html)
    assert engine.tokens("cs_staff1") == []


def test_a_post_without_the_csrf_token_makes_nothing(client, auth, engine):
    auth.sign_in("cs_staff1")
    assert client.post("/tokens/", data={"name": "x"}).status_code == 400
    assert engine.tokens("cs_staff1") == []


def test_revoking_asks_first_then_the_token_stops_working(client, auth, engine):
    auth.sign_in("cs_staff1")
    view, secret = engine.create_token("cs_staff1", "laptop")
    confirm = client.get(f"/tokens/{view.id}/revoke")
    assert confirm.status_code == 200 and "laptop" in confirm.get_data(as_text=True)
    done = auth.post(f"/tokens/{view.id}/revoke", follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "已撤销令牌“laptop”" in html and f'id="token-{view.id}" data-status="revoked"' in html
    assert f"/tokens/{view.id}/revoke" not in html  # no revoke button on a revoked token
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_nobody_revokes_or_sees_another_persons_token(client, auth, engine):
    view, secret = engine.create_token("cs_staff1", "laptop")
    auth.sign_in("cs_staff2")
    assert view.id not in client.get("/tokens/").get_data(as_text=True)
    assert client.get(f"/tokens/{view.id}/revoke").status_code == 404
    assert auth.post(f"/tokens/{view.id}/revoke").status_code == 403
    assert engine.tokens("cs_staff1")[0].status == "active"
    assert engine.authenticate_token(secret).username == "cs_staff1"


# -- the API: bearer tokens only -------------------------------------------------------------

def _problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status and response.mimetype == "application/problem+json"
    document = response.get_json()
    assert document["status"] == status and document["type"].endswith("/" + kind)
    return document


def test_a_valid_token_reaches_the_api_as_its_user(client, engine, clock):
    _, secret = engine.create_token("cs_staff1", "script")
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json() == {"username": "cs_staff1", "name": "杨丽", "department": "customer-service",
                                   "roles": ["customer-service-staff"], "active": True}
    assert engine.tokens("cs_staff1")[0].last_used_at == T0


@pytest.mark.parametrize("header, kind", [
    (None, "unauthorized"), ("", "unauthorized"), ("Bearer", "unauthorized"), ("Bearer ", "unauthorized"),
    ("Basic Y3Nfc3RhZmYxOnpoaWR1LWRlbW8=", "unauthorized"), ("Token zhidu_x", "unauthorized"),
    ("Bearer zhidu_made-up", "token_invalid"), ("Bearer not-even-ours", "token_invalid"),
])
def test_no_or_a_made_up_token_is_a_401_problem(client, engine, header, kind):
    engine.create_token("cs_staff1", "real")
    response = client.get("/api/v1/me", headers={"Authorization": header} if header is not None else {})
    document = _problem(response, 401, kind)
    assert "Bearer" in response.headers["WWW-Authenticate"] and "Traceback" not in str(document)


def test_a_revoked_or_expired_token_is_a_401_problem(client, engine, clock):
    revoked, revoked_secret = engine.create_token("cs_staff1", "old")
    engine.revoke_token(revoked.id, "cs_staff1")
    _, expiring = engine.create_token("cs_staff1", "day", expires_days=1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {expiring}"}).status_code == 200
    clock.advance(timedelta(days=1))
    for secret, words in ((revoked_secret, "revoked"), (expiring, "expired")):
        response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
        assert words in _problem(response, 401, "token_invalid")["detail"]
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_session_cookie_alone_does_not_authenticate_the_api(client, auth):
    auth.sign_in("cs_staff1")
    assert client.get("/").status_code == 200  # signed in for the pages
    _problem(client.get("/api/v1/me"), 401, "unauthorized")


def test_past_the_rate_limit_the_api_answers_429_with_retry_after(client, engine, clock):
    engine.api_tokens.policy = TokenPolicy(rate_limit=2)
    clock.set(T0 + timedelta(seconds=40))
    _, secret = engine.create_token("cs_staff1", "script")
    headers = {"Authorization": f"Bearer {secret}"}
    assert [client.get("/api/v1/me", headers=headers).status_code for _ in range(2)] == [200, 200]
    response = client.get("/api/v1/me", headers=headers)
    _problem(response, 429, "rate_limited")
    assert response.headers["Retry-After"] == "20"
    clock.set(T0 + timedelta(minutes=1))
    assert client.get("/api/v1/me", headers=headers).status_code == 200
