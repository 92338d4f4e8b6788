"""A task page's form carries a signed reference to the form it was drawn with, so submitting it
does not read the task again (webui/views/task_forms.py); whatever the reference, the command
still decides who may complete the task and what data it takes."""

from __future__ import annotations

import re

import pytest

from engine.views import FormView
from tests.webui.support import INTAKE
from webui.views.task_forms import TaskForms

INQUIRY = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "topic": "price",
           "question": "套餐价格是多少？"}
TRANSFER = {"handling": "transfer", "responsible_department": "marketing", "transfer_note": "请协助解答"}


def reference_on(html: str) -> str:
    found = re.search(r'name="form_ref" value="([^"]+)"', html)
    assert found, "the task form carries no form reference"
    return found.group(1)


class TaskReads:
    """Counts the engine's task reads (what a submission without a sound reference costs)."""

    def __init__(self, engine, monkeypatch):
        self.count, read = 0, engine.task

        def counted(*args, **kwargs):
            self.count += 1
            return read(*args, **kwargs)
        monkeypatch.setattr(engine, "task", counted)


def test_a_submission_from_the_page_completes_without_reading_the_task_again(client, auth, engine, monkeypatch):
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    task_id = instance.active_tasks[0].id
    auth.sign_in("cs_staff1")
    ref = reference_on(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    reads = TaskReads(engine, monkeypatch)
    response = auth.post(f"/tasks/{task_id}", {"details": "已安抚", "customer_calmed": "true", "form_ref": ref})
    assert response.status_code == 302 and response.location == "/"
    assert reads.count == 0
    done = engine.task(task_id)
    assert done.status == "completed" and done.completed_by == "cs_staff1"
    completed = [e for e in engine.history(instance.id) if e.kind == "completed"]
    assert completed[0].payload["data"]["customer_calmed"] is True  # typed by the form, as before


@pytest.mark.parametrize("tamper", ["other task", "other user", "altered", "none"])
def test_a_reference_that_does_not_fit_falls_back_to_reading_the_task(client, auth, engine, monkeypatch, tamper):
    task_id = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    other_id = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    auth.sign_in("cs_staff1")
    ref = reference_on(client.get(f"/tasks/{other_id if tamper == 'other task' else task_id}").get_data(as_text=True))
    if tamper == "other user":
        auth.sign_in("cs_staff2")
    ref = {"altered": "0" + ref[1:] if ref[0] != "0" else "1" + ref[1:], "none": ""}.get(tamper, ref)
    reads = TaskReads(engine, monkeypatch)
    response = auth.post(f"/tasks/{task_id}", {"details": "d", "customer_calmed": "true", "form_ref": ref})
    assert response.status_code == 302 and reads.count == 1
    assert engine.task(task_id).status == "completed"


def test_a_copied_reference_gives_no_one_else_the_task(client, auth, engine):
    task_id = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    auth.sign_in("cs_staff1")
    ref = reference_on(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    auth.sign_in("da_staff1")
    response = auth.post(f"/tasks/{task_id}", {"details": "d", "customer_calmed": "true", "form_ref": ref})
    assert response.status_code == 403
    assert engine.task(task_id).status == "open"


def test_field_errors_come_back_with_a_reference_that_submits_again(client, auth, engine, monkeypatch):
    task_id = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    auth.sign_in("cs_staff1")
    ref = reference_on(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    again = auth.post(f"/tasks/{task_id}", {"customer_calmed": "true", "form_ref": ref})
    assert again.status_code == 422
    reads = TaskReads(engine, monkeypatch)
    response = auth.post(f"/tasks/{task_id}", {"details": "d", "customer_calmed": "true",
                                               "form_ref": reference_on(again.get_data(as_text=True))})
    assert response.status_code == 302 and reads.count == 0


def test_a_task_done_meanwhile_by_a_colleague_is_said_so_to_whom_it_was_offered(client, auth, engine):
    """cs_staff2 had the inquiry's assessment open; cs_staff1 sent it to marketing, so cs_staff2
    no longer sees the inquiry at all: the submission says the task is done (it was a 403)."""
    task_id = engine.start("inquiry_handling", "cs_staff1", INQUIRY).active_tasks[0].id
    auth.sign_in("cs_staff2")
    ref = reference_on(client.get(f"/tasks/{task_id}").get_data(as_text=True))
    engine.complete_task(task_id, "cs_staff1", TRANSFER)
    response = auth.post(f"/tasks/{task_id}", {**TRANSFER, "form_ref": ref})
    assert response.status_code == 302 and response.location == "/"
    assert "该任务已经完成" in client.get("/").get_data(as_text=True)
    assert engine.task(task_id).completed_by == "cs_staff1"


def test_each_process_knows_only_the_forms_of_the_pages_it_drew():
    form = FormView("answer", {"type": "object", "properties": {"n": {"type": "integer"}}})
    drew, other = TaskForms("secret"), TaskForms("secret")
    ref = drew.reference("t1", "ann", "hash1", form)
    assert drew.form("t1", "ann", ref, lambda: None) is form
    assert other.form("t1", "ann", ref, lambda: "read") == "read"  # another process reads the task
    assert TaskForms("another secret").form("t1", "ann", ref, lambda: "read") == "read"
    without = drew.reference("t2", "ann", "hash1", None)
    assert drew.form("t2", "ann", without, lambda: "read") is None  # a task without a form is known too


def test_the_cache_is_bounded():
    forms = TaskForms("secret", size=2)
    refs = [forms.reference(f"t{i}", "ann", f"hash{i}", FormView(f"f{i}", {})) for i in range(3)]
    assert forms.form("t0", "ann", refs[0], lambda: "read") == "read"
    assert forms.form("t2", "ann", refs[2], lambda: "read").key == "f2"
