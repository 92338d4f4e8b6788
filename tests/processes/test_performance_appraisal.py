"""Performance appraisal (R4.1.1–R4.1.4, R1.3.4) along every path, through the facade over SQLite."""

from __future__ import annotations

import pytest

from engine.errors import DutiesSeparated, FormInvalid, PermissionDenied
from tests.processes.helpers import (
    NewProcessEachCommand, active, assert_diagram_complete, complete_as, complete_each, data, open_tasks, start,
    status,
)

START = {"employee": "mk_staff1", "supervisor": "mk_manager", "period_type": "quarter", "period_label": "2026-Q4",
         "results_indicators": "销售额、活动数", "ability_indicators": "策划能力", "attitude_indicators": "责任心",
         "peer_rows": [{"username": "mk_staff2"}, {"username": "da_staff1"}]}


def evaluate(zhidu, iid: str, score: int, peer_scores: tuple[int, int] | None = None) -> None:
    """All four evaluations; every rater gives `score` unless peers are given separately."""
    assert active(zhidu, iid) == {"Task_SelfEval", "Task_SupervisorEval", "Task_PeerEval", "Task_CustomerEval"}
    complete_as(zhidu, iid, "Task_SelfEval", "mk_staff1",
                {"self_results": score, "self_ability": score, "self_attitude": score, "self_comments": "完成目标"})
    complete_as(zhidu, iid, "Task_SupervisorEval", "mk_manager",
                {"sup_results": score, "sup_ability": score, "sup_attitude": score, "sup_comments": "表现稳定"})
    first, second = peer_scores or (score, score)
    complete_each(zhidu, iid, "Task_PeerEval", {
        "mk_staff2": {"peer_score": first, "peer_comment": "合作顺畅"},
        "da_staff1": {"peer_score": second, "peer_comment": "沟通及时"}})
    complete_as(zhidu, iid, "Task_CustomerEval", "cs_staff1",
                {"customers_asked": 5, "customer_score": score, "customer_feedback": "满意"})


def acknowledge(zhidu, iid: str) -> dict:
    complete_as(zhidu, iid, "Task_Acknowledge", "mk_staff1", {"response": "acknowledge"})
    assert status(zhidu, iid) == "completed"
    return data(zhidu, iid)


def test_peers_are_the_named_colleagues_each_assigned_by_name(zhidu):
    iid = start(zhidu, "performance_appraisal", "mk_manager", START)
    peer_tasks = [t for t in open_tasks(zhidu, iid) if t.name == "Task_PeerEval [child]"]
    assert sorted(t.candidates for t in peer_tasks) == [("user:da_staff1",), ("user:mk_staff2",)]
    assert data(zhidu, iid)["peers"] == ["mk_staff2", "da_staff1"]
    self_task = next(t for t in open_tasks(zhidu, iid) if t.name == "Task_SelfEval")
    assert self_task.candidates == ("user:mk_staff1",)
    with pytest.raises(PermissionDenied):
        zhidu.complete_task(self_task.id, "mk_staff2", {"self_results": 100, "self_ability": 100,
                                                         "self_attitude": 100, "self_comments": "x"})


def test_rating_a_leads_to_promotion_by_the_director(zhidu):
    iid = start(zhidu, "performance_appraisal", "mk_manager", START)
    evaluate(zhidu, iid, 95)
    assert active(zhidu, iid) == {"Task_Promotion"}
    complete_as(zhidu, iid, "Task_Promotion", "director", {"promotion_approved": True, "new_position": "高级专员",
                                                           "bonus_amount": 8000, "promotion_note": "同意"})
    result = acknowledge(zhidu, iid)
    assert (result["rating"], result["consequence"], result["weighted_score"]) == ("A", "promotion", 95)
    assert len(result["peer_reviews"]) == 2 and {r["rater"] for r in result["peer_reviews"]} == {"mk_staff2", "da_staff1"}


def test_rating_b_leads_to_a_bonus(zhidu):
    iid = start(zhidu, "performance_appraisal", "mk_manager", START)
    evaluate(zhidu, iid, 85, peer_scores=(70, 90))
    assert data(zhidu, iid)["peer_score"] == 80
    assert active(zhidu, iid) == {"Task_Bonus"}
    complete_as(zhidu, iid, "Task_Bonus", "mk_manager", {"bonus_amount": 3000})
    result = acknowledge(zhidu, iid)
    assert (result["rating"], result["consequence"], result["bonus_amount"]) == ("B", "bonus", 3000)
    assert result["weighted_score"] == 84.0


def test_rating_c_needs_no_measure(zhidu):
    iid = start(zhidu, "performance_appraisal", "mk_manager", START)
    evaluate(zhidu, iid, 75)
    assert active(zhidu, iid) == {"Task_Acknowledge"}
    result = acknowledge(zhidu, iid)
    assert (result["rating"], result["consequence"]) == ("C", "none")


