"""External tasks in a real database (issue 14.4): the rows the migration makes, and — the issue's
DONE-WHEN — four concurrent workers on PostgreSQL doing many tasks: every task done exactly
once, expired locks fetched again, retries ending in incidents, and every instance verifying.

Workers are threads, each with its own Engine over its own SQLAlchemy engine (its own
connection pool), all at the same FixedClock time (as tests/storage/test_workers.py does)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from engine.errors import TaskAlreadyClaimed
from engine.runtime import Engine
from storage.database import migrate
from storage.external_tasks import ExternalTaskRow
from storage.models import JournalRow
from tests.conftest import make_zhidu, open_db, organisation
from tests.fixtures.external.bundles import WORKER, external_bundle, with_worker
from tests.storage.test_workers import run_workers

STAFF = "cs_staff1"
KEY, TOPIC = "external_scoring", "lead-scoring"  # Score (external, 2 retries, result form lead_score) → Review


def zhidu(url: str, clock) -> Engine:
    engine = make_zhidu(url, clock, bundles=[external_bundle(KEY), external_bundle("external_notify")])
    engine.load_organisation(with_worker(organisation()))
    return engine


def test_migration_0012_creates_what_the_models_describe(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    db = open_db(db_url)
    migrate(db)
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "external_tasks" in repr(d)] == []


def test_a_task_round_trips_through_the_database_and_verifies(db_url, clock):
    engine = zhidu(db_url, clock)
    started = engine.start(KEY, STAFF)
    [task] = engine.fetch_and_lock("w1", [TOPIC], 60, 5, actor=WORKER)
    assert (task.instance_id, task.locked_until) == (started.id, clock.now() + timedelta(seconds=60))
    assert engine.fetch_and_lock("w2", [TOPIC], 60, 5, actor=WORKER) == []
    assert engine.extend_lock(task.id, "w1", 120, actor=WORKER).locked_until == clock.now() + timedelta(seconds=120)
    with pytest.raises(TaskAlreadyClaimed):
        engine.complete_external(task.id, "w2", {"score": 1}, actor=WORKER)
    failed = engine.fail_external(task.id, "w1", "timeout", retry_in_seconds=10, actor=WORKER)
    assert (failed.retries, failed.worker_id) == (1, None)
    clock.advance(timedelta(seconds=11))
    [again] = engine.fetch_and_lock("w2", [TOPIC], 60, 5, actor=WORKER)
    done = engine.complete_external(again.id, "w2", {"score": 70}, actor=WORKER)
    assert done.current_step == "Review the score"
    assert engine.verify(started.id).status == "ok"


# -- four workers on PostgreSQL -------------------------------------------------------------
def journal_counts(url: str, kind: str) -> Counter:
    with open_db(url).connect() as connection:
        rows = connection.execute(select(JournalRow.instance_id, func.count()).where(JournalRow.kind == kind)
                                  .group_by(JournalRow.instance_id))
        return Counter({instance_id: n for instance_id, n in rows})


def row_status(url: str) -> Counter:
    with open_db(url).connect() as connection:
        return Counter(dict(connection.execute(select(ExternalTaskRow.status, func.count())
                                               .group_by(ExternalTaskRow.status)).all()))


def completing(name: str):
    """A worker that fetches a few tasks at a time and completes each, until none is left."""
    def work(engine: Engine) -> list[str]:
        done = []
        while batch := engine.fetch_and_lock(name, [TOPIC], 60, 3, actor=WORKER):
            for task in batch:
                engine.complete_external(task.id, name, {"score": len(done)}, actor=WORKER)
                done.append(task.instance_id)
        return done
    return work


def failing(name: str):
    """A worker that fails every task it fetches (no back-off), until none is left to fetch."""
    def work(engine: Engine) -> int:
        failures = 0
        while batch := engine.fetch_and_lock(name, [TOPIC], 60, 2, actor=WORKER):
            for task in batch:
                engine.fail_external(task.id, name, f"{name} cannot reach the CRM", actor=WORKER)
                failures += 1
        return failures
    return work


@pytest.mark.postgres
def test_four_workers_do_every_task_once_refetch_expired_locks_and_exhaust_retries(postgres_url, clock):
    pg = zhidu(postgres_url, clock)
    ids = [pg.start(KEY, STAFF).id for _ in range(80)]
    abandoned = {t.instance_id for t in pg.fetch_and_lock("crashed", [TOPIC], 60, 20, actor=WORKER)}
    assert len(abandoned) == 20

    first = run_workers(postgres_url, clock, 4, lambda engine: completing(f"w{id(engine)}")(engine))
    done_first = [i for batch in first for i in batch]
    assert len(done_first) == len(set(done_first)) == 60 and not set(done_first) & abandoned
    assert sum(1 for batch in first if batch) >= 2, "the work was not shared: the test proves nothing"

    clock.advance(timedelta(seconds=61))  # the crashed worker's locks run out
    second = run_workers(postgres_url, clock, 4, lambda engine: completing(f"v{id(engine)}")(engine))
    assert sorted(i for batch in second for i in batch) == sorted(abandoned)
    assert journal_counts(postgres_url, "external_completed") == Counter({i: 1 for i in ids})
    assert row_status(postgres_url) == Counter({"completed": 80})

    doomed = [pg.start(KEY, STAFF).id for _ in range(30)]
    failures = run_workers(postgres_url, clock, 4, lambda engine: failing(f"f{id(engine)}")(engine))
    assert sum(failures) == 60  # two retries each
    assert journal_counts(postgres_url, "external_failed") == Counter({i: 2 for i in doomed})
    assert journal_counts(postgres_url, "instance_failed") == Counter({i: 1 for i in doomed})
    assert {pg.show(i).status for i in doomed} == {"failed"}
    assert pg.fetch_and_lock("late", [TOPIC], 60, 10, actor=WORKER) == []
    assert {pg.verify(i).status for i in ids + doomed} == {"ok"}
