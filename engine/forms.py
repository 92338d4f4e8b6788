"""Form definitions (JSON Schema + UI hints, written in YAML) and server-side validation."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import jsonschema
import yaml

from engine.confidential import check_confidential
from engine.errors import FieldError, FormInvalid, Problem

WIDGETS = {
    "text", "textarea", "number", "integer", "date", "datetime",
    "select", "radio", "multiselect", "checkbox", "yesno", "table",
}
_FORMATS = jsonschema.FormatChecker(formats=())


@_FORMATS.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value))


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None and len(value) <= 10:
        raise ValueError("not a date-time")
    return True


@dataclass(frozen=True)
class FormDefinition:
    """One user-task or start form: what it accepts (`schema`) and how it is shown (`ui`)."""

    key: str
    title: dict[str, str]
    schema: dict[str, Any]
    ui: dict[str, Any] = field(default_factory=dict)

    @property
    def field_names(self) -> list[str]:
        order = self.ui.get("order") or []
        rest = [name for name in self.schema.get("properties", {}) if name not in order]
        return [*order, *rest]

    def label(self, name: str, lang: str = "en") -> str:
        labels = self.ui.get("fields", {}).get(name, {}).get("label", {})
        return labels.get(lang) or labels.get("en") or name

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "schema": self.schema, "ui": self.ui}

    def validate(self, data: Any) -> dict[str, Any]:
        """Check `data` against the schema; return it unchanged if valid.

        Raises:
            FormInvalid: listing every failing field.
        """
        if not isinstance(data, dict):
            raise FormInvalid(self.key, [FieldError("(form)", "the submission must be a JSON object", "type")])
        validator = jsonschema.Draft202012Validator(self.schema, format_checker=_FORMATS)
        errors = [_field_error(err) for err in validator.iter_errors(data)]
        if errors:
            errors.sort(key=lambda e: (self._position(e.field), e.field))
            raise FormInvalid(self.key, _dedupe(errors))
        return data

    def _position(self, field_path: str) -> int:
        names = self.field_names
        head = field_path.split(".")[0].split("[")[0]
        return names.index(head) if head in names else len(names)


def _dedupe(errors: list[FieldError]) -> list[FieldError]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for err in errors:
        if (err.field, err.message) not in seen:
            seen.add((err.field, err.message))
            unique.append(err)
    return unique


def _field_error(err: jsonschema.ValidationError) -> FieldError:
    path = _path_text(list(err.absolute_path))
    params: dict[str, Any] = {}
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        path = _path_text([*err.absolute_path, missing])
        return FieldError(path, "is required", "required")
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return FieldError(_path_text([*err.absolute_path, extra[0]]) if extra else path or "(form)",
                          "is not a field of this form", "unknown")
    if err.validator in {"minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems",
                         "exclusiveMinimum", "exclusiveMaximum", "pattern", "enum", "type", "format"}:
        params = {"limit": err.validator_value}
    return FieldError(path or "(form)", _message(err), str(err.validator), params)


def _path_text(parts: list) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(err: jsonschema.ValidationError) -> str:
    limit, validator = err.validator_value, str(err.validator)
    templates = {
        "minLength": "must not be empty" if limit == 1 else "must be at least {} characters",
        "maxLength": "must be at most {} characters",
        "minimum": "must be at least {}",
        "maximum": "must be at most {}",
        "exclusiveMinimum": "must be greater than {}",
        "exclusiveMaximum": "must be less than {}",
        "minItems": "needs at least {} row(s)",
        "maxItems": "allows at most {} row(s)",
        "type": "must be of type {}",
        "format": "must be a valid {}",
        "pattern": "has the wrong format",
    }
    if validator == "enum":
        return "must be one of: " + ", ".join(map(str, limit))
    if validator in templates:
        return templates[validator].format(limit)
    return err.message


def parse_form(text: str, file: str) -> FormDefinition:
    """Parse and check one form definition file.

    Raises:
        DefinitionInvalid-compatible problems are returned through `check_form`; this raises
        ValueError only when the YAML cannot be read at all.
    """
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict):
        raise ValueError(f"{file}: a form definition must be a YAML mapping")
    schema = copy.deepcopy(doc.get("schema") or {})
    schema.setdefault("type", "object")
    schema.setdefault("additionalProperties", False)
    return FormDefinition(
        key=str(doc.get("key", "")),
        title=dict(doc.get("title") or {}),
        schema=schema,
        ui=dict(doc.get("ui") or {}),
    )


def check_form(form: FormDefinition, file: str) -> list[Problem]:
    """List what is wrong with a form definition (empty when it is sound)."""
    problems = []
    if not form.key:
        problems.append(Problem(file, "the form has no key"))
    if not form.title.get("zh") or not form.title.get("en"):
        problems.append(Problem(file, "the form needs a title in zh and en"))
    try:
        jsonschema.Draft202012Validator.check_schema(form.schema)
    except jsonschema.SchemaError as err:
        problems.append(Problem(file, f"the schema is not valid JSON Schema: {err.message}"))
        return problems
    properties = form.schema.get("properties", {})
    fields = form.ui.get("fields", {})
    for name in form.ui.get("order") or []:
        if name not in properties:
            problems.append(Problem(file, f"ui.order names {name!r}, which is not a property", name))
    for name in properties:
        label = fields.get(name, {}).get("label", {})
        if not label.get("zh") or not label.get("en"):
            problems.append(Problem(file, f"field {name!r} needs a label in zh and en", name))
        widget = fields.get(name, {}).get("widget")
        if widget and widget not in WIDGETS:
            problems.append(Problem(file, f"field {name!r} has unknown widget {widget!r}", name))
    return problems + check_confidential(form.ui, file)
