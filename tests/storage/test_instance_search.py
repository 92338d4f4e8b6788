"""The auditor's instance search, on SQLite and PostgreSQL: every filter, JSON values alike on both."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import InvalidInput, PermissionDenied
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
