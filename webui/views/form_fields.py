"""Forms in the browser: fields to render from a form definition, and submitted strings turned
into the types of its JSON Schema before the engine validates them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from engine.audit.confidential import is_marker
from engine.errors import FieldError
from engine.definitions.form_validation import ROLE_KEYWORD
from engine.definitions.form_widgets import default_widget, kind_of
from engine.files import MEDIA_TYPES_KEYWORD
from engine.views import FormView
from webui.i18n import field_error_text, localised, translate
from webui.views import attachments_text  # noqa: F401  (adds the file fields' messages)
from webui.views.form_values import as_input, convert, prefill, read_submission, read_uploads

__all__ = ["Field", "Column", "Labels", "Shown", "build_fields", "convert", "error_texts", "prefill",
           "read_submission", "read_uploads", "widget_for"]

_INPUT_TYPES = {"text": "text", "number": "number", "integer": "number", "date": "date",
                "datetime": "datetime-local"}


@dataclass
class Column:
    name: str
    label: str
    widget: str
    input_type: str
    options: list[tuple[str, str]]
    required: bool
    control: str = "input"


@dataclass
class Field:
    """One input as the template draws it; `value` holds what the user typed (strings).

    `control` is how the template draws it: input, textarea, select, radio, checkboxes, flag
    (one checkbox for a boolean, sending 'false' when left unticked), table or file (an upload,
    `value` the reference of the file already attached, `accept` the media types it takes).
    """

    name: str
    label: str
    widget: str
    input_type: str
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    value: Any = ""
    error: str = ""
    columns: list[Column] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    cell_errors: dict[str, str] = field(default_factory=dict)
    step: str | None = None
    maxlength: int | None = None
    control: str = "input"
    accept: str = ""


def widget_for(prop: Mapping[str, Any], hint: Mapping[str, Any]) -> str:
    """The widget the form ui names, else one that suits the property's schema."""
    return str(hint.get("widget") or default_widget(prop))


def control_for(prop: Mapping[str, Any], widget: str) -> str:
    """How a widget is drawn for this property (see `Field.control`)."""
    kind = kind_of(prop)
    if kind in ("table", "attachment"):
        return "file" if kind == "attachment" else "table"
    if widget in ("checkbox", "multiselect", "user") and kind in ("choices", "users"):
        return "checkboxes"
    if widget == "checkbox":
        return "flag"
    if widget in ("radio", "yesno"):
        return "radio"
    if widget in ("select", "user"):
        return "select"
    return "textarea" if widget == "textarea" else "input"


def _options(prop: Mapping[str, Any], hint: Mapping[str, Any], widget: str, lang: str,
             people: Sequence[Any] = ()) -> list[tuple[str, str]]:
    kind = kind_of(prop)
    if kind in ("user", "users"):
        return person_options(prop if kind == "user" else prop.get("items") or {}, people)
    if kind == "boolean" and "enum" not in prop:
        return [("true", translate("yes", lang)), ("false", translate("no", lang))]
    labels = hint.get("options") or {}
    values = prop.get("enum") or (prop.get("items") or {}).get("enum") or list(labels)
    return [(as_input({}, v), localised(labels.get(v), lang, str(v))) for v in values]


def person_options(prop: Mapping[str, Any], people: Sequence[Any]) -> list[tuple[str, str]]:
    """(username, name) of the active users a user field accepts (its `x-role`, if any); a name
    two people share shows its username too."""
    wanted = prop.get(ROLE_KEYWORD)
    roles = {wanted} if isinstance(wanted, str) else set(wanted or [])
    chosen = [p for p in people if p.active and (not roles or roles & set(p.roles))]
    names = Counter(p.name for p in chosen)
    return sorted(((p.username, p.name if names[p.name] == 1 else f"{p.name} ({p.username})") for p in chosen),
                  key=lambda option: (option[1], option[0]))


