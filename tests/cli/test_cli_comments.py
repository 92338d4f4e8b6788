"""`zhidu comment`, `absence-add` and `absence-list`: the engine's checks and field refusals,
one line each, a non-zero exit on refusal. The absence commands run on a fixed engine clock."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

import pytest

from bootstrap.wiring import build
from engine.clock import FixedClock
from tests.cli.test_cli import cli, start, task_of  # noqa: F401  (the fixture)
from tests.conftest import T0  # 2026-11-27 17:00 in Shanghai


@pytest.fixture
def fixed(monkeypatch):
    monkeypatch.setattr("cli.comments.build", lambda: build(clock=FixedClock(T0, ZoneInfo("Asia/Shanghai"))))


def test_comment_is_journaled_and_names_the_mentioned(cli):
    instance_id = start(cli)
    code, made = cli("comment", instance_id, "--as", "cs_staff1", "--text", "请 @cs_manager 过目 @nobody")
    assert code == 0 and made["mentions"] == ["cs_manager"] and made["author"] == "cs_staff1"
    code, history = cli("history", instance_id)
    entry = [e for e in history if e["kind"] == "commented"][-1]
    assert entry["payload"] == {"text": "请 @cs_manager 过目 @nobody", "mentions": ["cs_manager"]}
    code, verdict = cli("verify", instance_id)
    assert code == 0 and json.dumps(verdict).count('"ok"') >= 1


@pytest.mark.parametrize("user, text, error", [("mk_staff1", "hi", "permission_denied"),
                                               ("cs_staff1", "   ", "form_invalid"),
                                               ("nobody", "hi", "user_not_found")])
def test_comment_refusals_exit_non_zero_and_change_nothing(cli, user, text, error):
    instance_id = start(cli)
    code, document = cli("comment", instance_id, "--as", user, "--text", text)
    assert code != 0 and error in json.dumps(document)
    code, history = cli("history", instance_id)
    assert "commented" not in [e["kind"] for e in history]


def test_absence_add_and_list_show_who_stands_in_for_whom(cli, fixed):
    code, made = cli("absence-add", "--as", "cs_staff1", "--from", "2026-11-27", "--to", "2026-11-30",
                     "--substitute", "mk_staff1")
    assert code == 0 and (made["status"], made["substitute"]) == ("current", "mk_staff1")
    code, listed = cli("absence-list", "--as", "mk_staff1")
    assert code == 0 and [a["username"] for a in listed["covering"]] == ["cs_staff1"]
    code, text, _ = cli("absence-list", "--as", "cs_manager", as_json=False)
    assert "cs_staff1" in text and "mk_staff1" in text and "team" in text


def test_absence_add_refuses_a_bad_absence_by_field(cli, fixed):
    code, document = cli("absence-add", "--as", "cs_staff1", "--from", "2026-11-30", "--to", "2026-11-27",
                         "--substitute", "cs_staff1")
    assert code != 0 and "absence_order" in json.dumps(document) and "absence_substitute_self" in json.dumps(document)
