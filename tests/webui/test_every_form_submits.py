"""Every shipped form, drawn by the web form renderer, can be filled and submitted.

Driven by the published schemas, not hand-picked data: for each form in forms/ and a few seeds,
values are generated from its JSON Schema (tests/schema_values.py), typed into the controls of
the rendered HTML the way a person would (typing, choosing, ticking, leaving unticked), the form
is serialised the way a browser posts it, read back by the view's reader and validated by the
engine's form validation. A property without a control, a control that cannot carry its value,
or a value that does not survive the round trip fails naming form and field.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from jinja2 import Environment, FileSystemLoader
from werkzeug.datastructures import MultiDict

import webui

from engine.definitions.form_validation import ROLE_KEYWORD
from engine.definitions.form_widgets import kind_of
from engine.definitions.forms import FormDefinition, parse_form
from engine.definitions.organisation import parse_organisation
from engine.views import FormView
from tests.conftest import FORMS, PROCESSES
from tests.schema_values import SchemaValues
from webui.i18n import translate
from webui.views.form_fields import build_fields, prefill, read_submission

FORM_FILES = sorted(FORMS.glob("*.yaml"))
PEOPLE = {u.username: u for u in parse_organisation((PROCESSES / "organisation.yaml").read_text(encoding="utf-8"),
                                                    "organisation.yaml").users}
CONTROLS = "//*[(self::input or self::select or self::textarea) and @name=$name and not(ancestor::template)]"


@pytest.fixture(scope="module")
def app() -> Environment:
    """The web UI's templates with the two helpers the form macros use (no app or database)."""
    env = Environment(loader=FileSystemLoader(Path(webui.__file__).parent / "templates"), autoescape=True)
    env.globals.update(t=lambda key, **params: translate(key, "zh", **params), csrf_token=lambda: "token")
    return env


def render(app, form: FormDefinition, values: dict[str, Any] | None = None) -> Any:
    """The form as the task page draws it, parsed like a browser would."""
    view = FormView(form.key, form.schema, form.title, form.ui)
    fields = build_fields(view, "zh", values, {}, list(PEOPLE.values()))
    html = app.from_string("{% from 'macros/form.html' import form_body with context %}"
                           "<form method='post'>{{ form_body(fields, [], 'submit') }}</form>").render(fields=fields)
    return lxml.html.fromstring(html)


def pick_person(rng: random.Random):
    """Usernames of active people (with the field's role) for user fields; for patterns that
    allow any whitespace, spaces only (RE2's \\s, like a person's keyboard, has no \\x1c or \\v)."""
    spaced = SchemaValues(rng.randrange(1000), 1.0)

    def pick(name: str, prop: dict[str, Any]) -> Any:
        if prop.get("format") != "user":
            if "\\s" in str(prop.get("pattern", "")):
                return spaced.value(name, {**prop, "pattern": prop["pattern"].replace("\\s*", " ?")})
            return None
        wanted = prop.get(ROLE_KEYWORD)
        roles = {wanted} if isinstance(wanted, str) else set(wanted or [])
        return rng.choice(sorted(u for u, p in PEOPLE.items() if p.active and (not roles or roles & set(p.roles))))
    return pick


def people_unordered(value: Any) -> Any:
    """`value` with lists of usernames as sets: ticked boxes post in the page's order."""
    if isinstance(value, dict):
        return {k: people_unordered(v) for k, v in value.items()}
    if isinstance(value, list) and value and all(v in PEOPLE for v in value if isinstance(v, str)) \
            and all(isinstance(v, str) for v in value):
        return frozenset(value)
    if isinstance(value, list):
        return [people_unordered(v) for v in value]
    return value


