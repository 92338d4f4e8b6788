"""Bad input gets a 4xx problem document, never a 500, and changes nothing (issue 14.6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.processes.test_complaint_handling import INTAKE, RECORD

START = "/api/v1/processes/complaint_handling/instances"


@pytest.fixture
def task(api) -> dict:
    """The first task of a complaint cs_staff1 started, claimed by cs_staff1."""
    staff = api("cs_staff1")
    instance = staff.post(START, json=INTAKE).get_json()
    task = instance["active_tasks"][0]
    staff.post(f"/api/v1/tasks/{task['id']}/claim")
    return task


def problem_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_malformed_bodies_are_refused_before_anything_runs(api, task):
    staff, url = api("cs_staff1"), f"/api/v1/tasks/{task['id']}/complete"
    history = f"/api/v1/instances/{task['instance_id']}/history"
    before = staff.get(history).get_json()["items"]
    problem_of(staff.post(url, data="{not json", content_type="application/json"), 400)
    problem_of(staff.post(url, data="[1, 2]", content_type="application/json"), 400)
    problem_of(staff.post(url, data="details=x", content_type="application/x-www-form-urlencoded"), 415)
    wrong = problem_of(staff.post(url, json={**RECORD, "details": 42}), 422)
    assert [e["field"] for e in wrong["errors"]] == ["details"]
    cancel = problem_of(staff.post(f"/api/v1/instances/{task['instance_id']}/cancel", json={"reason": 7}), 400)
    assert cancel["errors"][0]["field"] == "reason"
    assert staff.get(f"/api/v1/tasks/{task['id']}").get_json()["status"] == "open"
    assert staff.get(history).get_json()["items"] == before


def test_unknown_ids_and_parameters_are_4xx(api):
    staff = api("cs_staff1")
    assert problem_of(staff.get("/api/v1/instances/no-such"), 404)["type"].endswith("/instance_not_found")
    problem_of(staff.get("/api/v1/tasks/no-such"), 404)
    problem_of(staff.post("/api/v1/tasks/no-such/claim"), 404)
    problem_of(staff.post("/api/v1/processes/no_such/instances", json={}), 404)
    problem_of(staff.post("/api/v1/instances/no-such/messages/reply", json={}), 404)
    problem_of(staff.post("/api/v1/messages/reply", json={"business_key": "x", "key_field": "a b"}), 400)
    for query in ("page=0", "page=x", "page_size=500", "sort=sideways"):
        assert problem_of(staff.get(f"/api/v1/tasks?{query}"), 400)["errors"][0]["field"] in query
    problem_of(staff.get("/api/v1/instances?all=perhaps"), 400)
    problem_of(staff.get("/api/v1/nowhere"), 404)


def test_someone_elses_task_is_refused_and_stays_theirs(api, task):
    colleague, stranger = api("cs_staff2"), api("mk_staff1")
    problem_of(stranger.get(f"/api/v1/tasks/{task['id']}"), 403)
    problem_of(stranger.post(f"/api/v1/tasks/{task['id']}/complete", json=RECORD), 403)
    problem_of(colleague.post(f"/api/v1/tasks/{task['id']}/claim"), 409)
    problem_of(colleague.post(f"/api/v1/tasks/{task['id']}/release"), 403)
    problem_of(colleague.post(f"/api/v1/tasks/{task['id']}/complete", json=RECORD), 409)
    assert api("cs_staff1").get(f"/api/v1/tasks/{task['id']}").get_json()["claimed_by"] == "cs_staff1"


def test_a_missing_unknown_or_expired_token_is_401(api, engine, clock):
    assert problem_of(api(None).get("/api/v1/tasks"), 401)
    unknown = api(None).get("/api/v1/tasks", headers={"Authorization": "Bearer zhidu_nothing"})
    problem_of(unknown, 401)
    _, secret = engine.create_token("cs_staff1", "short", expires_days=1)
    client = api(None).as_token(secret)
    assert client.get("/api/v1/me").get_json()["username"] == "cs_staff1"
    clock.advance(timedelta(days=2))
    problem_of(client.get("/api/v1/me"), 401)


def test_release_and_a_stale_if_match_on_a_task(api, task):
    staff = api("cs_staff1")
    problem_of(staff.post(f"/api/v1/tasks/{task['id']}/release", headers={"If-Match": '"1"'}), 412)
    released = staff.post(f"/api/v1/tasks/{task['id']}/release").get_json()
    assert released["claimed_by"] is None and "claim" in released["actions"]
