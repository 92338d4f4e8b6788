"""Values a person might type into a form, generated from its published JSON Schema.

Walkers use this instead of hand-picked data, so that every form is filled the way its schema
allows — required fields always, optional ones only sometimes (people leave them empty) — and
every enum value, boolean and loop-back choice is taken on some seed. Strings that must match
a `pattern` come from `rstr` (a well-kept regex-to-string generator).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

import jsonschema
import rstr

Pick = Callable[[str, dict[str, Any]], Any]   # (field name, property schema) -> value, or None to generate
# A small file of each kind an attachment field may accept (the first one it allows is attached).
SAMPLE_FILES = {"application/pdf": ("证据.pdf", b"%PDF-1.4\n% zhidu walker\n"),
                "image/png": ("照片.png", b"\x89PNG\r\n\x1a\n walker"),
                "text/plain": ("说明.txt", "走查附件 walker attachment\n".encode()),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document":
                    ("报告.docx", b"PK\x03\x04 walker docx")}

WORDS = ("客户", "核实", "方案", "跟进", "数据", "复盘", "需求", "预算", "进度", "反馈", "review", "plan")
BASE_DAY = date(2026, 12, 1)


class SchemaValues:
    """Generates one form's data from its schema with a seeded random source.

    Args:
        seed: makes the run repeatable; different seeds take different branches.
        optional_rate: how often an optional field is filled (0 leaves every optional one empty).
        pick: answers for fields the schema alone cannot fill (e.g. a user picker's usernames).
        files: where attachments are stored (an engine's `files`); without it an attachment's
            reference names a file that is stored nowhere (enough for a form's own checks).
    """

    def __init__(self, seed: int, optional_rate: float = 0.5, pick: Pick | None = None, files: Any = None):
        self.rng = random.Random(seed)
        self.regex = rstr.Rstr(self.rng)
        self.optional_rate = optional_rate
        self.pick = pick or (lambda name, schema: None)
        self.files = files

    def form(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Data for a whole form (an object schema), valid against it — including its
        `x-distinct` groups (fields that must name different people)."""
        data = self.object(schema)
        for group in schema.get("x-distinct") or []:
            self._distinct(schema, data, group)
        return data

    def _distinct(self, schema: dict[str, Any], data: dict[str, Any], group: list[str]) -> None:
        seen: set[Any] = set()
        for spec in group:
            field, _, column = spec.partition("[].")
            prop = schema["properties"][field]
            holders = [data] if not column else [row for row in data.get(field) or [] if isinstance(row, dict)]
            key, inner = (field, prop) if not column else (column, prop["items"]["properties"][column])
            for holder in holders:
                for _ in range(50):
                    if holder.get(key) is None or holder[key] not in seen:
                        break
                    holder[key] = self.value(key, inner)
                else:
                    raise AssertionError(f"could not find distinct values for {group}")
                seen.add(holder.get(key))

    def object(self, schema: dict[str, Any]) -> dict[str, Any]:
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        result: dict[str, Any] = {}
        for name, prop in properties.items():
            if name in required or self.rng.random() < self.optional_rate:
                result[name] = self.value(name, prop)
        return self._conditional(schema, result)

    def _conditional(self, schema: dict[str, Any], result: dict[str, Any]) -> dict[str, Any]:
        """Fill what an `if`/`then`/`else` adds to the schema for the values chosen so far."""
        if "if" not in schema:
            return result
        branch = schema.get("then") if jsonschema.Draft202012Validator(schema["if"]).is_valid(result) else schema.get("else")
        for name in (branch or {}).get("required", []):
            merged = {**schema.get("properties", {}).get(name, {}), **(branch.get("properties") or {}).get(name, {})}
            if name not in result or not jsonschema.Draft202012Validator(merged).is_valid(result[name]):
                result[name] = self.value(name, merged)
        return result

    def value(self, name: str, prop: dict[str, Any]) -> Any:
        """One value for the property `name` described by `prop`."""
        picked = self.pick(name, prop)
        if picked is not None:
            return picked
        if prop.get("format") == "attachment":
            return self.attachment(prop)
        if "const" in prop:
            return prop["const"]
        if "enum" in prop:
            return self.rng.choice(prop["enum"])
        kind = prop.get("type", "string")
        if isinstance(kind, list):
            kind = next(k for k in kind if k != "null")
        return getattr(self, f"_{kind}")(name, prop)

    def attachment(self, prop: dict[str, Any]) -> dict[str, Any]:
        """The reference of a small sample file the field accepts, stored in `files` if given."""
        from engine.files import sha256_of, type_allowed

        allowed = prop.get("x-media-types")
        kind = next((k for k in SAMPLE_FILES if type_allowed(k, allowed)), None)
        if kind is None:
            raise AssertionError(f"no sample file of a type in {allowed}")
        name, content = SAMPLE_FILES[kind]
        digest = self.files.put(content) if self.files is not None else sha256_of(content)
        return {"sha256": digest, "name": name, "size": len(content), "type": kind}

    def _boolean(self, name: str, prop: dict[str, Any]) -> bool:
        return self.rng.random() < 0.5

    def _integer(self, name: str, prop: dict[str, Any]) -> int:
        low, high = self._bounds(prop, 0, 100)
        return self.rng.randint(int(-(-low // 1)), int(high // 1))

    def _number(self, name: str, prop: dict[str, Any]) -> float:
        low, high = self._bounds(prop, 0, 1000)
        return round(self.rng.uniform(low, high), 2)

    def _bounds(self, prop: dict[str, Any], low: float, high: float) -> tuple[float, float]:
        low = prop.get("minimum", low)
        if "exclusiveMinimum" in prop:
            low = prop["exclusiveMinimum"] + 1
        high = prop.get("maximum", max(high, low + high))
        if "exclusiveMaximum" in prop:
            high = prop["exclusiveMaximum"] - 1
        return low, max(low, high)

    def _string(self, name: str, prop: dict[str, Any]) -> str:
        shape = prop.get("format")
        if shape == "date":
            return (BASE_DAY + timedelta(days=self.rng.randint(0, 60))).isoformat()
        if shape == "date-time":
            moment = datetime(2026, 12, 1, tzinfo=timezone.utc) + timedelta(minutes=self.rng.randint(0, 90_000))
            return moment.isoformat().replace("+00:00", "Z")
        if shape == "email":
            return f"person{self.rng.randint(1, 999)}@example.com"
        if "pattern" in prop:
            return self._matching(prop)
        low, high = max(1, prop.get("minLength", 1)), min(prop.get("maxLength", 60), 60)
        text = "".join(self.rng.choice(WORDS) for _ in range(3))
        while len(text) < low:
            text += self.rng.choice(WORDS)
        return text[:max(low, high)]

    def _matching(self, prop: dict[str, Any]) -> str:
        low, high = prop.get("minLength", 0), prop.get("maxLength", 10_000)
        for _ in range(50):
            text = self.regex.xeger(prop["pattern"]).strip()
            if low <= len(text) <= high and jsonschema.Draft202012Validator(prop).is_valid(text):
                return text
        raise AssertionError(f"could not generate a value for pattern {prop['pattern']!r}")

    def _array(self, name: str, prop: dict[str, Any]) -> list[Any]:
        items = prop.get("items", {"type": "string"})
        low = prop.get("minItems", 0)
        high = max(low, min(prop.get("maxItems", 3), 3))
        if "enum" in items:
            choices = list(items["enum"])
            count = self.rng.randint(max(low, 1 if low else 0), min(high, len(choices)) or 0)
            return sorted(self.rng.sample(choices, count), key=choices.index)
        count = self.rng.randint(max(low, 1), max(high, 1))
        if items.get("type") == "object":
            return [self.object(items) for _ in range(count)]
        values = [self.value(name, items) for _ in range(count)]
        if prop.get("uniqueItems"):
            values = list(dict.fromkeys(values))  # a person ticks each box once
        return values

    def _object(self, name: str, prop: dict[str, Any]) -> dict[str, Any]:
        return self.object(prop)
