"""Complaint handling (R3.2.1, R3.2.3, R1.3.3) along every path, through the facade over SQLite.

Every step runs on a freshly built engine over the same database, so each command starts from
what storage holds (a restart between any two commands loses nothing).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import DutiesSeparated, FormInvalid, PermissionDenied
from engine.audit.journal import verify_chain
from engine.runtime import Engine

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "billing",
          "severity": "high", "description": "重复扣费"}
RECORD = {"details": "客户两次被扣费", "customer_expectation": "退款", "customer_calmed": True}
DECIDE = {"responsible_department": "data-analysis", "remedy": "核对账单并退款", "resolve_by": "2026-12-05"}
HANDLE = {"actions_taken": "已退款", "handled_on": "2026-11-30"}
FEEDBACK = {"feedback": "已退款并致歉", "feedback_channel": "phone", "customer_satisfied": True, "satisfaction": 4}
REVIEW = {"root_cause": "计费系统重复提交", "improvement_measures": [
    {"measure": "增加幂等校验", "owner_department": "data-analysis", "due_date": "2026-12-20"}]}


class Driver:
    """Drives one instance, rebuilding the engine before every command."""

    def __init__(self, zhidu: Engine):
        self.uow_factory, self.clock = zhidu.uow_factory, zhidu.clock
        self.instance_id = self.fresh().start("complaint_handling", "cs_staff1", INTAKE).id

    def fresh(self) -> Engine:
        return Engine(self.uow_factory, self.clock)

    def active(self) -> dict[str, object]:
        return {t.name: t for t in self.fresh().show(self.instance_id).active_tasks}

    def complete(self, element: str, user: str, data: dict) -> None:
        task = self.active()[element]
        assert task.id in {t.id for t in self.fresh().tasks_for(user)}, f"{element} not in {user}'s inbox"
        self.fresh().claim(task.id, user)
        self.fresh().complete_task(task.id, user, data)

    def show(self):
        return self.fresh().show(self.instance_id)


def finish(driver: Driver) -> None:
    driver.complete("Task_Feedback", "cs_staff1", FEEDBACK)
    driver.complete("Task_Review", "cs_manager", REVIEW)


def test_unfounded_complaint_goes_straight_to_feedback(zhidu):
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    d.complete("Task_Verify", "cs_staff2", {"findings": "扣费正常", "founded": False})
    assert set(d.active()) == {"Task_Feedback"}
    finish(d)
    shown = d.show()
    assert shown.status == "completed" and shown.active_tasks == ()
    assert shown.data["founded"] is False and "responsible_department" not in shown.data
    assert shown.data["improvement_measures"][0]["measure"] == "增加幂等校验"
    assert verify_chain(zhidu.history(d.instance_id)) is None


def test_founded_complaint_is_handled_by_the_responsible_department(zhidu):
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    d.complete("Task_Verify", "cs_staff1", {"findings": "重复扣费属实", "founded": True})
    d.complete("Task_Decide", "cs_manager", DECIDE)
    handle = d.active()["Task_Handle"]
    assert handle.candidates == ("role:data-analysis-staff",)
    with pytest.raises(PermissionDenied):
        d.fresh().complete_task(handle.id, "mk_staff1", HANDLE)
    d.complete("Task_Handle", "da_staff1", HANDLE)
    d.complete("Task_Track", "cs_staff2", {"resolved": True, "progress_note": "客户确认到账"})
    finish(d)
    shown = d.show()
    assert shown.status == "completed"
    assert shown.data["actions_taken"] == "已退款" and shown.data["resolved"] is True


def test_unresolved_handling_loops_back_until_resolved(zhidu):
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    d.complete("Task_Verify", "cs_staff1", {"findings": "属实", "founded": True})
    d.complete("Task_Decide", "cs_manager", {**DECIDE, "responsible_department": "marketing"})
    for attempt in ("第一次", "第二次"):
        d.complete("Task_Handle", "mk_staff2", {**HANDLE, "actions_taken": attempt})
        d.complete("Task_Track", "cs_staff1", {"resolved": False, "progress_note": f"{attempt}未解决"})
    d.complete("Task_Handle", "mk_staff1", {**HANDLE, "actions_taken": "第三次"})
    d.complete("Task_Track", "cs_staff1", {"resolved": True, "progress_note": "解决"})
    finish(d)
    assert d.show().status == "completed"
    assert zhidu.diagram(d.instance_id).completed["Task_Handle"] == 3
    assert d.show().data["actions_taken"] == "第三次"


def test_overdue_complaint_escalates_to_the_manager_while_recording_stays_open(zhidu, clock):
    d = Driver(zhidu)
    record = d.active()["Task_Record"]
    clock.advance(timedelta(hours=23))
    assert d.fresh().fire_due_timers() == []
    clock.advance(timedelta(hours=2))
    assert [f.instance_id for f in d.fresh().fire_due_timers()] == [d.instance_id]
    assert set(d.active()) == {"Task_Record", "Task_Escalate"}
    assert d.active()["Task_Record"].id == record.id
    assert d.active()["Task_Escalate"].candidates == ("role:customer-service-manager",)
    d.complete("Task_Escalate", "cs_manager", {"action_taken": "致电客户", "notify_director": False})
    d.complete("Task_Record", "cs_staff1", RECORD)
    d.complete("Task_Verify", "cs_staff1", {"findings": "不属实", "founded": False})
    finish(d)
    assert d.show().status == "completed"
    assert [e.kind for e in zhidu.history(d.instance_id)].count("timer_fired") == 1


def test_due_dates_come_from_a_duration_and_from_data_and_mark_the_case_overdue(zhidu, clock):
    d = Driver(zhidu)
    assert d.active()["Task_Record"].due_at == clock.now() + timedelta(hours=24)
    assert d.show().overdue is False
    clock.advance(timedelta(hours=25))
    assert d.show().overdue is True
    d.complete("Task_Record", "cs_staff1", RECORD)
    d.complete("Task_Verify", "cs_staff1", {"findings": "属实", "founded": True})
    d.complete("Task_Decide", "cs_manager", DECIDE)
    handle = d.active()["Task_Handle"]
    # resolve_by is a date: it ends with the last instant of that day in the clock's zone (UTC here)
    assert handle.due_at.isoformat() == "2026-12-05T23:59:59.999999+00:00"
    assert d.show().overdue is False


def test_recording_in_time_cancels_the_escalation_timer(zhidu, clock):
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    clock.advance(timedelta(days=2))
    assert d.fresh().fire_due_timers() == []
    assert set(d.active()) == {"Task_Verify"}


def test_bad_form_data_is_refused_field_by_field_and_changes_nothing(zhidu):
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    d.complete("Task_Verify", "cs_staff1", {"findings": "属实", "founded": True})
    decide = d.active()["Task_Decide"]
    entries = len(zhidu.history(d.instance_id))
    with pytest.raises(FormInvalid) as caught:
        d.fresh().complete_task(decide.id, "cs_manager", {"responsible_department": "sales", "resolve_by": "tomorrow"})
    assert {e.field for e in caught.value.field_errors} == {"responsible_department", "remedy", "resolve_by"}
    assert len(zhidu.history(d.instance_id)) == entries
    assert d.active()["Task_Decide"].claimed_by is None


def test_cancelling_closes_every_open_task_and_still_verifies(zhidu):
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    task = d.active()["Task_Verify"]
    with pytest.raises(PermissionDenied):
        d.fresh().cancel(d.instance_id, "mk_staff1", "not mine")
    shown = d.fresh().cancel(d.instance_id, "cs_staff1", "客户撤回投诉")
    assert shown.status == "cancelled" and shown.active_tasks == ()
    assert d.fresh().task(task.id).status == "cancelled"
    assert d.fresh().tasks_for("cs_staff2") == []
    assert zhidu.history(d.instance_id)[-1].kind == "instance_cancelled"
    assert zhidu.verify(d.instance_id).status == "ok"


def test_the_handler_neither_decided_the_case_nor_confirms_or_reviews_it(zhidu):
    """R1.3.4 (separation of duties): whoever decided the remedy does not handle it, and the
    handler does not confirm the resolution or review the case — each refusal in plain words,
    journaled, and the journal still verifies."""
    d = Driver(zhidu)
    d.complete("Task_Record", "cs_staff1", RECORD)
    d.complete("Task_Verify", "cs_staff2", {"findings": "属实", "founded": True})
    d.complete("Task_Decide", "cs_manager", {**DECIDE, "responsible_department": "customer-service"})
    handle = d.active()["Task_Handle"]
    assert handle.excluded == ("cs_manager",)
    with pytest.raises(DutiesSeparated) as refused:
        d.fresh().claim(handle.id, "cs_manager")
    assert refused.value.text("en") == ("You handled this case's 'Decide responsible department and remedy' step, "
                                        "so 'Handle the complaint' must be done by someone else.")
    d.complete("Task_Handle", "cs_staff1", HANDLE)
    track = d.active()["Task_Track"]
    assert track.id not in {t.id for t in d.fresh().tasks_for("cs_staff1")}
    with pytest.raises(DutiesSeparated) as refused:
        d.fresh().complete_task(track.id, "cs_staff1", {"resolved": True, "progress_note": "好了"})
    assert refused.value.text("zh") == "您办理了本案的“责任部门处理”步骤，“跟踪处理进度”须由他人办理。"
    d.complete("Task_Track", "cs_staff2", {"resolved": True, "progress_note": "客户确认"})
    d.complete("Task_Feedback", "cs_staff2", FEEDBACK)
    d.complete("Task_Review", "cs_manager", REVIEW)
    assert d.show().status == "completed"
    refusals = [e for e in zhidu.history(d.instance_id) if e.kind == "refused"]
    assert [(e.actor, e.payload["element"], e.payload["step"]) for e in refusals] == [
        ("cs_manager", "Task_Handle", "Task_Decide"), ("cs_staff1", "Task_Track", "Task_Handle")]
    assert zhidu.verify(d.instance_id).status == "ok"
