"""Web security: every endpoint refuses the roles that may not use it (403, nothing changed),
CSRF, headers, sign-in throttling, session expiry, escaping, confidential values, the journal.

The endpoint table is checked against the app's url_map, so a new endpoint fails this file
until someone decides who may call it.
"""

from __future__ import annotations

import json
import re

import pytest

from engine.errors import PermissionDenied
from tests.webui.support import INTAKE

STAFF, PEER, OUTSIDER = "cs_staff1", "cs_staff2", "mk_staff1"
USERS = ("cs_staff1", "cs_staff2", "mk_staff1", "cs_manager", "director", "owner", "auditor", "admin")
AUDITORS, OWNERS, ADMINS = {"auditor", "director", "admin"}, {"owner"}, {"admin"}
EVERYONE = set(USERS)
CASE = {"cs_staff1", "cs_staff2", "cs_manager", "director", "auditor", "admin"}  # who may see the case
# Who may call each endpoint on the world below (a complaint started and its first task claimed
# by cs_staff1); everyone else gets 403. None: no permission question (public or per-user).
ACCESS: dict[str, set[str] | None] = {
    "static": None, "auth.sign_in": None, "auth.sign_out": None, "auth.set_language": None,
    "employee.inbox": None, "employee.team": None, "employee.start_list": None, "employee.my_requests": None,
    "employee.start_form": {"cs_staff1", "cs_staff2", "cs_manager"},
    "employee.start": {"cs_staff1", "cs_staff2", "cs_manager"},
    "employee.task": CASE, "employee.instance": CASE,
    "employee.claim": {"cs_staff1", "cs_staff2", "cs_manager", "director"},
    "employee.complete": {"cs_staff1", "cs_staff2", "cs_manager", "director"},
    "employee.release": {"cs_staff1", "cs_staff2", "cs_manager", "director"},
    "employee.reassign": {"cs_manager", "director"},
    "employee.withdraw": {"cs_staff1"},  # the starter only (DESIGN: requesters withdraw their own request)
    # whoever may see the instance (and is cleared for a confidential field: test_attachments_pages.py)
    "employee.attachment": CASE,
    "audit.search": AUDITORS, "audit.instance": AUDITORS, "audit.verify": AUDITORS, "audit.export": AUDITORS,
    "audit.search_csv": AUDITORS, "audit.organisation": AUDITORS,
    "owner.index": OWNERS, "owner.edit": OWNERS, "owner.create": OWNERS, "owner.validate": OWNERS,
    "owner.deploy": OWNERS, "owner.form_preview": OWNERS, "owner.compare": OWNERS, "owner.migration": OWNERS,
    "owner.migrate": OWNERS, "owner.save_draft": OWNERS, "owner.load_draft": OWNERS, "owner.discard_draft": OWNERS,
    "admin.users": ADMINS, "admin.add_user": ADMINS, "admin.deactivate": ADMINS,
    "admin.user": ADMINS, "admin.update_user": ADMINS, "admin.set_password": ADMINS, "admin.reactivate": ADMINS,
    "webhooks.index": ADMINS, "webhooks.add": ADMINS, "webhooks.remove": ADMINS, "webhooks.deliveries": ADMINS,
    # each person's own tokens: the engine refuses anyone else's (tests/webui/test_tokens_page.py)
    "tokens.index": None, "tokens.create": None, "tokens.confirm_revoke": None, "tokens.revoke": None,
    # each person's own notifications and settings; the mail log is the administrators'
    "notifications.index": None, "notifications.open_one": None, "notifications.mark_read": None,
    "notifications.settings": None, "notifications.mail_log": ADMINS,
    "comments.post": CASE,  # whoever may see the instance
    # each person's own absences: the engine refuses anyone else's (tests/webui/test_absences_pages.py)
    "absences.index": None, "absences.record": None, "absences.end": None,
}
# The API takes bearer tokens only, never this session: tests/api asks its permission questions.
API_ENDPOINTS = ("me", "processes", "start", "instances", "instance", "history", "cancel", "message", "correlate",
                 "verify", "tasks", "task", "claim", "release", "complete", "fetch_and_lock", "complete_external",
                 "fail_external", "extend_lock", "openapi", "reference")
ACCESS |= {f"api.{name}": None for name in API_ENDPOINTS}
HOSTILE = "<script>alert('x')</script>\"'; DROP TABLE instances; --"


