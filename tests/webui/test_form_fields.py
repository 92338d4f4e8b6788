"""Unit tests: bilingual titles, field error texts, submitted strings to schema types."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from engine.errors import FieldError
from engine.views import FormView
from webui.i18n import bilingual, field_error_text
from webui.views.form_fields import build_fields, read_submission

SCHEMA = {"type": "object", "properties": {
    "n": {"type": "integer"}, "x": {"type": "number"}, "ok": {"type": "boolean"},
    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
    "rows": {"type": "array", "items": {"type": "object", "properties": {
        "q": {"type": "integer"}, "s": {"type": "string"}}}},
    "when": {"type": "string", "format": "date"}, "note": {"type": "string"}}}
FORM = FormView("f", SCHEMA, {"zh": "表", "en": "Form"}, {"fields": {"tags": {"label": {"zh": "标签", "en": "Tags"}}}})


def test_bilingual_titles_split_at_the_first_latin_letter():
    assert bilingual("调查核实 Investigate and verify", "zh") == "调查核实"
    assert bilingual("调查核实 Investigate and verify", "en") == "Investigate and verify"
    assert bilingual("投诉是否属实? Complaint founded?", "zh") == "投诉是否属实?"
    assert bilingual("Review", "zh") == "Review"
    assert bilingual("复核", "en") == "复核"


def test_field_errors_are_translated_with_their_limit():
    assert field_error_text(FieldError("a", "is required", "required"), "zh") == "此项必填"
    assert field_error_text(FieldError("a", "m", "minLength", {"limit": 1}), "en") == "must not be empty"
    assert field_error_text(FieldError("a", "m", "maxLength", {"limit": 5}), "zh") == "最多 5 个字符"
    assert field_error_text(FieldError("a", "m", "type", {"limit": "integer"}), "en") == "must be a whole number"
    assert field_error_text(FieldError("a", "m", "format", {"limit": "date"}), "zh") == "请输入有效的日期"
    assert field_error_text(FieldError("a", "m", "minItems", {"limit": 1}), "zh") == "至少需要 1 行"
    assert field_error_text(FieldError("a", "engine says", "somethingNew"), "zh") == "engine says"


def test_submitted_strings_become_schema_types():
    submitted = MultiDict([("n", "42"), ("x", "2.5"), ("ok", "false"), ("tags", "a"), ("tags", "b"),
                           ("rows[2].q", "7"), ("rows[2].s", "x"), ("rows[0].q", ""), ("rows[0].s", ""),
                           ("when", "2026-01-02"), ("note", ""), ("csrf_token", "t")])
    data, shown = read_submission(FORM, submitted)
    assert data == {"n": 42, "x": 2.5, "ok": False, "tags": ["a", "b"], "rows": [{"q": 7, "s": "x"}],
                    "when": "2026-01-02"}
    assert shown["rows"] == [{"q": "7", "s": "x"}] and shown["note"] == ""


def test_unparseable_numbers_are_left_for_the_engine_to_report():
    data, _ = read_submission(FORM, MultiDict([("n", "4.5"), ("x", "abc")]))
    assert data == {"n": "4.5", "x": "abc"}


def test_widgets_follow_the_schema_when_the_ui_names_none():
    widgets = {f.name: f.widget for f in build_fields(FORM, "zh")}
    assert widgets == {"n": "integer", "x": "number", "ok": "yesno", "tags": "multiselect", "rows": "table",
                       "when": "date", "note": "text"}
    tags = next(f for f in build_fields(FORM, "en") if f.name == "tags")
    assert tags.label == "Tags" and tags.options == [("a", "a"), ("b", "b")]
