"""API tokens through real storage (SQLite and PostgreSQL): the round trip, the one-statement
use count shared by every process, and migration 0011 matching the models."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, text

from engine.clock import FixedClock
from engine.commands.tokens import TokenPolicy, secret_hash
from engine.errors import RateLimited, TokenInvalid
from engine.runtime import Engine
from storage.database import migrate, uow_factory
from tests.conftest import T0, open_db, organisation


@pytest.fixture
def db(db_url):
    database = open_db(db_url)
    migrate(database)
    return database


@pytest.fixture
def zhidu(db, clock) -> Engine:
    engine = Engine(uow_factory(db), clock)
    engine.load_organisation(organisation())
    engine.api_tokens.policy = TokenPolicy(rate_limit=5)
    return engine


def test_a_token_round_trips_and_the_database_holds_only_its_hash(zhidu, db, clock):
    view, secret = zhidu.create_token("cs_staff1", "CRM", expires_days=7)
    with db.connect() as connection:
        row = connection.execute(text("SELECT * FROM api_tokens")).mappings().one()
    assert row["secret_hash"] == secret_hash(secret) and secret not in repr(dict(row))
    assert zhidu.tokens("cs_staff1") == [view]
    assert view.expires_at == T0 + timedelta(days=7) and view.expires_at.tzinfo is not None
    assert zhidu.authenticate_token(secret).username == "cs_staff1"
    clock.advance(timedelta(minutes=3))
    zhidu.revoke_token(view.id, "cs_staff1")
    listed = zhidu.tokens("cs_staff1")[0]
    assert (listed.last_used_at, listed.revoked_at, listed.status) == (T0, T0 + timedelta(minutes=3), "revoked")
    with pytest.raises(TokenInvalid):
        zhidu.authenticate_token(secret)


def test_the_rate_window_and_last_use_in_sql(zhidu, clock):
    clock.set(T0 + timedelta(seconds=50))
    _, secret = zhidu.create_token("cs_staff1", "script")
    for _ in range(5):
        zhidu.authenticate_token(secret)
    with pytest.raises(RateLimited) as refused:
        zhidu.authenticate_token(secret)
    assert refused.value.retry_after == 10
    clock.set(T0 + timedelta(seconds=75))  # the next minute counts from 1 again; last use stays (25 s old)
    for _ in range(5):
        zhidu.authenticate_token(secret)
    assert zhidu.tokens("cs_staff1")[0].last_used_at == T0 + timedelta(seconds=50)
    clock.set(T0 + timedelta(seconds=110))
    with pytest.raises(RateLimited):
        zhidu.authenticate_token(secret)
    assert zhidu.tokens("cs_staff1")[0].last_used_at == T0 + timedelta(seconds=110)


def test_authenticating_is_one_transaction_of_three_statements(zhidu, db):
    _, secret = zhidu.create_token("cs_staff1", "script")
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement.split()[0].upper())  # noqa: E731
    event.listen(db, "before_cursor_execute", listener)
    try:
        zhidu.authenticate_token(secret)
    finally:
        event.remove(db, "before_cursor_execute", listener)
    assert statements == ["SELECT", "SELECT", "UPDATE"]  # the token, its user, count and last use


@pytest.mark.postgres
def test_concurrent_requests_lose_no_count(postgres_url):
    database = open_db(postgres_url)
    migrate(database)
    engine = Engine(uow_factory(database), FixedClock(T0))
    engine.load_organisation(organisation())
    engine.api_tokens.policy = TokenPolicy(rate_limit=40)
    _, secret = engine.create_token("cs_staff1", "parallel")
    outcomes: list[str] = []

    def call() -> None:
        for _ in range(10):
            try:
                engine.authenticate_token(secret)
                outcomes.append("ok")
            except RateLimited:
                outcomes.append("limited")

    threads = [threading.Thread(target=call) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 40 and outcomes.count("limited") == 10


def test_migration_0011_creates_what_the_models_describe(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "api_tokens" in repr(d)] == []
