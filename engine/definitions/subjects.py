"""What a task is about, in one line: the subject each procedure declares in its catalog entry.

A catalog entry may declare ``subject: {zh: "{customer_name} · {category}", en: ...}``; the
placeholders name process data. When a task is created its subject is formatted in both
languages from the instance data and the task's own context (options by their labels, yes/no,
people by name) and stored on the task row, so inboxes show and search it without loading any
instance. A task of a multi-instance step adds whom or what it is for ("— 赵磊"): the value of
the step's item variable (its `inputDataItem`), taken from the task's context.
"""

from __future__ import annotations

import functools
import string
from typing import Any, Callable, Iterable, Mapping

import yaml
from lxml import etree

from engine.errors import Problem
from engine.definitions.form_yaml import load_definition
from engine.definitions.namespaces import BPMN_NS

LANGUAGES = ("zh", "en")
_YES_NO = {"zh": ("是", "否"), "en": ("Yes", "No")}
_SEPARATOR = {"zh": "，", "en": ", "}
MAX_LENGTH = 200


def placeholders(template: str) -> list[str]:
    """The field names a template uses. Raises ValueError for a malformed template."""
    names = []
    for _text, name, spec, conversion in string.Formatter().parse(template):
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ValueError(f"placeholder {{{name}}} must be a plain field name")
        names.append(name)
    return names


def subject_problems(where: str, key: str, subject: Mapping[str, Any], known: Iterable[str]) -> list[Problem]:
    """Problems of procedure `key`'s subject: both languages, well formed, fields that exist."""
    if not subject:
        return []
    known = set(known)
    problems = []
    for lang in LANGUAGES:
        template = subject.get(lang)
        if not isinstance(template, str) or not template.strip():
            problems.append(Problem(where, f"{key}: subject needs a {lang} template"))
            continue
        try:
            unknown = [n for n in placeholders(template) if n not in known]
        except ValueError as err:
            problems.append(Problem(where, f"{key}: subject ({lang}) is malformed: {err}"))
            continue
        problems += [Problem(where, f"{key}: subject ({lang}) names {{{n}}}, which no form of the procedure has")
                     for n in unknown]
    return problems


def form_fields(files: Mapping[str, str]) -> set[str]:
    """Every property name the form files of a bundle declare (top-level)."""
    names: set[str] = {"started_by"}
    for name, text in files.items():
        if name.startswith("forms/"):
            try:
                form = load_definition(text) or {}
            except yaml.YAMLError:
                continue
            if not isinstance(form, dict):
                continue
            names |= set(((form.get("schema") or {}).get("properties") or {}))
    return names


def item_variables(bpmn: str) -> tuple[str, ...]:
    """The names of the multi-instance item variables of a BPMN document, outermost first."""
    try:
        root = etree.fromstring(bpmn.encode())
    except etree.XMLSyntaxError:
        return ()
    return tuple(el.get("name") or el.get("id") for el in root.iter(f"{{{BPMN_NS}}}inputDataItem")
                 if el.get("name") or el.get("id"))


class SubjectFormatter:
    """Formats one version's subject for its tasks.

    Args:
        subject: the catalog's {zh, en} templates (empty: no subject).
        hints: field name → form ui hint (label, options), from the version's forms.
        items: the version's multi-instance item variables (see `item_variables`).
        name_of: username → display name (None for someone unknown).
    """

    def __init__(self, subject: Mapping[str, str], hints: Mapping[str, Mapping[str, Any]],
                 items: Iterable[str], name_of: Callable[[str], str | None]):
        self.subject, self.hints, self.items, self.name_of = dict(subject or {}), hints, tuple(items), name_of

    def format(self, data: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, str] | None:
        """{zh, en} subject of a task (None when there is nothing to say); missing fields are empty."""
        values = {**data, **context}
        item = next((k for k in reversed(self.items) if k in context), None)
        result = {}
        for lang in LANGUAGES:
            text = self._fill(self.subject.get(lang) or "", values, lang)
            if item is not None:
                about = self.text(item, context[item], lang)
                text = f"{text} — {about}" if text else about
            result[lang] = text[:MAX_LENGTH]
        return result if any(result.values()) else None

    def _fill(self, template: str, values: Mapping[str, Any], lang: str) -> str:
        try:
            names = placeholders(template)
        except ValueError:
            return ""
        filled = template.format_map({n: self.text(n, values.get(n), lang) for n in names})
        words: list[str] = []
        for word in filled.split():  # a missing field leaves no dangling or doubled separator
            if not _is_separator(word) or (words and not _is_separator(words[-1])):
                words.append(word)
        while words and _is_separator(words[-1]):
            words.pop()
        return " ".join(words)

    def text(self, key: str, value: Any, lang: str) -> str:
        """One value as words: option label, yes/no, a person's name, a list joined."""
        hint = self.hints.get(key) or {}
        if value is None:
            return ""
        if isinstance(value, bool):
            return _YES_NO[lang][0 if value else 1]
        if isinstance(value, (list, tuple)):
            return _SEPARATOR[lang].join(filter(None, (self.text(key, v, lang) for v in value)))
        if isinstance(value, Mapping):
            return " ".join(filter(None, (self.text(k, v, lang) for k, v in value.items()
                                          if isinstance(v, (str, int, float)) and not isinstance(v, bool))))
        options = hint.get("options") or {}
        if isinstance(value, str) and value in options:
            label = options[value]
            return (label.get(lang) or label.get("en") or value) if isinstance(label, Mapping) else str(label)
        if isinstance(value, str):
            return self.name_of(value) or value
        return str(value)


def _is_separator(word: str) -> bool:
    return not word.strip("·-—|/,，;；:：")


def formatter_for(compiled: Any, user_of: Callable[[str], Any]) -> SubjectFormatter:
    """The subject formatter of a compiled version; `user_of(username)` gives a user record
    (with `.name`) or None."""
    entry = compiled.bundle.entry

    def name_of(username: str) -> str | None:
        # usernames are ASCII names (engine/commands/people.py): a customer's name is not looked up
        user = user_of(username) if username.isascii() and username.isidentifier() else None
        return user.name if user is not None else None

    return SubjectFormatter(entry.subject, _hints(compiled), _items(compiled.bundle.files.get(entry.bpmn, "")), name_of)


_HINTS: dict[str, dict[str, Mapping[str, Any]]] = {}  # by version hash: versions never change


def _hints(compiled: Any) -> dict[str, Mapping[str, Any]]:
    """Each field's UI hint: the first form that shows it, else the catalog's data fields."""
    found = _HINTS.get(compiled.content_hash)
    if found is None:
        found = {}
        for form in (compiled.start_form, *compiled.forms.values()):
            for name, hint in ((form.ui.get("fields") or {}) if form is not None else {}).items():
                found.setdefault(name, hint)
        for name, hint in compiled.bundle.entry.data_fields.items():
            found.setdefault(name, hint)
        _HINTS[compiled.content_hash] = found
    return found


@functools.lru_cache(maxsize=64)
def _items(bpmn: str) -> tuple[str, ...]:
    return item_variables(bpmn)