def as_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def type_into(root: Any, where: str, path: str, value: Any) -> None:
    """Enter `value` into the controls named `path` as a person would."""
    controls = root.xpath(CONTROLS, name=path)
    assert controls, f"{where}: field {path!r} has no control in the rendered form"
    if isinstance(value, dict) and any(c.get("type") == "file" for c in controls):
        # a file uploaded earlier: the form carries its reference (the upload itself is tested
        # in tests/webui/test_attachments_pages.py)
        next(c for c in controls if c.get("type") == "hidden").value = json.dumps(value)
        return
    for text in (value if isinstance(value, list) else [value]):
        text = as_text(text)
        toggles = [c for c in controls if c.get("type") in ("radio", "checkbox")]
        if toggles and any(c.get("value") == text for c in toggles):
            next(c for c in toggles if c.get("value") == text).set("checked", "checked")
        elif toggles and text == "false" and any(c.get("type") == "hidden" for c in controls):
            pass  # an unticked checkbox: its hidden input sends false
        else:
            typed = [c for c in controls if c.get("type") not in ("radio", "checkbox", "hidden")]
            assert typed, f"{where}: field {path!r} offers no choice {text!r}"
            try:
                typed[0].value = text
            except ValueError:
                raise AssertionError(f"{where}: field {path!r} offers no option {text!r}") from None


def posted(root: Any) -> MultiDict:
    """What the browser sends for the form as it now stands."""
    pairs = []
    for node in root.xpath("//*[(self::input or self::select or self::textarea) and @name and not(ancestor::template)]"):
        name, kind = node.get("name"), node.get("type")
        if node.tag == "select":
            options = node.xpath(".//option")
            chosen = [o for o in options if o.get("selected") is not None] or options[:1]
            pairs += [(name, o.get("value", o.text_content())) for o in chosen]
        elif node.tag == "textarea":
            pairs.append((name, node.text_content()))
        elif kind in ("radio", "checkbox"):
            if node.get("checked") is not None:
                pairs.append((name, node.get("value", "on")))
        else:
            pairs.append((name, node.get("value", "")))
    return MultiDict(pairs)


def reachable(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """`data` without what no form can post: empty lists and rows left entirely empty."""
    result = {}
    for name, value in data.items():
        if isinstance(value, list) and kind_of(schema["properties"][name]) == "table":
            value = [row for row in value if row]
        if value != []:
            result[name] = value
    return result


def fill_and_post(app, form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    rows = {name: [{}] * len(value) for name, value in data.items()
            if kind_of(form.schema["properties"][name]) == "table"}  # as if "add row" was clicked
    root = render(app, form, rows)
    for name, value in data.items():
        if name in rows:
            for index, row in enumerate(value):
                for column, cell in row.items():
                    type_into(root, form.key, f"{name}[{index}].{column}", cell)
        else:
            type_into(root, form.key, name, value)
    view = FormView(form.key, form.schema, form.title, form.ui)
    return read_submission(view, posted(root))[0]


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_every_property_has_a_control(app, path):
    form = parse_form(path.read_text(encoding="utf-8"), path.name)
    root = render(app, form)
    for name, prop in form.schema["properties"].items():
        if kind_of(prop) == "table":
            for column in prop["items"].get("properties", {}):
                assert root.xpath(CONTROLS, name=f"{name}[0].{column}"), f"{form.key}: {name}.{column} has no control"
        else:
            assert root.xpath(CONTROLS, name=name), f"{form.key}: field {name!r} has no control"


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
@pytest.mark.parametrize("seed,optional_rate", [(1, 0.0), (2, 0.5), (3, 1.0), (4, 1.0)])
def test_generated_values_typed_into_the_form_come_back_valid(app, path, seed, optional_rate):
    form = parse_form(path.read_text(encoding="utf-8"), path.name)
    rng = random.Random(seed)
    data = reachable(form.schema, SchemaValues(seed, optional_rate, pick_person(rng)).form(form.schema))
    assert form.validate(data, PEOPLE) == data, "the generator made invalid data"
    submitted = fill_and_post(app, form, data)
    assert form.validate(submitted, PEOPLE) == submitted
    assert people_unordered(submitted) == people_unordered(data), f"{form.key}: what was typed is not what was submitted"


@pytest.mark.parametrize("path", FORM_FILES, ids=lambda p: p.stem)
def test_a_loop_back_shows_the_previous_round_and_posts_it_unchanged(app, path):
    form = parse_form(path.read_text(encoding="utf-8"), path.name)
    data = reachable(form.schema, SchemaValues(5, 1.0, pick_person(random.Random(5))).form(form.schema))
    view = FormView(form.key, form.schema, form.title, form.ui)
    root = render(app, form, prefill(view, data))
    submitted = read_submission(view, posted(root))[0]
    assert people_unordered(submitted) == people_unordered(data), f"{form.key}: the pre-filled form does not post the previous round's values"
