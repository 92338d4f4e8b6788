"""`x-distinct`: fields of one form that must name different things (people, mostly).

A schema cannot say "no peer may be the employee appraised", so the form says it:

    x-distinct:
      - [employee, supervisor, "peer_rows[].username"]

Each group lists field paths (`rows[].column` means that column in every row); a value met a
second time in a group is refused at the later field. Without it the appraisal took the
employee as their own only peer and failed later, in a script, as an incident.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from engine.errors import FieldError, Problem

KEYWORD = "x-distinct"


def distinct_errors(schema: Mapping[str, Any], data: Any) -> list[FieldError]:
    """A field error for each value already named earlier in its `x-distinct` group."""
    if not isinstance(data, Mapping):
        return []
    errors = []
    for group in schema.get(KEYWORD) or []:
        seen: set[Any] = set()
        for path, value in (pair for spec in group for pair in _values(data, spec)):
            if value in (None, ""):
                continue
            if value in seen:
                errors.append(FieldError(path, "names someone already named in this form", "distinct"))
            seen.add(value)
    return errors


def distinct_problems(schema: Mapping[str, Any], file: str) -> list[Problem]:
    """What is wrong with the form's `x-distinct` groups: a field the form does not have."""
    groups = schema.get(KEYWORD) or []
    if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
        return [Problem(file, f"{KEYWORD} must be a list of lists of field names")]
    properties = schema.get("properties") or {}
    problems = []
    for spec in (str(s) for group in groups for s in group):
        field, _, column = spec.partition("[].")
        prop = properties.get(field)
        if prop is None or (column and column not in ((prop.get("items") or {}).get("properties") or {})):
            problems.append(Problem(file, f"{KEYWORD} names {spec!r}, which is not a field of the form", field))
    return problems


def _values(data: Mapping[str, Any], spec: str) -> Iterator[tuple[str, Any]]:
    field, _, column = spec.partition("[].")
    value = data.get(field)
    if not column:
        yield field, value
    elif isinstance(value, list):
        for index, row in enumerate(value):
            if isinstance(row, Mapping):
                yield f"{field}[{index}].{column}", row.get(column)