def build_fields(form: FormView, lang: str, values: Mapping[str, Any] | None = None,
                 errors: Mapping[str, str] | None = None, people: Sequence[Any] = ()) -> list[Field]:
    """The fields of `form` in ui order, filled with `values` (as typed) and `errors` by path;
    user fields offer the active ones of `people` (UserViews)."""
    values, errors = values or {}, errors or {}
    properties = form.schema.get("properties", {})
    required = set(form.schema.get("required", []))
    hints = form.ui.get("fields", {})
    order = [n for n in form.ui.get("order") or [] if n in properties]
    fields = []
    for name in order + [n for n in properties if n not in order]:
        prop, hint = properties[name], hints.get(name) or {}
        widget = widget_for(prop, hint)
        item = Field(name, localised(hint.get("label"), lang, name), widget, _INPUT_TYPES.get(widget, "text"),
                     name in required, _options(prop, hint, widget, lang, people), values.get(name, ""),
                     errors.get(name, ""), maxlength=prop.get("maxLength"), control=control_for(prop, widget))
        if widget == "number":
            item.step = "any"
        if item.control == "file":
            item.accept = ",".join(prop.get(MEDIA_TYPES_KEYWORD) or [])
        if item.control == "table":
            item.columns = _columns(prop, hint, lang, people)
            item.rows = list(values.get(name) or [{}])
            item.cell_errors = {k: v for k, v in errors.items() if k.startswith(f"{name}[")}
        fields.append(item)
    return fields


def _columns(prop: Mapping[str, Any], hint: Mapping[str, Any], lang: str, people: Sequence[Any]) -> list[Column]:
    items = prop.get("items") or {}
    properties, required = items.get("properties", {}), set(items.get("required", []))
    hints = hint.get("columns") or {}
    columns = []
    for name in [*[n for n in hints if n in properties], *[n for n in properties if n not in hints]]:
        sub, sub_hint = properties[name], hints.get(name) or {}
        widget = widget_for(sub, sub_hint)
        columns.append(Column(name, localised(sub_hint.get("label"), lang, name), widget,
                              _INPUT_TYPES.get(widget, "text"), _options(sub, sub_hint, widget, lang, people),
                              name in required, control_for(sub, widget)))
    return columns


def error_texts(field_errors: Iterable[FieldError], lang: str) -> dict[str, str]:
    """Field path → translated message (the first one, when a field fails twice)."""
    texts: dict[str, str] = {}
    for err in field_errors:
        texts.setdefault(err.field, field_error_text(err, lang))
    return texts


@dataclass(frozen=True)
class Shown:
    key: str
    label: str
    value: str


class Labels:
    """Labels and option names for process-data keys, gathered from a version's forms."""

    def __init__(self, forms: Iterable[FormView], lang: str):
        self.lang = lang
        self.fields: dict[str, Mapping[str, Any]] = {}
        for form in forms:
            for name, hint in (form.ui.get("fields") or {}).items():
                self.fields.setdefault(name, hint)

    def label(self, key: str) -> str:
        return localised(self.fields.get(key, {}).get("label"), self.lang, key)

    def display(self, key: str, value: Any, hint: Mapping[str, Any] | None = None) -> str:
        """A value as a reader wants it: option names, yes/no, rows joined."""
        hint = self.fields.get(key, {}) if hint is None else hint
        if is_marker(value):  # a confidential value this reader is not cleared for
            digest = value.get("sha256")
            return translate("confidential.hash", self.lang, digest=digest) if digest else translate("confidential", self.lang)
        if isinstance(value, bool):
            return translate("yes" if value else "no", self.lang)
        if isinstance(value, list):
            columns = hint.get("columns") or {}
            rows, items = ("；", "，") if self.lang == "zh" else ("; ", ", ")
            if value and all(isinstance(v, dict) for v in value):
                return rows.join(items.join(self.display(c, v, columns.get(c, {})) for c, v in row.items())
                                 for row in value)
            return items.join(self.display(key, v, hint) for v in value)
        options = hint.get("options") or {}
        if isinstance(value, str) and value in options:
            return localised(options[value], self.lang, value)
        return "" if value is None else str(value)

    def shown(self, keys: Iterable[str], data: Mapping[str, Any]) -> list[Shown]:
        return [Shown(k, self.label(k), self.display(k, data[k])) for k in keys if k in data]
