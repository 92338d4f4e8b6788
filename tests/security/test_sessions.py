"""Attacks on sessions (issue 12, item 10): a copied cookie after sign-out, a session kept
alive past its 8 hours by constant use, a leaver's open session, a cookie sent over plain HTTP.
"""

from __future__ import annotations

from datetime import timedelta

from tests.security.signin_support import Browser, app, demo_database, make_app, site  # noqa: F401


def copy_cookie(source: Browser, target: Browser) -> None:
    cookie = source.client.get_cookie("session")
    target.client.set_cookie("session", cookie.value)


def signed_in(browser: Browser) -> bool:
    response = browser.get("/")
    return response.status_code == 200 and "current-user" in response.get_data(as_text=True)


def test_a_copied_cookie_stops_working_when_its_owner_signs_out(app):
    owner, thief = Browser(app), Browser(app, "198.51.100.7")
    owner.sign_in("director")
    copy_cookie(owner, thief)
    assert signed_in(thief)  # the copy works while the session lasts ...
    owner.post("/sign-out")
    response = thief.get("/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")  # ... not after


def test_the_eight_hours_count_from_sign_in_however_busy_the_session(app, site):
    browser = Browser(app)
    browser.sign_in("cs_staff1")
    for _ in range(8 * 3):  # a request every 20 minutes: never idle
        site.clock.advance(timedelta(minutes=20))
        assert signed_in(browser)
    site.clock.advance(timedelta(minutes=1))
    response = browser.get("/")
    assert response.status_code == 302 and response.location.startswith("/sign-in")
    assert "会话已过期" in browser.get(response.location).get_data(as_text=True)


def test_half_an_hour_without_a_request_ends_the_session(app, site):
    browser = Browser(app)
    browser.sign_in("cs_staff1")
    site.clock.advance(timedelta(minutes=29))
    assert signed_in(browser)
    site.clock.advance(timedelta(minutes=31))
    assert browser.get("/").status_code == 302


def test_deactivating_a_user_ends_their_sessions_on_every_device(app, site):
    laptop, phone = Browser(app), Browser(app, "192.0.2.20")
    laptop.sign_in("cs_staff1")
    phone.sign_in("cs_staff1")
    assert site.rows("web_sessions") == 2
    site.engine.deactivate_user("cs_staff1", actor="admin")
    assert site.rows("web_sessions") == 0
    assert not signed_in(laptop) and not signed_in(phone)


def test_the_cookie_names_nobody_and_the_database_holds_only_a_hash_of_its_token(app, site):
    browser = Browser(app)
    browser.sign_in("auditor")
    with browser.client.session_transaction() as session:
        token = session["sid"]
        assert "user" not in session and "auditor" not in str(dict(session))
    with site.dbs[0].connect() as connection:
        from sqlalchemy import text
        ids = [row[0] for row in connection.execute(text("SELECT id FROM web_sessions"))]
    assert len(ids) == 1 and token not in ids and len(ids[0]) == 64


def test_signing_in_starts_a_new_session_so_a_planted_one_is_worthless(app):
    victim = Browser(app)
    victim.get("/sign-in")
    with victim.client.session_transaction() as session:
        session["sid"] = "planted-by-attacker"
    victim.sign_in("director")
    with victim.client.session_transaction() as session:
        assert session["sid"] != "planted-by-attacker"


def test_the_cookie_is_secure_when_configured(site, monkeypatch):
    monkeypatch.setenv("ZHIDU_SECURE_COOKIES", "1")
    response = Browser(make_app(site.engine)).sign_in("director")
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    monkeypatch.delenv("ZHIDU_SECURE_COOKIES")
    response = Browser(make_app(site.engine)).sign_in("director")
    assert "Secure" not in response.headers["Set-Cookie"]


def test_one_server_process_honours_a_sign_out_made_through_another(site):
    first, second = site.process(), site.process()
    browser = Browser(first)
    browser.sign_in("director")
    other = Browser(second)
    copy_cookie(browser, other)
    assert signed_in(other)
    browser.post("/sign-out")
    assert not signed_in(other)
