"""Attachments as evidence (issue 15.4, decision 16): a file field's checks, the store, the
journal's record of each file, and verify naming a file that went missing or was altered."""

from __future__ import annotations

import base64

import pytest

from engine.commands.evidence import verify_bundle
from engine.definitions.forms import check_form, parse_form
from engine.errors import FormInvalid, PermissionDenied
from engine.files import MemoryFiles, Upload, content_matches, media_type_of, relative_path, sha256_of, type_allowed

PDF = b"%PDF-1.4\n% evidence\n"
INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "billing",
          "severity": "high", "description": "重复扣费"}
RECORD = {"details": "客户两次被扣费", "customer_expectation": "退款", "customer_calmed": True}
FORM = """
key: upload_test
title: {zh: 上传, en: Upload}
schema:
  required: [proof]
  properties:
    proof: {type: string, format: attachment, maxSize: 100, x-media-types: [application/pdf, image/*]}
ui:
  fields:
    proof: {label: {zh: 证明, en: Proof}, widget: file}
"""


def open_task(engine, instance_id, element):
    return next(t for t in engine.show(instance_id).active_tasks if t.name == element)


def at_verify(engine):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    engine.complete_task(open_task(engine, instance.id, "Task_Record").id, "cs_staff1", RECORD)
    return instance.id, open_task(engine, instance.id, "Task_Verify")


def attach(engine, name="通话记录.pdf", content=PDF):
    return engine.store_uploads("complaint_verify", _verify_schema(), [Upload("evidence", name, content, "application/pdf")])


def _verify_schema():
    from tests.conftest import FORMS
    return parse_form((FORMS / "complaint_verify.yaml").read_text(encoding="utf-8"), "complaint_verify.yaml").schema


def verified_complaint(engine):
    """A complaint whose investigator attached a PDF as evidence; (instance id, reference)."""
    instance_id, verify = at_verify(engine)
    ref = attach(engine)["evidence"]
    engine.complete_task(verify.id, "cs_staff2", {"findings": "扣费正常", "founded": False, "evidence": ref})
    return instance_id, ref


def test_an_attachment_property_is_a_reference_with_its_limits():
    form = parse_form(FORM, "upload_test.yaml")
    assert check_form(form, "upload_test.yaml") == []
    proof = form.schema["properties"]["proof"]
    assert proof["type"] == "object" and proof["required"] == ["name", "sha256", "size", "type"]
    assert proof["maxSize"] == 100 and proof["x-media-types"] == ["application/pdf", "image/*"]
    for right, wrong in (("maxSize: 100", "maxSize: -1"), ("[application/pdf, image/*]", "pdf")):
        [problem] = check_form(parse_form(FORM.replace(right, wrong), "f.yaml"), "f.yaml")
        assert problem.element == "proof"


def test_validation_checks_the_file_is_stored_unaltered_small_enough_and_of_an_allowed_type():
    form, files = parse_form(FORM, "upload_test.yaml"), MemoryFiles()
    ref = {"sha256": files.put(PDF), "name": "a.pdf", "size": len(PDF), "type": "application/pdf"}
    assert form.validate({"proof": ref}, files=files) == {"proof": ref}
    unknown = {**ref, "sha256": "0" * 64}
    cases = [({"proof": unknown}, "file_missing"), ({"proof": {**ref, "size": 500}}, "file_size"),
             ({"proof": {**ref, "type": "text/html"}}, "file_type"), ({"proof": "a.pdf"}, "type"), ({}, "required")]
    for data, code in cases:
        with pytest.raises(FormInvalid) as err:
            form.validate(data, files=files)
        assert [e.code for e in err.value.field_errors][:1] == [code], data


def test_the_file_checks_before_storing():
    assert media_type_of("报告.PDF", "application/octet-stream") == "application/pdf"
    assert media_type_of("noext", "image/png; charset=x") == "image/png"
    assert type_allowed("image/jpeg", ["image/*"]) and not type_allowed("text/html", ["image/*", "application/pdf"])
    assert content_matches("application/pdf", PDF) and not content_matches("application/pdf", b"MZ\x90\x00")
    assert relative_path(sha256_of(b"x")) == f"{sha256_of(b'x')[:2]}/{sha256_of(b'x')[2:]}"
    with pytest.raises(ValueError):
        relative_path("../../etc/passwd")


