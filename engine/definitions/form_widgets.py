"""Which widget can carry which kind of schema property.

A form names a widget per field; the web form draws it. A widget that cannot hold the value its
property needs (a checkbox on a date, a text box on a list) gives a form nobody can submit, so
such a definition is refused when it is loaded, naming form and field. The web renderer uses
the same table for the widget it picks when the form names none.
"""

from __future__ import annotations

from typing import Any, Mapping

from engine.files import is_attachment

USER_FORMAT = "user"

# kind of property -> widgets that can carry it; the first is the default.
ACCEPTS: dict[str, tuple[str, ...]] = {
    "boolean": ("yesno", "checkbox", "radio", "select"),
    "choice": ("select", "radio"),
    "string": ("text", "textarea"),
    "date": ("date", "text"),
    "datetime": ("datetime", "text"),
    "integer": ("integer", "number"),
    "number": ("number",),
    "user": ("user", "select"),
    "choices": ("multiselect", "checkbox"),
    "users": ("user", "checkbox", "multiselect"),
    "table": ("table",),
    "attachment": ("file",),
}
WIDGETS = frozenset(w for widgets in ACCEPTS.values() for w in widgets)
_KIND_NAMES = {"boolean": "a yes/no value", "choice": "a choice", "string": "text", "date": "a date",
               "datetime": "a date-time", "integer": "a whole number", "number": "a number", "user": "a user",
               "choices": "a multiple choice", "users": "a list of users", "table": "a table of rows",
               "attachment": "a file"}


def scalar_type(prop: Mapping[str, Any]) -> str | None:
    """The property's JSON type (the first non-null one of a list), or the type of its enum/const."""
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind is None:
        values = prop.get("enum") or ([prop["const"]] if "const" in prop else [])
        if values and all(isinstance(v, bool) for v in values):
            return "boolean"
        if values and all(isinstance(v, str) for v in values):
            return "string"
    return kind if isinstance(kind, str) else None


def kind_of(prop: Mapping[str, Any]) -> str:
    """What a property holds, as far as widgets care (a key of ACCEPTS, or 'unsupported')."""
    if is_attachment(prop):
        return "attachment"
    kind = scalar_type(prop)
    if kind == "array":
        items = prop.get("items") if isinstance(prop.get("items"), Mapping) else {}
        if scalar_type(items) == "object":
            return "table"
        if items.get("format") == USER_FORMAT:
            return "users"
        return "choices" if "enum" in items else "unsupported"
    if kind == "boolean":
        return "boolean"
    if "enum" in prop and kind in ("string", "integer", "number"):
        return "choice"
    if kind in ("integer", "number"):
        return kind
    if kind == "string":
        shape = prop.get("format")
        return {"date": "date", "date-time": "datetime", USER_FORMAT: "user"}.get(shape, "string")
    return "unsupported"


def default_widget(prop: Mapping[str, Any]) -> str:
    """The widget for a property whose form names none."""
    kind = kind_of(prop)
    if kind == "string" and (prop.get("maxLength") or 0) > 500:
        return "textarea"
    return ACCEPTS.get(kind, ("text",))[0]


def widget_problem(name: str, prop: Mapping[str, Any], widget: str | None) -> str | None:
    """Why `widget` cannot carry property `name` (None when it can)."""
    kind = kind_of(prop)
    if kind == "unsupported":
        return f"field {name!r}: no widget can carry a property of this type ({scalar_type(prop) or 'untyped'})"
    if widget is None:
        return None
    if widget not in WIDGETS:
        return f"field {name!r} has unknown widget {widget!r}"
    if widget not in ACCEPTS[kind]:
        what = _KIND_NAMES[kind]
        return (f"field {name!r}: widget {widget!r} cannot carry {what}; "
                f"use {' or '.join(repr(w) for w in ACCEPTS[kind])}")
    return None
