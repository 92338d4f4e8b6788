"""Form definitions: every shipped form loads, and validation reports each failing field."""

from __future__ import annotations

import pytest

from engine.errors import FormInvalid
from engine.definitions.forms import check_form, parse_form
from tests.conftest import FORMS

REVIEW = FORMS / "complaint_review.yaml"


@pytest.mark.parametrize("path", sorted(FORMS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_form_is_sound(path):
    form = parse_form(path.read_text(encoding="utf-8"), path.name)
    assert form.key == path.stem
    assert check_form(form, path.name) == []


def test_valid_rows_pass_and_each_bad_cell_is_named():
    form = parse_form(REVIEW.read_text(encoding="utf-8"), REVIEW.name)
    good = {"root_cause": "r", "improvement_measures": [
        {"measure": "m", "owner_department": "marketing", "due_date": "2026-12-01"}]}
    assert form.validate(good) == good
    bad = {"root_cause": "r", "improvement_measures": [
        {"measure": "m", "owner_department": "sales", "due_date": "2026-13-45"}]}
    with pytest.raises(FormInvalid) as caught:
        form.validate(bad)
    fields = {e.field: e.code for e in caught.value.field_errors}
    assert fields == {"improvement_measures[0].owner_department": "enum",
                      "improvement_measures[0].due_date": "format"}


def test_missing_fields_and_unknown_fields_are_reported_together():
    form = parse_form(REVIEW.read_text(encoding="utf-8"), REVIEW.name)
    with pytest.raises(FormInvalid) as caught:
        form.validate({"surprise": 1})
    assert {(e.field, e.code) for e in caught.value.field_errors} == {
        ("root_cause", "required"), ("improvement_measures", "required"), ("surprise", "unknown")}
    assert "root_cause: is required" in caught.value.message


def test_a_non_object_submission_is_refused():
    form = parse_form(REVIEW.read_text(encoding="utf-8"), REVIEW.name)
    with pytest.raises(FormInvalid):
        form.validate(["not", "an", "object"])


def test_check_form_names_what_is_wrong():
    form = parse_form("""
key: broken
title: {zh: 坏}
schema:
  properties:
    a: {type: string}
    b: {type: nonsense}
ui:
  order: [a, ghost]
  fields:
    a: {label: {zh: 甲, en: A}, widget: slider}
""", "broken.yaml")
    reasons = " | ".join(p.reason for p in check_form(form, "broken.yaml"))
    assert "title in zh and en" in reasons
    assert "not valid JSON Schema" in reasons


@pytest.mark.parametrize("prop,widget,words", [
    ("{type: string, format: date}", "checkbox", "widget 'checkbox' cannot carry a date"),
    ("{type: boolean}", "text", "widget 'text' cannot carry a yes/no value"),
    ("{type: array, items: {type: string, enum: [a, b]}}", "text", "cannot carry a multiple choice"),
    ("{type: string, enum: [a, b]}", "checkbox", "cannot carry a choice"),
    ("{type: array, items: {type: string}}", "multiselect", "no widget can carry"),
    ("{type: string, format: user}", "yesno", "cannot carry a user"),
])
def test_a_widget_that_cannot_carry_its_property_is_refused_naming_form_and_field(prop, widget, words):
    form = parse_form(f"""
key: wrong
title: {{zh: 错, en: Wrong}}
schema:
  properties:
    x: {prop}
ui:
  fields:
    x: {{label: {{zh: 甲, en: X}}, widget: {widget}}}
""", "wrong.yaml")
    [problem] = check_form(form, "wrong.yaml")
    assert problem.file == "wrong.yaml" and problem.element == "x"
    assert "form wrong: field 'x'" in problem.reason and words in problem.reason


def test_a_table_column_widget_is_checked_too():
    form = parse_form("""
key: rows
title: {zh: 表, en: Rows}
schema:
  properties:
    r: {type: array, items: {type: object, properties: {d: {type: string, format: date}}}}
ui:
  fields:
    r: {label: {zh: 表, en: R}, widget: table, columns: {d: {widget: yesno}}}
""", "rows.yaml")
    assert ["field 'r.d'" in p.reason for p in check_form(form, "rows.yaml")] == [True]
