"""Campaign planning (R3.1.1, R3.1.2, R3.1.4) along every path, through the facade over SQLite."""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid, PermissionDenied
from tests.processes.helpers import NewProcessEachCommand, active, assert_diagram_complete, complete_as, data, start, status

START = {"campaign_name": "双十二促销", "subject": "会员年卡", "target_market": "华东地区老客户",
         "background": "年底冲刺销售目标"}
RESEARCH_PLAN = {"research_purpose": "了解老客户续费意愿", "research_methods": ["questionnaire", "data_analysis"],
                 "research_scope": "华东地区近两年客户", "milestones": [
                     {"milestone": "问卷回收", "due_date": "2026-12-01"}, {"milestone": "报告", "due_date": "2026-12-03"}]}
RESEARCH = {"research_activities": "发放问卷 500 份并分析续费数据", "sample_size": 420,
            "industry_findings": "同行普遍打折", "competitor_findings": "竞品 8 折", "customer_findings": "看重赠品"}
REPORT = {"market_trends": "年底需求上升", "recommendations": "赠品加折扣", "report_summary": "续费意愿高"}


def plan(budget: float) -> dict:
    return {"marketing_strategy": "老客户续费优惠", "campaign_goal": "续费 300 单", "positioning": "高性价比",
            "channels": ["social_media", "email"], "promotion_methods": ["online_promotion"], "budget": budget,
            "start_date": "2026-12-05", "end_date": "2026-12-12", "cooperation_needed": "客服热线支持、数据监测"}


CS_OK = {"cs_approved": True, "cs_comments": "可以支持", "cs_support": "增加热线坐席"}
DA_OK = {"da_approved": True, "da_comments": "可以监测", "da_indicators": "转化率、客单价"}
EXECUTE = {"launch_date": "2026-12-05", "activities_done": "社交媒体投放与邮件推送"}
SUMMARY = {"goal_achieved": "met", "total_spend": 28000, "effect_summary": "达成目标", "lessons": "邮件效果好"}


def track(reach: int, adjust: bool, ended: bool) -> dict:
    return {"tracking_date": "2026-12-08", "reach": reach, "leads": reach // 10, "conversions": reach // 50,
            "spend_to_date": reach * 2.0, "effect_assessment": "按计划推进", "needs_adjustment": adjust,
            "campaign_ended": ended}


def through_research(zhidu) -> str:
    iid = start(zhidu, "campaign_planning", "mk_staff1", START)
    complete_as(zhidu, iid, "Task_ResearchPlan", "mk_staff1", RESEARCH_PLAN)
    complete_as(zhidu, iid, "Task_Research", "mk_staff2", RESEARCH)
    complete_as(zhidu, iid, "Task_ResearchReport", "mk_staff1", REPORT)
    return iid


def reviews(zhidu, iid: str, cs: dict = CS_OK, da: dict = DA_OK) -> None:
    assert active(zhidu, iid) == {"Task_ReviewCS", "Task_ReviewDA"}
    complete_as(zhidu, iid, "Task_ReviewCS", "cs_manager", cs)
    complete_as(zhidu, iid, "Task_ReviewDA", "da_manager", da)


def test_small_budget_needs_no_director_and_ends_after_one_tracking(zhidu):
    iid = through_research(zhidu)
    complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", plan(30000))
    reviews(zhidu, iid)
    assert active(zhidu, iid) == {"Task_Execute"}
    complete_as(zhidu, iid, "Task_Execute", "mk_staff1", EXECUTE)
    complete_as(zhidu, iid, "Task_Track", "mk_staff2", track(5000, adjust=False, ended=True))
    complete_as(zhidu, iid, "Task_Summary", "mk_manager", SUMMARY)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert result["director_approval_required"] is False and result["approval_level"] == "manager"
    assert [row["reach"] for row in result["tracking_log"]] == [5000]
    assert result["research_methods"] == ["questionnaire", "data_analysis"]


def test_rejections_and_director_revision_loop_back_to_the_plan(zhidu):
    iid = through_research(zhidu)
    complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", plan(120000))
    reviews(zhidu, iid, cs={"cs_approved": False, "cs_comments": "坐席不足"})
    assert active(zhidu, iid) == {"Task_CampaignPlan"}
    complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", plan(120000))
    reviews(zhidu, iid, da={"da_approved": False, "da_comments": "缺少指标"})
    assert active(zhidu, iid) == {"Task_CampaignPlan"}
    complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", plan(120000))
    reviews(zhidu, iid)
    assert active(zhidu, iid) == {"Task_DirectorApprove"}
    assert data(zhidu, iid)["approval_level"] == "director"
    for budget in (100000, 80000):
        complete_as(zhidu, iid, "Task_DirectorApprove", "director",
                    {"director_decision": "revise", "director_comments": "预算过高"})
        assert active(zhidu, iid) == {"Task_CampaignPlan"}
        complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", plan(budget))
        reviews(zhidu, iid)
    complete_as(zhidu, iid, "Task_DirectorApprove", "director",
                {"director_decision": "approve", "director_comments": "同意"})
    assert active(zhidu, iid) == {"Task_Execute"}
    complete_as(zhidu, iid, "Task_Execute", "mk_staff1", EXECUTE)
    complete_as(zhidu, iid, "Task_Track", "mk_staff1", track(1000, adjust=True, ended=False))
    complete_as(zhidu, iid, "Task_Adjust", "mk_manager", {"adjustment": "加投社交媒体", "adjusted_budget": 90000})
    complete_as(zhidu, iid, "Task_Track", "mk_staff1", track(3000, adjust=False, ended=False))
    complete_as(zhidu, iid, "Task_Track", "mk_staff2", track(6000, adjust=True, ended=True))
    complete_as(zhidu, iid, "Task_Adjust", "mk_manager", {"adjustment": "结束前追加邮件"})
    assert active(zhidu, iid) == {"Task_Summary"}
    complete_as(zhidu, iid, "Task_Summary", "mk_manager", SUMMARY)
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert [row["reach"] for row in result["tracking_log"]] == [1000, 3000, 6000]
    assert result["budget"] == 80000 and result["director_decision"] == "approve"
    assert result["adjustment"] == "结束前追加邮件"


def test_major_campaign_is_flagged_for_the_director(zhidu):
    iid = through_research(zhidu)
    complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", plan(500000))
    reviews(zhidu, iid)
    assert active(zhidu, iid) == {"Task_DirectorApprove"}
    assert data(zhidu, iid)["approval_level"] == "director-major"
    complete_as(zhidu, iid, "Task_DirectorApprove", "director", {"director_decision": "approve", "director_comments": "同意"})
    assert active(zhidu, iid) == {"Task_Execute"}


def test_roles_and_forms_are_enforced(zhidu):
    with pytest.raises(PermissionDenied):
        zhidu.start("campaign_planning", "cs_staff1", START)
    iid = through_research(zhidu)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", {**plan(1000), "budget": -5})
    complete_as(zhidu, iid, "Task_CampaignPlan", "mk_manager", plan(100000))
    review = next(t for t in zhidu.show(iid).active_tasks if t.name == "Task_ReviewCS")
    assert review.candidates == ("role:customer-service-manager",) and review.due_at is not None
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(review.id, "mk_staff1", CS_OK)


def test_diagram_is_complete():
    assert_diagram_complete("campaign_planning.bpmn")


def test_survives_a_new_process_for_every_command(zhidu):
    test_small_budget_needs_no_director_and_ends_after_one_tracking(NewProcessEachCommand(zhidu))
