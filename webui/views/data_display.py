"""Process data as people read it: labelled rows of plain strings and small tables.

Every page that shows process or task data (the task's case information, the instance page,
its history, the auditor's pages) turns a data dict into rows with this module and draws
them with the macro `data_rows` of `templates/macros/data.html`. The formatter is pure: it
gets the form definitions of the procedure, a username → display name lookup, the reader's
language and the organisation's time zone, and returns only strings — never a Python repr,
an internal key or a comma-joined table.

Usage::

    display = DataDisplay(engine.instance_forms(instance_id), lang, people, zone)
    rows = display.rows(instance.data)               # every key, in form order
    rows = display.rows(data, keys=["participant"])  # only these keys (e.g. a form's `show`)

A `DataValue` is one of three kinds:

- ``"text"``: a plain string in `text` (options by their labels, 是/否 or Yes/No, dates in the
  organisation's zone, people by name; a list of scalars joined with the language's comma);
- ``"fields"``: a nested object, as labelled `fields` (a list of `DataRow`);
- ``"table"``: a list of objects, as `columns` (labels) and `cells` (one `DataValue` per column
  per row);
- ``"file"``: an attached file, its name and size in `text` and, when the formatter knows the
  instance, `link` = (instance id, SHA-256) for the download route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from engine.audit.confidential import is_marker
from engine.files import is_reference, size_text
from engine.views import FormView
from webui.i18n import localised, translate

# Keys the engine itself puts into process data, labelled through i18n messages `data.<key>`.
ENGINE_FIELDS = ("started_by",)
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_LIST = re.compile(r"[,，、;；\s]+")
_SNAKE = re.compile(r"[a-z0-9]+(_[a-z0-9]+)+")


@dataclass(frozen=True)
class DataValue:
    """A value ready to draw: `kind` is "text", "fields" or "table" (see the module docstring)."""

    kind: str = "text"
    text: str = ""
    fields: tuple["DataRow", ...] = ()
    columns: tuple[str, ...] = ()
    cells: tuple[tuple["DataValue", ...], ...] = ()
    link: tuple[str, ...] = ()

    def plain(self, lang: str = "zh") -> str:
        """The value as one line of text (for CSV, titles, tooltips): fields as `label: value`."""
        sep, rows = ("，", "；") if lang == "zh" else (", ", "; ")
        if self.kind == "fields":
            return sep.join(f"{f.label}: {f.value.plain(lang)}" for f in self.fields)
        if self.kind == "table":
            return rows.join(sep.join(f"{c}: {v.plain(lang)}" for c, v in zip(self.columns, row)) for row in self.cells)
        return self.text


@dataclass(frozen=True)
class DataRow:
    """One labelled value: `key` is the data key (for tests and anchors, never shown)."""

    key: str
    label: str
    value: DataValue = field(default_factory=DataValue)


class DataDisplay:
    """Formats process data with the labels and options of a procedure's forms.

    Args:
        forms: the form definitions of the instance's version (start form first); a key's
            label, options and nested column hints come from the first form naming it.
        lang: "zh" or "en".
        people: username → display name; usernames found as values show as names.
        zone: the organisation's time zone (a tzinfo or its name); timestamps show there.
        data_fields: hints for data no form names (values scripts compute), shaped like a form's
            ui fields ({key: {label: {zh, en}, options: {...}}}): the catalog's `data_fields`.
    """

    def __init__(self, forms: Iterable[FormView], lang: str, people: Mapping[str, str] | None = None,
                 zone: tzinfo | str | None = None, data_fields: Mapping[str, Mapping[str, Any]] | None = None,
                 instance_id: str | None = None):
        self.lang = lang
        self.instance_id = instance_id  # attachments link to /instances/<id>/files/<sha256>
        self.people = dict(people or {})
        self.zone = ZoneInfo(zone) if isinstance(zone, str) else zone
        self.hints: dict[str, Mapping[str, Any]] = {}
        self.schemas: dict[str, Mapping[str, Any]] = {}
        self.order: list[str] = []
        for form in forms:
            for name in [*(form.ui.get("order") or []), *(form.schema.get("properties") or {})]:
                if name not in self.order:
                    self.order.append(name)
            for name, hint in (form.ui.get("fields") or {}).items():
                self.hints.setdefault(name, hint)
            for name, schema in (form.schema.get("properties") or {}).items():
                self.schemas.setdefault(name, schema)
        for name, hint in (data_fields or {}).items():
            self.hints.setdefault(name, hint)
        # a table's column hints also label a lone row of it (a loop's current item, say)
        self.column_hints: dict[str, Mapping[str, Any]] = {}
        for hint in list(self.hints.values()):
            for name, column in (hint.get("columns") or {}).items():
                self.column_hints.setdefault(name, column)

    # -- public ------------------------------------------------------------------------------
    def rows(self, data: Mapping[str, Any], keys: Iterable[str] | None = None) -> list[DataRow]:
        """Labelled rows for `keys` of `data` (default: all keys, form order first, the engine's
        own fields last); keys absent from `data` are skipped."""
        if keys is None:
            rank = {k: i for i, k in enumerate(self.order)}
            keys = sorted(data, key=lambda k: (k in ENGINE_FIELDS, rank.get(k, len(rank)), k))
        return [DataRow(k, self.label(k), self.value(k, data[k])) for k in keys if k in data]

    def label(self, key: str, hint: Mapping[str, Any] | None = None) -> str:
        """The label of `key` in the reader's language; a readable form of the key if none."""
        hint = self.hints.get(key) or self.column_hints.get(key) or {} if hint is None else hint
        if hint.get("label"):
            return localised(hint["label"], self.lang, key)
        message = f"data.{key}"
        text = translate(message, self.lang)
        return text if text != message else humanise(key)

    def value(self, key: str, value: Any, hint: Mapping[str, Any] | None = None,
              schema: Mapping[str, Any] | None = None) -> DataValue:
        """`value` of `key` ready to draw (`hint`/`schema` default to the form's for `key`)."""
        hint = self.hints.get(key) or self.column_hints.get(key) or {} if hint is None else hint
        schema = self.schemas.get(key, {}) if schema is None else schema
        if is_marker(value):  # a confidential value this reader is not cleared for
            digest = value.get("sha256")
            return _text(translate("confidential.hash", self.lang, digest=digest) if digest
                         else translate("confidential", self.lang))
        if is_reference(value):
            return DataValue("file", text=f"{value['name']} ({size_text(value['size'])})",
                             link=(self.instance_id, value["sha256"]) if self.instance_id else ())
        if isinstance(value, Mapping):
            return self._object(value, hint, schema)
        if isinstance(value, (list, tuple)):
            if value and all(isinstance(v, Mapping) for v in value):
                return self._table(value, hint, schema)
            if not value:
                return _text("—")
            item_schema = schema.get("items") or {}
            comma = "，" if self.lang == "zh" else ", "
            return _text(comma.join(self.value(key, v, hint, item_schema).plain(self.lang) for v in value))
        return _text(self.scalar(value, hint))

    def scalar(self, value: Any, hint: Mapping[str, Any] | None = None) -> str:
        """One scalar as text: option label, 是/否, local time, a person's name, or the value."""
        hint = hint or {}
        if value is None:
            return "—"
        if isinstance(value, bool):
            return translate("yes" if value else "no", self.lang)
        options = hint.get("options") or {}
        if isinstance(value, str) and value in options:
            return localised(options[value], self.lang, value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, str):
            if value in self.people:
                return self.people[value]
            names = [n.strip() for n in _LIST.split(value)]
            if len(names) > 1 and all(n in self.people for n in names):  # "a, b": usernames typed in a list
                return ("，" if self.lang == "zh" else ", ").join(self.people[n] for n in names)
            if self.zone is not None and _DATETIME.match(value):
                return self._local(value)
        return str(value)

    # -- internals ---------------------------------------------------------------------------
    def _object(self, value: Mapping[str, Any], hint: Mapping[str, Any], schema: Mapping[str, Any]) -> DataValue:
        hints = hint.get("fields") or hint.get("columns") or {}
        props = schema.get("properties") or {}
        keys = [*[k for k in hints if k in value], *[k for k in props if k in value and k not in hints],
                *[k for k in value if k not in hints and k not in props]]
        return DataValue("fields", fields=tuple(
            DataRow(k, self._sub_label(k, hints.get(k)), self.value(k, value[k], self._sub_hint(k, hints),
                                                                     props.get(k) or {}))
            for k in keys))

    def _table(self, rows: Iterable[Mapping[str, Any]], hint: Mapping[str, Any], schema: Mapping[str, Any]) -> DataValue:
        rows = list(rows)
        hints = hint.get("columns") or hint.get("fields") or {}
        props = (schema.get("items") or {}).get("properties") or {}
        keys: list[str] = [k for k in hints if any(k in r for r in rows)]
        for key in [*props, *(k for r in rows for k in r)]:
            if key not in keys and any(key in r for r in rows):
                keys.append(key)
        cells = tuple(tuple(self.value(k, r[k], self._sub_hint(k, hints), props.get(k) or {})
                            if k in r else _text("") for k in keys) for r in rows)
        return DataValue("table", columns=tuple(self._sub_label(k, hints.get(k)) for k in keys), cells=cells)

    def _sub_hint(self, key: str, hints: Mapping[str, Any]) -> Mapping[str, Any]:
        return hints.get(key) or self.hints.get(key) or self.column_hints.get(key) or {}

    def _sub_label(self, key: str, hint: Mapping[str, Any] | None) -> str:
        return self.label(key, hint) if hint and hint.get("label") else self.label(key)

    def _local(self, text: str) -> str:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text
        if moment.tzinfo is None:
            return moment.strftime("%Y-%m-%d %H:%M")
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")


def humanise(key: str) -> str:
    """A key no definition labels, made readable: 'review_notes' → 'Review notes'."""
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key


def looks_internal(text: str) -> bool:
    """Whether `text` contains a snake_case identifier (for tests of what pages show)."""
    return bool(_SNAKE.search(text))


def _text(text: str) -> DataValue:
    return DataValue("text", text=text)
