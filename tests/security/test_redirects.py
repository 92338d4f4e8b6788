"""Open redirects after sign-in and language switches (issue 12, item 11): only same-site
relative paths are followed; anything a browser could read as another site goes to the inbox,
and no `next` value, however odd, gives a 500."""

from __future__ import annotations

import pytest

from tests.security.signin_support import Browser, app, demo_database, site  # noqa: F401

HOSTILE_NEXT = [
    "/\t/evil.example",          # browsers drop the tab: //evil.example
    "/\n/evil.example",
    "/\r\n/evil.example",
    "//evil.example/",
    "/\\evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " /evil.example",
    "/\x00/evil.example",
    "/requests\r\nSet-Cookie: planted=1",
    "evil.example",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_sign_in_never_sends_anyone_off_site(app, target):
    response = Browser(app).sign_in("cs_staff1", next=target)
    assert response.status_code == 302
    assert response.location == "/"
    assert "planted" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_the_language_switch_never_sends_anyone_off_site(app, target):
    response = Browser(app).post("/language", {"lang": "en", "next": target})
    assert response.status_code == 302 and response.location == "/"


def test_the_sign_in_form_does_not_carry_a_hostile_next_along(app):
    page = Browser(app).get("/sign-in", query_string={"next": "/\t/evil.example"}).get_data(as_text=True)
    assert 'name="next" value=""' in page


@pytest.mark.parametrize("target", ["/requests", "/instances/abc?tab=history", "/audit/?participant=%E5%BC%A0"])
def test_same_site_paths_are_followed(app, target):
    response = Browser(app).sign_in("cs_staff1", next=target)
    assert response.location == target


def test_a_page_asked_for_before_sign_in_is_reached_after_it(app):
    browser = Browser(app)
    response = browser.get("/requests")
    assert response.location == "/sign-in?next=/requests"
    page = browser.get(response.location).get_data(as_text=True)
    assert 'name="next" value="/requests"' in page
    assert browser.sign_in("cs_staff1", next="/requests").location == "/requests"
