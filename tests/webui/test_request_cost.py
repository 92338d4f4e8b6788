"""What completing a task over HTTP asks of the engine besides the command (issue 17: the web
layer's share of the 8 ms): once its page was drawn the web form asks nothing else — the
session check brings the user, no task read, no navigation counts (a redirect renders no page),
no upload store without files — and the API only checks the token. Each further question is a unit of work on every
completion."""

from __future__ import annotations

import re

import pytest

from engine.runtime import PARTS
from tests.webui.support import INTAKE


class Questions:
    """Records every facade method called on `engine` from now on, by name."""

    def __init__(self, engine, monkeypatch):
        self.asked: list[str] = []
        for name in (n for names in PARTS.values() for n in names):
            monkeypatch.setattr(engine, name, self._recording(name, getattr(engine, name)))

    def _recording(self, name, method):
        def recorded(*args, **kwargs):
            self.asked.append(name)
            return method(*args, **kwargs)
        return recorded


@pytest.fixture
def task_id(engine) -> str:
    return engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id


def test_the_web_form_asks_the_engine_only_to_complete(client, auth, engine, task_id, monkeypatch):
    auth.sign_in("cs_staff1")
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    hidden = dict(re.findall(r'name="(csrf_token|form_ref)" value="([^"]+)"', page))
    questions = Questions(engine, monkeypatch)
    response = client.post(f"/tasks/{task_id}", data={"details": "已安抚", "customer_calmed": "true", **hidden})
    assert response.status_code == 302
    assert questions.asked == ["complete_task"]


def test_the_api_asks_the_engine_only_for_the_token_and_to_complete(app, engine, task_id, monkeypatch):
    _, secret = engine.create_token("cs_staff1", "tests")
    questions = Questions(engine, monkeypatch)
    response = app.test_client().post(f"/api/v1/tasks/{task_id}/complete", headers={"Authorization": f"Bearer {secret}"},
                                      json={"details": "已安抚", "customer_calmed": True})
    assert response.status_code == 200
    assert questions.asked == ["authenticate_token", "complete_task"]
