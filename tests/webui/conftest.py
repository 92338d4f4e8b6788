"""Fixtures for the web UI: an app over its own temporary SQLite database with the demo
organisation (hashed cheaply, so tests stay fast), a client and a sign-in helper."""

from __future__ import annotations

import re

import pytest

from tests.webui.support import build_services
from webui.app import create_app
from bootstrap.wiring import DEMO_PASSWORD


@pytest.fixture
def engine(tmp_path):
    services = build_services(f"sqlite:///{tmp_path / 'zhidu.db'}")
    yield services.engine
    services.db.dispose()


@pytest.fixture
def app(engine):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "ENGINE": engine})


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Auth:
    """Signs a test client in and out as a demo user; `post` adds the CSRF token."""

    def __init__(self, client):
        self.client = client

    def token(self) -> str:
        with self.client.session_transaction() as session:
            if "csrf" not in session:
                session["csrf"] = "test-token"
            return session["csrf"]

    def sign_in(self, username: str, password: str = DEMO_PASSWORD):
        token = csrf_of(self.client.get("/sign-in").get_data(as_text=True))
        return self.client.post("/sign-in", data={"username": username, "password": password, "csrf_token": token})

    def post(self, url: str, data: dict | None = None, **kwargs):
        return self.client.post(url, data={**(data or {}), "csrf_token": self.token()}, **kwargs)


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)
