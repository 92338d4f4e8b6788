"""SQLite as the embedded default (issue 17.6): the pragmas every connection gets, and separate
OS processes — the web app and the timer worker — writing to one file at once without a
"database is locked".

The outcomes never depend on timing: the processes start together at a barrier, and however
their writes interleave (or not) every command must succeed and every timer fire once.
"""

from __future__ import annotations

import multiprocessing
import re
import sqlite3
import time
from datetime import timedelta

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bootstrap.wiring import DEMO_PASSWORD
from engine.clock import FixedClock
from engine.runtime import Engine
from storage.database import SQLITE_BUSY_TIMEOUT_MS, make_engine, uow_factory
from storage.models import SignInThrottleRow, TaskRow
from tests.conftest import T0, open_db
from tests.fixtures.timers.bundles import timer_bundle
from tests.webui.support import INTAKE, build_services

COUNT = 20
LATER = T0 + timedelta(hours=2)  # timer_boundary's PT1H boundary timers of instances started at T0 are due
RECORD = {"details": "已安抚", "customer_calmed": "true"}
SPAWN = multiprocessing.get_context("spawn")


def prepare(url: str) -> tuple[list[str], list[str]]:
    """COUNT complaints waiting at their first task, COUNT timer_boundary instances due at LATER."""
    services = build_services(url)
    try:
        services.engine.deploy([timer_bundle("timer_boundary")], actor="tests")
        engine = Engine(uow_factory(services.db), FixedClock(T0))
        tasks = [engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id for _ in range(COUNT)]
        timers = [engine.start("timer_boundary", "cs_staff1").id for _ in range(COUNT)]
        return tasks, timers
    finally:
        services.db.dispose()


def web_process(url: str, task_ids: list[str], barrier, results) -> None:
    """The web app in its own process: claim and complete each task through its pages."""
    from webui.app import create_app

    try:
        db = make_engine(url)
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "ENGINE": Engine(uow_factory(db), FixedClock(LATER))})
        client = app.test_client()
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True))[1]
        client.post("/sign-in", data={"username": "cs_staff1", "password": DEMO_PASSWORD, "csrf_token": token})
        with client.session_transaction() as session:
            token = session["csrf"]
        barrier.wait(60)
        statuses = []
        for task_id in task_ids:
            claimed = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": token})
            done = client.post(f"/tasks/{task_id}", data={**RECORD, "csrf_token": token})
            statuses.append((claimed.status_code, done.status_code, done.headers.get("Location")))
        db.dispose()
        results.put(("web", statuses))
    except Exception as err:  # reported to the test, which shows it
        results.put(("web", f"{type(err).__name__}: {err}"))


def worker_process(url: str, barrier, results) -> None:
    """The timer worker in its own process: fire every due timer, one transaction per instance."""
    try:
        db = make_engine(url)
        engine = Engine(uow_factory(db), FixedClock(LATER))
        barrier.wait(60)
        fired = [f.instance_id for f in engine.fire_due_timers()]
        db.dispose()
        results.put(("worker", fired))
    except Exception as err:  # reported to the test, which shows it
        results.put(("worker", f"{type(err).__name__}: {err}"))


def run_together(*processes) -> dict[str, object]:
    results = SPAWN.Queue()
    barrier = SPAWN.Barrier(len(processes))
    started = [SPAWN.Process(target=target, args=(*args, barrier, results)) for target, args in processes]
    for process in started:
        process.start()
    outcome = dict(results.get(timeout=300) for _ in started)
    for process in started:
        process.join(60)
    return outcome


def test_every_connection_gets_the_embedded_pragmas(sqlite_url):
    db = open_db(sqlite_url)
    with db.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_web_process_and_the_worker_process_write_at_once(sqlite_url):
    tasks, timers = prepare(sqlite_url)
    outcome = run_together((web_process, (sqlite_url, tasks)), (worker_process, (sqlite_url,)))
    assert isinstance(outcome["web"], list), outcome["web"]
    assert isinstance(outcome["worker"], list), outcome["worker"]
    assert outcome["web"] == [(302, 302, "/")] * COUNT  # claimed, completed, back to the inbox
    assert sorted(outcome["worker"]) == sorted(timers)  # each due timer fired, once
    db = open_db(sqlite_url)
    with Session(db) as session:
        done = session.scalar(select(func.count()).select_from(TaskRow).where(
            TaskRow.id.in_(tasks), TaskRow.status == "completed"))
    assert done == COUNT
    engine = Engine(uow_factory(db), FixedClock(LATER))
    assert {verdict.status for verdict in engine.verify_all()} == {"ok"}


def hold_the_write_lock(path: str, barrier, results) -> None:
    """Another process's write transaction, open while the test's command writes, then committed."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    connection.execute("INSERT INTO sign_in_throttle (key, failures, window_start) VALUES ('held', 1, '2026-11-27')")
    barrier.wait(60)
    time.sleep(0.5)  # the outcome is the same however long: the command waits (busy_timeout)
    connection.execute("COMMIT")
    connection.close()
    results.put(("holder", "committed"))


def test_a_command_waits_for_another_process_s_write_instead_of_failing(sqlite_url, tmp_path):
    tasks, _ = prepare(sqlite_url)
    engine = Engine(uow_factory(open_db(sqlite_url)), FixedClock(LATER))
    results, barrier = SPAWN.Queue(), SPAWN.Barrier(2)
    holder = SPAWN.Process(target=hold_the_write_lock, args=(str(tmp_path / "zhidu.db"), barrier, results))
    holder.start()
    barrier.wait(60)
    engine.claim(tasks[0], "cs_staff1")  # writes while the other process holds the lock
    assert results.get(timeout=60) == ("holder", "committed")
    holder.join(60)
    with Session(open_db(sqlite_url)) as session:
        assert session.get(TaskRow, tasks[0]).claimed_by == "cs_staff1"
        assert session.get(SignInThrottleRow, "held") is not None


def test_a_transaction_that_read_before_another_process_wrote_can_still_write(sqlite_url, tmp_path):
    """The driver begins the transaction at its first write, so reads hold no snapshot that
    another process's commit could make stale (which would fail at once, whatever the timeout)."""
    db = open_db(sqlite_url)
    build_services(sqlite_url).db.dispose()
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(SignInThrottleRow)) == 0
        other = sqlite3.connect(str(tmp_path / "zhidu.db"), isolation_level=None)
        other.execute("INSERT INTO sign_in_throttle (key, failures, window_start) VALUES ('other', 1, '2026-11-27')")
        other.close()
        session.add(SignInThrottleRow(key="mine", failures=1, window_start=T0, locked_until=None))
        session.commit()
    with Session(db) as session:
        assert session.scalar(select(func.count()).select_from(SignInThrottleRow)) == 2
