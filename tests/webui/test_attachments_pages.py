"""Uploading evidence on a task page and downloading it (issue 15.4): a refused file is named
beside its field with nothing stored; downloads follow who may see the instance and the field."""

from __future__ import annotations

import io
from dataclasses import replace

import pytest
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from engine.files import sha256_of
from storage.files import files_dir

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\n"
INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "billing",
          "severity": "high", "description": "重复扣费"}
RECORD = {"details": "客户两次被扣费", "customer_expectation": "退款", "customer_calmed": True}


def at_verify(engine) -> tuple[str, str]:
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    record = next(t for t in engine.show(instance.id).active_tasks if t.name == "Task_Record")
    engine.complete_task(record.id, "cs_staff1", RECORD)
    verify = next(t for t in engine.show(instance.id).active_tasks if t.name == "Task_Verify")
    return instance.id, verify.id


def multipart(auth, url: str, fields: dict, files: dict):
    """POST a multipart body built in memory (the test client spools big bodies to a file it never closes)."""
    values = {**fields, "csrf_token": auth.token(),
              **{k: FileStorage(io.BytesIO(c), filename=n, content_type=t) for k, (c, n, t) in files.items()}}
    boundary, body = encode_multipart(values)
    return auth.client.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def upload(auth, task_id: str, name: str, content: bytes, content_type: str = "application/pdf", findings="扣费正常"):
    return multipart(auth, f"/tasks/{task_id}", {"findings": findings, "founded": "false"},
                     {"evidence": (content, name, content_type)})


def stored_files() -> list[str]:
    root = files_dir()
    return sorted(p.name for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_the_task_form_uploads_a_file_and_the_instance_page_links_to_it(engine, auth):
    instance_id, task_id = at_verify(engine)
    auth.sign_in("cs_staff2")
    page = auth.client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'accept="application/pdf' in page
    assert upload(auth, task_id, "通话记录.pdf", PDF).status_code == 302
    ref = engine.show(instance_id).data["evidence"]
    assert ref == {"sha256": sha256_of(PDF), "name": "通话记录.pdf", "size": len(PDF), "type": "application/pdf"}
    assert engine.verify(instance_id).status == "ok"
    html = auth.client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert f"/instances/{instance_id}/files/{ref['sha256']}" in html and "通话记录.pdf" in html
    got = auth.client.get(f"/instances/{instance_id}/files/{ref['sha256']}")
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    assert got.headers["X-Content-Type-Options"] == "nosniff" and "no-store" in got.headers["Cache-Control"]
    assert got.headers["Content-Disposition"].startswith("attachment;") and "filename*=UTF-8''" in \
        got.headers["Content-Disposition"]


@pytest.mark.parametrize("name,content,message", [
    ("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024), "文件过大，最大 20 MB"),
    ("page.html", b"<script>alert(1)</script>", "不接受此类文件"),
    ("setup.pdf", b"MZ\x90\x00 not a pdf", "文件内容与其类型（application/pdf）不符"),
])
def test_an_oversize_disallowed_or_disguised_file_is_refused_beside_its_field_and_nothing_is_stored(
        engine, auth, name, content, message):
    instance_id, task_id = at_verify(engine)
    auth.sign_in("cs_staff2")
    response = upload(auth, task_id, name, content, "text/html" if name.endswith("html") else "application/pdf")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = html.split('data-field="evidence"')[1].split('data-field=')[0]
    assert message in field and "扣费正常" in html  # the other answers are kept
    assert stored_files() == [] and "evidence" not in engine.show(instance_id).data
    assert any(t.id == task_id for t in engine.show(instance_id).active_tasks)


def test_a_body_over_the_forms_file_limit_is_refused_before_it_is_read(engine, auth):
    _, task_id = at_verify(engine)
    auth.sign_in("cs_staff2")
    response = upload(auth, task_id, "huge.pdf", b"%PDF-" + b"0" * (21 * 1024 * 1024))
    assert response.status_code == 413 and stored_files() == []


def test_a_form_sent_back_for_other_errors_keeps_the_uploaded_file(engine, auth):
    instance_id, task_id = at_verify(engine)
    auth.sign_in("cs_staff2")
    response = upload(auth, task_id, "a.pdf", PDF, findings="")
    assert response.status_code == 422 and "已附文件：a.pdf" in response.get_data(as_text=True)
    kept = response.get_data(as_text=True).split('type="hidden" name="evidence" value="')[1].split('"')[0]
    import html as html_module
    assert auth.post(f"/tasks/{task_id}", {"findings": "扣费正常", "founded": "false",
                                           "evidence": html_module.unescape(kept)}).status_code == 302
    assert engine.show(instance_id).data["evidence"]["name"] == "a.pdf"


def test_a_stranger_gets_403_and_an_unknown_file_404(engine, auth):
    instance_id, task_id = at_verify(engine)
    auth.sign_in("cs_staff2")
    upload(auth, task_id, "a.pdf", PDF)
    auth.client.post("/sign-out", data={"csrf_token": auth.token()})
    auth.sign_in("pm_staff1")
    assert auth.client.get(f"/instances/{instance_id}/files/{sha256_of(PDF)}").status_code == 403
    auth.client.post("/sign-out", data={"csrf_token": auth.token()})
    auth.sign_in("cs_manager")
    assert auth.client.get(f"/instances/{instance_id}/files/{sha256_of(PDF)}").status_code == 200
    assert auth.client.get(f"/instances/{instance_id}/files/{'ab' * 32}").status_code == 404
    assert auth.client.get(f"/instances/{instance_id}/files/..%2F..%2Fzhidu.db").status_code == 404


def test_a_confidential_fields_file_is_for_the_cleared_only(engine, auth):
    bundle = engine.version_bundle("complaint_handling", "owner")
    form = bundle.files["forms/complaint_verify.yaml"].replace(
        "evidence: {label: {zh: 证据文件, en: Evidence file}, widget: file}",
        "evidence: {label: {zh: 证据文件, en: Evidence file}, widget: file, "
        "confidential: {clearance: [customer-service-manager]}}")
    engine.deploy_edited(replace(bundle, files={**bundle.files, "forms/complaint_verify.yaml": form}), "owner", "secret")
    instance_id, task_id = at_verify(engine)
    auth.sign_in("cs_staff2")
    assert upload(auth, task_id, "a.pdf", PDF).status_code == 302
    assert auth.client.get(f"/instances/{instance_id}/files/{sha256_of(PDF)}").status_code == 403
    page = auth.client.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert f"/files/{sha256_of(PDF)}" not in page
    auth.client.post("/sign-out", data={"csrf_token": auth.token()})
    auth.sign_in("cs_manager")
    assert auth.client.get(f"/instances/{instance_id}/files/{sha256_of(PDF)}").data == PDF


def test_the_auditors_instance_page_links_the_file_and_the_auditor_may_download_it(engine, auth):
    """The auditor's page listed the file's name without a link (seen in the closing walk)."""
    instance_id, task_id = at_verify(engine)
    auth.sign_in("cs_staff2")
    assert upload(auth, task_id, "通话记录.pdf", PDF).status_code == 302
    sha = engine.show(instance_id).data["evidence"]["sha256"]
    auth.sign_in("auditor")
    html = auth.client.get(f"/audit/instances/{instance_id}").get_data(as_text=True)
    assert f"/instances/{instance_id}/files/{sha}" in html
    assert auth.client.get(f"/instances/{instance_id}/files/{sha}").data == PDF
