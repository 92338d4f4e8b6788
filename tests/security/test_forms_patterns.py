"""Attack (issue 12, item 7): a field `pattern` that backtracks catastrophically (ReDoS).

An owner deploys a form with `pattern: "^(a+)+$"`; any employee then submits 26 `a`s and a `!`
and the check takes seconds, doubling with each character, holding the worker. Patterns now run
on RE2 (linear time); a pattern RE2 cannot run (backreferences, lookaround) is refused at deploy
and in the preview, naming the field.
"""

from __future__ import annotations

import time

import pytest

from engine.errors import FormInvalid
from engine.definitions.forms import check_form, parse_form
from webui.views.owner_pages import form_preview

FORM = """
key: evil
title: {zh: 模式, en: Pattern}
schema:
  properties:
    code: {type: string, pattern: "%s"}
ui:
  fields:
    code: {label: {zh: 编码, en: Code}}
"""


def test_a_backtracking_pattern_answers_at_once():
    form = parse_form(FORM % "^(a+)+$", "evil.yaml")
    assert check_form(form, "evil.yaml") == []
    began = time.monotonic()
    with pytest.raises(FormInvalid) as refused:
        form.validate({"code": "a" * 5000 + "!"})
    assert time.monotonic() - began < 0.5
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("code", "pattern")]
    assert form.validate({"code": "aaaa"}) == {"code": "aaaa"}


@pytest.mark.parametrize("pattern", [r"^(a)\\1$", r"^(?=a)a$", r"^(?<!b)a$"])
def test_a_pattern_re2_cannot_run_is_refused_at_deploy_and_in_the_preview(pattern):
    problems = check_form(parse_form(FORM % pattern, "evil.yaml"), "evil.yaml")
    assert [p.element for p in problems] == ["code"]
    assert "cannot be used" in problems[0].reason
    assert any("cannot be used" in p for p in form_preview(FORM % pattern, "en")["problems"])