def test_rating_d_leads_to_training(zhidu):
    iid = start(zhidu, "performance_appraisal", "mk_manager", START)
    evaluate(zhidu, iid, 65)
    complete_as(zhidu, iid, "Task_Training", "mk_manager", {"improvement_plan": "每周复盘", "training_courses": "营销策划课",
                                                            "review_date": "2027-01-31"})
    result = acknowledge(zhidu, iid)
    assert (result["rating"], result["consequence"]) == ("D", "training")


def test_rating_e_leads_to_demotion_and_an_appeal_to_the_director(zhidu):
    iid = start(zhidu, "performance_appraisal", "mk_manager", START)
    evaluate(zhidu, iid, 50)
    complete_as(zhidu, iid, "Task_Demotion", "director", {"demotion_confirmed": True, "demotion_reason": "连续未达标"})
    complete_as(zhidu, iid, "Task_Acknowledge", "mk_staff1", {"response": "appeal", "appeal_reason": "客户评价样本过少"})
    assert active(zhidu, iid) == {"Task_AppealReview"}
    complete_as(zhidu, iid, "Task_AppealReview", "director", {"appeal_decision": "revised", "final_rating": "D",
                                                              "appeal_reply": "调整为 D"})
    assert status(zhidu, iid) == "completed"
    result = data(zhidu, iid)
    assert (result["rating"], result["final_rating"], result["appeal_decision"]) == ("E", "D", "revised")


def test_appeal_can_be_upheld(zhidu):
    iid = start(zhidu, "performance_appraisal", "mk_manager", {**START, "period_type": "month", "period_label": "2026-11"})
    evaluate(zhidu, iid, 90)
    complete_as(zhidu, iid, "Task_Promotion", "director", {"promotion_approved": False, "bonus_amount": 5000,
                                                           "promotion_note": "暂缓晋升"})
    complete_as(zhidu, iid, "Task_Acknowledge", "mk_staff1", {"response": "appeal", "appeal_reason": "希望晋升"})
    complete_as(zhidu, iid, "Task_AppealReview", "director", {"appeal_decision": "upheld", "final_rating": "A",
                                                              "appeal_reply": "维持"})
    assert status(zhidu, iid) == "completed" and data(zhidu, iid)["rating"] == "A"


def test_start_data_and_scores_are_validated(zhidu):
    with pytest.raises(FormInvalid):
        zhidu.start("performance_appraisal", "mk_manager", {**START, "period_type": "week"})
    with pytest.raises(FormInvalid):
        zhidu.start("performance_appraisal", "mk_manager", {**START, "period_label": "Q4"})
    with pytest.raises(PermissionDenied):
        zhidu.start("performance_appraisal", "mk_staff2", START)
    iid = start(zhidu, "performance_appraisal", "mk_manager", START)
    with pytest.raises(FormInvalid):
        complete_as(zhidu, iid, "Task_CustomerEval", "cs_staff1",
                    {"customers_asked": 5, "customer_score": 101, "customer_feedback": "x"})


def test_diagram_is_complete():
    assert_diagram_complete("performance_appraisal.bpmn")


def test_peer_evaluations_complete_when_each_command_runs_in_a_new_process(zhidu):
    engine = NewProcessEachCommand(zhidu)
    iid = start(engine, "performance_appraisal", "mk_manager", START)
    evaluate(engine, iid, 75)
    assert active(engine, iid) == {"Task_Acknowledge"}


def test_the_employee_appraised_is_never_offered_a_step_that_rates_or_decides_on_them(zhidu):
    """R1.3.4 (separation of duties): a customer-service employee's appraisal is not offered to
    her for its customer evaluation (her role's step), and she cannot claim or complete it."""
    iid = start(zhidu, "performance_appraisal", "cs_manager",
                {**START, "employee": "cs_staff1", "supervisor": "cs_manager",
                 "peer_rows": [{"username": "cs_staff2"}, {"username": "da_staff1"}]})
    customer = next(t for t in open_tasks(zhidu, iid) if t.name == "Task_CustomerEval")
    assert customer.excluded == ("cs_staff1",)
    assert customer.id not in {t.id for t in zhidu.tasks_for("cs_staff1")}
    assert customer.id in {t.id for t in zhidu.tasks_for("cs_staff2")}
    with pytest.raises(DutiesSeparated) as refused:
        zhidu.claim(customer.id, "cs_staff1")
    assert refused.value.text("en") == "This task concerns you, so someone else must do it."
    rating = {"customers_asked": 3, "customer_score": 80, "customer_feedback": "满意"}
    with pytest.raises(DutiesSeparated):
        zhidu.complete_task(customer.id, "cs_staff1", rating)
    evaluating = {t.name.removesuffix(" [child]") for t in open_tasks(zhidu, iid) if "cs_staff1" in t.excluded}
    assert evaluating == {"Task_SupervisorEval", "Task_PeerEval", "Task_CustomerEval"}
    complete_as(zhidu, iid, "Task_CustomerEval", "cs_staff2", rating)
    assert zhidu.verify(iid).status == "ok"
