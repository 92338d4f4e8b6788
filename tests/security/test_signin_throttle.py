"""Attacks on sign-in (issue 12, items 2 and 3): growing the server's memory through the
throttle, locking the director out, and guessing with several server processes.

Each test plays the attack and shows it held: state stays bounded and in the database, every
process counts the same failures, and a storm from one address leaves other addresses alone.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from engine.commands.people import ORGANISATION_JOURNAL
from engine.clock import FixedClock
from engine.runtime import Engine
from engine.commands.signin import SignInGuard, SignInPolicy
from storage.database import migrate, uow_factory
from tests.conftest import open_db
from tests.security.signin_support import T0, Browser, app, demo_database, site  # noqa: F401

ATTACKER, OFFICE = "198.51.100.7", "192.0.2.10"


def test_a_megabyte_username_is_refused_by_size_and_stores_nothing(app, site):
    response = Browser(app, ATTACKER).sign_in("x" * 1024 * 1024, "guess")
    assert response.status_code == 413
    assert len(response.get_data()) < 20_000  # a short page, not the request echoed back
    assert site.rows("sign_in_throttle") == 0


def test_an_overlong_username_or_password_is_refused_naming_the_field(app, site):
    browser = Browser(app, ATTACKER)
    response = browser.sign_in("x" * 101, "guess")
    assert response.status_code == 400
    assert "用户名过长：最多 100 个字符" in response.get_data(as_text=True)
    response = browser.sign_in("director", "p" * 1025)
    assert response.status_code == 400 and "密码过长" in response.get_data(as_text=True)
    assert site.rows("sign_in_throttle") == 0
    assert 'maxlength="100"' in browser.get("/sign-in").get_data(as_text=True)


def test_throttle_state_stays_bounded_whatever_usernames_are_tried(app, site):
    browser = Browser(app, ATTACKER)
    for n in range(60):
        browser.sign_in(f"user{n:03d}", "guess")
    # 30 failures lock the address; later attempts are refused before anything is written
    assert browser.sign_in("user999", "guess").status_code == 429
    assert site.rows("sign_in_throttle") <= 31
    site.clock.advance(timedelta(minutes=11))
    Browser(app, OFFICE).sign_in("someone", "guess")  # any later failure prunes what has expired
    assert site.rows("sign_in_throttle") == 2


def test_two_server_processes_count_failures_together(site):
    first, second = Browser(site.process(), ATTACKER), Browser(site.process(), ATTACKER)
    for browser in (first, second, first, second, first):
        assert browser.sign_in("director", "wrong").status_code == 200
    assert second.sign_in("director").status_code == 429  # the fifth failure locked it for both
    assert first.sign_in("director").status_code == 429


def test_a_wrong_password_storm_does_not_lock_the_director_out_from_elsewhere(app):
    attacker = Browser(app, ATTACKER)
    for _ in range(50):
        attacker.sign_in("director", "wrong")
    assert attacker.sign_in("director").status_code == 429
    director = Browser(app, OFFICE)
    response = director.sign_in("director")
    assert response.status_code == 302
    assert director.get("/").status_code == 200


def test_guessing_across_usernames_locks_the_address_not_the_accounts(app):
    attacker = Browser(app, ATTACKER)
    for n in range(30):
        attacker.sign_in(f"guess{n}", "guess")
    assert attacker.sign_in("cs_staff2").status_code == 429
    assert Browser(app, OFFICE).sign_in("cs_staff2").status_code == 302


def test_each_lockout_is_in_the_organisation_journal_and_the_chain_holds(app, site):
    attacker = Browser(app, ATTACKER)
    for _ in range(5):
        attacker.sign_in("director", "wrong")
    assert attacker.sign_in("director").status_code == 429
    locks = [e for e in site.engine.organisation_history("auditor") if e.kind == "sign_in_locked"]
    assert [(e.payload["scope"], e.payload["username"], e.payload["address"]) for e in locks] == [
        ("username_address", "director", ATTACKER)]
    assert locks[0].actor is None and locks[0].payload["until"].startswith("2026-11-27T01:05")
    assert site.engine.verify_organisation() is None


def test_the_lock_ends_after_its_time_and_a_success_starts_the_count_again(app, site):
    browser = Browser(app, OFFICE)
    for _ in range(5):
        browser.sign_in("cs_staff1", "wrong")
    assert browser.sign_in("cs_staff1").status_code == 429
    site.clock.advance(timedelta(minutes=5, seconds=1))
    for _ in range(4):
        browser.sign_in("cs_staff1", "wrong")
    assert Browser(app, OFFICE).sign_in("cs_staff1").status_code == 302
    for _ in range(4):  # the success forgot the four failures before it
        browser.sign_in("cs_staff1", "wrong")
    assert Browser(app, OFFICE).sign_in("cs_staff1").status_code == 302


def test_the_lock_is_checked_before_the_password(app, monkeypatch, site):
    browser = Browser(app, ATTACKER)
    for _ in range(5):
        browser.sign_in("director", "wrong")
    monkeypatch.setattr(site.engine, "password_hash", lambda username: pytest.fail("password looked up"))
    assert browser.sign_in("director").status_code == 429


@pytest.mark.parametrize("url_fixture", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)])
def test_racing_processes_lose_no_failure_and_journal_one_lock(request, url_fixture):
    url = request.getfixturevalue(url_fixture)
    migrate(open_db(url))
    clock = FixedClock(T0)
    policy = SignInPolicy(max_failures=40, address_max_failures=1000)
    guards = [SignInGuard(Engine(uow_factory(open_db(url)), clock).uow_factory, clock, policy) for _ in range(4)]

    def storm(guard):
        for _ in range(10):
            guard.failed("director", ATTACKER)

    threads = [threading.Thread(target=storm, args=(g,)) for g in guards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert guards[0].locked_for("director", ATTACKER) == 300.0  # the 40th failure locked it
    assert guards[0].locked_for("director", OFFICE) == 0.0
    with guards[0].uow_factory() as uow:
        locks = [e for e in uow.journal.for_instance(ORGANISATION_JOURNAL) if e.kind == "sign_in_locked"]
    assert len(locks) == 1 and locks[0].payload["failures"] == 40


@pytest.mark.parametrize("url_fixture", ["sqlite_url", pytest.param("postgres_url", marks=pytest.mark.postgres)])
def test_migration_0007_creates_what_the_models_describe(request, url_fixture):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    db = open_db(request.getfixturevalue(url_fixture))
    migrate(db)
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    ours = [d for d in differences if any(name in repr(d) for name in ("sign_in_throttle", "web_sessions", "'language'"))]
    assert ours == []


def test_the_lock_check_is_one_indexed_query(app, site):
    from sqlalchemy import event

    statements = []
    event.listen(site.dbs[0], "before_cursor_execute", lambda *args: statements.append(args[2]))
    with app.app_context():
        app.extensions["zhidu.signin"].locked_for("director", ATTACKER)
    assert len(statements) == 1 and 'sign_in_throttle."key" IN' in statements[0]  # the primary key


def test_behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own(site):
    app = site.process(TRUSTED_PROXIES=1)
    proxy = "127.0.0.1"
    attacker = Browser(app, proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    for _ in range(30):
        attacker.sign_in("director", "wrong")
    assert attacker.sign_in("director").status_code == 429
    assert Browser(app, proxy, HTTP_X_FORWARDED_FOR=OFFICE).sign_in("director").status_code == 302
