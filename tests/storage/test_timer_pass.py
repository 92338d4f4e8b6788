"""A timer pass on SQLite and PostgreSQL: what it sends per fired instance, and the one
statement that locks an instance with its open task rows (storage/wakeups.py `lock_next_due`)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import event, text

from engine.runtime import Engine
from storage import wakeups
from storage.database import uow_factory
from storage.driver import Rows
from tests.conftest import make_zhidu, open_db
from tests.fixtures.timers.bundles import timer_bundle

STAFF = "cs_staff1"
KEY = "timer_boundary"  # Answer, with an interrupting PT1H boundary timer leading to Escalate
# Statements of one firing: the lock, the task cancelled (its row, its candidates), the
# escalation task (its row, its candidates), the journal, the instance, its webhook event and its
# notices. A pass adds the organisation's roles, read once, and the lock that finds none left;
# this one, a new engine's first, also reads the version it compiles.
PER_INSTANCE, PER_PASS = 9, 3


@pytest.fixture
def zhidu(db_url, clock) -> Engine:
    return make_zhidu(db_url, clock, bundles=[timer_bundle(KEY)])


def kinds_of(engine: Engine, instance_id: str) -> list[str]:
    return [e.kind for e in engine.history(instance_id)]


def test_a_pass_reads_the_roles_once_and_sends_nine_statements_per_instance(zhidu, db_url, clock):
    ids = [zhidu.start(KEY, STAFF).id for _ in range(5)]
    clock.advance(timedelta(hours=1))
    db = open_db(db_url, background=True)
    statements: list[str] = []
    event.listen(db, "before_cursor_execute", lambda _conn, _cursor, sql, *_: statements.append(sql))
    fired = Engine(uow_factory(db), clock).fire_due_timers()
    assert sorted(f.instance_id for f in fired) == sorted(ids)
    assert sum("FROM roles" in s for s in statements) == 1
    assert len(statements) <= PER_INSTANCE * len(ids) + PER_PASS, "\n".join(s[:60] for s in statements)


def test_an_instance_changed_as_the_worker_locked_it_is_left_to_the_next_pass(zhidu, clock, monkeypatch):
    """The lock returns the instance's row as it is now and counts its open task rows as they
    were when the statement began: a command that committed in between shows as a revision that
    moved, and the worker leaves the instance rather than work from task rows it may not see."""
    instance = zhidu.start(KEY, STAFF).id
    clock.advance(timedelta(hours=1))
    real_run = wakeups.run

    def committed_meanwhile(session, statement, values):
        rows = real_run(session, statement, values).all()
        if not rows:
            return Rows(rows, 0)
        return Rows([rows[0]._replace(seen_revision=rows[0].seen_revision - 1), *rows[1:]], len(rows))

    monkeypatch.setattr(wakeups, "run", committed_meanwhile)
    assert zhidu.fire_due_timers() == []
    assert "timer_fired" not in kinds_of(zhidu, instance)
    monkeypatch.undo()
    assert [f.instance_id for f in zhidu.fire_due_timers()] == [instance]


@pytest.mark.postgres
def test_an_open_task_row_another_command_holds_leaves_the_instance(postgres_url, clock):
    zhidu = make_zhidu(postgres_url, clock, bundles=[timer_bundle(KEY)])
    instance = zhidu.start(KEY, STAFF).id
    [answer] = zhidu.show(instance).active_tasks
    clock.advance(timedelta(hours=1))
    holder = open_db(postgres_url).connect()
    holder.execute(text("SELECT id FROM tasks WHERE id = :id FOR UPDATE"), {"id": answer.id})
    passes: list = []
    timers = threading.Thread(target=lambda: passes.append(zhidu.fire_due_timers()))
    timers.start()
    timers.join(10)  # a worker that took the instance anyway would wait here for the task row
    holder.rollback()
    holder.close()
    timers.join(10)
    assert passes == [[]]
    assert [f.instance_id for f in zhidu.fire_due_timers()] == [instance]
    assert kinds_of(zhidu, instance).count("timer_fired") == 1


@pytest.mark.postgres
def test_postgresql_locks_a_row_as_it_is_now_and_reads_it_as_it_was(postgres_url):
    """What `lock_next_due` relies on: within one statement, a row locked after another
    transaction committed a change to it comes back changed, while a plain read of the same row
    still sees the statement's snapshot. A sleep before the lock opens the window."""
    url = postgres_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute("CREATE TABLE rows_seen (id int PRIMARY KEY, revision int)")
        setup.execute("INSERT INTO rows_seen VALUES (1, 1)")

    def commit_a_change() -> None:
        time.sleep(0.3)
        with psycopg.connect(url, autocommit=True) as other:
            other.execute("UPDATE rows_seen SET revision = 2 WHERE id = 1")

    change = threading.Thread(target=commit_a_change)
    change.start()
    with psycopg.connect(url) as worker:
        seen = worker.execute(
            "WITH pause AS MATERIALIZED (SELECT pg_sleep(1)),"
            " due AS MATERIALIZED (SELECT rows_seen.* FROM rows_seen, pause FOR UPDATE OF rows_seen SKIP LOCKED)"
            " SELECT due.revision, (SELECT revision FROM rows_seen was WHERE was.id = due.id) FROM due").fetchall()
    change.join()
    assert seen == [(2, 1)]
