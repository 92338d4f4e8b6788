"""Each multi-instance task shows the item it is about, not the instance's last value."""

from __future__ import annotations

from tests.processes.helpers import complete_as, entered_in_order, start
from tests.processes.test_training import APPROVE, RUN, START, plan, session


def test_each_evaluation_task_shows_its_own_participant(zhidu):
    iid = start(zhidu, "training", "da_manager", START)
    complete_as(zhidu, iid, "Task_DraftPlan", "da_manager", plan(session("平台入门", "da_staff1, da_staff2")))
    complete_as(zhidu, iid, "Task_ApprovePlan", "director", APPROVE)
    complete_as(zhidu, iid, "Task_RunSession", "da_staff1", RUN)
    evaluations = entered_in_order(zhidu, iid, "Task_Evaluate [child]")
    shown = [zhidu.task_context(task.id, "da_manager").get("participant") for task in evaluations]
    assert shown == ["da_staff1", "da_staff2"]
