"""Browser tests: the real app served on a free 127.0.0.1 port over a temporary SQLite
database, driven by Debian's Chromium through Playwright (no browser download)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.webui.support import build_services
from webui.app import create_app
from bootstrap.wiring import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/setup.sh --test")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@contextmanager
def serving(engine):
    """The base URL of the app over `engine`, served from a thread until the block ends."""
    app = create_app({"SECRET_KEY": "e2e", "ENGINE": engine})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(5)
        httpd.server_close()


@pytest.fixture
def server(tmp_path):
    """The base URL of a running zhidu over a fresh database."""
    services = build_services(f"sqlite:///{tmp_path / 'zhidu.db'}")
    with serving(services.engine) as url:
        yield url
    services.db.dispose()


@pytest.fixture
def new_page(browser, server):
    """Open a page in a fresh browser context (its own cookies) signed in as `username`."""
    contexts = []

    def open_as(username: str | None = None):
        context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        if username:
            sign_in(page, server, username)
        return page

    yield open_as
    for context in contexts:
        context.close()


def sign_in(page, base: str, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base}/sign-in")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#current-user", state="attached")  # on a phone it is inside the closed menu


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
