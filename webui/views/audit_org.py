"""The organisation's history for auditors: who added, changed, deactivated or reactivated
users, and set passwords, when — with roles and departments by name, and whether the hash
chain of that journal holds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from engine.audit.journal import verify_chain
from engine.runtime import Engine
from webui.i18n import localised, translate

# The fields an organisation entry may carry, in the order they are shown.
FIELDS = ("name", "department", "roles", "released")


@dataclass(frozen=True)
class OrgChange:
    field: str        # an i18n key of the field's label
    before: str
    after: str


@dataclass(frozen=True)
class OrgEntry:
    seq: int
    at: datetime
    kind: str
    actor: str
    subject: str      # the user the change is about, by name (username)
    changes: tuple[OrgChange, ...]


def history_page(engine: Engine, username: str, lang: str) -> dict[str, Any]:
    """The organisation journal, newest first, and where its chain breaks (None: it holds)."""
    entries = engine.organisation_history(username)
    organisation = engine.organisation()
    names = {
        "department": {k: localised(v, lang, k) for k, v in organisation.departments},
        "roles": {k: localised(v, lang, k) for k, v in organisation.roles},
        "people": {u.username: u.name for u in engine.users()},
    }
    rows = [_entry(e.seq, e.at, e.kind, e.actor, e.payload, names, lang) for e in entries]
    return {"entries": list(reversed(rows)), "broken_at": verify_chain(entries), "total": len(rows)}


def _entry(seq: int, at: datetime, kind: str, actor: str | None, payload: Mapping[str, Any],
           names: Mapping[str, Mapping[str, str]], lang: str) -> OrgEntry:
    people = names["people"]
    subject = payload.get("username") or ""
    before, after = payload.get("before") or {}, payload.get("after") or {}
    if not before and not after:  # an added user, a deactivation: the values as given
        after = {k: payload[k] for k in FIELDS if k in payload}
    changes = tuple(OrgChange(f"org.field.{k}", _text(k, before.get(k), names, lang), _text(k, after.get(k), names, lang))
                    for k in FIELDS if k in before or k in after)
    shown_actor = people.get(actor or "", actor or "") or translate("org.operator", lang)
    return OrgEntry(seq, at, kind, shown_actor, f"{people.get(subject, subject)} ({subject})" if subject else "", changes)


def _text(key: str, value: Any, names: Mapping[str, Mapping[str, str]], lang: str) -> str:
    if value is None or value == []:
        return "—"
    comma = "，" if lang == "zh" else ", "
    if key == "roles":
        return comma.join(names["roles"].get(r, r) for r in value)
    if key == "department":
        return names["department"].get(value, value)
    if key == "released":
        return translate("org.released", lang, n=len(value))
    return str(value)
