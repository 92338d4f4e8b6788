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


# --- widgets that carry their type, user pickers, pre-fill (issue 11.1, 11.8) ---------------

from pathlib import Path  # noqa: E402

from jinja2 import Environment, FileSystemLoader  # noqa: E402

import webui  # noqa: E402
from engine.views import UserView  # noqa: E402
from webui.i18n import translate  # noqa: E402
from webui.views.form_fields import prefill  # noqa: E402

KICKOFF = FormView("project_kickoff", {"type": "object", "required": ["goals_communicated"], "properties": {
    "goals_communicated": {"type": "boolean", "const": True}, "extra": {"type": "boolean"},
    "channels": {"type": "array", "items": {"type": "string", "enum": ["mail", "phone"]}},
    "owner": {"type": "string", "format": "user", "x-role": "manager"},
    "rows": {"type": "array", "items": {"type": "object", "properties": {
        "done": {"type": "boolean"}, "who": {"type": "string", "format": "user"}}}}}},
    {"zh": "启动", "en": "Kick-off"},
    {"fields": {"goals_communicated": {"label": {"zh": "已传达", "en": "Communicated"}, "widget": "checkbox"},
                "extra": {"widget": "checkbox"}, "channels": {"widget": "multiselect"},
                "rows": {"widget": "table", "columns": {"done": {"widget": "checkbox"}}}}})
PEOPLE = [UserView("wang", "王芳", "sales", ("manager",), True), UserView("li", "李雷", "sales", ("staff",), True),
          UserView("old", "老员工", "sales", ("manager",), False), UserView("wang2", "王芳", None, ("manager",), True)]


def render(fields) -> str:
    env = Environment(loader=FileSystemLoader(Path(webui.__file__).parent / "templates"), autoescape=True)
    env.globals.update(t=lambda key, **params: translate(key, "en", **params), csrf_token=lambda: "token")
    return env.from_string("{% from 'macros/form.html' import form_body with context %}"
                           "{{ form_body(fields, [], 'go') }}").render(fields=fields)


def test_a_boolean_checkbox_renders_a_checkbox_that_sends_false_when_unticked():
    html = render(build_fields(KICKOFF, "en", people=PEOPLE))
    assert '<input type="hidden" name="goals_communicated" value="false">' in html
    assert 'type="checkbox" id="goals_communicated" name="goals_communicated" value="true"' in html
    assert ">Communicated</label>" in html
    assert read_submission(KICKOFF, MultiDict([("goals_communicated", "false")]))[0] == {"goals_communicated": False}
    ticked = MultiDict([("goals_communicated", "false"), ("goals_communicated", "true")])
    assert read_submission(KICKOFF, ticked)[0] == {"goals_communicated": True}


def test_multiple_choice_is_a_row_of_checkboxes_not_a_ctrl_click_list():
    html = render(build_fields(KICKOFF, "en", people=PEOPLE))
    assert "multiple" not in html
    assert 'type="checkbox" id="channels-1" name="channels" value="mail"' in html
    assert read_submission(KICKOFF, MultiDict([("channels", "mail"), ("channels", "phone")]))[0] == {
        "channels": ["mail", "phone"]}


def test_user_fields_offer_active_people_by_name_with_the_role_asked_for():
    owner = next(f for f in build_fields(KICKOFF, "en", people=PEOPLE) if f.name == "owner")
    assert owner.control == "select"
    assert owner.options == [("wang", "王芳 (wang)"), ("wang2", "王芳 (wang2)")]  # same name: username shown
    rows = next(f for f in build_fields(KICKOFF, "en", people=PEOPLE) if f.name == "rows")
    who = next(c for c in rows.columns if c.name == "who")
    assert who.options == [("li", "李雷"), ("wang", "王芳 (wang)"), ("wang2", "王芳 (wang2)")]


def test_a_table_row_with_only_an_unticked_checkbox_is_an_empty_row():
    submitted = MultiDict([("rows[0].done", "false"), ("rows[0].who", ""),
                           ("rows[1].done", "false"), ("rows[1].done", "true"), ("rows[1].who", "li")])
    assert read_submission(KICKOFF, submitted)[0] == {"rows": [{"done": True, "who": "li"}]}


def test_a_loop_back_fills_the_form_with_the_previous_round():
    data = {"goals_communicated": True, "extra": False, "channels": ["phone"], "owner": "wang",
            "rows": [{"done": True, "who": "li"}], "not_this_form": 1}
    values = prefill(KICKOFF, data)
    assert values == {"goals_communicated": "true", "extra": "false", "channels": ["phone"], "owner": "wang",
                      "rows": [{"done": "true", "who": "li"}]}
    html = render(build_fields(KICKOFF, "en", values, people=PEOPLE))
    assert 'name="goals_communicated" value="true" checked' in html
    assert 'name="channels" value="phone" checked' in html and '<option value="wang" selected>' in html
    assert 'name="rows[0].done" value="true" checked' in html
    assert prefill(KICKOFF, {"owner": {"confidential": True, "sha256": "ab"}}) == {}
