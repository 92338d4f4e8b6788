"""Request size (issue 12, items 2 and 13): a large body is refused before it is read, with a
short page in the user's language (a 50 MB upload used to come back as a 157 MB page); only the
process owner's diagram posts may be larger."""

from __future__ import annotations

import io

import pytest

from tests.security.signin_support import Browser, app, closed, demo_database, site  # noqa: F401

KB, MB = 1024, 1024 * 1024


@pytest.fixture
def staff(app):
    browser = Browser(app)
    browser.sign_in("cs_staff1")
    return browser


def test_a_large_post_gets_a_short_413_page_in_the_users_language(staff):
    response = staff.post("/start/complaint_handling", {"description": "x" * (300 * KB)})
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert len(html) < 20 * KB and "xxxxxxxx" not in html
    assert "提交的内容过大（上限 256 KB）" in html
    staff.post("/language", {"lang": "en"})
    response = staff.post("/start/complaint_handling", {"description": "x" * (300 * KB)})
    assert response.status_code == 413
    assert "What you sent is too large (the limit is 256 KB)" in response.get_data(as_text=True)


def test_a_50_megabyte_upload_is_refused_without_being_read(staff, site):
    before = site.rows("instances")
    upload = {"attachment": (io.BytesIO(b"\0" * (50 * MB)), "big.bin")}
    response = staff.post("/start/complaint_handling", upload, content_type="multipart/form-data")
    assert response.status_code == 413 and len(response.get_data()) < 20 * KB
    assert site.rows("instances") == before


def test_a_large_post_before_sign_in_is_refused_too(app, site):
    response = closed(Browser(app, HTTP_ACCEPT_LANGUAGE="en").client.post("/sign-in", data={"username": "u" * MB}))
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert site.rows("sign_in_throttle") == 0


def test_a_body_without_a_declared_length_is_bounded_as_it_streams(app):
    body = io.BytesIO(b"username=" + b"u" * (2 * MB))
    response = closed(Browser(app).client.post("/sign-in", input_stream=body, content_type="application/x-www-form-urlencoded",
                                               environ_overrides={"wsgi.input_terminated": True}))
    assert response.status_code == 413


def test_the_owner_may_post_a_diagram_of_a_megabyte_but_not_of_three(app):
    owner = Browser(app)
    owner.sign_in("owner")
    response = owner.post("/owner/validate", {"payload": "x" * MB})
    assert response.status_code != 413
    response = owner.post("/owner/validate", {"payload": "x" * (3 * MB)})
    assert response.status_code == 413 and "上限 2 MB" in response.get_data(as_text=True)
    upload = {"bpmn": (io.BytesIO(b"<x/>" * (256 * KB)), "big.bpmn")}  # 1 MB file
    assert owner.post("/owner/new", upload, content_type="multipart/form-data").status_code != 413


def test_the_larger_limit_is_the_owners_only(app):
    staff = Browser(app)
    staff.sign_in("cs_staff1")
    assert staff.post("/tasks/nothing/claim", {"x": "y" * MB}).status_code == 413
