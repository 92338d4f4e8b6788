"""Every page of every role, in Chinese and English, at 1280 px and on a 390 px phone: no
console error, no failed request (a missing favicon included), nothing wider than the phone's
screen; a screenshot of each lands in test-artifacts/screens/<lang>-<width>-<page>.png.

The pages come from the app's url_map (as tests/webui/test_security.py walks it for
permissions): every GET rule, its URL parameters filled from real demo data, visited as the
first role that may open it; rules that answer with something else than a page (downloads,
JSON, static files) are skipped by their content type, not by a list.
"""

from __future__ import annotations

import re
import pytest

from engine.files import Upload
from tests.e2e.conftest import ARTIFACTS, serving
from tests.webui.support import INTAKE, build_services
from webui.app import create_app
from bootstrap.wiring import DEMO_PASSWORD

pytestmark = pytest.mark.browser

SCREENS = ARTIFACTS / "screens"
# Who opens each page: the first of these that may (the employee's pages as an employee, the
# team as a manager, the audit pages as the auditor, ...).
ROLES = ("cs_staff1", "cs_manager", "owner", "auditor", "admin", "director")
RECORD = {"details": "客户三次预约均未送达", "customer_expectation": "尽快送达", "customer_calmed": True}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A database with a complaint two steps in (its verification task open) and a user change."""
    services = build_services(f"sqlite:///{tmp_path_factory.mktemp('pages') / 'zhidu.db'}")
    engine = services.engine
    instance_id = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    task = engine.show(instance_id).active_tasks[0]
    engine.complete_task(task.id, "cs_staff1", RECORD)
    engine.add_user("newbie", "新人", ["customer-service-staff"], "customer-service", actor="admin")
    engine.comment(instance_id, "cs_staff2", "@cs_staff1 请补充通话时间")  # a notification to open
    params = {"instance_id": instance_id, "task_id": engine.show(instance_id).active_tasks[0].id,
              "key": "complaint_handling", "username": "mk_staff2", "filename": "zhidu.css",
              "token_id": str(engine.create_token("cs_staff1", "pages")[0].id),
              "notification_id": str(engine.notifications("cs_staff1").entries[0].id)}
    with serving(engine) as base:
        yield base, page_urls(engine, params, {"employee.attachment": with_evidence(engine)})
    services.db.dispose()


def with_evidence(engine) -> dict[str, str]:
    """A second complaint whose verification carries an evidence file: the download's parameters."""
    instance_id = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    engine.complete_task(engine.show(instance_id).active_tasks[0].id, "cs_staff1", RECORD)
    schema = next(f.schema for f in engine.instance_forms(instance_id) if f.key == "complaint_verify")
    evidence = engine.store_uploads("complaint_verify", schema,
                                    [Upload("evidence", "通话记录.pdf", b"%PDF-1.4\n% evidence\n", "application/pdf")])
    engine.complete_task(engine.show(instance_id).active_tasks[0].id, "cs_staff1",
                         {"findings": "排班有空档", "founded": True, **evidence})
    return {"instance_id": instance_id, "sha256": evidence["evidence"]["sha256"]}