@pytest.fixture
def world(engine):
    """A complaint with hostile text, its first task claimed by its starter."""
    instance = engine.start("complaint_handling", STAFF, {**INTAKE, "description": HOSTILE})
    task = instance.active_tasks[0]
    engine.claim(task.id, STAFF)
    engine.save_draft("complaint_handling", "owner", "{}")  # so the owner's draft endpoint has one to load
    return {"instance_id": instance.id, "task_id": task.id, "key": "complaint_handling", "username": "mk_staff2",
            "filename": "zhidu.css", "sha256": "ab" * 32, "subscription_id": "1", "token_id": "1", "absence_id": "1"}


def url_of(rule, world) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: world[m.group(1)], rule.rule)


def snapshot(engine, world) -> tuple:
    instance = engine.show(world["instance_id"])
    return (len(engine.history(world["instance_id"])), instance.status,
            tuple((t.id, t.claimed_by) for t in instance.active_tasks),
            tuple(u.to_dict().__repr__() for u in engine.users()), len(engine.processes()))


def test_every_endpoint_is_in_the_access_table(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ACCESS), "decide who may call the new endpoint(s) and add them to ACCESS"


@pytest.mark.parametrize("username", USERS)
def test_each_role_is_refused_where_it_has_no_business_and_nothing_changes(app, client, auth, engine, world, username):
    auth.sign_in(username)
    before = snapshot(engine, world)
    refused = []
    for rule in app.url_map.iter_rules():
        allowed = ACCESS[rule.endpoint]
        if allowed is None or username in allowed:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = url_of(rule, world)
            response = client.get(url) if method == "GET" else auth.post(url, {"to_user": STAFF, "roles": "director",
                                                                                 "username": "intruder", "password": "x" * 12})
            refused.append((rule.endpoint, method, response.status_code))
    assert [r for r in refused if r[2] != 403] == []
    assert snapshot(engine, world) == before


@pytest.mark.parametrize("username", USERS)
def test_each_role_reaches_the_pages_it_may_read(app, client, auth, world, username):
    auth.sign_in(username)
    for rule in app.url_map.iter_rules():
        allowed = ACCESS[rule.endpoint]
        if "GET" in rule.methods and allowed is not None and username in allowed and \
                rule.endpoint not in ("audit.export", "employee.attachment"):  # a download, and the world has no file
            assert client.get(url_of(rule, world)).status_code == 200, rule.endpoint


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(client, auth, engine, world):
    auth.sign_in("cs_manager")
    before = snapshot(engine, world)
    response = client.post(f"/tasks/{world['task_id']}/reassign", data={"to_user": PEER})
    assert response.status_code == 400
    assert client.post(f"/tasks/{world['task_id']}/reassign", data={"to_user": PEER, "csrf_token": "forged"}).status_code == 400
    assert snapshot(engine, world) == before


def test_security_headers_on_every_response(client, auth):
    for url in ("/sign-in", "/static/zhidu.css", "/nowhere"):
        response = client.get(url, buffered=True)  # read and close a static file's handle at once
        response.close()
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"


