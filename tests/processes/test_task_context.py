"""Each multi-instance task shows the item it is about, not the instance's last value."""

from __future__ import annotations

from engine.definitions.subjects import SubjectFormatter, subject_problems
from tests.processes.helpers import complete_as, entered_in_order, start
from tests.processes.test_training import APPROVE, RUN, START, plan, session
from tests.webui.support import INTAKE


def test_each_evaluation_task_shows_its_own_participant(zhidu):
    iid = start(zhidu, "training", "da_manager", START)
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("平台入门", "da_staff1, da_staff2")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    complete_as(zhidu, iid, "Task_RunSession", "da_staff1", RUN)
    evaluations = entered_in_order(zhidu, iid, "Task_Evaluate [child]")
    shown = [zhidu.task_context(task.id, "da_manager").get("participant") for task in evaluations]
    assert shown == ["da_staff1", "da_staff2"]


def test_each_evaluation_task_says_whom_it_is_for(zhidu):
    iid = start(zhidu, "training", "da_manager", START)
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("平台入门", "da_staff1, da_staff2")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    complete_as(zhidu, iid, "Task_RunSession", "da_staff1", RUN)
    evaluations = entered_in_order(zhidu, iid, "Task_Evaluate [child]")
    assert [t.subject for t in evaluations] == [
        {"zh": "数据分析部 · 2027 — 周敏", "en": "Data Analysis · 2027 — 周敏"},
        {"zh": "数据分析部 · 2027 — 吴强", "en": "Data Analysis · 2027 — 吴强"}]
    inbox = {t.id: t.subject for t in zhidu.tasks_for("da_manager")}
    assert inbox[evaluations[0].id]["zh"].endswith("周敏")


def test_a_complaint_task_names_its_customer_and_category_in_both_languages(zhidu):
    iid = start(zhidu, "complaint_handling", "cs_staff1", INTAKE)
    task = zhidu.show(iid).active_tasks[0]
    assert task.subject == {"zh": "王女士 · 服务", "en": "王女士 · Service"}
    assert zhidu.task(task.id).to_dict()["subject"] == task.subject


def test_a_subject_leaves_out_what_the_data_does_not_have():
    formatter = SubjectFormatter({"zh": "{customer_name} · {category}", "en": "{customer_name} · {category}"},
                                 {}, (), lambda name: None)
    assert formatter.format({"category": "billing"}, {}) == {"zh": "billing", "en": "billing"}
    assert formatter.format({}, {}) is None


def test_the_catalog_refuses_a_subject_naming_a_field_no_form_has():
    problems = subject_problems("catalog.yaml", "complaint_handling",
                                {"zh": "{customer}", "en": "{customer_name"}, {"customer_name"})
    assert [p.reason for p in problems] == [
        "complaint_handling: subject (zh) names {customer}, which no form of the procedure has",
        "complaint_handling: subject (en) is malformed: expected '}' before end of string"]
    assert "needs a en template" in subject_problems("c", "k", {"zh": "{a}"}, {"a"})[0].reason
