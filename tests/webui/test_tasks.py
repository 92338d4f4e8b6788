"""Task pages: the form, field errors, double submission, tasks that moved on, permissions."""

from __future__ import annotations

import re

from tests.webui.support import INTAKE


def first_task(engine) -> tuple[str, str]:
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    return instance.id, instance.active_tasks[0].id


def advance_to_review(engine) -> tuple[str, str]:
    """A complaint taken to the review step (the form with a table); returns (instance, task)."""
    instance_id, task_id = first_task(engine)
    steps = [("cs_staff1", {"details": "d", "customer_calmed": True}),
             ("cs_staff1", {"findings": "f", "founded": False}),
             ("cs_staff1", {"feedback": "fb", "feedback_channel": "phone", "customer_satisfied": True,
                            "satisfaction": 4})]
    for actor, data in steps:
        task_id = engine.show(instance_id).active_tasks[0].id
        engine.complete_task(task_id, actor, data)
    return instance_id, engine.show(instance_id).active_tasks[0].id


def field_error(html: str, name: str) -> str:
    """The error message shown in the block of field `name`."""
    block = re.search(rf'data-field="{re.escape(name)}">(.*?)</div>\s*</div>|data-field="{re.escape(name)}">(.*?)</fieldset>',
                      html, re.S)
    assert block, f"no field {name}"
    found = re.search(r'field-error">([^<]+)<', block.group(0))
    return found.group(1) if found else ""


def test_task_page_renders_the_form_with_labels_and_case_data(client, auth, engine):
    instance_id, task_id = first_task(engine)
    auth.sign_in("cs_staff1")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert '<label class="form-label" for="details">投诉详情' in page
    assert 'name="customer_calmed" value="true"' in page and '<label class="form-check-label" for="customer_calmed-1">是' in page
    assert 'id="case-data"' in page and "王女士" in page and "来电" in page  # ui.show, with option names
    assert "csrf_token" in page and "data-submit-once" in page


def test_field_errors_come_back_beside_each_field_with_the_input_kept(client, auth, engine):
    _, task_id = first_task(engine)
    auth.sign_in("cs_staff1")
    response = auth.post(f"/tasks/{task_id}", {"details": "", "customer_expectation": "x" * 1001})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_error(html, "details") == "此项必填"
    assert field_error(html, "customer_calmed") == "此项必填"
    assert field_error(html, "customer_expectation") == "最多 1000 个字符"
    assert 'value="' + "x" * 1001 + '"' in html
    assert engine.task(task_id).status == "open"


def test_field_errors_in_english(client, auth, engine):
    _, task_id = first_task(engine)
    auth.sign_in("cs_staff1")
    auth.post("/language", {"lang": "en"})
    html = auth.post(f"/tasks/{task_id}", {"details": "d"}).get_data(as_text=True)
    assert field_error(html, "customer_calmed") == "This field is required"
    assert "Complaint details" in html and 'value="d"' not in html and ">d</textarea>" in html


def test_integer_out_of_range_and_not_a_number(client, auth, engine):
    instance_id, _ = first_task(engine)
    for data in ({"details": "d", "customer_calmed": True}, {"findings": "f", "founded": False}):
        engine.complete_task(engine.show(instance_id).active_tasks[0].id, "cs_staff1", data)
    task_id = engine.show(instance_id).active_tasks[0].id
    auth.sign_in("cs_staff1")
    form = {"feedback": "ok", "feedback_channel": "phone", "customer_satisfied": "true"}
    html = auth.post(f"/tasks/{task_id}", {**form, "satisfaction": "9"}).get_data(as_text=True)
    assert field_error(html, "satisfaction") == "不能大于 5"
    html = auth.post(f"/tasks/{task_id}", {**form, "satisfaction": "five"}).get_data(as_text=True)
    assert field_error(html, "satisfaction") == "格式不正确，应为整数"
    response = auth.post(f"/tasks/{task_id}", {**form, "satisfaction": "5"})
    assert response.status_code == 302
    assert engine.show(instance_id).data["satisfaction"] == 5


