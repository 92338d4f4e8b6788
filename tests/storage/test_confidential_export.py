"""Exports hide confidential values behind their hashes and still verify offline."""

from __future__ import annotations

import json

import pytest

from engine.commands.evidence import verify_bundle
from engine.errors import PermissionDenied
from tests.processes.test_complaint_handling import INTAKE, RECORD, Driver


def test_an_auditor_export_carries_hashes_not_contact_details_and_verifies(zhidu):
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    contact = INTAKE["contact"]
    full = json.dumps(zhidu.export([d.instance_id]), ensure_ascii=False)
    assert contact in full
    bundle = json.loads(json.dumps(zhidu.export([d.instance_id], "auditor"), ensure_ascii=False))
    text = json.dumps(bundle, ensure_ascii=False)
    assert contact not in text
    started = bundle["instances"][0]["journal"][0]
    assert started["payload"]["data"]["contact"] == {"confidential": True, "sha256": zhidu.fingerprints.of(contact)}
    assert "contact" not in started["payload"]["salts"]["data"]  # the salt would let anyone try values
    assert bundle["instances"][0]["instance"]["state"] is None
    [verdict] = verify_bundle(bundle)
    assert verdict.status == "redacted" and verdict.redacted_values > 0
    assert f"replay not possible for {verdict.redacted_values} redacted" in verdict.reason
    [full_verdict] = verify_bundle(json.loads(full))
    assert full_verdict.status == "ok" and full_verdict.redacted_values == 0


def test_a_forged_hash_in_a_redacted_export_is_caught(zhidu):
    d = Driver(zhidu)
    bundle = json.loads(json.dumps(zhidu.export([d.instance_id], "auditor")))
    bundle["instances"][0]["journal"][0]["payload"]["data"]["contact"]["sha256"] = zhidu.fingerprints.of("someone else")
    [verdict] = verify_bundle(bundle)
    assert verdict.status == "tampered" and verdict.entry == 1


def test_export_as_someone_who_may_not_see_the_instance_is_refused(zhidu):
    d = Driver(zhidu)
    with pytest.raises(PermissionDenied):
        zhidu.export([d.instance_id], "mk_staff1")


def test_auditors_cannot_search_by_a_confidential_value(zhidu):
    d = Driver(zhidu)
    with pytest.raises(PermissionDenied):
        zhidu.search_instances("auditor", data_key="contact", data_value=INTAKE["contact"])
    found = zhidu.search_instances("auditor", data_key="customer_name", data_value=INTAKE["customer_name"])
    [view] = found.instances
    assert view.id == d.instance_id
    assert view.data["contact"]["confidential"] is True
    assert zhidu.search_instances("director", data_key="contact", data_value=INTAKE["contact"]).total == 1
