"""Confidential form fields (R7.1.1): values hidden from roles without clearance.

A form marks a field in its UI hints::

    ui:
      fields:
        contact:
          confidential: {clearance: [customer-service-staff, director]}   # or one role

The rules hold per process version (every form of it: a field name means the same data key in
the whole instance). Values are redacted when they are *presented* — instance data, history
entries, the CLI with ``--as`` — never in what is stored, so the journal's hash chain and
replay are untouched. Auditors see that a value exists and its SHA-256 over the canonical JSON
of the value, which they can check against an export bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping

from engine.errors import Problem
from engine.journal import JournalEntry, fingerprint, is_marker

__all__ = ["HASH_ROLES", "Redactor", "check_confidential", "clearance_of", "fingerprint", "is_marker", "rules_of"]

# Roles that see the hash of a value they are not cleared to read.
HASH_ROLES = frozenset({"auditor"})
# Journal payload keys holding submitted data, and those holding {key: {before, after}} changes.
_DATA_KEYS = ("data",)
_CHANGE_KEYS = ("changes",)


def clearance_of(hints: Mapping[str, Any]) -> frozenset[str] | None:
    """The roles cleared to read a field with these UI hints; None if it is not confidential."""
    marked = hints.get("confidential")
    if not marked:
        return None
    roles = marked.get("clearance") if isinstance(marked, dict) else marked
    if isinstance(roles, str):
        roles = [roles]
    return frozenset(str(r) for r in roles or ())


def check_confidential(ui: Mapping[str, Any], file: str) -> list[Problem]:
    """Problems with the `confidential` hints of one form (a clearance must name roles)."""
    problems = []
    for name, hints in (ui.get("fields") or {}).items():
        if isinstance(hints, dict) and hints.get("confidential") and not clearance_of(hints):
            problems.append(Problem(file, f"field {name!r} is confidential but names no clearance role", name))
    return problems


def rules_of(forms: Iterable[Any]) -> dict[str, frozenset[str]]:
    """Field name → roles cleared to read it, over the forms of one version (a field marked in
    several forms needs a role cleared in each, i.e. the intersection)."""
    rules: dict[str, frozenset[str]] = {}
    for form in forms:
        for name, hints in (form.ui.get("fields") or {}).items():
            roles = clearance_of(hints) if isinstance(hints, dict) else None
            if roles is not None:
                rules[name] = rules[name] & roles if name in rules else roles
    return rules


@dataclass(frozen=True)
class Redactor:
    """Redacts what one user may not read, by the rules of one version."""

    rules: Mapping[str, frozenset[str]]
    roles: frozenset[str]
    with_hash: bool = False

    @property
    def active(self) -> bool:
        return any(not (cleared & self.roles) for cleared in self.rules.values())

    def hidden(self, name: str) -> bool:
        return name in self.rules and not (self.rules[name] & self.roles)

    def marker(self, value: Any) -> dict[str, Any]:
        """What is shown in place of a value: that it exists, and to auditors its hash."""
        shown: dict[str, Any] = {"confidential": True}
        if self.with_hash or HASH_ROLES & self.roles:
            shown["sha256"] = fingerprint(value)
        return shown

    def data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        if not self.active:
            return dict(data)
        return {k: self.marker(v) if self.hidden(k) else v for k, v in data.items()}

    def entry(self, entry: JournalEntry) -> JournalEntry:
        """A journal entry with hidden values of its data and changes replaced by markers."""
        if not self.active:
            return entry
        payload = dict(entry.payload)
        for key in _DATA_KEYS:
            if isinstance(payload.get(key), dict):
                payload[key] = self.data(payload[key])
        for key in _CHANGE_KEYS:
            if isinstance(payload.get(key), dict):
                payload[key] = {name: ({side: None if v is None else self.marker(v) for side, v in change.items()}
                                       if self.hidden(name) and isinstance(change, dict) else change)
                                for name, change in payload[key].items()}
        return replace(entry, payload=payload)
