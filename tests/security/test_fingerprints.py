"""Attack (issue 12.4): an auditor recovers a confidential value from the fingerprint shown in
its place by hashing every candidate (all 10^8 numbers 138xxxxxxxx take about a second with a
plain SHA-256). Held: fingerprints are keyed with a per-installation secret that is not in the
database nor in any export, yet the hash chain still verifies offline without it."""

from __future__ import annotations

import hashlib
import json

import pytest

from engine.commands.evidence import verify_bundle
from engine.audit.confidential import Fingerprints
from engine.audit.journal import canonical, fingerprint, verify_chain
from engine.runtime import Engine
from tests.conftest import make_zhidu
from tests.processes.test_complaint_handling import INTAKE, RECORD
from bootstrap import wiring

KEY = b"k" * 32
PHONE = "13812345678"


def _start(zhidu: Engine, contact: str) -> str:
    instance_id = zhidu.start("complaint_handling", "cs_staff1", {**INTAKE, "contact": contact}).id
    task = next(t for t in zhidu.show(instance_id).active_tasks if t.name == "Task_Record")
    zhidu.claim(task.id, "cs_staff1")
    zhidu.complete_task(task.id, "cs_staff1", RECORD)
    return instance_id


@pytest.fixture
def keyed(sqlite_url, clock) -> Engine:
    first = make_zhidu(sqlite_url, clock)
    return Engine(first.uow_factory, clock, fingerprint_key=KEY)


def _shown(zhidu: Engine, instance_id: str) -> str:
    return zhidu.show(instance_id, "auditor").data["contact"]["sha256"]


def test_a_dictionary_of_every_candidate_phone_number_does_not_find_the_fingerprint(keyed):
    instance_id = _start(keyed, PHONE)
    shown = _shown(keyed, instance_id)
    # Whatever the auditor can compute without the key: plain hashes of every candidate, in
    # the forms a value can take (bare, as the journal's canonical JSON).
    candidates = (f"138{n:08d}" for n in range(12_340_000, 12_350_000))  # a slice holding the answer
    assert all(shown not in (hashlib.sha256(c.encode()).hexdigest(), fingerprint(c),
                             hashlib.sha256(canonical(c)).hexdigest()) for c in candidates)
    assert shown == Fingerprints(KEY).of(PHONE) != Fingerprints(b"x" * 32).of(PHONE)  # the key decides
    history = keyed.history(instance_id, "auditor")
    text = json.dumps([e.to_dict() for e in history], ensure_ascii=False)
    assert PHONE not in text and fingerprint(PHONE) not in text
    assert Fingerprints(KEY).salt(PHONE) not in text  # the salt would let a dictionary run again


def test_equal_values_have_equal_fingerprints_in_one_installation(keyed):
    first, second, other = _start(keyed, PHONE), _start(keyed, PHONE), _start(keyed, "13900000000")
    assert _shown(keyed, first) == _shown(keyed, second) != _shown(keyed, other)
    started = [keyed.history(i, "auditor")[0].payload["data"]["contact"]["sha256"] for i in (first, second)]
    assert started == [_shown(keyed, first)] * 2  # journal and instance data agree


def test_the_chain_verifies_without_the_key_in_full_and_in_redacted_bundles(keyed):
    instance_id = _start(keyed, PHONE)
    full, redacted = keyed.export([instance_id]), keyed.export([instance_id], "auditor")
    # verify_bundle has no key: it is given none and the bundles carry none.
    assert KEY.decode() not in json.dumps(full) + json.dumps(redacted)
    assert [v.status for v in verify_bundle(json.loads(json.dumps(full)))] == ["ok"]
    assert [v.status for v in verify_bundle(json.loads(json.dumps(redacted)))] == ["redacted"]
    assert verify_chain(keyed.history(instance_id)) is None


def test_the_installation_key_comes_from_the_environment_or_a_file_made_once(tmp_path, monkeypatch):
    monkeypatch.delenv("ZHIDU_FINGERPRINT_KEY", raising=False)
    file = tmp_path / "var" / "fingerprint_key"
    made = wiring.fingerprint_key(str(file))
    assert len(made) == 64 and wiring.fingerprint_key(str(file)) == made  # kept, not remade
    assert file.stat().st_mode & 0o077 == 0  # readable by the installation's user only
    monkeypatch.setenv("ZHIDU_FINGERPRINT_KEY", "0123456789abcdef" * 4)
    assert wiring.fingerprint_key(str(file)) == b"0123456789abcdef" * 4
    monkeypatch.setenv("ZHIDU_FINGERPRINT_KEY", "short")
    with pytest.raises(Exception, match="ZHIDU_FINGERPRINT_KEY must be at least 32 characters"):
        wiring.fingerprint_key(str(file))


def test_an_engine_without_a_configured_key_never_shows_the_plain_hash(zhidu):
    instance_id = _start(zhidu, PHONE)
    assert _shown(zhidu, instance_id) != fingerprint(PHONE)
