"""Server-side validation of submitted form data against a form's JSON Schema.

Three things differ from plain `jsonschema`, each because the input is hostile or careless:
- `pattern` runs on RE2 (linear time): owners write patterns and any employee supplies the
  text, so a backtracking pattern such as `^(a+)+$` must not let one submission hold a worker.
- Values no person means are refused everywhere in the data, whatever the schema says:
  NaN and infinities (they pass number limits and break JSON output), NUL characters, and text
  of only spaces (counted as empty, so a required field reports "is required").
- `format: user` (optionally with `x-role`) names a person: the value must be the username of
  an active user (with that role), checked against the organisation at submission time.
- `format: attachment` holds a file's reference (engine/files.py): the file must be stored
  under its hash, unaltered, within the field's `maxSize` and of one of its `x-media-types`.
"""

from __future__ import annotations

import math
import re
from contextvars import ContextVar
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Iterator, Mapping, Protocol, Sequence

import jsonschema
import re2
from jsonschema import ValidationError

from engine.errors import FieldError
from engine.definitions.form_distinct import distinct_errors
from engine.files import ATTACHMENT_FORMAT, FileStore, is_reference, reference_problem

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
USER_FORMAT = "user"
ROLE_KEYWORD = "x-role"


class Person(Protocol):
    roles: Sequence[str]
    active: bool


class People(Protocol):
    """Where user fields are checked: anything with `get(username)` (a user repository, a dict)."""

    def get(self, username: str) -> Person | None: ...


def is_date(text: str) -> bool:
    """A calendar day written YYYY-MM-DD, nothing else (no 20240101, no week dates)."""
    if not _DATE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_date_time(text: str) -> bool:
    """An RFC 3339 date-time: a day, a time with seconds, and a zone (Z or an offset)."""
    match = _DATE_TIME.fullmatch(text)
    if not match or not is_date(match.group(1)):
        return False
    try:
        datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00").replace("t", "T"))
    except ValueError:
        return False
    return True


