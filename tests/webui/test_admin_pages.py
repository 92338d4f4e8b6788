"""The administrator's pages: refused input comes back beside its field with the input kept
(never the generic error page), roles as checkboxes, deactivation only once confirmed,
reactivation, a new password, name and department edited — each change journaled."""

from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash

GOOD = {"username": "newbie", "name": "新人", "department": "customer-service", "roles": "customer-service-staff",
        "password": "a-long-password"}


@pytest.fixture
def admin(auth):
    auth.sign_in("admin")
    return auth


def field_error(html: str, input_id: str) -> str:
    """The message shown under the input `input_id` (or under the roles' fieldset)."""
    start = html.index(f'id="{input_id}"')
    match = re.search(r'<div class="invalid-feedback d-block field-error">([^<]+)</div>', html[start:])
    assert match, f"no error under {input_id}"
    return match.group(1)


@pytest.mark.parametrize("changes, input_id, message", [
    ({"username": "mk_staff1"}, "new-username", "该用户名已被使用。"),
    ({"username": "Bad Name!"}, "new-username", "用户名须以小写字母开头"),
    ({"username": ""}, "new-username", "请填写用户名。"),
    ({"roles": ""}, "new-role-director", "请至少选择一个角色"),
    ({"password": "short"}, "new-password", "密码至少需要 8 个字符。"),
])
def test_refused_new_user_comes_back_beside_the_field_with_the_input_kept(client, admin, engine, changes,
                                                                          input_id, message):
    before = [u.to_dict() for u in engine.users()]
    response = admin.post("/admin/users", {**GOOD, **changes})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="add-user"' in html  # the same page, not the 400 page
    assert field_error(html, input_id).startswith(message)
    typed = {**GOOD, **changes}
    assert f'value="{typed["name"]}"' in html  # what was typed stays
    if typed["roles"]:
        assert re.search(r'value="customer-service-staff" id="new-role-customer-service-staff" checked', html)
    assert re.search(r'<option value="customer-service" selected>', html)
    assert 'value="a-long-password"' not in html  # a password is never sent back
    assert [u.to_dict() for u in engine.users()] == before


def test_english_messages_and_several_errors_at_once(client, admin):
    admin.post("/language", {"lang": "en"})
    html = admin.post("/admin/users", {**GOOD, "username": "mk_staff1", "department": "moon"}).get_data(as_text=True)
    assert field_error(html, "new-username") == "This username is taken."
    assert field_error(html, "new-department") == "Choose a department from the list."


def test_a_new_hire_may_have_no_role_yet(client, admin, engine):
    response = admin.post("/admin/users", {**GOOD, "roles": "", "new_hire": "true"})
    assert response.status_code == 302 and engine.user("newbie").roles == ()


def test_roles_are_checkboxes_and_people_show_by_name(client, admin):
    html = client.get("/admin/users").get_data(as_text=True)
    assert 'type="checkbox" name="roles" value="auditor"' in html and "<select" in html
    assert "multiple" not in html  # no Ctrl-click lists
    row = html[html.index('id="user-cs_manager"'):].split("</tr>")[0]
    assert "客户服务部" in row and "客户服务部经理" in row and "customer-service-manager" not in row


def test_edit_name_department_and_roles_in_one_journaled_change(client, admin, engine):
    html = client.get("/admin/users/mk_staff1").get_data(as_text=True)
    assert 'value="张晓明"' in html and re.search(r'value="marketing-staff" id="role-marketing-staff" checked', html)
    response = admin.post("/admin/users/mk_staff1", {"name": "张晓明", "department": "data-analysis",
                                                     "roles": ["data-analysis-staff", "auditor"]})
    assert response.status_code == 302
    user = engine.user("mk_staff1")
    assert user.department == "data-analysis" and set(user.roles) == {"data-analysis-staff", "auditor"}
    entry = engine.organisation_history("auditor")[-1]
    assert (entry.kind, entry.actor) == ("user_edited", "admin")
    assert entry.payload["before"] == {"department": "marketing", "roles": ["marketing-staff"]}  # only what changed
    refused = admin.post("/admin/users/mk_staff1", {"name": "x" * 101, "department": "moon", "roles": "auditor"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and field_error(html, "department") == "请选择列出的部门。"
    assert field_error(html, "name").startswith("姓名最多") and 'value="' + "x" * 101 + '"' in html


def test_deactivation_needs_a_confirmation_then_reactivation_restores(client, admin, engine):
    html = client.get("/admin/users/mk_staff2").get_data(as_text=True)
    assert 'id="confirm"' in html and 'id="deactivate"' in html
    response = admin.post("/admin/users/mk_staff2/deactivate")
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "confirm") == "请勾选确认后再停用。"
    assert engine.user("mk_staff2").active
    assert admin.post("/admin/users/mk_staff2/deactivate", {"confirm": "yes"}).status_code == 302
    assert not next(u for u in engine.users() if u.username == "mk_staff2").active
    assert 'id="reactivate"' in client.get("/admin/users/mk_staff2").get_data(as_text=True)
    assert admin.post("/admin/users/mk_staff2/reactivate").status_code == 302
    assert engine.user("mk_staff2").active
    kinds = [e.kind for e in engine.organisation_history("auditor")[-2:]]
    assert kinds == ["user_deactivated", "user_reactivated"]
    assert 'id="deactivate"' not in client.get("/admin/users/admin").get_data(as_text=True)  # not oneself


def test_administrator_sets_a_new_password(client, admin, engine):
    short = admin.post("/admin/users/mk_staff2/password", {"password": "short"})
    assert short.status_code == 422 and field_error(short.get_data(as_text=True), "password").startswith("密码至少")
    assert admin.post("/admin/users/mk_staff2/password", {"password": "another-secret"}).status_code == 302
    assert check_password_hash(engine.password_hash("mk_staff2"), "another-secret")
    entry = engine.organisation_history("auditor")[-1]
    assert (entry.kind, entry.payload) == ("password_set", {"username": "mk_staff2"})


def test_unknown_user_is_404_and_staff_get_403(client, auth):
    auth.sign_in("admin")
    assert client.get("/admin/users/nobody").status_code == 404
    auth.post("/sign-out")
    auth.sign_in("cs_manager")
    assert auth.post("/admin/users", GOOD).status_code == 403
    assert client.get("/admin/users/mk_staff1").status_code == 403
