"""Several timer workers on one PostgreSQL database: every due timer fires exactly once.

Workers are threads, each with its own Engine over its own SQLAlchemy engine of the worker's
kind (its own connection pool, no pre-ping, asynchronous commits), all at the same FixedClock
time. The kill test runs `zhidu fire-timers` as a subprocess, SIGKILLs it mid-batch, and lets a
second worker finish the job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.runtime import Engine
from storage.database import uow_factory
from storage.models import InstanceRow, JournalRow, TaskRow
from tests.conftest import ROOT, make_zhidu, open_db
from tests.fixtures.timers.bundles import timer_bundle

pytestmark = pytest.mark.postgres

STAFF = "cs_staff1"
KEY = "timer_boundary"  # Answer, with an interrupting PT1H boundary timer leading to Escalate


@pytest.fixture
def pg(postgres_url, clock) -> Engine:
    return make_zhidu(postgres_url, clock, bundles=[timer_bundle(KEY), timer_bundle("timer_daily")])


def start_many(engine: Engine, count: int) -> list[str]:
    return [engine.start(KEY, STAFF).id for _ in range(count)]


def run_workers(url: str, clock, count: int, work) -> list:
    """Run `work(engine)` in `count` threads at once, each over its own database engine."""
    engines = [Engine(uow_factory(open_db(url, background=True)), clock) for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list = [None] * count
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(engines[index])
        except BaseException as err:  # reported by the test thread
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results


def journal_counts(url: str, kind: str) -> Counter:
    with open_db(url).connect() as connection:
        rows = connection.execute(select(JournalRow.instance_id, func.count()).where(JournalRow.kind == kind)
                                  .group_by(JournalRow.instance_id))
        return Counter({instance_id: n for instance_id, n in rows})


def task_counts(url: str, ids: list[str]) -> dict[tuple[str, str], Counter]:
    """(spec name, status) -> tasks per instance, for the instances `ids`."""
    counts: dict[tuple[str, str], Counter] = {}
    with open_db(url).connect() as connection:
        rows = connection.execute(select(TaskRow.instance_id, TaskRow.spec_name, TaskRow.status)
                                  .where(TaskRow.instance_id.in_(ids)))
        for instance_id, spec_name, status in rows:
            counts.setdefault((spec_name, status), Counter())[instance_id] += 1
    return counts


def assert_each_fired_once(url: str, ids: list[str]) -> None:
    fired = journal_counts(url, "timer_fired")
    assert {i: fired[i] for i in ids} == {i: 1 for i in ids}
    tasks = task_counts(url, ids)
    assert tasks[("Escalate", "open")] == Counter({i: 1 for i in ids})
    assert tasks[("Answer", "cancelled")] == Counter({i: 1 for i in ids})
    assert ("Answer", "open") not in tasks


@pytest.mark.parametrize("workers", [2, 4])
def test_concurrent_workers_fire_every_due_timer_exactly_once(pg, postgres_url, clock, workers):
    ids = start_many(pg, 200)
    clock.advance(timedelta(hours=1))
    results = run_workers(postgres_url, clock, workers, lambda engine: engine.fire_due_timers())
    by_worker = [{f.instance_id for f in fired} for fired in results]
    assert sum(len(s) for s in by_worker) == len(set().union(*by_worker)) == len(ids)
    assert set().union(*by_worker) == set(ids)
    assert sum(1 for s in by_worker if s) >= 2, "the work was not shared: the test proves nothing"
    assert_each_fired_once(postgres_url, ids)
    assert pg.fire_due_timers() == []


def test_concurrent_workers_start_each_scheduled_instance_once(pg, postgres_url, clock):
    clock.advance(timedelta(days=10))
    results = run_workers(postgres_url, clock, 4, lambda engine: engine.start_due_schedules())
    started = [i for batch in results for i in batch]
    assert len(started) == len(set(started)) == 10
    with open_db(postgres_url).connect() as connection:
        assert connection.scalar(select(func.count()).select_from(InstanceRow)
                                 .where(InstanceRow.process_key == "timer_daily")) == 10
    scheduled = sorted(e.payload["scheduled_for"] for i in started for e in pg.history(i) if e.kind == "started")
    assert scheduled == [(clock.now() - timedelta(days=d)).isoformat() for d in range(9, -1, -1)]
    # one schedule row: whoever holds its lock starts a due instance; the others skip it (or
    # take the next due time once that commit is in) — how it is shared is up to timing
    assert pg.start_due_schedules() == []


def fire_timers_subprocess(url: str, now: str) -> subprocess.Popen:
    env = {**os.environ, "ZHIDU_DATABASE_URL": url, "ZHIDU_HOME": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "cli", "fire-timers", "--now", now, "--json"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_worker_killed_mid_batch_loses_and_duplicates_nothing(pg, postgres_url, clock):
    ids = start_many(pg, 200)
    clock.advance(timedelta(hours=1))
    worker = fire_timers_subprocess(postgres_url, clock.now().isoformat())
    try:
        deadline = time.monotonic() + 60
        fired = 0
        while fired < 10 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.01)
            fired = sum(journal_counts(postgres_url, "timer_fired").values())
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.wait(30)
        worker.stdout.close()
        worker.stderr.close()
    assert worker.returncode == -signal.SIGKILL, "the worker finished before it could be killed"
    before = journal_counts(postgres_url, "timer_fired")
    assert 0 < sum(before.values()) < len(ids), "kill did not land mid-batch"
    assert max(before.values()) == 1

    finished = pg.fire_due_timers()
    assert {f.instance_id for f in finished} == set(ids) - set(before)
    assert_each_fired_once(postgres_url, ids)
    with open_db(postgres_url).connect() as connection:
        revisions = Counter(connection.execute(select(InstanceRow.revision).where(InstanceRow.id.in_(ids))).scalars())
    assert revisions == Counter({2: len(ids)})  # started, then fired: no half-written instance
    verdicts = Counter(pg.verify(i).status for i in ids)
    assert verdicts == Counter({"ok": len(ids)})


@pytest.mark.parametrize("first", ["user", "worker"])
def test_a_user_completing_the_task_as_its_timer_fires_one_wins_cleanly(pg, postgres_url, clock, monkeypatch, first):
    """`first` has written its task row and journal entries and is about to write the instance
    row when the other starts: the other must fail as a lost race (the worker: pass the instance
    over) and change nothing. Before the fix the two deadlocked and PostgreSQL aborted one."""
    from engine.errors import ConcurrentUpdate
    from storage.repositories import SqlInstanceRepository

    instance = pg.start(KEY, STAFF).id
    [answer] = pg.show(instance).active_tasks
    clock.advance(timedelta(hours=1))
    first_writing, go = threading.Event(), threading.Event()
    save = SqlInstanceRepository.save

    def paused_save(self, record, expected_revision):
        if threading.current_thread().name == first:
            first_writing.set()
            go.wait(10)
        return save(self, record, expected_revision)

    monkeypatch.setattr(SqlInstanceRepository, "save", paused_save)
    outcome: dict = {}

    def run(name, call):
        try:
            outcome[name] = call()
        except Exception as err:  # judged below
            outcome[name] = err

    worker_engine = Engine(uow_factory(open_db(postgres_url, background=True)), clock)
    threads = {
        "user": threading.Thread(target=run, name="user",
                                 args=("user", lambda: pg.complete_task(answer.id, STAFF, {}))),
        "worker": threading.Thread(target=run, name="worker", args=("worker", worker_engine.fire_due_timers)),
    }
    second = "worker" if first == "user" else "user"
    threads[first].start()
    assert first_writing.wait(10)
    threads[second].start()
    time.sleep(0.5)  # the second is now at the rows the first holds
    go.set()
    for thread in threads.values():
        thread.join(30)

    if first == "user":
        assert outcome["worker"] == [] and outcome["user"].status == "completed"
        assert kinds_of(pg, instance).count("timer_fired") == 0
    else:
        assert [f.instance_id for f in outcome["worker"]] == [instance]
        assert isinstance(outcome["user"], ConcurrentUpdate), repr(outcome["user"])
        assert [t.name for t in pg.show(instance).active_tasks] == ["Escalate"]
        assert pg.task(answer.id).status == "cancelled"
        assert kinds_of(pg, instance).count("completed") == 0
    assert pg.verify(instance).status == "ok"
    assert pg.fire_due_timers() == []


def kinds_of(engine: Engine, instance_id: str) -> list[str]:
    return [e.kind for e in engine.history(instance_id)]
