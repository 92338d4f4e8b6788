"""Certificate or degree reward claim (R5.3.3) along every path, through the facade over SQLite:
the claimant attaches the certificate, the manager of their department (the director for a
manager) approves, returns it for correction or rejects it, rewards above 2,000 CNY also go to
the director, and the result goes back to the claimant; nobody checks their own claim (notBy)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.definitions.forms import parse_form
from engine.errors import FormInvalid, PermissionDenied
from engine.files import Upload
from tests.conftest import FORMS
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, offered_to, open_tasks, refused,
    start, status,
)

KEY = "career_certificate_reward"
PDF = b"%PDF-1.4\n% certificate\n"
PNG = b"\x89PNG\r\n\x1a\n scan"
READ = {"acknowledged": True, "claimant_comment": "谢谢"}


def upload(zhidu, form_key: str, name: str = "证书.pdf", content: bytes = PDF, kind: str = "application/pdf") -> dict:
    """The reference of a file stored for the `evidence` field of `form_key`."""
    schema = parse_form((FORMS / f"{form_key}.yaml").read_text(encoding="utf-8"), f"{form_key}.yaml").schema
    return zhidu.store_uploads(form_key, schema, [Upload("evidence", name, content, kind)])["evidence"]


def claim(zhidu, claimant: str, amount: float, name: str = "PMP 项目管理专业人士") -> str:
    return start(zhidu, KEY, claimant, {
        "kind": "certificate", "certificate_name": name, "issuer": "PMI", "obtained_on": "2026-10-15",
        "certificate_number": "PMP-3345", "relevance": "负责项目管理工作", "amount_claimed": amount,
        "evidence": upload(zhidu, "career_certificate_claim")})


def approve(amount: float) -> dict:
    return {"check_result": "approve", "approved_amount": amount, "check_comment": "证书真实有效"}


def inform(zhidu, iid: str, claimant: str) -> dict:
    assert offered_to(zhidu, iid, "Task_Result") == (f"user:{claimant}",)
    complete_as(zhidu, iid, "Task_Result", claimant, READ)
    assert status(zhidu, iid) == "completed"
    return data(zhidu, iid)


def test_diagram_is_complete():
    assert_diagram_complete("career_certificate_reward.bpmn")


def test_a_reward_up_to_2000_is_granted_by_the_department_manager(zhidu, clock):
    iid = claim(zhidu, "cs_staff1", 2500)
    [check] = open_tasks(zhidu, iid)
    assert check.name == "Task_Check" and check.candidates == ("role:customer-service-manager",)
    assert check.due_at == clock.now() + timedelta(days=7) and check.subject["zh"] == "杨丽 · PMP 项目管理专业人士"
    refused(zhidu, iid, "Task_Check", "cs_staff1", approve(2000))
    refused(zhidu, iid, "Task_Check", "mk_manager", approve(2000))
    complete_as(zhidu, iid, "Task_Check", "cs_manager", approve(2000))  # 2,000 is within the manager's limit
    result = inform(zhidu, iid, "cs_staff1")
    assert result["director_approval_required"] is False and result["reward_result"] == "granted"
    assert result["reward_amount"] == 2000 and result["decided_by"] == "department-manager"
    assert result["check_role"] == "customer-service-manager" and result["claimant_department"] == "customer-service"
    evidence = result["evidence"]
    assert evidence["name"] == "证书.pdf" and zhidu.files.get(evidence["sha256"]) == PDF
    assert "Task_Director" not in zhidu.diagram(iid).completed


def test_a_claim_returned_for_correction_is_checked_again_and_rejected(zhidu):
    engine = NewProcessEachCommand(zhidu)
    iid = claim(engine, "mk_staff1", 800, name="营销师证")
    with pytest.raises(FormInvalid) as no_amount:  # an approval names the amount
        engine.complete_task(open_tasks(engine, iid)[0].id, "mk_manager", {"check_result": "approve", "check_comment": "x"})
    assert [e.field for e in no_amount.value.field_errors] == ["approved_amount"]
    complete_as(engine, iid, "Task_Check", "mk_manager", {"check_result": "return", "check_comment": "扫描件看不清"})
    assert active(engine, iid) == {"Task_Correct"} and offered_to(engine, iid, "Task_Correct") == ("user:mk_staff1",)
    refused(engine, iid, "Task_Correct", "mk_manager", {"correction_note": "x"})
    scan = upload(engine, "career_certificate_correct", "证书扫描.png", PNG, "image/png")
    complete_as(engine, iid, "Task_Correct", "mk_staff1",
                {"correction_note": "重新扫描", "evidence": scan, "amount_claimed": 600})
    assert active(engine, iid) == {"Task_Check"} and offered_to(engine, iid, "Task_Check") == ("role:marketing-manager",)
    complete_as(engine, iid, "Task_Check", "mk_manager", {"check_result": "reject", "check_comment": "与岗位无关"})
    result = inform(engine, iid, "mk_staff1")
    assert result["reward_result"] == "rejected" and result["reward_amount"] == 0
    assert result["decided_by"] == "department-manager" and result["amount_claimed"] == 600
    assert result["evidence"]["name"] == "证书扫描.png" and "director_approval_required" not in result


def test_a_reward_above_2000_needs_the_director_who_approves(zhidu):
    iid = claim(zhidu, "da_staff2", 5000, name="数据分析硕士")
    complete_as(zhidu, iid, "Task_Check", "da_manager", approve(3000))
    assert active(zhidu, iid) == {"Task_Director"} and offered_to(zhidu, iid, "Task_Director") == ("role:director",)
    refused(zhidu, iid, "Task_Director", "da_manager", {"director_decision": "approve", "director_comment": "x"})
    complete_as(zhidu, iid, "Task_Director", "director", {"director_decision": "approve", "director_comment": "同意"})
    result = inform(zhidu, iid, "da_staff2")
    assert result["director_approval_required"] is True and result["reward_result"] == "granted"
    assert result["reward_amount"] == 3000 and result["decided_by"] == "director"


def test_a_reward_above_2000_the_director_rejects(zhidu):
    iid = claim(zhidu, "pm_staff2", 2000.5)
    complete_as(zhidu, iid, "Task_Check", "pm_manager", approve(2000.5))
    complete_as(zhidu, iid, "Task_Director", "director", {"director_decision": "reject", "director_comment": "超出预算"})
    result = inform(zhidu, iid, "pm_staff2")
    assert result["reward_result"] == "rejected" and result["reward_amount"] == 0 and result["decided_by"] == "director"


def test_a_managers_own_claim_is_checked_by_the_director_once(zhidu):
    iid = claim(zhidu, "pm_manager", 5000)
    assert offered_to(zhidu, iid, "Task_Check") == ("role:director",)
    refused(zhidu, iid, "Task_Check", "pm_manager", approve(5000))
    complete_as(zhidu, iid, "Task_Check", "director", approve(5000))
    result = inform(zhidu, iid, "pm_manager")
    assert result["check_role"] == "director" and result["director_approval_required"] is False
    assert result["reward_result"] == "granted" and result["decided_by"] == "director"
    assert "Task_Director" not in zhidu.diagram(iid).completed


def test_nobody_checks_their_own_claim(zhidu):
    """An acting manager (staff and manager role of one department) is checked by the other
    manager: not offered the check of their own claim and refused it (notBy)."""
    zhidu.set_roles("cs_staff1", ["customer-service-staff", "customer-service-manager"], actor="admin")
    iid = claim(zhidu, "cs_staff1", 1000)
    assert offered_to(zhidu, iid, "Task_Check") == ("role:customer-service-manager",)
    refused(zhidu, iid, "Task_Check", "cs_staff1", approve(1000))
    complete_as(zhidu, iid, "Task_Check", "cs_manager", approve(1000))
    assert inform(zhidu, iid, "cs_staff1")["reward_result"] == "granted"


def test_who_may_claim_and_what_the_forms_accept(zhidu):
    good = {"kind": "degree", "certificate_name": "MBA", "issuer": "某大学", "obtained_on": "2026-07-01",
            "relevance": "管理能力", "amount_claimed": 3000}
    with pytest.raises(PermissionDenied):  # the director has nobody to check their claim
        zhidu.start(KEY, "director", {**good, "evidence": upload(zhidu, "career_certificate_claim")})
    with pytest.raises(FormInvalid) as no_file:
        zhidu.start(KEY, "mk_staff1", good)
    assert [e.field for e in no_file.value.field_errors] == ["evidence"]
    with pytest.raises(FormInvalid):  # a certificate is a PDF or an image, not a text file
        upload(zhidu, "career_certificate_claim", "证书.txt", b"not a certificate", "text/plain")
    for wrong in ({**good, "amount_claimed": 0}, {**good, "amount_claimed": 60000}, {**good, "kind": "award"}):
        with pytest.raises(FormInvalid):
            zhidu.start(KEY, "mk_staff1", {**wrong, "evidence": upload(zhidu, "career_certificate_claim")})
