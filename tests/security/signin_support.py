"""Helpers for the sign-in, session and request tests: the demo database is built once and
copied for each test; each "server process" is its own engine and app over the copy, on a
clock the test moves."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone

import pytest
from sqlalchemy import Engine as DbEngine, text

from engine.clock import FixedClock
from engine.runtime import Engine
from storage.database import make_engine, uow_factory
from tests.webui.support import build_services
from webui.app import create_app
from bootstrap.wiring import DEMO_PASSWORD

T0 = datetime(2026, 11, 27, 1, 0, tzinfo=timezone.utc)


@dataclass
class Site:
    """One database, its clock, and the engine of the first server process."""

    url: str
    clock: FixedClock
    engine: Engine
    dbs: list[DbEngine]

    def process(self, **config):
        """A server process of its own (own connection pool, engine and app) on the same database."""
        db = make_engine(self.url)
        self.dbs.append(db)
        return make_app(Engine(uow_factory(db), self.clock), **config)

    def rows(self, table: str) -> int:
        with self.dbs[0].connect() as connection:
            return connection.scalar(text(f"SELECT count(*) FROM {table}"))


def make_app(engine: Engine, **config):
    return create_app({"TESTING": True, "SECRET_KEY": "test", "ENGINE": engine, **config})


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory):
    path = tmp_path_factory.mktemp("signin") / "demo.db"
    build_services(f"sqlite:///{path}").db.dispose()
    return path


@pytest.fixture
def site(demo_database, tmp_path):
    path = tmp_path / "zhidu.db"
    shutil.copy(demo_database, path)
    url = f"sqlite:///{path}"
    db = make_engine(url)
    clock = FixedClock(T0)
    found = Site(url, clock, Engine(uow_factory(db), clock), [db])
    yield found
    for each in found.dbs:
        each.dispose()


@pytest.fixture
def app(site):
    return make_app(site.engine)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Browser:
    """A test client from one address, signing in through the form as a person would."""

    def __init__(self, app, address: str = "192.0.2.10", **headers):
        self.client = app.test_client()
        self.client.environ_base.update({"REMOTE_ADDR": address, **headers})

    def token(self) -> str:
        return csrf_of(self.client.get("/sign-in").get_data(as_text=True))

    def sign_in(self, username: str, password: str = DEMO_PASSWORD, **fields):
        return self.client.post("/sign-in", data={"username": username, "password": password,
                                                  "csrf_token": self.token(), **fields})

    def post(self, url: str, data: dict | None = None, **kwargs):
        with self.client.session_transaction() as session:
            token = session.setdefault("csrf", "test-token")
        return closed(self.client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs))

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)


def closed(response):
    """`response`, with the request body's temporary file closed: a refused body is never read,
    so nothing else closes it."""
    response.request.environ["wsgi.input"].close()
    return response
