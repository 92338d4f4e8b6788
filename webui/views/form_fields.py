"""Forms in the browser: fields to render from a form definition, and submitted strings turned
into the types of its JSON Schema before the engine validates them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from engine.confidential import is_marker
from engine.errors import FieldError
from engine.views import FormView
from webui.i18n import field_error_text, localised, translate

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


@dataclass
class Field:
    """One input as the template draws it; `value` holds what the user typed (strings)."""

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


def widget_for(prop: Mapping[str, Any], hint: Mapping[str, Any]) -> str:
    """The widget the form ui names, else one that suits the property's schema."""
    if hint.get("widget"):
        return str(hint["widget"])
    kind = prop.get("type")
    if kind == "boolean":
        return "yesno"
    if kind in ("integer", "number"):
        return str(kind)
    if kind == "array":
        return "table" if (prop.get("items") or {}).get("type") == "object" else "multiselect"
    if "enum" in prop:
        return "select"
    if prop.get("format") in ("date", "date-time"):
        return "date" if prop["format"] == "date" else "datetime"
    return "textarea" if (prop.get("maxLength") or 0) > 500 else "text"


def _options(prop: Mapping[str, Any], hint: Mapping[str, Any], widget: str, lang: str) -> list[tuple[str, str]]:
    if widget == "yesno":
        return [("true", translate("yes", lang)), ("false", translate("no", lang))]
    labels = hint.get("options") or {}
    values = prop.get("enum") or (prop.get("items") or {}).get("enum") or list(labels)
    return [(str(v), localised(labels.get(v), lang, str(v))) for v in values]


def build_fields(form: FormView, lang: str, values: Mapping[str, Any] | None = None,
                 errors: Mapping[str, str] | None = None) -> list[Field]:
    """The fields of `form` in ui order, filled with `values` (as typed) and `errors` by path."""
    values, errors = values or {}, errors or {}
    properties = form.schema.get("properties", {})
    required = set(form.schema.get("required", []))
    hints = form.ui.get("fields", {})
    order = [n for n in form.ui.get("order") or [] if n in properties]
    fields = []
    for name in order + [n for n in properties if n not in order]:
        prop, hint = properties[name], hints.get(name, {})
        widget = widget_for(prop, hint)
        item = Field(name, localised(hint.get("label"), lang, name), widget, _INPUT_TYPES.get(widget, "text"),
                     name in required, _options(prop, hint, widget, lang), values.get(name, ""),
                     errors.get(name, ""), maxlength=prop.get("maxLength"))
        if widget == "number":
            item.step = "any"
        if widget == "table":
            item.columns = _columns(prop, hint, lang)
            item.rows = list(values.get(name) or [{}])
            item.cell_errors = {k: v for k, v in errors.items() if k.startswith(f"{name}[")}
        fields.append(item)
    return fields


def _columns(prop: Mapping[str, Any], hint: Mapping[str, Any], lang: str) -> list[Column]:
    items = prop.get("items") or {}
    properties, required = items.get("properties", {}), set(items.get("required", []))
    hints = hint.get("columns") or {}
    columns = []
    for name in [*[n for n in hints if n in properties], *[n for n in properties if n not in hints]]:
        sub, sub_hint = properties[name], hints.get(name, {})
        widget = widget_for(sub, sub_hint)
        columns.append(Column(name, localised(sub_hint.get("label"), lang, name), widget,
                              _INPUT_TYPES.get(widget, "text"), _options(sub, sub_hint, widget, lang),
                              name in required))
    return columns


def convert(prop: Mapping[str, Any], raw: str) -> Any:
    """One submitted string as the schema's type; left as typed when it does not parse, so the
    engine's validation reports it."""
    kind, text = prop.get("type"), raw.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return int(text) if re.fullmatch(r"[+-]?\d+", text) else float(text)
    except ValueError:
        return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, raw)
    return raw


def read_submission(form: FormView, submitted: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data for the engine, values to re-render) from a request's form (a MultiDict).

    Empty inputs are left out, so a required field reports 'required'; empty table rows are
    dropped and the rest renumbered, so error paths and re-rendered rows agree.
    """
    data: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for name, prop in form.schema.get("properties", {}).items():
        if prop.get("type") == "array" and (prop.get("items") or {}).get("type") == "object":
            rows = _table_rows(name, submitted.keys())
            raw_rows = [{col: submitted.get(key, "") for col, key in row.items()} for row in rows]
            raw_rows = [r for r in raw_rows if any(v.strip() for v in r.values())]
            shown[name] = raw_rows
            if raw_rows:
                cols = (prop.get("items") or {}).get("properties", {})
                data[name] = [{c: convert(cols.get(c, {}), v) for c, v in r.items() if v.strip()} for r in raw_rows]
            continue
        if prop.get("type") == "array":
            chosen = [v for v in submitted.getlist(name) if v != ""]
            shown[name] = chosen
            if chosen:
                data[name] = [convert(prop.get("items") or {}, v) for v in chosen]
            continue
        raw = submitted.get(name, "")
        shown[name] = raw
        if raw.strip():
            data[name] = convert(prop, raw)
    return data, shown


def _table_rows(name: str, keys: Iterable[str]) -> list[dict[str, str]]:
    pattern = re.compile(rf"^{re.escape(name)}\[(\d+)\]\.(\w+)$")
    rows: dict[int, dict[str, str]] = {}
    for key in keys:
        match = pattern.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = key
    return [rows[i] for i in sorted(rows)]


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
