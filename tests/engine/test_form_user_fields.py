"""User fields (`format: user`, optionally `x-role`): a person named in a form must be an active
user (with the role the field asks for), checked by the engine at submission, field by field.

Before, appraisal_start took any username-shaped text: a mistyped one started an appraisal
whose tasks waited forever for a user who does not exist.
"""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid
from engine.records import UserRecord
from tests.webui.support import FORMS

START = {"employee": "mk_staff1", "supervisor": "mk_manager", "period_type": "quarter", "period_label": "2026-Q4",
         "results_indicators": "销售额", "ability_indicators": "策划", "attitude_indicators": "责任心",
         "peer_rows": [{"username": "mk_staff2"}, {"username": "da_staff1"}]}


def refused(fake_engine, data: dict) -> dict[str, str]:
    with pytest.raises(FormInvalid) as caught:
        fake_engine.start("performance_appraisal", "mk_manager", data)
    return {e.field: e.code for e in caught.value.field_errors}


def test_a_mistyped_username_is_refused_field_by_field(fake_engine, store):
    assert refused(fake_engine, {**START, "employee": "mk_staf1",
                                 "peer_rows": [{"username": "mk_staff2"}, {"username": "nobody"}]}) == {
        "employee": "user", "peer_rows[1].username": "user"}
    assert store.instances == {}


def test_a_deactivated_user_cannot_be_named(fake_engine, store):
    with fake_engine.uow_factory() as uow:
        leaver = uow.users.get("mk_staff1")
        uow.users.upsert(UserRecord(leaver.username, leaver.name, leaver.department, leaver.roles, False))
        uow.commit()
    assert refused(fake_engine, START) == {"employee": "user"}


def test_a_user_field_with_a_role_refuses_someone_without_it(fake_engine):
    assert refused(fake_engine, {**START, "supervisor": "cs_staff1"}) == {"supervisor": "role"}


def test_active_people_with_the_right_roles_start_the_appraisal(fake_engine):
    assert fake_engine.start("performance_appraisal", "mk_manager", START).status == "running"


def test_nobody_is_their_own_peer_and_the_supervisor_is_no_peer(fake_engine, store):
    """Before, the form took the employee as their own only peer and the start failed later in
    a script, as an incident; the form says `x-distinct` and refuses it at the field."""
    assert refused(fake_engine, {**START, "peer_rows": [{"username": "mk_staff1"}]}) == {
        "peer_rows[0].username": "distinct"}
    assert refused(fake_engine, {**START, "peer_rows": [{"username": "mk_staff2"}, {"username": "mk_manager"}]}) == {
        "peer_rows[1].username": "distinct"}
    assert store.instances == {}


def test_a_distinct_group_naming_an_unknown_field_is_refused_at_load():
    from engine.definitions.forms import check_form, parse_form
    text = (FORMS / "appraisal_start.yaml").read_text(encoding="utf-8").replace('"peer_rows[].username"', '"peer_rows[].user"')
    problems = check_form(parse_form(text, "appraisal_start.yaml"), "appraisal_start.yaml")
    assert any("x-distinct names 'peer_rows[].user'" in p.reason for p in problems)