def test_templates_hold_no_inline_script_or_event_handler():
    from pathlib import Path

    for template in Path(__file__).resolve().parents[2].joinpath("webui", "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, f"{template.name}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"{template.name}: inline event handler"


def test_sign_in_is_locked_after_five_failures_for_a_username_from_one_address(client, auth, engine):
    for _ in range(5):
        assert auth.sign_in(STAFF, "wrong-password").status_code == 200
    locked = auth.sign_in(STAFF)  # even the right password is refused while locked
    assert locked.status_code == 429 and "inbox-count" not in locked.get_data(as_text=True)
    assert auth.sign_in(PEER).status_code == 302  # another account from the same address is not locked


def test_guessing_across_usernames_from_one_address_is_locked_too(client, auth):
    for n in range(30):
        auth.sign_in(f"a{n}", "guess")
    assert auth.sign_in("cs_staff2").status_code == 429


def test_sessions_are_permanent_with_a_lifetime_and_expire_when_idle(app, client, auth, engine, monkeypatch):
    from datetime import timedelta

    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600
    auth.sign_in(STAFF)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert session.permanent and "user" not in session  # the cookie names nobody
    later = engine.clock.now() + timedelta(minutes=31)
    monkeypatch.setattr(engine.clock.inner, "now", lambda: later)
    response = client.get("/")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_passwords_are_never_logged(client, auth, caplog):
    caplog.set_level("DEBUG")
    auth.sign_in(STAFF, "Sup3r-secret-pass")
    auth.sign_in(STAFF)
    assert "Sup3r-secret-pass" not in caplog.text and "zhidu-demo" not in caplog.text


def test_hostile_text_is_stored_verbatim_and_shown_escaped(client, auth, engine, world):
    assert engine.show(world["instance_id"]).data["description"] == HOSTILE
    auth.sign_in(STAFF)
    for url in (f"/instances/{world['instance_id']}", f"/tasks/{world['task_id']}"):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "&lt;script&gt;alert(" in page


def test_confidential_contact_is_hidden_from_roles_without_clearance(client, auth, engine, world):
    contact = INTAKE["contact"]
    for username, sees in (("cs_staff2", True), ("cs_manager", True), ("director", True), ("admin", False),
                           ("auditor", False)):
        client.get("/")  # fresh page, then switch user
        auth.sign_in(username)
        page = client.get(f"/instances/{world['instance_id']}").get_data(as_text=True)
        assert (contact in page) is sees, username
        if username == "auditor":
            assert engine.fingerprints.of(contact) in page  # keyed (tests/security/test_fingerprints.py)
        auth.post("/sign-out")
    assert engine.show(world["instance_id"], "admin").data["contact"] == {"confidential": True}
    history = engine.history(world["instance_id"], "admin")
    assert contact not in json.dumps([e.to_dict() for e in history], ensure_ascii=False)


def test_administrator_adds_changes_and_deactivates_a_user_and_the_journal_names_them(client, auth, engine, world):
    auth.sign_in("admin")
    response = auth.post("/admin/users", {"username": "newbie", "name": "新人", "roles": "customer-service-staff",
                                          "department": "customer-service", "password": "a-long-password"})
    assert response.status_code == 302 and engine.user("newbie").roles == ("customer-service-staff",)
    assert auth.post("/admin/users/newbie", {"name": "新人", "department": "marketing",
                                             "roles": "marketing-staff"}).status_code == 302
    assert engine.user("newbie").roles == ("marketing-staff",)
    assert auth.post(f"/admin/users/{STAFF}/deactivate", {"confirm": "yes"}).status_code == 302
    assert not [u for u in engine.users() if u.username == STAFF][0].active
    released = engine.history(world["instance_id"])[-1]
    assert (released.kind, released.actor, released.payload["from"]) == ("released", "admin", STAFF)
    page = client.get("/admin/users").get_data(as_text=True)
    assert "newbie" in page
    auth.post("/sign-out")
    assert auth.sign_in(STAFF).status_code == 200  # a leaver cannot sign in


def test_the_journal_records_who_did_each_thing(client, auth, engine, world):
    auth.sign_in("cs_manager")
    auth.post(f"/tasks/{world['task_id']}/reassign", {"to_user": PEER})
    kinds = [(e.kind, e.actor) for e in engine.history(world["instance_id"]) if e.kind in ("started", "claimed", "reassigned")]
    assert kinds == [("started", STAFF), ("claimed", STAFF), ("reassigned", "cs_manager")]


def test_the_engine_says_what_each_person_may_do_with_a_task_and_the_pages_ask_it(client, auth, engine, world):
    """The task page and the team page show the engine's answers (engine/permissions.py), not
    their own reading of role names."""
    task_id = world["task_id"]  # claimed by its starter, offered to customer service staff
    expected = {STAFF: {"release", "complete"}, PEER: set(), "cs_manager": {"release", "reassign"},
                "director": {"release", "reassign"}, "auditor": set()}
    assert {name: set(engine.task(task_id, name).actions) for name in expected} == expected
    with pytest.raises(PermissionDenied):
        engine.task(task_id, OUTSIDER)
    assert engine.receivers(STAFF, [task_id]) == {} and engine.receivers("mk_manager", [task_id]) == {}
    given_to = {u.username for u in engine.receivers("cs_manager", [task_id, "nope"])[task_id]}
    assert given_to == {"cs_staff1", "cs_staff2", "cs_manager", "director"}
    auth.sign_in("cs_manager")
    team = client.get("/team").get_data(as_text=True)
    assert 'value="cs_staff2"' in team and 'value="cs_staff1"' not in team  # not to whoever holds it
    assert 'value="mk_staff1"' not in team and 'value="auditor"' not in team


@pytest.mark.parametrize("username, shown", [
    (STAFF, {"start"}), ("cs_manager", {"start", "manage"}), ("director", {"start", "manage", "audit"}),
    ("auditor", {"audit"}), ("admin", {"start", "audit", "administer"}), ("owner", {"own"})])
def test_abilities_decide_what_the_navigation_offers(client, auth, engine, username, shown):
    abilities = engine.abilities(username).to_dict()
    assert {name for name, yes in abilities.items() if yes} == shown
    auth.sign_in(username)
    assert ('href="/team"' in client.get("/").get_data(as_text=True)) is ("manage" in shown)
