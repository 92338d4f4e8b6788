"""Deploy payloads of the wrong types (issue 12, item 13): `entry` as a string or `lanes` as a
list used to raise inside the view (a 500); now each is a 400 whose message names the field,
and nothing is deployed."""

from __future__ import annotations

import json

import pytest

from tests.webui.conftest import app, client, engine  # noqa: F401
from tests.webui.conftest import Auth
from tests.webui.test_owner_pages import editor_payload, posted


@pytest.fixture
def owner(client):  # noqa: F811
    auth = Auth(client)
    auth.sign_in("owner")
    return auth


@pytest.mark.parametrize("change, field", [
    ({"entry": "complaint_handling"}, "entry"),
    ({"entry": {"lanes": ["客服专员", "customer-service-staff"]}}, "entry.lanes"),
    ({"entry": {"clauses": 3}}, "entry.clauses"),
    ({"entry": {"start_form": ["x"]}}, "entry.start_form"),
    ({"forms": {"complaint_verify": {"key": "x"}}}, "forms.complaint_verify"),
])
def test_a_wrongly_typed_deploy_is_refused_naming_the_field(owner, client, engine, change, field):  # noqa: F811
    data = json.loads(posted(editor_payload(client)))
    reply = owner.post("/owner/deploy", {"payload": json.dumps({**data, **change}), "comment": "probe"})
    assert reply.status_code == 400
    assert reply.get_json()["field"] == field
    assert field in reply.get_json()["error"] and "Traceback" not in reply.get_data(as_text=True)
    assert len(engine.version_history("complaint_handling", "owner")) == 1


def test_a_payload_that_is_not_json_is_refused_in_the_users_language(owner):
    reply = owner.post("/owner/validate", {"payload": "{not json"})
    assert reply.status_code == 400
    assert reply.get_json()["error"] == "提交的内容有误：字段 payload 应为一个 JSON 对象。"
