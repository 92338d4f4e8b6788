"""Changes to users and roles are journaled, hash-chained, and their tampering is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from engine.errors import PermissionDenied
from storage.models import JournalRow
from tests.conftest import open_db


def test_user_changes_are_journaled_with_who_did_them(zhidu, sqlite_url):
    zhidu.add_user("newbie", "新人", ["customer-service-staff"], "customer-service", actor="admin")
    zhidu.set_roles("newbie", ["customer-service-manager"], actor="admin")
    zhidu.deactivate_user("newbie", actor="admin")
    entries = zhidu.organisation_history("auditor")
    assert [(e.kind, e.actor, e.payload["username"]) for e in entries] == [
        ("user_added", "admin", "newbie"), ("roles_changed", "admin", "newbie"), ("user_deactivated", "admin", "newbie")]
    assert entries[1].payload["before"]["roles"] == ["customer-service-staff"]
    assert zhidu.verify_organisation() is None
    with pytest.raises(PermissionDenied):
        zhidu.organisation_history("cs_staff1")
    with open_db(sqlite_url).begin() as conn:
        conn.execute(update(JournalRow).where(JournalRow.instance_id == "organisation", JournalRow.seq == 2)
                     .values(payload={"username": "someone-else"}))
    assert zhidu.verify_organisation() == 2


def test_edits_passwords_and_reactivations_are_chained_too(zhidu, sqlite_url):
    zhidu.add_user("newbie", "新人", [], actor="admin")  # a new hire: no role until onboarding grants one
    zhidu.edit_user("newbie", name="钱新", department="data-analysis", roles=["data-analysis-staff"], actor="admin")
    zhidu.edit_user("newbie", name="钱新", actor="admin")  # nothing changed: nothing journaled
    zhidu.set_password("newbie", "scrypt:hash-of-the-new-password", actor="admin")
    zhidu.deactivate_user("newbie", actor="admin")
    zhidu.reactivate_user("newbie", actor="admin")
    entries = zhidu.organisation_history("auditor")
    assert [e.kind for e in entries] == ["user_added", "user_edited", "password_set", "user_deactivated",
                                         "user_reactivated"]
    assert entries[1].payload == {"username": "newbie",
                                  "before": {"name": "新人", "department": None, "roles": []},
                                  "after": {"name": "钱新", "department": "data-analysis",
                                            "roles": ["data-analysis-staff"]}}
    assert "hash-of-the-new-password" not in str([e.payload for e in entries])
    assert zhidu.verify_organisation() is None
    assert zhidu.user("newbie").active
    with open_db(sqlite_url).begin() as conn:
        conn.execute(update(JournalRow).where(JournalRow.instance_id == "organisation", JournalRow.seq == 3)
                     .values(payload={"username": "someone-else"}))
    assert zhidu.verify_organisation() == 3
