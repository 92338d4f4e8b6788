"""Issue 14's "done when": a whole complaint driven through the REST API only — start, the
inbox, claim, a completion refused field by field, then the valid ones, the history, and the
auditor's verify — each response checked against the OpenAPI document by the `api` client."""

from __future__ import annotations

from tests.processes.test_complaint_handling import FEEDBACK, INTAKE, RECORD, REVIEW

VERIFY = {"findings": "扣费正常", "founded": False}


def inbox_task(client, instance_id: str, element: str) -> dict:
    """The open task `element` of the instance, as the caller's inbox lists it."""
    listed = client.get("/api/v1/tasks?page_size=200").get_json()["items"]
    [task] = [t for t in listed if t["instance_id"] == instance_id and t["name"] == element]
    return task


def claim_and_complete(client, instance_id: str, element: str, data: dict) -> dict:
    task = inbox_task(client, instance_id, element)
    claimed = client.post(f"/api/v1/tasks/{task['id']}/claim")
    assert claimed.status_code == 200 and "complete" in claimed.get_json()["actions"]
    done = client.post(f"/api/v1/tasks/{task['id']}/complete", json=data)
    assert done.status_code == 200, done.get_json()
    return done.get_json()


def test_a_complaint_goes_from_intake_to_review_through_the_api_only(api):
    staff, colleague, manager, auditor = api("cs_staff1"), api("cs_staff2"), api("cs_manager"), api("auditor")
    offered = staff.get("/api/v1/processes").get_json()["items"]
    assert "complaint_handling" in {p["key"] for p in offered}

    started = staff.post("/api/v1/processes/complaint_handling/instances", json=INTAKE)
    assert started.status_code == 201
    instance = started.get_json()
    assert started.headers["Location"].endswith(f"/api/v1/instances/{instance['id']}")
    assert started.headers["ETag"] == f'"{instance["revision"]}"'

    record = inbox_task(staff, instance["id"], "Task_Record")
    sheet = staff.get(f"/api/v1/tasks/{record['id']}").get_json()
    assert sheet["form"]["key"] == "complaint_record" and "claim" in sheet["actions"]
    assert staff.post(f"/api/v1/tasks/{record['id']}/claim").status_code == 200

    refused = staff.post(f"/api/v1/tasks/{record['id']}/complete", json={**RECORD, "customer_calmed": "yes"})
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert [e["field"] for e in refused.get_json()["errors"]] == ["customer_calmed"]
    assert staff.get(f"/api/v1/tasks/{record['id']}").get_json()["status"] == "open"  # nothing changed

    after = staff.post(f"/api/v1/tasks/{record['id']}/complete", json=RECORD).get_json()
    assert [t["name"] for t in after["active_tasks"]] == ["Task_Verify"]
    claim_and_complete(colleague, instance["id"], "Task_Verify", VERIFY)
    claim_and_complete(staff, instance["id"], "Task_Feedback", FEEDBACK)
    finished = claim_and_complete(manager, instance["id"], "Task_Review", REVIEW)
    assert finished["status"] == "completed" and finished["active_tasks"] == []

    history = staff.get(f"/api/v1/instances/{instance['id']}/history").get_json()["items"]
    completed = [e for e in history if e["kind"] == "completed"]
    assert [(e["actor"], e["payload"]["element"]) for e in completed] == [
        ("cs_staff1", "Task_Record"), ("cs_staff2", "Task_Verify"), ("cs_staff1", "Task_Feedback"),
        ("cs_manager", "Task_Review")]
    assert completed[0]["payload"]["data"] == RECORD
    assert all(e["prev_hash"] == p["hash"] for p, e in zip(history, history[1:]))

    assert staff.post(f"/api/v1/instances/{instance['id']}/verify").status_code == 403  # auditors only
    verdict = auditor.post(f"/api/v1/instances/{instance['id']}/verify").get_json()
    assert verdict["verdict"] == "ok" and verdict["instance_id"] == instance["id"]
