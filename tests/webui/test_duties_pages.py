"""Separation of duties on the web pages (issue 16.5), with the fixture procedure of
tests/fixtures/duties deployed beside the shipped ones: a refused claim, completion or
reassignment comes back as a flash message in the reader's language that names the rule in
plain words (never an internal key), the team page's reassign list leaves out the excluded and
says who they are, and the history tells a refusal readably."""

from __future__ import annotations

import pytest

from tests.fixtures.duties.bundles import four_eyes

NOTE = {"note": "ok"}


@pytest.fixture
def approval(engine) -> str:
    """A four-eyes case about cs_staff1, drafted by the manager, checked by cs_staff2: Approve is open."""
    engine.deploy([four_eyes()], actor="tests")
    instance_id = engine.start("four_eyes", "cs_staff2", {"concerns": "cs_staff1"}).id
    for element, user in (("Draft", "cs_manager"), ("Check", "cs_staff2")):
        task = next(t for t in engine.show(instance_id).active_tasks if t.name == element)
        engine.complete_task(task.id, user, NOTE)
    return instance_id


def approve_of(engine, instance_id: str):
    return next(t for t in engine.show(instance_id).active_tasks if t.name == "Approve")


def test_a_refused_claim_is_a_flash_message_in_plain_chinese_and_english(client, auth, engine, approval):
    task = approve_of(engine, approval)
    auth.sign_in("cs_staff1")
    assert f'data-task-id="{task.id}"' not in client.get("/").get_data(as_text=True)
    response = auth.post(f"/tasks/{task.id}/claim", {"next": "/"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert "这项任务与您本人有关，须由他人办理。" in page and "notBy" not in page
    auth.post("/language", {"lang": "en"})
    auth.post(f"/tasks/{task.id}/claim")
    page = client.get("/").get_data(as_text=True)
    assert "This task concerns you, so someone else must do it." in page
    assert approve_of(engine, approval).claimed_by is None


def test_a_refused_completion_names_the_other_step(client, auth, engine, approval):
    task = approve_of(engine, approval)
    auth.sign_in("cs_manager")
    auth.post("/language", {"lang": "en"})
    response = auth.post(f"/tasks/{task.id}", NOTE)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "You handled this case&#39;s &#39;Draft the letter&#39; step, so &#39;Approve the letter&#39; must be " \
           "done by someone else." in page
    assert engine.show(approval).status == "running"


def test_the_task_page_tells_an_excluded_viewer_why_there_is_nothing_to_do(client, auth, engine, approval):
    task = approve_of(engine, approval)
    auth.sign_in("cs_manager")  # manages the department, but drafted the letter
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'data-reason="duties"' in page and "按职责分离规则，这项任务须由他人办理。" in page
    assert 'id="task-form"' not in page and "/claim" not in page


def test_the_team_page_does_not_offer_the_excluded_and_says_who_they_are(client, auth, engine, approval):
    task = approve_of(engine, approval)
    auth.sign_in("director")
    page = client.get("/team").get_data(as_text=True)
    row = page[page.index(f'id="{task.id}"'):]
    row = row[:row.index("</tr>")]
    options = row[row.index("<select"):row.index("</select>")]
    assert "赵磊" in options and "杨丽" not in options and "陈客服" not in options
    assert "职责分离：不得由杨丽、陈客服办理" in row


def test_a_refused_reassignment_comes_back_to_the_team_page_with_the_reason(client, auth, engine, approval):
    task = approve_of(engine, approval)
    auth.sign_in("director")
    response = auth.post(f"/tasks/{task.id}/reassign", {"to_user": "cs_staff1"})
    assert response.status_code == 302 and "/team" in response.headers["Location"]
    page = client.get("/team").get_data(as_text=True)
    assert "不能转派给杨丽：这项任务与其本人有关，须由他人办理。" in page


def test_the_history_tells_a_refusal_in_words(client, auth, engine, approval):
    task = approve_of(engine, approval)
    auth.sign_in("cs_manager")
    auth.post(f"/tasks/{task.id}/claim")
    page = client.get(f"/instances/{approval}").get_data(as_text=True)
    assert "被职责分离规则拒绝" in page
    assert "认领被拒绝：陈客服办理过本案的“起草”步骤，此步骤须由他人办理" in page
    auth.sign_in("auditor")
    auth.post("/language", {"lang": "en"})
    audit = client.get(f"/audit/instances/{approval}").get_data(as_text=True)
    assert "was refused by separation of duties" in audit
    assert "Claiming it was refused: 陈客服 handled this case&#39;s &#39;Draft the letter&#39; step" in audit
    assert "kind.refused" not in audit  # (the diagram's XML, not the text, holds the rules' names)
