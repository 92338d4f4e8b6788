"""Roles say in the organisation file which department they belong to and whether they manage it."""

from __future__ import annotations

import pytest

from engine.definitions.organisation import parse_organisation
from engine.errors import DefinitionInvalid
from tests.conftest import PROCESSES

DEPARTMENTS = ("marketing", "customer-service", "data-analysis", "project-management")


def _file(*roles: str) -> str:
    return ("departments:\n  - {key: sales, name: {zh: 销售部, en: Sales}}\n"
            "roles:\n" + "".join(f"  - {r}\n" for r in roles))


def _problems(text: str) -> list[tuple[str | None, str]]:
    with pytest.raises(DefinitionInvalid) as caught:
        parse_organisation(text, "organisation.yaml")
    assert all(p.file == "organisation.yaml" for p in caught.value.problems)
    return [(p.element, p.reason) for p in caught.value.problems]


def test_the_demo_organisation_gives_each_role_its_department_and_managers():
    file = PROCESSES / "organisation.yaml"
    roles = {r.key: r for r in parse_organisation(file.read_text(encoding="utf-8"), str(file)).roles}
    expected = {"director": (None, True), "process-owner": (None, False), "auditor": (None, False),
                "admin": (None, False), "external-worker": (None, False)}
    for dept in DEPARTMENTS:
        expected |= {f"{dept}-manager": (dept, True), f"{dept}-staff": (dept, False)}
    assert {key: (r.department, r.manager) for key, r in roles.items()} == expected


def test_a_role_without_the_keys_belongs_nowhere_and_manages_nothing():
    org = parse_organisation(_file("{key: clerk, name: {zh: 文员, en: Clerk}}",
                                   "{key: sales-staff, department: sales, manager: false}"), "o.yaml")
    assert [(r.key, r.department, r.manager) for r in org.roles] == [("clerk", None, False),
                                                                      ("sales-staff", "sales", False)]


def test_a_role_naming_an_undeclared_department_is_refused_by_name():
    assert _problems(_file("{key: legal-staff, department: legal}")) == [
        ("legal-staff", "role legal-staff: unknown department legal")]


def test_a_department_that_is_not_a_key_is_refused_without_crashing():
    assert _problems(_file("{key: odd, department: [sales]}")) == [
        ("odd", "role odd: unknown department ['sales']")]


@pytest.mark.parametrize("value, shown", [("'yes'", "'yes'"), ("1", "1"), ("'true'", "'true'"), ("null", "None")])
def test_manager_must_be_a_boolean(value, shown):
    assert _problems(_file(f"{{key: boss, department: sales, manager: {value}}}")) == [
        ("boss", f"role boss: manager must be true or false, not {shown}")]


def test_every_bad_role_is_reported_at_once():
    problems = _problems(_file("{key: a, department: nowhere}", "{key: b, manager: 'no'}",
                               "{key: c, department: sales, manager: true}"))
    assert [element for element, _ in problems] == ["a", "b"]
