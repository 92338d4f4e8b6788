"""Yearly brand building plan (R3.1.3) along every path, through the facade over SQLite: started
by the marketing manager or by the yearly schedule; marketing drafts, the director approves or
returns the plan (never the person who drafted it); marketing staff design the identity
materials and the manager confirms or sends them back (never the person who designed them);
each planned campaign is reported; the manager's reputation review closes the plan."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import DutiesSeparated, FormInvalid, PermissionDenied
from engine.files import Upload
from tests.conftest import FORMS
from engine.definitions.forms import parse_form
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, offered_to, open_tasks, refused,
    start, status,
)

KEY = "brand_plan"
MARKETING = ("role:marketing-staff", "role:marketing-manager")
PDF = b"%PDF-1.4\n% brand identity\n"
CAMPAIGNS = [
    {"campaign_name": "春季品牌周", "objective": "提升知名度", "channels": "微博、抖音", "planned_date": "2027-03-15",
     "budget": 80000},
    {"campaign_name": "客户开放日", "objective": "提升美誉度", "channels": "线下", "planned_date": "2027-09-20",
     "budget": 50000},
]
DRAFT = {"brand_positioning": "专业、可信赖的运营服务伙伴", "target_audience": "中小企业主",
         "brand_image": "蓝色主色调,简洁稳重", "key_messages": "省心、专业、可靠", "campaigns": CAMPAIGNS,
         "total_budget": 150000}
APPROVE = {"plan_decision": "approve", "approval_comment": "同意"}
MATERIALS = [{"material": "logo", "material_status": "updated", "material_note": "简化字形"},
             {"material": "brochure", "material_status": "new", "material_note": "2027 版宣传册"}]
REVIEW = {"reputation_summary": "正面评价占比 85%", "reputation_trend": "improving", "negative_cases": 2,
          "improvements": "加强社交媒体监测"}


def begin(zhidu, year: int = 2027) -> str:
    return start(zhidu, KEY, "mk_manager", {"plan_year": year, "plan_guidance": "突出服务品质"})


def identity(zhidu, note: str = "首版") -> dict:
    """The identity form's data with a PDF of the materials attached."""
    schema = parse_form((FORMS / "brand_identity.yaml").read_text(encoding="utf-8"), "brand_identity.yaml").schema
    refs = zhidu.store_uploads("brand_identity", schema, [Upload("materials_file", "品牌手册.pdf", PDF, "application/pdf")])
    return {"materials": MATERIALS, "identity_note": note, **refs}


def report(held: bool, cost: float) -> dict:
    form = {"campaign_held": held, "audience_reach": 12000 if held else 0,
            "campaign_results": "曝光量超出预期" if held else "预算调整,取消", "actual_cost": cost}
    return {**form, "held_on": "2027-03-16"} if held else form


def run_campaigns_and_review(zhidu, iid: str) -> None:
    reports = [t for t in open_tasks(zhidu, iid) if t.name.startswith("Task_CampaignReport")]
    assert sorted(t.subject["zh"] for t in reports) == ["2027 年度 — 客户开放日", "2027 年度 — 春季品牌周"]
    assert all(t.candidates == ("role:marketing-staff",) for t in reports)
    by_campaign = {t.subject["zh"].split(" — ")[1]: t for t in reports}
    complete_as(zhidu, iid, "Task_CampaignReport", "mk_staff1", report(True, 76500.5), task=by_campaign["春季品牌周"])
    complete_as(zhidu, iid, "Task_CampaignReport", "mk_staff2", report(False, 0), task=by_campaign["客户开放日"])
    assert offered_to(zhidu, iid, "Task_ReputationReview") == ("role:marketing-manager",)
    complete_as(zhidu, iid, "Task_ReputationReview", "mk_manager", REVIEW)
    assert status(zhidu, iid) == "completed"


def test_diagram_is_complete():
    assert_diagram_complete("brand_plan.bpmn")


