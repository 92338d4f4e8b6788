"""Confidential form fields (R7.1.1): values hidden from roles without clearance.

A form marks a field in its UI hints::

    ui:
      fields:
        contact:
          confidential: {clearance: [customer-service-staff, director]}   # or one role

The rules hold per process version (every form of it: a field name means the same data key in
the whole instance). Values are redacted when they are *presented* — instance data, history
entries, the CLI with ``--as`` — never in what is stored, so the journal's hash chain and
replay are untouched. Auditors see that a value exists and its fingerprint, which they can
compare with other fingerprints and check against an export bundle's hash chain.

A fingerprint must not give the value back: a plain SHA-256 of a phone number falls to trying
all 10^8 numbers of a prefix in a second. So a value's fingerprint is
``sha256(salt + ":" + value)`` with ``salt = HMAC-SHA256(installation key, value)`` (see
`Fingerprints`): equal values have equal fingerprints in one installation, and without the
key (which is kept outside the database) nothing can be tried. The journal stores each value's
salt beside it, so its chain verifies without the key; a redacted export drops the salts of the
values it hides.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Iterable, Mapping

from engine.errors import Problem
from engine.audit.journal import SALTS, JournalEntry, canonical, fingerprint, is_marker, sealed

__all__ = ["Fingerprints", "Redactor", "check_confidential", "clearance_of", "ephemeral_fingerprints",
           "fingerprint", "is_marker", "rules_of", "version_rules"]

# Roles that see the hash of a value they are not cleared to read.
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


def version_rules(compiled: Any) -> dict[str, frozenset[str]]:
    """`rules_of` the forms of one compiled version (its start form and its tasks' forms)."""
    return rules_of(f for f in (compiled.start_form, *compiled.forms.values()) if f is not None)


@dataclass(frozen=True)
class Fingerprints:
    """Keyed fingerprints of values, for one installation (its key never enters the database)."""

    key: bytes = field(repr=False)

    def salt(self, value: Any) -> str:
        """The value's salt: HMAC-SHA256 of its canonical JSON under the key (128 bits, hex)."""
        return hmac.new(self.key, canonical(value), hashlib.sha256).hexdigest()[:32]

    def of(self, value: Any) -> str:
        """The value's fingerprint, as the journal's chain commits to it."""
        return sealed(self.salt(value), value)


@lru_cache(maxsize=1)
def ephemeral_fingerprints() -> Fingerprints:
    """Fingerprints under a random key that lives as long as this process: for an engine built
    without a configured key (tests, tools); never the unkeyed hash."""
    return Fingerprints(secrets.token_bytes(32))


@dataclass(frozen=True)
class Redactor:
    """Redacts what one user may not read, by the rules of one version."""

    rules: Mapping[str, frozenset[str]]
    roles: frozenset[str]
    with_hash: bool = False
    fingerprints: Fingerprints | None = None  # None: markers carry no fingerprint

    @property
    def active(self) -> bool:
        return any(not (cleared & self.roles) for cleared in self.rules.values())

    def hidden(self, name: str) -> bool:
        return name in self.rules and not (self.rules[name] & self.roles)

    def marker(self, value: Any, salt: Any = None) -> dict[str, Any]:
        """What is shown in place of a value: that it exists, and to auditors its fingerprint
        (from the journal's `salt` of it when there is one, so that the chain verifies)."""
        shown: dict[str, Any] = {"confidential": True}
        if self.with_hash:
            if isinstance(salt, str):
                shown["sha256"] = sealed(salt, value)
            elif salt is _LEGACY:  # written before salts: the chain committed the plain hash
                shown["sha256"] = fingerprint(value)
            elif self.fingerprints is not None:
                shown["sha256"] = self.fingerprints.of(value)
        return shown

    def data(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """`data` with hidden values replaced by markers (null stays null: it is no value)."""
        if not self.active:
            return dict(data)
        return {k: self.marker(v) if self.hidden(k) and v is not None else v for k, v in data.items()}

    def entry(self, entry: JournalEntry) -> JournalEntry:
        """A journal entry with hidden values of its data and changes replaced by markers (their
        fingerprints are what the chain commits to) and their salts dropped."""
        if not self.active:
            return entry
        payload = dict(entry.payload)
        salts = payload.get(SALTS) if isinstance(payload.get(SALTS), dict) else None
        kept = {"data": dict(salts.get("data") or {}), "changes": dict(salts.get("changes") or {})} if salts else None
        for key in _DATA_KEYS:
            if isinstance(payload.get(key), dict):
                payload[key] = {name: self.marker(v, _salt_of(kept, key, name)) if self.hidden(name) and v is not None
                                else v
                                for name, v in payload[key].items()}
        for key in _CHANGE_KEYS:
            if isinstance(payload.get(key), dict):
                payload[key] = {name: ({side: None if v is None else self.marker(v, _salt_of(kept, key, name, side))
                                        for side, v in change.items()}
                                       if self.hidden(name) and isinstance(change, dict) else change)
                                for name, change in payload[key].items()}
        if kept is not None:
            payload[SALTS] = {part: {k: v for k, v in found.items() if not self.hidden(k)}
                              for part, found in kept.items() if part in salts}
        return replace(entry, payload=payload)


_LEGACY = object()  # the salt of a value written before the journal kept salts


def _salt_of(salts: dict[str, Any] | None, part: str, name: str, side: str | None = None) -> Any:
    """The journal's salt of one value, `_LEGACY` for an entry written without salts."""
    if salts is None:
        return _LEGACY
    found = (salts.get(part) or {}).get(name)
    return found.get(side) if side is not None and isinstance(found, dict) else found
