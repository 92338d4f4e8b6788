"""A substitution in a real browser: cs_staff1 records an absence with mk_staff1 standing in;
mk_staff1 finds cs_staff1's task in the inbox marked on whose behalf and completes it; the
instance's history says so. The engine's clock is fixed, so the days do not depend on today."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest

from engine.clock import FixedClock
from tests.conftest import T0  # 2026-11-27 17:00 in Shanghai
from tests.e2e.conftest import screenshot, serving
from tests.webui.support import INTAKE, build_services

pytestmark = pytest.mark.browser


@pytest.fixture
def services(tmp_path):
    built = build_services(f"sqlite:///{tmp_path / 'zhidu.db'}")
    built.engine.clock.inner = FixedClock(T0, ZoneInfo("Asia/Shanghai"))
    yield built
    built.db.dispose()


@pytest.fixture
def server(services):
    with serving(services.engine) as url:
        yield url


def test_the_substitute_completes_the_absent_persons_task_and_the_history_says_for_whom(new_page, server, services):
    instance_id = services.engine.start("complaint_handling", "cs_staff2", INTAKE).id
    away = new_page("cs_staff1")
    away.click("#nav-absences")
    away.fill("#starts_on", "2026-11-27")
    away.fill("#ends_on", "2026-11-30")
    away.select_option("#substitute", "mk_staff1")
    away.click("#absence-record")
    away.wait_for_selector("#my-absences tr[data-status=current]")
    assert away.inner_text("#my-absences .absence-substitute") == "张晓明"
    screenshot(away, "absence-recorded")

    substitute = new_page("mk_staff1")
    substitute.goto(f"{server}/")
    row = substitute.locator(f"#inbox tr[data-task-id]")
    assert row.count() == 1 and row.locator(".on-behalf").inner_text() == "代 杨丽"
    screenshot(substitute, "inbox-on-behalf")
    row.locator("a.btn-primary").click()
    substitute.fill("[name=details]", "已联系客户")
    substitute.check("[name=customer_calmed][value=true]")
    substitute.click("#task-form button[type=submit]")
    substitute.wait_for_selector(".flash.alert-success")

    substitute.goto(f"{server}/instances/{instance_id}")
    done = substitute.locator("#history li[data-kind=completed]").first
    assert "张晓明" in done.inner_text() and done.locator("dt[data-key=on_behalf_of]").inner_text() == "代理"
    assert "杨丽" in done.locator("dd").last.inner_text()
    assert services.engine.verify(instance_id).status == "ok"