def test_a_plan_approved_at_once_runs_its_campaigns_and_closes_with_the_review(zhidu, clock):
    engine = NewProcessEachCommand(zhidu)
    iid = begin(engine)
    [draft] = open_tasks(engine, iid)
    assert draft.name == "Task_Draft" and draft.candidates == MARKETING
    assert draft.subject == {"zh": "2027 年度", "en": "Year 2027"}
    assert draft.due_at == clock.now() + timedelta(days=14)
    refused(engine, iid, "Task_Draft", "cs_staff1", DRAFT)
    complete_as(engine, iid, "Task_Draft", "mk_staff1", DRAFT)

    assert offered_to(engine, iid, "Task_Approve") == ("role:director",)
    refused(engine, iid, "Task_Approve", "mk_manager", APPROVE)
    complete_as(engine, iid, "Task_Approve", "director", APPROVE)

    assert offered_to(engine, iid, "Task_Identity") == ("role:marketing-staff",)
    complete_as(engine, iid, "Task_Identity", "mk_staff2", identity(engine))
    assert offered_to(engine, iid, "Task_ConfirmIdentity") == ("role:marketing-manager",)
    refused(engine, iid, "Task_ConfirmIdentity", "mk_staff1", {"identity_confirmed": True, "identity_comment": "x"})
    complete_as(engine, iid, "Task_ConfirmIdentity", "mk_manager", {"identity_confirmed": True, "identity_comment": "符合规划"})

    run_campaigns_and_review(engine, iid)
    result = data(engine, iid)
    assert result["plan_year"] == 2027 and result["started_by"] == "mk_manager"
    assert result["materials_file"]["name"] == "品牌手册.pdf" and result["materials"] == MATERIALS
    assert sorted(r["campaign"] for r in result["campaign_reports"]) == ["客户开放日", "春季品牌周"]
    held = {r["campaign"]: r for r in result["campaign_reports"]}
    assert held["春季品牌周"]["held_on"] == "2027-03-16" and held["客户开放日"]["held_on"] is None
    assert result["campaigns_held"] == 1 and result["actual_cost_total"] == 76500.5
    assert result["reputation_trend"] == "improving"
    assert zhidu.diagram(iid).completed["Task_Draft"] == 1


def test_the_director_returns_the_plan_until_it_is_revised_to_approval(zhidu):
    iid = begin(zhidu)
    complete_as(zhidu, iid, "Task_Draft", "mk_staff1", DRAFT)
    for drafter, round_ in (("mk_staff2", "预算过高"), ("mk_manager", "定位不够清晰")):
        complete_as(zhidu, iid, "Task_Approve", "director", {"plan_decision": "revise", "approval_comment": round_})
        assert active(zhidu, iid) == {"Task_Draft"}
        assert offered_to(zhidu, iid, "Task_Draft") == MARKETING
        assert data(zhidu, iid)["approval_comment"] == round_
        complete_as(zhidu, iid, "Task_Draft", drafter, {**DRAFT, "total_budget": 120000})
    complete_as(zhidu, iid, "Task_Approve", "director", APPROVE)
    assert active(zhidu, iid) == {"Task_Identity"}
    assert zhidu.diagram(iid).completed["Task_Draft"] == 3 and zhidu.diagram(iid).completed["Task_Approve"] == 3
    assert data(zhidu, iid)["total_budget"] == 120000 and data(zhidu, iid)["plan_decision"] == "approve"


def test_materials_sent_back_are_reworked_before_the_campaigns(zhidu):
    iid = begin(zhidu)
    complete_as(zhidu, iid, "Task_Draft", "mk_staff2", DRAFT)
    complete_as(zhidu, iid, "Task_Approve", "director", APPROVE)
    complete_as(zhidu, iid, "Task_Identity", "mk_staff1", identity(zhidu))
    complete_as(zhidu, iid, "Task_ConfirmIdentity", "mk_manager",
                {"identity_confirmed": False, "identity_comment": "宣传册色彩与 VI 不符"})
    assert active(zhidu, iid) == {"Task_Identity"}
    with pytest.raises(FormInvalid):  # the materials themselves must be attached
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "mk_staff1", {"materials": MATERIALS})
    complete_as(zhidu, iid, "Task_Identity", "mk_staff1", identity(zhidu, "已按意见修改"))
    complete_as(zhidu, iid, "Task_ConfirmIdentity", "mk_manager", {"identity_confirmed": True, "identity_comment": "通过"})
    run_campaigns_and_review(zhidu, iid)
    assert zhidu.diagram(iid).completed["Task_Identity"] == 2
    assert data(zhidu, iid)["identity_note"] == "已按意见修改"


