"""Database set-up: the URL, the SQLAlchemy engine, migrations and the unit-of-work factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from storage.uow import SqlUnitOfWork

DEFAULT_URL = "sqlite:///var/zhidu.db"
MIGRATIONS = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url() -> str:
    """`ZHIDU_DATABASE_URL`, else a SQLite file at var/zhidu.db under the working directory."""
    return os.environ.get("ZHIDU_DATABASE_URL") or DEFAULT_URL


def make_engine(url: str, background: bool = False) -> Engine:
    """A SQLAlchemy engine; SQLite gets the pragmas of an embedded database (`_sqlite_pragmas`).

    `background`: the engine of the worker (timers, schedules, outbox, mail), whose PostgreSQL
    commits need not wait for the disk (`_asynchronous_commit`) and whose connections are not
    pinged before each use: a ping is a round trip at every checkout, and the worker checks a
    connection out for each instance it fires. A connection the server dropped fails that pass
    instead; SQLAlchemy sees the disconnect and discards the pool's connections, and the next
    pass reconnects (tests/storage/test_worker_commits.py). The web process keeps its pings: a
    request that failed so would fail for a person.
    """
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False,
                                                  "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    engine = create_engine(url, pool_pre_ping=not background)
    if background:
        event.listen(engine, "connect", _asynchronous_commit)
    return engine


def _asynchronous_commit(dbapi_connection, _record) -> None:
    """The worker's PostgreSQL transactions commit without waiting for the WAL to reach the disk.

    Waiting for that flush was a third of a timer firing. What the worker writes can be redone:
    were the server to crash within the moment (at most three wal_writer_delay) before the flush,
    the timer is still due, the schedule still due, the mail still pending, and the next pass
    does it again (outbox and mail delivery are at-least-once anyway). Nothing built on it is at
    risk: PostgreSQL writes its WAL in order, so a person's later command that commits as usual
    (synchronously) flushes the worker's earlier commit with it. The database is never left
    inconsistent (PostgreSQL documents synchronous_commit=off as safe in that sense).
    """
    with dbapi_connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    dbapi_connection.commit()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite as an embedded database that the web process, the worker and the CLI share.

    - busy_timeout first: a writer waits (up to 30 s) for another process's write to commit
      instead of failing with "database is locked" — and the pragmas below may have to wait too;
    - WAL: readers never wait for the writer, nor the writer for readers;
    - synchronous=NORMAL: in WAL mode a commit is not fsynced, the checkpoint is; a power cut may
      lose the last commits but never corrupts the file (FULL would fsync every command);
    - foreign keys enforced (SQLite leaves them off per connection by default).

    The driver's own transaction handling stays: it sends BEGIN (deferred) just before a
    transaction's first write, so that write asks for the lock with no snapshot held and
    busy_timeout covers it. A BEGIN at the first read would hold a snapshot, and its later write
    would fail at once with SQLITE_BUSY_SNAPSHOT whenever another process wrote in between,
    whatever the timeout (tests/storage/test_sqlite_concurrent_writers.py).
    """
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest Alembic revision."""
    # Imported here: only `zhidu init` and tests migrate, and Alembic costs every other command
    # a tenth of a second to import.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def uow_factory(engine: Engine) -> Callable[[], SqlUnitOfWork]:
    sessions: sessionmaker[Session] = sessionmaker(engine, expire_on_commit=False)
    return lambda: SqlUnitOfWork(sessions)
