"""engine/permissions.py: every answer comes from the organisation data, none from role names."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.definitions.bundles import CatalogEntry
from engine.permissions import OPERATOR, OrgChart, Permissions
from engine.records import InstanceRecord, Role, StoredVersion, TaskRecord, UserRecord

AT = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
# Role keys deliberately unlike "<dept>-manager": only the data says who manages what.
ROLES = (Role("head", {}, None, True), Role("sales-lead", {}, "sales", True), Role("seller", {}, "sales"),
         Role("clerk", {}, "office"), Role("office-manager", {}, "office"), Role("auditor", {}),
         Role("admin", {}), Role("process-owner", {}))
MAY = Permissions(OrgChart.of(ROLES))


def user(name: str, *roles: str, active: bool = True) -> UserRecord:
    return UserRecord(name, name, None, roles, active)


def task(*candidates: str, claimed_by: str | None = None, status: str = "open") -> TaskRecord:
    return TaskRecord("t1", "i1", "p", "step", "Step", None, None, candidates, AT, status, claimed_by,
                      department=MAY.chart.department_of(candidates))


def instance(started_by: str = "ann") -> InstanceRecord:
    return InstanceRecord("i1", "p", "h", 1, "running", {}, {}, started_by, AT, AT)


def version(starters: tuple[str, ...] = (), owner_role: str = "process-owner") -> StoredVersion:
    return StoredVersion("p", 1, "h", CatalogEntry("p", "p", "p.bpmn", {}, starters, owner_role), {}, None, AT)


def test_a_task_belongs_to_its_first_candidate_roles_department():
    assert task("user:ann", "role:seller").department == "sales"
    assert task("role:auditor").department is None


def test_a_manager_role_manages_its_department_and_one_without_department_manages_all():
    assert MAY.manages(user("sam", "sales-lead"), task("role:seller"))
    assert not MAY.manages(user("sam", "sales-lead"), task("role:clerk"))
    assert MAY.manages(user("hal", "head"), task("role:clerk"))
    assert MAY.chart.managed_by(user("hal", "head")) == {"sales", "office"}


def test_a_role_named_like_a_manager_manages_nothing_unless_the_data_says_so():
    assert not MAY.manages(user("olga", "office-manager"), task("role:clerk"))
    assert not MAY.may_manage(user("olga", "office-manager"))


@pytest.mark.parametrize("who, may_complete", [
    (user("sue", "seller"), True), (user("sam", "sales-lead"), True), (user("hal", "head"), True),
    (user("cat", "clerk"), False), (user("ann"), False)])
def test_who_may_complete_an_unclaimed_task(who, may_complete):
    assert MAY.may_complete(who, task("role:seller")) is may_complete


def test_a_claimed_task_is_completed_by_its_claimant_and_released_by_them_or_a_manager():
    claimed = task("role:seller", claimed_by="sue")
    assert MAY.may_complete(user("sue", "seller"), claimed)
    assert not MAY.may_complete(user("sid", "seller"), claimed)
    assert MAY.may_release(user("sam", "sales-lead"), claimed)
    assert not MAY.may_release(user("sid", "seller"), claimed)
    assert not MAY.may_complete(user("sue", "seller"), task("role:seller", claimed_by="sue", status="completed"))


def test_a_task_goes_only_to_active_people_who_may_work_on_it():
    assert MAY.may_receive(user("sid", "seller"), task("role:seller"))
    assert not MAY.may_receive(user("sid", "seller", active=False), task("role:seller"))
    assert not MAY.may_receive(user("cat", "clerk"), task("role:seller"))


def test_who_may_see_an_instance():
    tasks = [task("role:seller")]
    assert MAY.may_view(user("ann"), instance("ann"), tasks)                # its starter
    assert MAY.may_view(user("sue", "seller"), instance(), tasks)           # offered an open task
    assert MAY.may_view(user("sam", "sales-lead"), instance(), tasks)       # manages a department involved
    assert MAY.may_view(user("aud", "auditor"), instance(), tasks)
    assert not MAY.may_view(user("cat", "clerk"), instance(), tasks)
    assert not MAY.may_view(user("olga", "office-manager"), instance(), tasks)


def test_starting_owning_and_the_operator():
    assert MAY.may_start(user("ann"), version().entry)                      # no starters named: everyone
    assert not MAY.may_start(user("ann"), version(("seller",)).entry)
    assert MAY.may_own(user("sam", "sales-lead"), version(owner_role="sales-lead"))
    assert not MAY.may_own(user("sam", "sales-lead"))
    assert MAY.may_own(OPERATOR) and MAY.may_audit(OPERATOR) and MAY.may_administer(OPERATOR)
    assert MAY.may_see_fingerprints(user("aud", "auditor")) and not MAY.may_see_fingerprints(user("adm", "admin"))
