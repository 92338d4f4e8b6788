"""External workers through the REST API (issue 14.4): fetch-and-lock, complete, failure and
extend-lock, each response held to the OpenAPI document; bad input is a 4xx problem that
changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import make_zhidu, organisation
from tests.fixtures.external.bundles import WORKER, external_bundle, with_worker

STAFF = "cs_staff1"
TOPIC = "lead-scoring"
BASE = "/api/v1/external-tasks"


@pytest.fixture
def engine(sqlite_url, clock):
    """Only the external-task fixtures, and the demo organisation with a worker account."""
    engine = make_zhidu(sqlite_url, clock, bundles=[external_bundle("external_scoring"),
                                                    external_bundle("external_notify")])
    engine.load_organisation(with_worker(organisation()))
    return engine


def fetch(client, worker: str = "w1", **extra):
    return client.post(f"{BASE}/fetch-and-lock",
                       json={"workerId": worker, "topics": [TOPIC], "lockDuration": 60_000, "maxTasks": 5, **extra})


def test_a_worker_fetches_then_completes_after_a_field_error(api, engine, clock):
    started = engine.start("external_scoring", STAFF)
    worker = api(WORKER)
    response = fetch(worker)
    assert response.status_code == 200
    [task] = response.get_json()
    assert (task["instance_id"], task["topic"], task["worker_id"]) == (started.id, TOPIC, "w1")
    assert task["locked_until"] == (clock.now() + timedelta(seconds=60)).isoformat()
    assert task["result_schema"]["required"] == ["score"] and task["variables"]["started_by"] == STAFF
    assert fetch(worker, "w2").get_json() == []

    invalid = worker.post(f"{BASE}/{task['id']}/complete", json={"workerId": "w1", "variables": {"score": "x"}})
    assert invalid.status_code == 422 and [e["field"] for e in invalid.get_json()["errors"]] == ["score"]
    done = worker.post(f"{BASE}/{task['id']}/complete", json={"workerId": "w1", "variables": {"score": 90}})
    assert done.status_code == 200
    assert done.get_json() == {"id": task["id"], "instance_id": started.id, "instance_status": "running"}
    assert engine.show(started.id).current_step == "Review the score"
    assert engine.verify(started.id).status == "ok"


def test_failure_extend_lock_and_the_last_retry_an_incident(api, engine, clock):
    started = engine.start("external_scoring", STAFF)
    worker = api(WORKER)
    [task] = fetch(worker).get_json()
    extended = worker.post(f"{BASE}/{task['id']}/extend-lock", json={"workerId": "w1", "newDuration": 300_000})
    assert extended.status_code == 200
    assert extended.get_json()["locked_until"] == (clock.now() + timedelta(seconds=300)).isoformat()
    failed = worker.post(f"{BASE}/{task['id']}/failure",
                         json={"workerId": "w1", "errorMessage": "CRM down", "retryTimeout": 5_000})
    assert failed.status_code == 200
    assert (failed.get_json()["retries"], failed.get_json()["worker_id"]) == (1, None)
    assert fetch(worker).get_json() == []
    clock.advance(timedelta(seconds=6))
    [again] = fetch(worker, "w2").get_json()
    last = worker.post(f"{BASE}/{again['id']}/failure", json={"workerId": "w2", "errorMessage": "still down",
                                                               "retries": 0})
    assert last.status_code == 200 and last.get_json()["retries"] == 0
    assert engine.show(started.id).status == "failed"
    assert engine.verify(started.id).status == "ok"


def test_who_may_work_and_on_which_task(api, engine):
    engine.start("external_scoring", STAFF)
    assert fetch(api(None)).status_code == 401
    assert fetch(api(STAFF)).status_code == 403
    worker = api(WORKER)
    [task] = fetch(worker).get_json()
    other = worker.post(f"{BASE}/{task['id']}/complete", json={"workerId": "w2", "variables": {"score": 1}})
    assert other.status_code == 409
    unknown = worker.post(f"{BASE}/no-such-task/complete", json={"workerId": "w1"})
    assert unknown.status_code == 404
    assert engine.show(task["instance_id"]).status == "running"


@pytest.mark.parametrize("body, field", [
    ({"topics": [TOPIC], "lockDuration": 1000}, "workerId"),
    ({"workerId": "w1", "topics": TOPIC, "lockDuration": 1000}, "topics"),
    ({"workerId": "w1", "topics": [TOPIC], "lockDuration": "1s"}, "lockDuration"),
    ({"workerId": "w1", "topics": [TOPIC], "lockDuration": -5}, "lockDuration"),
])
def test_bad_bodies_are_problems_naming_the_field(api, engine, body, field):
    engine.start("external_scoring", STAFF)
    response = api(WORKER).post(f"{BASE}/fetch-and-lock", json=body)
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert [e["field"] for e in response.get_json()["errors"]] == [field]
    assert len(fetch(api(WORKER)).get_json()) == 1  # nothing was locked


def test_out_of_range_values_are_400_and_lock_nothing(api, engine):
    engine.start("external_scoring", STAFF)
    worker = api(WORKER)
    assert fetch(worker, lockDuration=0).status_code == 400
    assert fetch(worker, maxTasks=1000).status_code == 400
    assert len(fetch(worker).get_json()) == 1