def test_an_oversize_disallowed_or_disguised_upload_is_refused_and_nothing_is_stored(fake_engine):
    schema = _verify_schema()
    big = PDF + b"0" * (20 * 1024 * 1024)
    for upload, code in [(Upload("evidence", "big.pdf", big), "file_size"),
                         (Upload("evidence", "page.html", b"<html>"), "file_type"),
                         (Upload("evidence", "setup.pdf", b"MZ\x90\x00binary"), "file_content"),
                         (Upload("findings", "a.pdf", PDF), "unknown")]:
        with pytest.raises(FormInvalid) as err:
            fake_engine.store_uploads("complaint_verify", schema, [Upload("evidence", "ok.pdf", PDF), upload])
        assert [(e.field, e.code) for e in err.value.field_errors] == [(upload.field, code)]
    assert fake_engine.files.files == {}


def test_the_journal_records_the_files_hash_name_size_and_type(fake_engine):
    instance_id, ref = verified_complaint(fake_engine)
    assert ref == {"sha256": sha256_of(PDF), "name": "通话记录.pdf", "size": len(PDF), "type": "application/pdf"}
    completed = [e for e in fake_engine.history(instance_id) if e.kind == "completed"][-1]
    assert completed.payload["data"]["evidence"] == ref
    assert fake_engine.verify(instance_id).status == "ok"
    assert fake_engine.files.get(ref["sha256"]) == PDF


def test_a_reference_to_a_file_never_stored_is_refused(fake_engine):
    _, verify = at_verify(fake_engine)
    forged = {"sha256": "ab" * 32, "name": "x.pdf", "size": 10, "type": "application/pdf"}
    with pytest.raises(FormInvalid) as err:
        fake_engine.complete_task(verify.id, "cs_staff2", {"findings": "x", "founded": False, "evidence": forged})
    assert err.value.field_errors[0].field == "evidence" and err.value.field_errors[0].code == "file_missing"


@pytest.mark.parametrize("damage,word", [("delete", "missing"), ("alter", "altered")])
def test_verify_names_a_missing_or_altered_file(fake_engine, damage, word):
    instance_id, ref = verified_complaint(fake_engine)
    if damage == "delete":
        del fake_engine.files.files[ref["sha256"]]
    else:
        fake_engine.files.files[ref["sha256"]] = PDF + b"forged"
    verdict = fake_engine.verify(instance_id)
    assert verdict.status == "tampered" and verdict.field == "evidence"
    assert "通话记录.pdf" in verdict.reason and word in verdict.reason
    assert [v.status for v in fake_engine.verify_all() if v.instance_id == instance_id] == ["tampered"]


def test_a_bundle_with_files_verifies_offline_and_names_a_tampered_file(fake_engine):
    instance_id, ref = verified_complaint(fake_engine)
    bundle = fake_engine.export([instance_id], with_files=True)
    assert base64.b64decode(bundle["files"][ref["sha256"]]) == PDF
    assert [v.status for v in verify_bundle(bundle)] == ["ok"]
    bundle["files"][ref["sha256"]] = base64.b64encode(PDF + b"x").decode()
    [verdict] = verify_bundle(bundle)
    assert verdict.status == "tampered" and "通话记录.pdf" in verdict.reason and "altered" in verdict.reason
    del bundle["files"][ref["sha256"]]
    assert "missing" in verify_bundle(bundle)[0].reason
    assert "files" not in fake_engine.export([instance_id])  # without files: not checked offline
    assert [v.status for v in verify_bundle(fake_engine.export([instance_id]))] == ["ok"]


def test_download_follows_who_may_see_the_instance(fake_engine):
    instance_id, ref = verified_complaint(fake_engine)
    got = fake_engine.attachment(instance_id, ref["sha256"], "cs_manager")
    assert (got.name, got.media_type, got.content) == ("通话记录.pdf", "application/pdf", PDF)
    with pytest.raises(PermissionDenied):
        fake_engine.attachment(instance_id, ref["sha256"], "pm_staff1")
    from engine.errors import NotFound
    with pytest.raises(NotFound):
        fake_engine.attachment(instance_id, "cd" * 32, "cs_manager")
