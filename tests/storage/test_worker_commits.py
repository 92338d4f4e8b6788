"""The worker's PostgreSQL connections commit without waiting for the disk; every other
connection keeps PostgreSQL's synchronous commit (storage/database.py `_asynchronous_commit`).
The worker's are not pinged before each use: a connection the server dropped costs one pass."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text

from engine.runtime import Engine
from storage.database import make_engine, uow_factory
from tests.conftest import make_zhidu, open_db
from tests.fixtures.timers.bundles import timer_bundle


def _setting(url: str, background: bool) -> tuple[str, str]:
    db = make_engine(url, background=background)
    try:
        with db.connect() as connection:
            first = connection.execute(text("SHOW synchronous_commit")).scalar()
            connection.rollback()  # the pool's reset on return must not undo it either
        with db.connect() as connection:
            again = connection.execute(text("SHOW synchronous_commit")).scalar()
        return first, again
    finally:
        db.dispose()


@pytest.mark.postgres
def test_the_worker_commits_asynchronously(postgres_url):
    assert _setting(postgres_url, background=True) == ("off", "off")


@pytest.mark.postgres
def test_commands_of_people_commit_synchronously(postgres_url):
    assert _setting(postgres_url, background=False) == ("on", "on")


@pytest.mark.postgres
def test_the_worker_is_wired_with_the_background_engine(postgres_url, monkeypatch, tmp_path):
    from bootstrap import worker
    built = []

    def build(**options):
        built.append(options)
        raise SystemExit  # the wiring is what is checked, not a worker pass

    monkeypatch.setattr(worker, "build", build)
    with pytest.raises(SystemExit):
        worker.run_worker(0.1, once=True)
    assert built == [{"background": True}]


def _drop_connections(db) -> None:
    """End, from another connection, the server side of every connection `db`'s pool holds."""
    with db.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with open_db(str(db.url.render_as_string(hide_password=False))).connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()


@pytest.mark.postgres
def test_a_connection_the_server_dropped_costs_the_worker_one_pass(postgres_url, clock):
    from bootstrap.worker import work_once

    zhidu = make_zhidu(postgres_url, clock, bundles=[timer_bundle("timer_boundary")])
    instance = zhidu.start("timer_boundary", "cs_staff1").id
    db = open_db(postgres_url, background=True)
    worker = Engine(uow_factory(db), clock)
    assert worker.fire_due_timers() == []
    _drop_connections(db)
    clock.advance(timedelta(hours=1))
    work_once(worker)  # logs the failed pass, never raises
    work_once(worker)
    assert [e.kind for e in zhidu.history(instance)].count("timer_fired") == 1


@pytest.mark.postgres
def test_the_web_process_pings_its_connections(postgres_url):
    db = open_db(postgres_url)
    _drop_connections(db)
    with db.connect() as connection:
        assert connection.execute(text("SELECT 1")).scalar() == 1