_FORMATS = jsonschema.FormatChecker(formats=())
_FORMATS.checks("date")(lambda value: not isinstance(value, str) or is_date(value))
_FORMATS.checks("date-time")(lambda value: not isinstance(value, str) or is_date_time(value))


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The RE2 program for a schema `pattern`.

    Raises:
        ValueError: RE2 cannot run the pattern (e.g. it uses backreferences or lookaround).
    """
    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as err:
        message = err.args[0].decode() if err.args and isinstance(err.args[0], bytes) else str(err)
        raise ValueError(f"the pattern {pattern!r} cannot be used: {message}") from err


def _pattern(validator: Any, pattern: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    if not isinstance(instance, str):
        return
    try:
        matches = compile_pattern(pattern).search(instance) is not None
    except ValueError as err:
        yield ValidationError(str(err))
        return
    if not matches:
        yield ValidationError(f"does not match {pattern!r}")


# Who and what a submission is checked against: set for the length of one `schema_errors` call,
# so the validator class and each schema's validator are built once per process, not per submission.
_PEOPLE: ContextVar[People | None] = ContextVar("form_people", default=None)
_FILES: ContextVar[FileStore | None] = ContextVar("form_files", default=None)
_PLAIN_FORMAT = jsonschema.Draft202012Validator.VALIDATORS["format"]


def _format(validator: Any, shape: str, instance: Any, schema: Mapping[str, Any]) -> Iterator[ValidationError]:
    """`format`, with attachments checked against the files and user fields against the people."""
    if shape == ATTACHMENT_FORMAT:
        files = _FILES.get()
        problem = reference_problem(files, schema, instance) if is_reference(instance) else None
        if problem:
            yield ValidationError(problem[1], validator=problem[0], validator_value=problem[2])
        return
    if shape != USER_FORMAT:
        yield from _PLAIN_FORMAT(validator, shape, instance, schema)
        return
    people = _PEOPLE.get()
    if not isinstance(instance, str) or people is None:
        return
    person = people.get(instance)
    if person is None or not person.active:
        yield ValidationError(f"{instance!r} is not an active user", validator="user", validator_value=instance)
        return
    wanted = schema.get(ROLE_KEYWORD)
    roles = [wanted] if isinstance(wanted, str) else list(wanted or [])
    if roles and not set(roles) & set(person.roles):
        yield ValidationError(f"{instance!r} does not have the role {', '.join(roles)}", validator="role",
                              validator_value=", ".join(roles))


# Draft 2020-12 with RE2 patterns and zhidu's formats.
_VALIDATOR = jsonschema.validators.extend(jsonschema.Draft202012Validator, {"pattern": _pattern, "format": _format})
_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}  # id(schema) -> (schema, its validator)
_VALIDATORS_KEPT = 512


def _validator_for(schema: Mapping[str, Any]) -> Any:
    """The validator of `schema`, built on first use (schemas of compiled versions never change;
    the schema is kept beside its validator so its id cannot be reused while cached)."""
    found = _VALIDATORS.get(id(schema))
    if found is not None and found[0] is schema:
        return found[1]
    if len(_VALIDATORS) >= _VALIDATORS_KEPT:
        _VALIDATORS.clear()
    validator = _VALIDATOR(schema, format_checker=_FORMATS)
    _VALIDATORS[id(schema)] = (schema, validator)
    return validator


def schema_errors(schema: Mapping[str, Any], data: Any, people: People | None,
                  files: FileStore | None = None) -> list[ValidationError]:
    """Every way `data` breaks `schema` (with zhidu's patterns, formats, user fields and files)."""
    people_token, files_token = _PEOPLE.set(people), _FILES.set(files)
    try:
        return list(_validator_for(schema).iter_errors(data))
    finally:
        _PEOPLE.reset(people_token)
        _FILES.reset(files_token)


def content_errors(schema: Mapping[str, Any], data: Any, path: str = "") -> list[FieldError]:
    """Values refused whatever the schema says: non-finite numbers, NUL characters, blank text.

    Text of only spaces reports "is required" where the schema requires the field, so it
    counts as empty there.
    """
    if isinstance(data, float) and not math.isfinite(data):
        return [FieldError(path or "(form)", "must be a finite number", "finite")]
    if isinstance(data, str):
        if "\x00" in data:
            return [FieldError(path or "(form)", "must not contain NUL characters", "nul")]
        return [FieldError(path or "(form)", "must not be blank", "blank")] if data and not data.strip() else []
    if isinstance(data, list):
        items = schema.get("items") if isinstance(schema.get("items"), Mapping) else {}
        return [e for i, value in enumerate(data) for e in content_errors(items, value, f"{path}[{i}]")]
    if not isinstance(data, Mapping):
        return []
    properties = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    errors = []
    for key, value in data.items():
        inner = f"{path}.{key}" if path else str(key)
        sub = properties.get(key)
        found = content_errors(sub if isinstance(sub, Mapping) else {}, value, inner)
        if key in required:
            found = [FieldError(e.field, "is required", "required") if e.code == "blank" and e.field == inner
                     else e for e in found]
        errors += found
    return errors


def form_errors(schema: Mapping[str, Any], data: Any, people: People | None = None,
                files: FileStore | None = None) -> list[FieldError]:
    """Every field error of `data`, one per field at most where the value itself is refused."""
    refused = content_errors(schema, data)
    taken = {e.field for e in refused}
    errors = [_field_error(err) for err in schema_errors(schema, data, people, files)]
    errors = refused + [e for e in errors if e.field not in taken]
    taken |= {e.field for e in errors}
    return errors + [e for e in distinct_errors(schema, data) if e.field not in taken]


def _field_error(err: ValidationError) -> FieldError:
    path = _path_text(list(err.absolute_path))
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else ""
        return FieldError(_path_text([*err.absolute_path, missing]), "is required", "required")
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return FieldError(_path_text([*err.absolute_path, extra[0]]) if extra else path or "(form)",
                          "is not a field of this form", "unknown")
    if err.validator == "const" and err.validator_value is True:
        return FieldError(path or "(form)", "must be confirmed", "confirm")
    if err.validator == "user":
        return FieldError(path or "(form)", "is not an active user", "user")
    if str(err.validator).startswith("file_"):
        return FieldError(path or "(form)", err.message, str(err.validator),
                          {} if err.validator_value is None else {"limit": err.validator_value})
    params: dict[str, Any] = {}
    if err.validator in _LIMITED:
        params = {"limit": err.validator_value}
    return FieldError(path or "(form)", _message(err), str(err.validator), params)


_LIMITED = {"minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems", "exclusiveMinimum",
            "exclusiveMaximum", "pattern", "enum", "type", "format", "role", "const"}
_TEMPLATES = {
    "minLength": "must not be empty", "maxLength": "must be at most {} characters",
    "minimum": "must be at least {}", "maximum": "must be at most {}",
    "exclusiveMinimum": "must be greater than {}", "exclusiveMaximum": "must be less than {}",
    "minItems": "needs at least {} row(s)", "maxItems": "allows at most {} row(s)",
    "type": "must be of type {}", "format": "must be a valid {}", "pattern": "has the wrong format",
    "role": "must be a user with the role {}", "const": "must be {}",
}


def _path_text(parts: list) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _message(err: ValidationError) -> str:
    limit, validator = err.validator_value, str(err.validator)
    if validator == "minLength" and limit != 1:
        return f"must be at least {limit} characters"
    if validator == "enum":
        return "must be one of: " + ", ".join(map(str, limit))
    if validator in _TEMPLATES:
        return _TEMPLATES[validator].format(limit)
    return err.message
