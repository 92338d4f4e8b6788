"""Shared fixtures: an engine over a fresh SQLite database (or PostgreSQL), with a fixed clock."""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.clock import FixedClock
from engine.definitions.bundles import load_catalog
from engine.definitions.organisation import parse_organisation
from engine.runtime import Engine
from storage.database import make_engine, migrate, uow_factory

ROOT = Path(__file__).resolve().parent.parent
PROCESSES, FORMS, FIXTURES = ROOT / "processes", ROOT / "forms", ROOT / "tests" / "fixtures"
POSTGRES_ADMIN_URL = os.environ.get("ZHIDU_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def postgres_available() -> bool:
    try:
        probe = create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 2})
        with probe.connect():
            pass
        probe.dispose()
        return True
    except Exception:
        return False


def organisation():
    file = PROCESSES / "organisation.yaml"
    return parse_organisation(file.read_text(encoding="utf-8"), str(file))


@pytest.fixture(autouse=True, scope="session")
def _session_files_dir(tmp_path_factory):
    """Attachments stored by module-wide fixtures (a site built once) go to a temporary folder."""
    os.environ["ZHIDU_FILES_DIR"] = str(tmp_path_factory.mktemp("files"))


@pytest.fixture(autouse=True)
def _files_dir(tmp_path, monkeypatch):
    """Attachments a test stores go to its own folder, never the checkout's var/files."""
    monkeypatch.setenv("ZHIDU_FILES_DIR", str(tmp_path / "files"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'zhidu.db'}"


@pytest.fixture
def postgres_url():
    """A fresh schema in the `test` database, dropped afterwards."""
    if not postgres_available():
        pytest.fail("PostgreSQL at 127.0.0.1:5432 is not reachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{POSTGRES_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


_OPEN_DATABASES: list = []


def open_db(url: str, background: bool = False):
    """A SQLAlchemy engine (`background`: the worker's kind) that is disposed of when the test ends."""
    db = make_engine(url, background)
    _OPEN_DATABASES.append(db)
    return db


@pytest.fixture(autouse=True)
def _dispose_databases():
    yield
    while _OPEN_DATABASES:
        _OPEN_DATABASES.pop().dispose()


def make_zhidu(url: str, clock: FixedClock, bundles=None) -> Engine:
    """An engine over a migrated database at `url`, with processes/ deployed and the demo users."""
    db = open_db(url)
    migrate(db)
    engine = Engine(uow_factory(db), clock)
    engine.deploy(bundles if bundles is not None else load_catalog(PROCESSES, FORMS), actor="tests")
    engine.load_organisation(organisation())
    return engine


@pytest.fixture
def zhidu(sqlite_url, clock) -> Engine:
    return make_zhidu(sqlite_url, clock)
