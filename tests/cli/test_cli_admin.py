"""`zhidu` user administration and `--as` on show/history: allowed and refused, and what leaks."""

from __future__ import annotations

import io
import json

import pytest

from engine.audit.confidential import Fingerprints
from bootstrap import wiring
from tests.cli.test_cli import INTAKE, cli, start, task_of  # noqa: F401  (the cli fixture)


def test_user_add_reads_the_password_from_stdin_and_the_user_can_act(cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-secret\n"))
    code, user = cli("user-add", "cs_staff3", "--name", "新同事", "--roles", "customer-service-staff",
                     "--department", "customer-service", "--password-stdin")
    assert code == 0 and user == {"username": "cs_staff3", "name": "新同事", "department": "customer-service",
                                  "roles": ["customer-service-staff"], "active": True}
    code, instance = cli("start", "complaint_handling", "--as", "cs_staff3", "--data", json.dumps(INTAKE))
    assert code == 0 and instance["started_by"] == "cs_staff3"


@pytest.mark.parametrize("args, error", [
    (("user-add", "mk_staff1", "--roles", "marketing-staff"), "invalid_input"),          # exists
    (("user-add", "someone", "--roles", "astronaut"), "invalid_input"),                  # unknown role
    (("user-add", "someone", "--roles", "marketing-staff", "--department", "moon"), "invalid_input"),
    (("user-add", "someone", "--roles", "marketing-staff", "--as", "mk_manager"), "permission_denied"),
    (("user-roles", "nobody", "--roles", "marketing-staff"), "user_not_found"),
    (("user-roles", "mk_staff1", "--roles", "director", "--as", "mk_staff1"), "permission_denied"),
    (("user-deactivate", "mk_staff1", "--as", "director"), "permission_denied"),
    (("user-deactivate", "admin", "--as", "admin"), "permission_denied"),
])
def test_user_commands_refuse_and_change_nothing(cli, args, error):
    _, before = cli("users")
    code, document = cli(*args)
    assert code == 1 and document["error"] == error
    assert cli("users")[1] == before


def test_a_short_password_is_refused(cli, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    code, document = cli("user-add", "someone", "--roles", "marketing-staff", "--password-stdin")
    assert code == 1 and "8 characters" in document["message"]


def test_user_roles_changes_what_a_user_may_do(cli):
    code, user = cli("user-roles", "mk_staff1", "--roles", "customer-service-staff", "--department",
                     "customer-service", "--as", "admin")
    assert code == 0 and user["roles"] == ["customer-service-staff"] and user["department"] == "customer-service"
    code, instance = cli("start", "complaint_handling", "--as", "mk_staff1", "--data", json.dumps(INTAKE))
    assert code == 0


def test_deactivating_a_leaver_releases_their_claimed_tasks_in_the_journal(cli):
    instance_id = start(cli)
    task = task_of(cli, "cs_staff1", "Task_Record")
    assert cli("claim", task["id"], "--as", "cs_staff1")[0] == 0
    code, done = cli("user-deactivate", "cs_staff1", "--as", "admin")
    assert code == 0 and done["active"] is False and done["released_tasks"] == [task["id"]]
    _, history = cli("history", instance_id)
    released = history[-1]
    assert released["kind"] == "released" and released["actor"] == "admin"
    assert released["payload"] == {"task_id": task["id"], "element": "Task_Record", "from": "cs_staff1",
                                   "reason": "deactivated"}
    assert task_of(cli, "cs_staff2", "Task_Record")["claimed_by"] is None
    code, document = cli("tasks", "--as", "cs_staff1")
    assert code == 1 and document["error"] == "permission_denied"


def test_show_and_history_as_a_user_hide_confidential_values(cli, tmp_path):
    instance_id = start(cli)
    fingerprints = Fingerprints(wiring.fingerprint_key())  # the installation key the CLI uses
    digest = fingerprints.of(INTAKE["contact"])
    assert cli("show", instance_id)[1]["data"]["contact"] == INTAKE["contact"]          # operator: as today
    assert cli("show", instance_id, "--as", "cs_manager")[1]["data"]["contact"] == INTAKE["contact"]
    assert cli("show", instance_id, "--as", "admin")[1]["data"]["contact"] == {"confidential": True}
    assert cli("show", instance_id, "--as", "auditor")[1]["data"]["contact"] == {"confidential": True,
                                                                                 "sha256": digest}
    _, history = cli("history", instance_id, "--as", "auditor")
    started = next(e for e in history if e["kind"] == "started")
    assert started["payload"]["data"]["contact"] == {"confidential": True, "sha256": digest}
    assert INTAKE["contact"] not in json.dumps(history, ensure_ascii=False)
    code, document = cli("show", instance_id, "--as", "mk_staff1")
    assert code == 1 and document["error"] == "permission_denied"
    code, document = cli("history", instance_id, "--as", "mk_staff1")
    assert code == 1 and document["error"] == "permission_denied"
    # the export keeps the stored values, so it verifies, and the auditor's hash matches them
    bundle = tmp_path / "bundle.json"
    assert cli("export", instance_id, "--out", str(bundle))[0] == 0
    _, verdicts = cli("verify", "--bundle", str(bundle))
    _, stored_verdicts = cli("verify", instance_id)  # redaction happens at presentation only:
    assert verdicts["verdicts"] == stored_verdicts["verdicts"]  # the bundle verifies as the database does
    stored = json.loads(bundle.read_text(encoding="utf-8"))["instances"][0]["instance"]["data"]["contact"]
    assert fingerprints.of(stored) == digest


def test_text_output_of_user_commands(cli, monkeypatch):
    code, out, err = cli("user-deactivate", "mk_staff2", as_json=False)
    assert code == 0 and out.strip() == "deactivated mk_staff2; released 0 claimed task(s)"


def test_user_edit_password_and_reactivate_are_journaled(cli, monkeypatch, tmp_path):
    code, user = cli("user-edit", "mk_staff1", "--name", "张晓明（新）", "--department", "data-analysis", "--as", "admin")
    assert code == 0 and user["name"] == "张晓明（新）" and user["department"] == "data-analysis"
    assert user["roles"] == ["marketing-staff"]  # roles stay as they were
    assert cli("user-edit", "mk_staff1", "--department", "", "--as", "admin")[1]["department"] is None
    monkeypatch.setattr("sys.stdin", io.StringIO("a-brand-new-secret\n"))
    code, user = cli("user-password", "mk_staff2", "--password-stdin", "--as", "admin")
    assert code == 0 and user["username"] == "mk_staff2"
    assert cli("user-deactivate", "mk_staff2")[0] == 0
    code, user = cli("user-reactivate", "mk_staff2", "--as", "admin")
    assert code == 0 and user["active"] is True
    assert cli("tasks", "--as", "mk_staff2")[0] == 0  # they may act again
    _, history = cli("org-history", "--as", "auditor")
    assert [(e["kind"], e["actor"], e["payload"]["username"]) for e in history[-5:]] == [
        ("user_edited", "admin", "mk_staff1"), ("user_edited", "admin", "mk_staff1"),
        ("password_set", "admin", "mk_staff2"), ("user_deactivated", None, "mk_staff2"),
        ("user_reactivated", "admin", "mk_staff2")]
    assert history[-5]["payload"]["before"] == {"name": "张晓明", "department": "marketing"}
    assert "a-brand-new-secret" not in json.dumps(history) and "scrypt" not in json.dumps(history)
    from bootstrap.wiring import build
    from werkzeug.security import check_password_hash
    assert check_password_hash(build().engine.password_hash("mk_staff2"), "a-brand-new-secret")


@pytest.mark.parametrize("args, error", [
    (("user-edit", "mk_staff1", "--department", "moon"), "invalid_input"),
    (("user-edit", "mk_staff1"), "invalid_input"),                                        # nothing to change
    (("user-edit", "nobody", "--name", "x"), "user_not_found"),
    (("user-edit", "mk_staff1", "--name", "x", "--as", "mk_manager"), "permission_denied"),
    (("user-password", "mk_staff1"), "invalid_input"),                                    # no --password-stdin
    (("user-reactivate", "mk_staff1"), "invalid_input"),                                  # active already
    (("user-reactivate", "nobody"), "user_not_found"),
    (("user-add", "Bad Name", "--roles", "marketing-staff"), "invalid_input"),
])
def test_new_user_commands_refuse_and_change_nothing(cli, args, error):
    _, before = cli("users")
    _, history = cli("org-history", "--as", "auditor")
    code, document = cli(*args)
    assert code == 1 and document["error"] == error
    assert cli("users")[1] == before and cli("org-history", "--as", "auditor")[1] == history


def test_refused_user_details_name_the_field(cli):
    code, document = cli("user-add", "mk_staff1", "--roles", "astronaut", "--department", "moon")
    assert code == 1 and document["error"] == "invalid_input"
    assert {f["field"]: f["code"] for f in document["fields"]} == {
        "username": "username_taken", "roles": "unknown_role", "department": "unknown_department"}


def test_org_history_text_is_readable(cli):
    cli("user-roles", "mk_staff1", "--roles", "customer-service-staff", "--as", "admin")
    code, out, _ = cli("org-history", "--as", "auditor", as_json=False)
    assert code == 0 and "{" not in out
    assert "roles_changed" in out and "mk_staff1  roles: marketing-staff -> customer-service-staff" in out