def page_urls(engine, params: dict[str, str], overrides: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """(endpoint, URL) of every GET rule a browser session can open, parameters filled in (the
    API answers bearer tokens only: tests/api walks it)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "ENGINE": engine})
    urls = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint != "static" and (
                not rule.endpoint.startswith("api.") or rule.endpoint in ("api.openapi", "api.reference")):
            values = {**params, **overrides.get(rule.endpoint, {})}
            urls.append((rule.endpoint, re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: values[m.group(1)], rule.rule)))
    return urls


def sign_in(context, base: str, username: str, lang: str):
    page = context.new_page()
    page.set_default_timeout(20000)
    page.goto(f"{base}/sign-in")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_selector("#current-user", state="attached")
    wanted = "zh-CN" if lang == "zh" else "en"
    if page.get_attribute("html", "lang") != wanted:  # the browser's language chose the other one
        page.evaluate("document.getElementById('language-switch').click()")
        page.wait_for_selector(f"html[lang={wanted}]", state="attached")
    return page


def answer(context, url: str) -> tuple[int, bool]:
    """The status of a GET of `url`, and whether it is a page (HTML) rather than a download."""
    response = context.request.get(url, max_redirects=0)
    return response.status, response.headers.get("content-type", "").startswith("text/html")


def cancelled(failure: str | None) -> bool:
    """Whether a request failed only because the browser gave it up: the next navigation cancels
    what the last page still had in flight (Chromium fetches the favicon after the load event).
    A file that is missing or broken answers 404/500, which the response watcher reports."""
    return failure == "net::ERR_ABORTED"


def watch(page, problems: list[str], where: list[str]) -> None:
    """Record console errors, uncaught exceptions and failed requests of `page`."""
    page.on("console", lambda m: problems.append(f"{where[0]}: console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(f"{where[0]}: uncaught {err}"))
    page.on("requestfailed", lambda r: problems.append(f"{where[0]}: request failed {r.url} {r.failure}")
            if not cancelled(r.failure) else None)
    page.on("response", lambda r: problems.append(f"{where[0]}: {r.status} for {r.url}") if r.status >= 400 else None)


def visit(page, url: str, name: str, width: int, problems: list[str]) -> None:
    page.goto(url, wait_until="networkidle")
    page.wait_for_function("!document.querySelector('[data-rendered]') || "
                           "document.querySelector('[data-rendered]').getAttribute('data-rendered') !== ''")
    if width < 500:
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-responsive, .table, .zd-diagram, .djs-container'))
                .slice(0, 3).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
            problems.append(f"{name}: {overflow}px wider than the screen: {wide}")
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_of_every_role(browser, world, lang, width):
    base, urls = world
    problems: list[str] = []
    seen: set[str] = set()       # pages visited
    answered: set[str] = set()   # endpoints some role got a 200 from (pages and downloads)
    for role in (None, *ROLES):
        context = browser.new_context(viewport={"width": width, "height": 900},
                                      locale="zh-CN" if lang == "zh" else "en-US")
        where = ["sign-in"]
        try:
            if role is None:
                page = context.new_page()
                watch(page, problems, where)
                visit(page, f"{base}/sign-in", f"{lang}-{width}-sign-in", width, problems)
                seen.add("auth.sign_in")
                continue
            page = sign_in(context, base, role, lang)
            watch(page, problems, where)
            for endpoint, path in urls:
                if endpoint in seen:
                    continue
                status, html = answer(context, base + path)
                if status == 200 or (status == 404 and not html) or status in (302, 303):
                    answered.add(endpoint)  # an API's "none yet" and a link that leads on answer too
                if status != 200 or not html:
                    continue
                seen.add(endpoint)
                name = f"{lang}-{width}-{endpoint.replace('.', '-')}"
                where[0] = f"{role} {path}"
                visit(page, base + path, name, width, problems)
            if width < 500:
                menu_opens(page, base, role, problems)
        finally:
            context.close()
    assert not problems, "\n".join(problems)
    unanswered = {e for e, _ in urls} - answered - {"auth.sign_in"}
    assert not unanswered, f"GET endpoints no role could open (fill their parameters): {sorted(unanswered)}"
    assert len(seen) >= 15


def menu_opens(page, base: str, role: str, problems: list[str]) -> None:
    """On a phone the navigation is one menu button that opens the links."""
    page.goto(f"{base}/start")
    if page.is_visible("#nav-menu a.nav-link"):
        problems.append(f"{role}: the navigation is not collapsed at 390 px")
        return
    page.click("#nav-toggle")
    if not page.is_visible("#nav-menu a.nav-link") or not page.is_visible("#sign-out"):
        problems.append(f"{role}: the menu button does not open the navigation")

