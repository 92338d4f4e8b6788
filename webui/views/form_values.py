"""Form values between the browser and the engine: submitted strings turned into the types of
the form's JSON Schema, and stored data turned back into what the inputs show (pre-fill)."""

from __future__ import annotations

import json
import re
from typing import Any, Iterable, Mapping

from engine.audit.confidential import is_marker
from engine.definitions.form_widgets import kind_of
from engine.files import Upload, is_reference, max_size
from engine.views import FormView


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
    if prop.get("format") == "date-time" and re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text):
        return text + ":00Z"  # a datetime-local input without seconds or zone (shown in UTC)
    return raw


def _last(submitted: Any, key: str) -> str:
    """The value a checkbox sent over its hidden 'false' (the last one of the name)."""
    values = submitted.getlist(key)
    return values[-1] if values else ""


def _cell(submitted: Any, key: str, prop: Mapping[str, Any]) -> Any:
    if kind_of(prop) in ("choices", "users"):
        return [v for v in submitted.getlist(key) if v != ""]
    return _last(submitted, key)


def _blank(value: Any, prop: Mapping[str, Any]) -> bool:
    """An input left as it was drawn: empty, or an unticked checkbox's hidden 'false'."""
    if isinstance(value, list):
        return not value
    return not value.strip() or (kind_of(prop) == "boolean" and value == "false")


def read_submission(form: FormView, submitted: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(data for the engine, values to re-render) from a request's form (a MultiDict).

    Empty inputs are left out, so a required field reports 'required'; empty table rows are
    dropped and the rest renumbered, so error paths and re-rendered rows agree.
    """
    data: dict[str, Any] = {}
    shown: dict[str, Any] = {}
    for name, prop in form.schema.get("properties", {}).items():
        kind = kind_of(prop)
        if kind == "attachment":  # the file kept from before (a hidden input); uploads: read_uploads
            kept = _kept_reference(submitted.getlist(name))
            shown[name] = kept or ""
            if kept:
                data[name] = kept
        elif kind == "table":
            cols = (prop.get("items") or {}).get("properties", {})
            rows = [{col: _cell(submitted, key, cols.get(col, {})) for col, key in row.items()}
                    for row in _table_rows(name, submitted.keys())]
            rows = [r for r in rows if not all(_blank(v, cols.get(c, {})) for c, v in r.items())]
            shown[name] = rows
            if rows:
                data[name] = [{c: _typed(cols.get(c, {}), v) for c, v in r.items() if _filled(v)} for r in rows]
        elif kind in ("choices", "users") or prop.get("type") == "array":
            chosen = [v for v in submitted.getlist(name) if v != ""]
            shown[name] = chosen
            if chosen:
                data[name] = _typed(prop, chosen)
        else:
            raw = _last(submitted, name)
            shown[name] = raw
            if raw.strip():
                data[name] = convert(prop, raw)
    return data, shown


def _kept_reference(values: list[str]) -> dict[str, Any] | None:
    """The file reference a form carried over (JSON in a hidden input), if any."""
    for text in reversed(values):
        try:
            value = json.loads(text) if isinstance(text, str) and text.startswith("{") else None
        except ValueError:
            continue
        if is_reference(value):
            return value
    return None


def read_uploads(form: FormView, files: Any) -> list[Upload]:
    """The files sent for the form's attachment fields (a request's `files`); each read to at
    most one byte over its field's limit, which is enough to refuse it."""
    uploads = []
    for name, prop in form.schema.get("properties", {}).items():
        sent = files.get(name) if kind_of(prop) == "attachment" else None
        if sent is not None and sent.filename:
            uploads.append(Upload(name, sent.filename, sent.stream.read(max_size(prop) + 1), sent.mimetype or ""))
    return uploads


def upload_limit(form: FormView | None) -> int:
    """The most a form's attachments may add to a request: their limits summed."""
    properties = form.schema.get("properties", {}) if form else {}
    return sum(max_size(prop) for prop in properties.values() if kind_of(prop) == "attachment")


def _filled(value: Any) -> bool:
    return bool(value) if isinstance(value, list) else bool(value.strip())


def _typed(prop: Mapping[str, Any], value: Any) -> Any:
    if isinstance(value, list):
        return [convert(prop.get("items") or {}, v) for v in value]
    return convert(prop, value)


def _table_rows(name: str, keys: Iterable[str]) -> list[dict[str, str]]:
    pattern = re.compile(rf"^{re.escape(name)}\[(\d+)\]\.(\w+)$")
    rows: dict[int, dict[str, str]] = {}
    for key in keys:
        match = pattern.match(key)
        if match:
            rows.setdefault(int(match.group(1)), {})[match.group(2)] = key
    return [rows[i] for i in sorted(rows)]


def prefill(form: FormView, data: Mapping[str, Any]) -> dict[str, Any]:
    """What the inputs of `form` show for values already in the instance (a loop back to the
    form shows the previous round's answers); values hidden from this reader are left out."""
    values: dict[str, Any] = {}
    for name, prop in form.schema.get("properties", {}).items():
        if name in data and not is_marker(data[name]):
            values[name] = as_input(prop, data[name])
    return values


def as_input(prop: Mapping[str, Any], value: Any) -> Any:
    """A typed value as the strings an input holds (rows stay rows, lists stay lists)."""
    if value is None or is_marker(value):
        return ""
    if is_reference(value):
        return dict(value)  # the file already attached, kept unless another is uploaded
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        items = prop.get("items") if isinstance(prop.get("items"), Mapping) else {}
        if kind_of(prop) == "table":
            cols = items.get("properties") or {}
            return [{c: as_input(cols.get(c, {}), v) for c, v in row.items()} for row in value if isinstance(row, dict)]
        return [as_input(items, v) for v in value]
    if isinstance(value, (dict, list)):
        return ""
    return str(value)