def test_table_rows_are_converted_and_cell_errors_shown(client, auth, engine):
    instance_id, task_id = advance_to_review(engine)
    auth.sign_in("cs_manager")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'name="improvement_measures[0].measure"' in page and "<template>" in page
    bad = {"root_cause": "r", "improvement_measures[0].measure": "m1",
           "improvement_measures[0].owner_department": "", "improvement_measures[0].due_date": "2026-12-31",
           "improvement_measures[3].measure": "", "improvement_measures[3].owner_department": "",
           "improvement_measures[3].due_date": ""}
    html = auth.post(f"/tasks/{task_id}", bad).get_data(as_text=True)
    assert "improvement_measures[3]" not in html.split("<template>")[0]  # the empty row is dropped
    assert re.search(r'for="improvement_measures\[0\]\.owner_department".*?field-error">此项必填', html, re.S)
    assert 'value="m1"' in html
    good = {**bad, "improvement_measures[0].owner_department": "data-analysis",
            "improvement_measures[5].measure": "m2", "improvement_measures[5].owner_department": "marketing",
            "improvement_measures[5].due_date": "2027-01-31"}
    assert auth.post(f"/tasks/{task_id}", good).status_code == 302
    data = engine.show(instance_id).data
    assert data["improvement_measures"] == [
        {"measure": "m1", "owner_department": "data-analysis", "due_date": "2026-12-31"},
        {"measure": "m2", "owner_department": "marketing", "due_date": "2027-01-31"}]
    assert engine.show(instance_id).status == "completed"


def test_table_needs_a_row(client, auth, engine):
    _, task_id = advance_to_review(engine)
    auth.sign_in("cs_manager")
    html = auth.post(f"/tasks/{task_id}", {"root_cause": "r"}).get_data(as_text=True)
    assert field_error(html, "improvement_measures") == "此项必填"


def test_double_submission_completes_once_and_says_so(client, auth, engine):
    instance_id, task_id = first_task(engine)
    auth.sign_in("cs_staff1")
    form = {"details": "d", "customer_calmed": "true"}
    assert auth.post(f"/tasks/{task_id}", form).status_code == 302
    second = auth.post(f"/tasks/{task_id}", form)
    assert second.status_code == 302 and second.location == "/"
    assert "该任务已经完成" in client.get("/").get_data(as_text=True)
    completed = [e for e in engine.history(instance_id) if e.kind == "completed"]
    assert len(completed) == 1


def test_a_submission_that_lost_a_race_comes_back_with_the_input_kept(client, auth, engine, monkeypatch):
    """Another command changed the instance between reading it and writing (ConcurrentUpdate,
    storage/uow.py): nothing was saved, and the form comes back filled in to submit again."""
    from engine.errors import ConcurrentUpdate

    _, task_id = first_task(engine)
    auth.sign_in("cs_staff1")
    complete, lost = engine.complete_task, []

    def lose_once(*args, **kwargs):
        if not lost:
            lost.append(True)
            raise ConcurrentUpdate("instance changed by another command")
        return complete(*args, **kwargs)
    monkeypatch.setattr(engine, "complete_task", lose_once)
    form = {"details": "客户第二次来电", "customer_calmed": "true"}
    response = auth.post(f"/tasks/{task_id}", form)
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "您填写的内容已保留" in html
    assert "客户第二次来电" in html and 'id="task-form"' in html
    assert engine.task(task_id).status == "open"
    assert auth.post(f"/tasks/{task_id}", form).status_code == 302  # submitted again, as it came back
    assert engine.task(task_id).status == "completed"