def test_the_yearly_schedule_starts_a_plan_for_the_coming_year(zhidu, clock):
    def plans(ids):
        return [i for i in ids if zhidu.show(i).process_key == KEY]

    clock.advance(timedelta(days=364))
    assert plans(zhidu.start_due_schedules()) == []
    clock.advance(timedelta(days=2))
    [iid] = plans(zhidu.start_due_schedules())
    assert zhidu.show(iid).started_by is None
    assert data(zhidu, iid)["plan_year"] == 2028  # started in November 2027
    [draft] = open_tasks(zhidu, iid)
    assert draft.name == "Task_Draft" and draft.subject["en"] == "Year 2028"
    assert plans(zhidu.start_due_schedules()) == []
    complete_as(zhidu, iid, "Task_Draft", "mk_staff1", DRAFT)
    assert active(zhidu, iid) == {"Task_Approve"}


def test_whoever_drafted_the_plan_may_not_approve_it(zhidu):
    """The director may take a marketing task over (they manage every department); a plan they
    drafted is then approved by another holder of the director role."""
    zhidu.add_user("deputy", "副总监", ["director"], actor="admin")
    iid = begin(zhidu)
    draft = open_tasks(zhidu, iid)[0]
    zhidu.complete_task(draft.id, "director", DRAFT)
    refused(zhidu, iid, "Task_Approve", "director", APPROVE, DutiesSeparated)
    complete_as(zhidu, iid, "Task_Approve", "deputy", {"plan_decision": "revise", "approval_comment": "请市场部起草"})
    # the approver of a round may not draft the next one either (the steps are done apart)
    refused(zhidu, iid, "Task_Draft", "deputy", DRAFT, DutiesSeparated)
    complete_as(zhidu, iid, "Task_Draft", "mk_staff1", DRAFT)
    refused(zhidu, iid, "Task_Approve", "director", APPROVE, DutiesSeparated)
    complete_as(zhidu, iid, "Task_Approve", "deputy", APPROVE)
    assert active(zhidu, iid) == {"Task_Identity"}


def test_the_manager_who_designed_the_materials_may_not_confirm_them(zhidu):
    iid = begin(zhidu)
    complete_as(zhidu, iid, "Task_Draft", "mk_staff1", DRAFT)
    complete_as(zhidu, iid, "Task_Approve", "director", APPROVE)
    identity_task = open_tasks(zhidu, iid)[0]
    zhidu.complete_task(identity_task.id, "mk_manager", identity(zhidu))  # as the department's manager
    confirm = {"identity_confirmed": True, "identity_comment": "符合规划"}
    refused(zhidu, iid, "Task_ConfirmIdentity", "mk_manager", confirm, DutiesSeparated)
    zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "director", confirm)  # the director manages marketing too
    assert {t.name.removesuffix(" [child]") for t in open_tasks(zhidu, iid)} == {"Task_CampaignReport"}
    run_campaigns_and_review(zhidu, iid)


def test_who_may_start_and_what_the_forms_accept(zhidu):
    for outsider in ("mk_staff1", "cs_manager", "director"):
        with pytest.raises(PermissionDenied):
            zhidu.start(KEY, outsider, {"plan_year": 2027})
    for bad in ({}, {"plan_year": 1999}, {"plan_year": "2027年"}):
        with pytest.raises(FormInvalid):
            zhidu.start(KEY, "mk_manager", bad)
    iid = begin(zhidu)
    draft = open_tasks(zhidu, iid)[0]
    with pytest.raises(FormInvalid) as caught:
        zhidu.complete_task(draft.id, "mk_staff1", {**DRAFT, "campaigns": [], "total_budget": -1})
    assert {e.field for e in caught.value.field_errors} >= {"campaigns", "total_budget"}
    with pytest.raises(FormInvalid):
        zhidu.complete_task(draft.id, "mk_staff1", {**DRAFT, "campaigns": [{**CAMPAIGNS[0], "planned_date": "明年"}]})
    complete_as(zhidu, iid, "Task_Draft", "mk_staff1", DRAFT)
    with pytest.raises(FormInvalid):
        zhidu.complete_task(open_tasks(zhidu, iid)[0].id, "director", {"plan_decision": "maybe", "approval_comment": "x"})
