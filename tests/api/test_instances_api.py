"""Instances through the API: starting, listing and paging, reading with an ETag, If-Match on
writes, cancelling, and messages by instance id or by business key."""

from __future__ import annotations

from tests.processes.test_complaint_handling import INTAKE

START = "/api/v1/processes/complaint_handling/instances"


def start_complaints(client, count: int) -> list[dict]:
    return [client.post(START, json={**INTAKE, "customer_name": f"客户{n}"}).get_json() for n in range(count)]


def test_the_callers_requests_come_in_pages_with_a_next_link(api):
    staff = api("cs_staff1")
    started = start_complaints(staff, 3)
    api("cs_staff2").post(START, json=INTAKE)  # someone else's request is not listed
    first = staff.get("/api/v1/instances?page_size=2").get_json()
    assert (first["total"], first["pages"], len(first["items"])) == (3, 2, 2)
    second = staff.get(first["next"]).get_json()
    assert second["next"] is None and second["page"] == 2
    assert {i["id"] for i in first["items"] + second["items"]} == {i["id"] for i in started}


def test_only_an_auditor_searches_every_instance(api):
    start_complaints(api("cs_staff1"), 2)
    api("cs_staff2").post(START, json=INTAKE)
    refused = api("cs_staff1").get("/api/v1/instances?all=1")
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    found = api("auditor").get("/api/v1/instances?all=1&participant=cs_staff1").get_json()
    assert found["total"] == 2 and {i["started_by"] for i in found["items"]} == {"cs_staff1"}
    assert api("auditor").get("/api/v1/instances?all=1&status=done").status_code == 400


def test_a_stale_if_match_changes_nothing_and_a_current_one_writes(api):
    staff = api("cs_staff1")
    [instance] = start_complaints(staff, 1)
    shown = staff.get(f"/api/v1/instances/{instance['id']}")
    etag = shown.headers["ETag"]
    task = shown.get_json()["active_tasks"][0]
    assert staff.post(f"/api/v1/tasks/{task['id']}/claim", headers={"If-Match": etag}).status_code == 200
    stale = staff.post(f"/api/v1/instances/{instance['id']}/cancel", json={"reason": "重复"},
                       headers={"If-Match": etag})
    assert stale.status_code == 412 and stale.headers["ETag"] != etag
    assert staff.get(f"/api/v1/instances/{instance['id']}").get_json()["status"] == "running"
    current = staff.get(f"/api/v1/instances/{instance['id']}").headers["ETag"]
    cancelled = staff.post(f"/api/v1/instances/{instance['id']}/cancel", json={"reason": "重复"},
                           headers={"If-Match": current})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.headers["ETag"] != current


def test_a_message_reaches_its_instance_by_id_or_by_business_key(api):
    staff = api("cs_staff1")
    by_id = staff.post("/api/v1/processes/timer_race/instances", json={"business_key": "CRM-1"}).get_json()
    by_key = staff.post("/api/v1/processes/timer_race/instances", json={"business_key": "CRM-2"}).get_json()
    delivered = staff.post(f"/api/v1/instances/{by_id['id']}/messages/reply", json={"text": "收到"})
    assert [t["name"] for t in delivered.get_json()["active_tasks"]] == ["ReadReply"]
    assert staff.post(f"/api/v1/instances/{by_id['id']}/messages/reply", json={}).status_code == 409

    assert api("mk_staff1").post("/api/v1/messages/reply", json={"business_key": "CRM-2"}).status_code == 404
    assert staff.post("/api/v1/messages/reply", json={"business_key": "CRM-9"}).status_code == 404
    assert staff.post("/api/v1/messages/reply", json={"business_key": 2}).status_code == 400
    sent = staff.post("/api/v1/messages/reply", json={"business_key": "CRM-2", "payload": {"text": "好"}})
    assert sent.status_code == 200 and sent.get_json()["id"] == by_key["id"]
    history = staff.get(f"/api/v1/instances/{by_key['id']}/history").get_json()["items"]
    assert [e["payload"] for e in history if e["kind"] == "message_received"] == [
        {"name": "reply", "payload": {"text": "好"}}]


def test_a_business_key_held_by_two_instances_is_ambiguous(api):
    staff = api("cs_staff1")
    for _ in range(2):
        staff.post("/api/v1/processes/timer_race/instances", json={"business_key": "CRM-1"})
    refused = staff.post("/api/v1/messages/reply", json={"business_key": "CRM-1"})
    assert refused.status_code == 409 and refused.get_json()["type"].endswith("/ambiguous_business_key")
