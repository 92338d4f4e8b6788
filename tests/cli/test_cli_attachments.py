"""Attachments on the command line (issue 15.4): `complete --file FIELD=PATH`, `export
--with-files`, and `verify --bundle` naming a tampered file with no database at all."""

from __future__ import annotations

import base64
import json
import os

from engine.files import sha256_of
from storage.files import FolderFiles, files_dir
from tests.cli.test_cli import cli, start, task_of  # noqa: F401  (the fixture and its helpers)

PDF = b"%PDF-1.4\n% call recording transcript\n"


def verified(cli, tmp_path) -> tuple[str, str]:
    """A complaint whose investigator attached a PDF from the command line; (instance, hash)."""
    instance_id = start(cli)
    record = task_of(cli, "cs_staff1", "Task_Record")
    assert cli("complete", record["id"], "--as", "cs_staff1", "--data",
               json.dumps({"details": "d", "customer_calmed": True}))[0] == 0
    evidence = tmp_path / "通话记录.pdf"
    evidence.write_bytes(PDF)
    verify = task_of(cli, "cs_staff2", "Task_Verify")
    code, done = cli("complete", verify["id"], "--as", "cs_staff2", "--data",
                     json.dumps({"findings": "属实", "founded": True}), "--file", f"evidence={evidence}")
    assert code == 0, done
    assert done["data"]["evidence"] == {"sha256": sha256_of(PDF), "name": "通话记录.pdf", "size": len(PDF),
                                        "type": "application/pdf"}
    return instance_id, sha256_of(PDF)


def test_complete_with_a_file_stores_it_under_zhidu_files_dir(cli, tmp_path):
    instance_id, digest = verified(cli, tmp_path)
    assert FolderFiles(files_dir()).get(digest) == PDF
    assert str(files_dir()).startswith(str(tmp_path))
    assert cli("verify", instance_id)[1]["verdicts"][0]["verdict"] == "ok"


def test_a_refused_file_is_named_and_nothing_changes(cli, tmp_path):
    start(cli)
    record = task_of(cli, "cs_staff1", "Task_Record")
    cli("complete", record["id"], "--as", "cs_staff1", "--data", json.dumps({"details": "d", "customer_calmed": True}))
    page = tmp_path / "page.html"
    page.write_text("<script></script>")
    verify = task_of(cli, "cs_staff2", "Task_Verify")
    data = json.dumps({"findings": "属实", "founded": True})
    code, error = cli("complete", verify["id"], "--as", "cs_staff2", "--data", data, "--file", f"evidence={page}")
    assert code == 1 and "evidence" in json.dumps(error, ensure_ascii=False)
    assert not files_dir().exists() or not any(p.is_file() for p in files_dir().rglob("*"))
    code, error = cli("complete", verify["id"], "--as", "cs_staff2", "--data", data, "--file", "evidence")
    assert code == 1 and "FIELD=PATH" in json.dumps(error)
    assert task_of(cli, "cs_staff2", "Task_Verify")["id"] == verify["id"]


def test_verify_names_a_file_altered_in_the_store(cli, tmp_path):
    instance_id, digest = verified(cli, tmp_path)
    path = FolderFiles(files_dir()).path(digest)
    os.chmod(path, 0o644)
    path.write_bytes(PDF.replace(b"call", b"fake"))
    code, result = cli("verify", instance_id)
    [verdict] = result["verdicts"]
    assert code == 1 and verdict["verdict"] == "tampered" and verdict["field"] == "evidence"
    assert "通话记录.pdf" in verdict["reason"] and "altered" in verdict["reason"]


def test_export_with_files_verifies_offline_and_names_a_tampered_file(cli, tmp_path):
    instance_id, digest = verified(cli, tmp_path)
    out = tmp_path / "bundle.json"
    code, written = cli("export", instance_id, "--out", str(out), "--with-files")
    assert code == 0 and written["files"] == 1
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert base64.b64decode(bundle["files"][digest]) == PDF
    os.environ.pop("ZHIDU_DATABASE_URL")  # offline: no database at all
    assert cli("verify", "--bundle", str(out))[1]["ok"] == 1
    bundle["files"][digest] = base64.b64encode(b"%PDF-1.4 forged").decode()
    out.write_text(json.dumps(bundle), encoding="utf-8")
    code, result = cli("verify", "--bundle", str(out))
    [verdict] = result["verdicts"]
    assert code == 1 and verdict["verdict"] == "tampered" and "通话记录.pdf" in verdict["reason"]
