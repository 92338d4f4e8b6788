"""Separation of duties through the REST API (issue 16.5): a refused claim or completion is a
403 problem document naming the rule in plain English, and a task says whom it is kept from."""

from __future__ import annotations

from tests.api.test_bad_input import problem_of
from tests.fixtures.duties.bundles import four_eyes

START = "/api/v1/processes/four_eyes/instances"


def test_a_refusal_is_a_403_problem_in_plain_words_and_changes_nothing(api, engine):
    engine.deploy([four_eyes()], actor="tests")
    staff, colleague = api("cs_staff1"), api("cs_staff2")
    instance = colleague.post(START, json={"concerns": "cs_staff1"}).get_json()
    draft = next(t for t in instance["active_tasks"] if t["name"] == "Draft")
    check = next(t for t in instance["active_tasks"] if t["name"] == "Check")
    assert staff.post(f"/api/v1/tasks/{draft['id']}/claim").status_code == 200
    problem = problem_of(staff.post(f"/api/v1/tasks/{check['id']}/claim"), 403)
    assert problem["type"].endswith("/separation_of_duties")
    assert problem["detail"] == ("You are handling this case's 'Draft the letter' step, so 'Check the figures' "
                                 "must be done by someone else.")
    problem_of(staff.post(f"/api/v1/tasks/{check['id']}/complete", json={"note": "x"}), 403)
    shown = colleague.get(f"/api/v1/tasks/{check['id']}").get_json()
    assert (shown["claimed_by"], shown["excluded"]) == (None, ["cs_staff1"])
    assert {t["name"] for t in staff.get("/api/v1/tasks").get_json()["items"]} == {"Draft"}
