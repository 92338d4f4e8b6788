"""Form definitions (JSON Schema + UI hints, written in YAML) and server-side validation."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator, Mapping

import jsonschema

from engine.audit.confidential import check_confidential
from engine.errors import FieldError, FormInvalid, Problem
from engine.definitions.form_distinct import distinct_problems
from engine.definitions.form_validation import ROLE_KEYWORD, People, compile_pattern, form_errors
from engine.definitions.form_widgets import WIDGETS, widget_problem
from engine.definitions.form_yaml import load_definition
from engine.files import FileStore, attachment_problem, expand_attachment, is_attachment

__all__ = ["WIDGETS", "FormDefinition", "check_form", "parse_form"]


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

    def validate(self, data: Any, people: People | None = None, files: FileStore | None = None) -> dict[str, Any]:
        """Check `data` against the schema; return it unchanged if valid.

        Args:
            people: where user fields (`format: user`) are looked up; without it only their
                type and pattern are checked (the engine always passes its users).
            files: where attachments (`format: attachment`) must be stored, unaltered; without
                it only their reference's shape, size and type are checked.

        Raises:
            FormInvalid: listing every failing field.
        """
        if not isinstance(data, dict):
            raise FormInvalid(self.key, [FieldError("(form)", "the submission must be a JSON object", "type")])
        errors = form_errors(self.schema, data, people, files)
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


def parse_form(text: str, file: str) -> FormDefinition:
    """Parse one form definition file (aliases and anchors refused, see engine/definitions/form_yaml.py).

    Raises:
        yaml.YAMLError: the YAML cannot be read or is refused; ValueError: it is not a mapping.
        What is wrong inside a readable definition is listed by `check_form`.
    """
    doc = load_definition(text)
    if not isinstance(doc, dict):
        raise ValueError(f"{file}: a form definition must be a YAML mapping")
    schema = copy.deepcopy(doc.get("schema") or {})
    if not isinstance(schema, dict):
        raise ValueError(f"{file}: the schema must be a mapping")
    schema.setdefault("type", "object")
    schema.setdefault("additionalProperties", False)
    properties = schema.get("properties")
    if isinstance(properties, dict):  # an attachment holds a file's reference (engine/files.py)
        schema["properties"] = {name: expand_attachment(prop) if is_attachment(prop) else prop
                                for name, prop in properties.items()}
    return FormDefinition(
        key=str(doc.get("key", "")),
        title=dict(doc.get("title") or {}),
        schema=schema,
        ui=dict(doc.get("ui") or {}),
    )


@lru_cache(maxsize=1024)
def _schema_problem(schema_json: str) -> str | None:
    """Why a schema (as canonical JSON) is not valid JSON Schema; kept, as deploys check the same
    schemas again and the meta-schema check is the slowest part of loading a form."""
    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(schema_json))
    except jsonschema.SchemaError as err:
        return err.message
    return None


def check_form(form: FormDefinition, file: str) -> list[Problem]:
    """List what is wrong with a form definition (empty when it is sound)."""
    problems = []
    if not form.key:
        problems.append(Problem(file, "the form has no key"))
    if not form.title.get("zh") or not form.title.get("en"):
        problems.append(Problem(file, "the form needs a title in zh and en"))
    invalid = _schema_problem(json.dumps(form.schema, sort_keys=True, ensure_ascii=False, default=str))
    if invalid:
        problems.append(Problem(file, f"the schema is not valid JSON Schema: {invalid}"))
        return problems
    problems += [Problem(file, reason, name) for name, reason in _pattern_problems(form.schema)]
    properties = form.schema.get("properties", {})
    fields = form.ui.get("fields", {})
    for name in form.ui.get("order") or []:
        if name not in properties:
            problems.append(Problem(file, f"ui.order names {name!r}, which is not a property", name))
    for name, prop in properties.items():
        hint = fields.get(name) or {}
        label = hint.get("label") or {}
        if not label.get("zh") or not label.get("en"):
            problems.append(Problem(file, f"field {name!r} needs a label in zh and en", name))
        problems += [Problem(file, f"form {form.key}: {reason}", name) for reason in _widget_problems(name, prop, hint)]
    return problems + distinct_problems(form.schema, file) + check_confidential(form.ui, file)


def _widget_problems(name: str, prop: Any, hint: Mapping[str, Any]) -> list[str]:
    """Whether the field's widget (and each table column's) can carry its property."""
    if not isinstance(prop, Mapping):
        return [f"field {name!r}: the property must be a schema mapping"]
    problem = widget_problem(name, prop, hint.get("widget")) or (attachment_problem(name, prop)
                                                                 if is_attachment(prop) else None)
    if problem:
        return [problem]
    items = prop.get("items") if isinstance(prop.get("items"), Mapping) else {}
    if hint.get("widget", "table") != "table" or items.get("type") != "object":
        return []
    columns = hint.get("columns") or {}
    return [problem for column, sub in (items.get("properties") or {}).items()
            if (problem := (f"field {name}.{column!r}: a file can be attached to a form field, not to a table column"
                            if is_attachment(sub) else
                            widget_problem(f"{name}.{column}", sub, (columns.get(column) or {}).get("widget"))))]


def _pattern_problems(schema: Any, path: str = "") -> Iterator[tuple[str | None, str]]:
    """Patterns the linear-time engine cannot run, and malformed `x-role`s, with their field."""
    if isinstance(schema, Mapping):
        if isinstance(schema.get("pattern"), str):
            try:
                compile_pattern(schema["pattern"])
            except ValueError as err:
                yield path or None, f"field {path!r}: {err}" if path else str(err)
        role = schema.get(ROLE_KEYWORD)
        if role is not None and not (isinstance(role, str) or
                                     (isinstance(role, list) and all(isinstance(r, str) for r in role))):
            yield path or None, f"field {path!r}: {ROLE_KEYWORD} must be a role key or a list of them"
        for key, value in schema.items():
            if key == "properties" and isinstance(value, Mapping):
                for name, sub in value.items():
                    yield from _pattern_problems(sub, f"{path}.{name}" if path else str(name))
            elif key in ("items", "then", "else", "if", "not") or key.endswith("Of"):
                yield from _pattern_problems(value, path)
    elif isinstance(schema, list):
        for value in schema:
            yield from _pattern_problems(value, path)