def test_a_submission_that_lost_the_race_to_a_colleague_on_the_same_task_says_it_was_done(
        client, auth, engine, monkeypatch):
    """Both submitted the same task at once; the colleague's committed first, so this one lost
    (ConcurrentUpdate) and the task is done: stale, not a form to submit again (nor a 500)."""
    from engine.errors import ConcurrentUpdate

    _, task_id = first_task(engine)
    auth.sign_in("cs_staff1")
    complete = engine.complete_task

    def colleague_first(*args, **kwargs):
        complete(task_id, "cs_staff2", {"details": "d", "customer_calmed": True})
        raise ConcurrentUpdate("instance changed by another command")
    monkeypatch.setattr(engine, "complete_task", colleague_first)
    response = auth.post(f"/tasks/{task_id}", {"details": "mine", "customer_calmed": "true"})
    assert response.status_code == 302 and response.location == "/"
    inbox = client.get("/").get_data(as_text=True)
    assert "该流程刚被其他人更新" in inbox and "您填写的内容已保留" not in inbox


def test_task_completed_by_a_colleague_while_open(client, auth, engine):
    _, task_id = first_task(engine)
    auth.sign_in("cs_staff1")
    assert client.get(f"/tasks/{task_id}").status_code == 200
    engine.complete_task(task_id, "cs_staff2", {"details": "d", "customer_calmed": True})
    response = auth.post(f"/tasks/{task_id}", {"details": "mine", "customer_calmed": "true"})
    assert response.status_code == 302 and response.location == "/"
    assert "该任务已经完成" in client.get("/").get_data(as_text=True)
    assert client.get(f"/tasks/{task_id}").status_code == 302


def test_a_task_done_meanwhile_is_said_so_on_its_page_to_whom_it_was_offered(client, auth, engine):
    """cs_staff2 was offered the inquiry's assessment; cs_staff1 sent it to marketing, so cs_staff2
    no longer sees the inquiry. Opening the task from the inbox a moment later should say it is
    done (as submitting it does), not 'you may not see this page' (the 403 of the load test)."""
    inquiry = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "topic": "price",
               "question": "套餐价格是多少？"}
    task_id = engine.start("inquiry_handling", "cs_staff1", inquiry).active_tasks[0].id
    auth.sign_in("cs_staff2")
    assert task_id in client.get("/").get_data(as_text=True)
    engine.complete_task(task_id, "cs_staff1", {"handling": "transfer", "responsible_department": "marketing",
                                                "transfer_note": "请协助解答"})
    response = client.get(f"/tasks/{task_id}")
    assert response.status_code == 302 and response.location == "/"
    assert "该任务已经完成" in client.get("/").get_data(as_text=True)


def test_task_claimed_by_a_colleague_cannot_be_submitted(client, auth, engine):
    _, task_id = first_task(engine)
    engine.claim(task_id, "cs_staff2")
    auth.sign_in("cs_staff1")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="task-unavailable"' in page and 'id="task-form"' not in page
    response = auth.post(f"/tasks/{task_id}", {"details": "d", "customer_calmed": "true"})
    assert response.status_code == 302
    assert "已被其他人认领" in client.get("/").get_data(as_text=True)
    assert engine.task(task_id).status == "open"


def test_someone_of_another_role_cannot_see_or_complete_the_task(client, auth, engine):
    instance_id, task_id = first_task(engine)
    auth.sign_in("da_staff1")
    assert client.get(f"/tasks/{task_id}").status_code == 403
    assert client.get(f"/instances/{instance_id}").status_code == 403
    response = auth.post(f"/tasks/{task_id}", {"details": "d", "customer_calmed": "true"})
    assert response.status_code == 403
    assert "您无权访问此页面" in response.get_data(as_text=True)
    assert engine.task(task_id).status == "open"


def test_unknown_task_and_instance_are_404(client, auth):
    auth.sign_in("cs_staff1")
    assert client.get("/tasks/nope").status_code == 404
    assert client.get("/instances/nope").status_code == 404
    assert auth.post("/tasks/nope/claim").status_code == 404


def test_the_task_page_says_what_the_task_is_about(client, auth, engine):
    task_id = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    auth.sign_in("cs_staff1")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert 'id="task-subject">王女士 · 服务<' in page
