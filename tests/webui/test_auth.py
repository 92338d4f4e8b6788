"""Signing in, CSRF, signing out, language."""

from __future__ import annotations

import re

import pytest

from tests.security.signin_support import Browser, demo_database, make_app, site  # noqa: F401
from tests.webui.support import INTAKE


def test_every_page_but_sign_in_requires_a_user(client):
    for url in ("/", "/start", "/requests", "/team", "/tasks/x", "/instances/x"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.location.startswith("/sign-in")
    assert client.get("/sign-in").status_code == 200


def test_wrong_password_is_refused(client, auth):
    response = auth.sign_in("cs_staff1", "not-the-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_is_refused_like_a_wrong_password(client, auth):
    response = auth.sign_in("nobody")
    assert "用户名或密码不正确" in response.get_data(as_text=True)


def test_sign_in_and_out(client, auth):
    response = auth.sign_in("cs_staff1")
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "杨丽" in page
    auth.post("/sign-out")
    assert client.get("/").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_not_elsewhere(client, auth):
    token = auth.token()
    response = client.post("/sign-in", data={"username": "cs_staff1", "password": "zhidu-demo",
                                             "csrf_token": token, "next": "/requests"})
    assert response.location == "/requests"
    auth.post("/sign-out")
    response = client.post("/sign-in", data={"username": "cs_staff1", "password": "zhidu-demo",
                                             "csrf_token": auth.token(), "next": "//evil.example/"})
    assert response.location == "/"


def test_post_without_csrf_token_is_rejected_and_changes_nothing(client, auth, engine):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    task_id = instance.active_tasks[0].id
    auth.sign_in("cs_staff1")
    response = client.post(f"/tasks/{task_id}/claim")
    assert response.status_code == 400
    assert "请求无效" in response.get_data(as_text=True)
    response = client.post(f"/tasks/{task_id}/claim", data={"csrf_token": "forged"})
    assert response.status_code == 400
    assert engine.task(task_id).claimed_by is None


def test_sign_in_itself_needs_the_csrf_token(client):
    response = client.post("/sign-in", data={"username": "cs_staff1", "password": "zhidu-demo"})
    assert response.status_code == 400


def test_language_switch_is_kept_in_the_session(client, auth):
    auth.sign_in("cs_staff1")
    assert "待办任务" in client.get("/").get_data(as_text=True)
    response = auth.post("/language", {"lang": "en", "next": "/start"})
    assert response.location == "/start"
    page = client.get("/").get_data(as_text=True)
    assert "Inbox" in page and "待办任务" not in page
    auth.post("/language", {"lang": "zh"})
    assert "待办任务" in client.get("/").get_data(as_text=True)


def test_unknown_page_is_a_styled_404(client, auth):
    auth.sign_in("cs_staff1")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "找不到该页面" in response.get_data(as_text=True)


def test_an_unexpected_failure_shows_the_500_page_not_a_traceback(client, auth, engine, monkeypatch):
    auth.sign_in("cs_staff1")

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(engine, "inbox_page", broken)
    response = client.get("/")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "系统出错" in html and "database on fire" not in html and "Traceback" not in html


def test_create_app_without_arguments_uses_the_environment(tmp_path, monkeypatch):
    from tests.webui.support import build_services
    from webui.app import create_app

    url = f"sqlite:///{tmp_path / 'env.db'}"
    build_services(url).db.dispose()
    monkeypatch.setenv("ZHIDU_DATABASE_URL", url)
    monkeypatch.delenv("ZHIDU_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    first = create_app()
    assert (tmp_path / "var" / "secret_key").is_file()
    assert create_app().config["SECRET_KEY"] == first.config["SECRET_KEY"]
    client = first.test_client()
    assert client.get("/sign-in").status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").get_data(as_text=True)).group(1)
    response = client.post("/sign-in", data={"username": "cs_staff1", "password": "zhidu-demo", "csrf_token": token})
    assert response.status_code == 302  # the users of the environment's database


# -- the language: stored on the user, Accept-Language before sign-in (issue 11, item 14) --------


@pytest.fixture
def quick_app(site):
    return make_app(site.engine)


@pytest.mark.parametrize("header, title", [("en-US,en;q=0.9", "Sign in"), ("zh-CN,zh;q=0.9,en;q=0.8", "登录"),
                                           ("fr-FR", "登录"), ("de,en;q=0.5", "Sign in")])
def test_before_sign_in_the_browsers_language_chooses(quick_app, header, title):
    page = Browser(quick_app, HTTP_ACCEPT_LANGUAGE=header).get("/sign-in").get_data(as_text=True)
    assert f"<h1 class=\"h4 mb-3\">{title}</h1>" in page


def test_the_language_chosen_is_kept_on_the_user_for_every_device(quick_app):
    laptop = Browser(quick_app, HTTP_ACCEPT_LANGUAGE="zh-CN")
    laptop.sign_in("cs_staff1")
    assert "待办任务" in laptop.get("/").get_data(as_text=True)
    laptop.post("/language", {"lang": "en"})
    phone = Browser(quick_app, "192.0.2.20", HTTP_ACCEPT_LANGUAGE="zh-CN")
    phone.sign_in("cs_staff1")
    assert "Inbox" in phone.get("/").get_data(as_text=True)
    phone.post("/language", {"lang": "zh"})  # switching on one device reaches the other at once
    assert "待办任务" in laptop.get("/").get_data(as_text=True)


def test_a_choice_made_before_sign_in_is_stored_and_the_device_keeps_it_after_sign_out(quick_app):
    browser = Browser(quick_app, HTTP_ACCEPT_LANGUAGE="zh-CN")
    browser.post("/language", {"lang": "en"})
    browser.sign_in("mk_staff1")
    assert "Inbox" in browser.get("/").get_data(as_text=True)
    browser.post("/sign-out")
    assert "Sign in" in browser.get("/sign-in").get_data(as_text=True)
    other = Browser(quick_app, "192.0.2.30", HTTP_ACCEPT_LANGUAGE="zh-CN")
    other.sign_in("mk_staff1")
    assert "Inbox" in other.get("/").get_data(as_text=True)


def test_a_users_stored_language_wins_over_the_browsers(quick_app):
    first = Browser(quick_app, HTTP_ACCEPT_LANGUAGE="en")
    first.sign_in("da_staff1")
    first.post("/language", {"lang": "zh"})
    later = Browser(quick_app, "192.0.2.40", HTTP_ACCEPT_LANGUAGE="en")
    later.sign_in("da_staff1")
    assert "待办任务" in later.get("/").get_data(as_text=True)
