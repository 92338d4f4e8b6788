"""The auditor's instance search, on SQLite and PostgreSQL: every filter, JSON values alike on both."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engine.clock import FixedClock
from engine.errors import InvalidInput, PermissionDenied
from engine.ports import InstanceFilter
from tests.conftest import T0, make_zhidu

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}


@pytest.fixture
def searched(db_url, clock):
    """Three complaints: one by cs_staff1 at T0 (recorded), one by cs_staff2 a day later, one
    by cs_staff1 two days later with another category."""
    zhidu = make_zhidu(db_url, clock)
    first = zhidu.start("complaint_handling", "cs_staff1", INTAKE).id
    task = zhidu.show(first).active_tasks[0]
    zhidu.complete_task(task.id, "cs_staff1", {"details": "d", "customer_calmed": True})
    clock.advance(timedelta(days=1))
    second = zhidu.start("complaint_handling", "cs_staff2", INTAKE).id
    clock.advance(timedelta(days=1))
    third = zhidu.start("complaint_handling", "cs_staff1", {**INTAKE, "category": "billing"}).id
    return zhidu, first, second, third


def ids(page) -> list[str]:
    return [i.id for i in page.instances]


def test_every_filter_narrows_the_search(searched):
    zhidu, first, second, third = searched
    assert ids(zhidu.search_instances("auditor")) == [third, second, first]  # newest first
    assert ids(zhidu.search_instances("auditor", process_key="complaint_handling")) == [third, second, first]
    assert ids(zhidu.search_instances("auditor", process_key="training")) == []
    assert ids(zhidu.search_instances("auditor", status="running")) == [third, second, first]
    assert ids(zhidu.search_instances("auditor", status="completed")) == []
    assert ids(zhidu.search_instances("auditor", started_from=T0 + timedelta(hours=1),
                                      started_to=T0 + timedelta(days=2))) == [second]
    assert ids(zhidu.search_instances("auditor", participant="cs_staff2")) == [second]
    assert ids(zhidu.search_instances("auditor", participant="cs_staff1")) == [third, first]
    assert ids(zhidu.search_instances("auditor", data_key="category", data_value="billing")) == [third]
    assert ids(zhidu.search_instances("auditor", data_key="customer_calmed", data_value="true")) == [first]
    assert ids(zhidu.search_instances("auditor", data_key="customer_calmed", data_value="1")) == []
    assert ids(zhidu.search_instances("auditor", data_key="nothing", data_value="x")) == []


def test_a_participant_is_anyone_the_journal_names(searched):
    zhidu, first, _, _ = searched
    task = zhidu.show(first).active_tasks[0]
    zhidu.claim(task.id, "cs_staff2")
    assert set(ids(zhidu.search_instances("auditor", participant="cs_staff2"))) >= {first}


def test_pages_count_what_matches(searched):
    zhidu, first, second, third = searched
    page = zhidu.search_instances("auditor", page=2, page_size=2)
    assert (ids(page), page.total, page.page, page.pages) == ([first], 3, 2, 2)


def test_only_auditors_directors_and_administrators_may_search(searched):
    zhidu = searched[0]
    for user in ("auditor", "director", "admin"):
        assert zhidu.search_instances(user).total == 3
    with pytest.raises(PermissionDenied):
        zhidu.search_instances("cs_staff1")
    with pytest.raises(InvalidInput):
        zhidu.search_instances("auditor", data_key="x') OR 1=1 --", data_value="1")
    with pytest.raises(InvalidInput):
        zhidu.search_instances("auditor", status="lost")


SHANGHAI = ZoneInfo("Asia/Shanghai")
# Either side of Shanghai's midnight (16:00 UTC) and of UTC's: 15:59 UTC is 23:59 on the 27th in
# Shanghai; 16:00, 20:00 and 23:59 UTC on the 27th and 00:00 UTC on the 28th are all the 28th there.
AROUND_MIDNIGHT = [datetime(2026, 11, 27, 15, 59, tzinfo=timezone.utc), datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc),
                   datetime(2026, 11, 27, 20, 0, tzinfo=timezone.utc), datetime(2026, 11, 27, 23, 59, tzinfo=timezone.utc),
                   datetime(2026, 11, 28, 0, 0, tzinfo=timezone.utc)]


@pytest.fixture
def around_midnight(db_url):
    """A Shanghai organisation's complaints started at each of AROUND_MIDNIGHT (fixed clock)."""
    clock = FixedClock(AROUND_MIDNIGHT[0], SHANGHAI)
    zhidu = make_zhidu(db_url, clock)
    started = []
    for moment in AROUND_MIDNIGHT:
        clock.set(moment)
        started.append(zhidu.start("complaint_handling", "cs_staff1", INTAKE).id)
    return zhidu, started


def test_a_day_means_the_organisations_local_day(around_midnight):
    zhidu, (at_1559, at_1600, at_2000, at_2359, at_0000) = around_midnight
    on = lambda day: set(ids(zhidu.search_instances("auditor", started_from=day, started_to=day)))  # noqa: E731
    assert on(date(2026, 11, 27)) == {at_1559}
    assert on(date(2026, 11, 28)) == {at_1600, at_2000, at_2359, at_0000}
    assert on(date(2026, 11, 26)) == set()
    assert set(ids(zhidu.search_instances("auditor", started_to=date(2026, 11, 27)))) == {at_1559}
    assert set(ids(zhidu.search_instances("auditor", started_from=date(2026, 11, 28)))) == {
        at_1600, at_2000, at_2359, at_0000}


def test_storage_compares_instants_not_the_digits_of_a_zone(around_midnight):
    """Bounds in another zone than UTC reach the repository as they are: it must compare the
    instants (SQLite stores text, and once compared local digits with UTC digits)."""
    zhidu, (at_1559, at_1600, at_2000, at_2359, at_0000) = around_midnight
    midnight_28th = datetime(2026, 11, 28, tzinfo=SHANGHAI)  # = 16:00 UTC on the 27th
    with zhidu.uow_factory() as uow:
        after, _ = uow.instances.search(InstanceFilter(started_from=midnight_28th), 0, 10)
        before, _ = uow.instances.search(InstanceFilter(started_to=midnight_28th), 0, 10)
        bounded, _ = uow.instances.search(InstanceFilter(started_from=midnight_28th,
                                                         started_to=midnight_28th + timedelta(hours=5)), 0, 10)
    assert {r.id for r in after} == {at_1600, at_2000, at_2359, at_0000}
    assert {r.id for r in before} == {at_1559}
    assert {r.id for r in bounded} == {at_1600, at_2000}
    assert all(r.started_at.tzinfo is not None and r.started_at.utcoffset() == timedelta(0) for r in after)
