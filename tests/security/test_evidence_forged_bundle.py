"""Attack (issue 12.5): forge an export bundle, say `"redacted": true` in it, and `verify --bundle`
trusted the flag, skipped replay and answered ok. Held: the flag is not evidence. Only values
that are fingerprint markers, and only for fields a version of the instance marks confidential,
may go unreplayed; everything else replays; a bundle that hides values says so ("redacted",
chain ok, replay not possible for N values) and never plain "ok"."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from engine.commands.evidence import verify_bundle
from engine.audit.journal import JournalEntry, compute_hash
from tests.processes.test_complaint_handling import INTAKE, RECORD
from cli import main as cli_module


def _complaint(zhidu) -> str:
    instance_id = zhidu.start("complaint_handling", "cs_staff1", INTAKE).id
    task = next(t for t in zhidu.show(instance_id).active_tasks if t.name == "Task_Record")
    zhidu.claim(task.id, "cs_staff1")
    zhidu.complete_task(task.id, "cs_staff1", RECORD)
    return instance_id


def _bundle(zhidu, instance_id: str, username: str | None = None) -> dict:
    return json.loads(json.dumps(zhidu.export([instance_id], username), ensure_ascii=False))


def _rechain(item: dict) -> None:
    """What a forger does after editing: recompute every hash and the instance's journal head."""
    previous = "0" * 64
    for raw in item["journal"]:
        entry = JournalEntry(raw["instance_id"], raw["seq"], raw["kind"], raw["actor"],
                             datetime.fromisoformat(raw["at"]), raw["payload"], previous)
        raw["prev_hash"], raw["hash"] = previous, compute_hash(entry)
        previous = raw["hash"]
    item["instance"]["journal_hash"] = previous


def _completed(item: dict) -> dict:
    return next(e for e in item["journal"] if e["kind"] == "completed")


def test_a_bundle_that_hides_values_is_reported_as_redacted_not_ok(zhidu):
    [verdict] = verify_bundle(_bundle(zhidu, _complaint(zhidu), "auditor"))
    assert verdict.status == "redacted" and verdict.redacted_values >= 1
    assert verdict.reason.startswith(f"chain ok, replay not possible for {verdict.redacted_values} redacted value")
    assert not verdict.status == "ok"


@pytest.mark.parametrize("username", [None, "auditor"])
def test_an_edited_visible_value_with_the_chain_recomputed_and_the_flag_set_diverges(zhidu, username):
    bundle = _bundle(zhidu, _complaint(zhidu), username)
    item = bundle["instances"][0]
    _completed(item)["payload"]["data"]["details"] = "客户只被扣费一次"  # the forger's version
    item["redacted"], item["instance"]["state"] = True, None
    _rechain(item)
    [verdict] = verify_bundle(bundle)
    assert verdict.status == "diverged", verdict
    assert verdict.redacted_values == 0


def test_stored_rows_edited_behind_a_redacted_flag_diverge(zhidu):
    bundle = _bundle(zhidu, _complaint(zhidu))
    item = bundle["instances"][0]
    item["instance"]["data"]["customer_calmed"] = False
    item["redacted"], item["instance"]["state"] = True, None
    [verdict] = verify_bundle(bundle)
    assert verdict.status == "diverged" and verdict.field == "data.customer_calmed"


def test_hiding_a_value_that_is_not_confidential_is_tampering(zhidu):
    bundle = _bundle(zhidu, _complaint(zhidu), "auditor")
    item = bundle["instances"][0]
    started = item["journal"][0]["payload"]
    started["data"]["severity"] = {"confidential": True, "sha256": "0" * 64}  # makes a gateway unreplayable
    started["salts"]["data"].pop("severity")
    _rechain(item)
    [verdict] = verify_bundle(bundle)
    assert verdict.status == "tampered" and verdict.field == "severity" and verdict.entry == 1
    assert "hides the value of severity, which no version of the procedure marks confidential" in verdict.reason


def test_a_swapped_fingerprint_breaks_the_chain(zhidu):
    bundle = _bundle(zhidu, _complaint(zhidu), "auditor")
    bundle["instances"][0]["journal"][0]["payload"]["data"]["contact"]["sha256"] = "f" * 64
    [verdict] = verify_bundle(bundle)
    assert verdict.status == "tampered" and verdict.entry == 1


def test_the_cli_says_redacted_distinctly_and_fails_on_a_forgery(zhidu, tmp_path, capsys):
    instance_id = _complaint(zhidu)
    redacted, forged = tmp_path / "redacted.json", tmp_path / "forged.json"
    redacted.write_text(json.dumps(_bundle(zhidu, instance_id, "auditor"), ensure_ascii=False), encoding="utf-8")
    bundle = _bundle(zhidu, instance_id)
    bundle["instances"][0]["instance"]["data"]["customer_calmed"] = False
    bundle["instances"][0]["redacted"] = True
    forged.write_text(json.dumps(bundle, ensure_ascii=False), encoding="utf-8")

    assert cli_module.main(["verify", "--bundle", str(redacted), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    [verdict] = document["verdicts"]
    assert verdict["verdict"] == "redacted" and verdict["redacted_values"] >= 1
    assert (document["ok"], document["redacted"], document["total"]) == (0, 1, 1)
    assert cli_module.main(["verify", "--bundle", str(redacted)]) == 0
    text = capsys.readouterr().out
    assert f"{instance_id}  redacted  chain ok, replay not possible for" in text and "0/1 ok, 1 redacted" in text

    assert cli_module.main(["verify", "--bundle", str(forged), "--json"]) == 1
    [verdict] = json.loads(capsys.readouterr().out)["verdicts"]
    assert verdict["verdict"] == "diverged" and verdict["field"] == "data.customer_calmed"


def test_a_script_computing_from_a_hidden_value_is_reported_unreplayable_not_forged(zhidu):
    """The revisit list is confidential (it holds contacts) and a script sorts it: a redacted
    bundle cannot replay past that script. That is neither ok nor evidence of forgery."""
    from tests.processes.helpers import complete_as, start
    from tests.processes.test_customer_revisit import plan, results

    instance_id = start(zhidu, "customer_revisit", "cs_staff1", {})
    complete_as(zhidu, instance_id, "Task_PlanList", "cs_staff1", plan(("华东贸易", True), ("张三", False)))
    complete_as(zhidu, instance_id, "Task_Revisit", "cs_staff2", results(("华东贸易", False), ("张三", True)))
    [full] = verify_bundle(_bundle(zhidu, instance_id))
    [verdict] = verify_bundle(_bundle(zhidu, instance_id, "auditor"))
    assert full.status == "ok"
    assert (verdict.status, verdict.element, verdict.field) == ("unreplayable", "Script_Sort", "revisit_list")
    assert not verdict.sound and "replay stops at entry" in verdict.reason
