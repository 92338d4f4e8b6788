"""Page data for the auditor's views: search, an instance's timeline, verdict and step-through.

Everything here reads; nothing calls a command that writes."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

from engine.audit_queries import STATUSES
from engine.errors import DefinitionInvalid, PermissionDenied
from engine.reading import READ_ALL_ROLES
from engine.replay import Divergence
from engine.runtime import Engine
from engine.verify import Verdict
from engine.views import UserView
from engine.confidential import is_marker
from webui.i18n import bilingual, translate
from webui.views import audit_text  # noqa: F401  (adds the audit pages' messages)
from webui.views.form_fields import Labels, Shown
from webui.views.pages import COMMANDS, element_names, process_names

# Outcomes that mean an element ran to its end (a cancelled task did not).
_DONE_KINDS = ("element_completed", "task_left")


def may_audit(user: UserView | None) -> bool:
    """Auditors, the director and administrators may read every instance."""
    return user is not None and bool(READ_ALL_ROLES & set(user.roles))


def require_auditor(user: UserView | None) -> None:
    """Raises: PermissionDenied for anyone who may not audit."""
    if not may_audit(user):
        raise PermissionDenied(f"{user.username if user else 'anonymous'} is not an auditor")


# -- search -----------------------------------------------------------------------------------

def search_page(engine: Engine, user: UserView, args: Mapping[str, str], zone: ZoneInfo,
                lang: str, page_size: int) -> dict[str, Any]:
    """The search form as filled in, its problems, and one page of matching instances."""
    form = {name: (args.get(name) or "").strip() for name in
            ("process", "status", "started_from", "started_to", "participant", "data")}
    problems, started_from, started_to = [], None, None
    try:
        started_from, started_to = _day(form["started_from"]), _day(form["started_to"])
    except ValueError:
        problems.append(translate("audit.bad_date", lang))
    data_key, _, data_value = form["data"].partition("=")
    if form["data"] and not _:
        problems.append(translate("audit.bad_data", lang))
    found = None
    if not problems:
        found = engine.search_instances(
            user.username, form["process"] or None, form["status"] if form["status"] in STATUSES else None,
            started_from, started_to, form["participant"] or None,
            data_key.strip() or None, data_value.strip(), _int(args.get("page"), 1), page_size)
    people = {u.username: u.name for u in engine.users()}
    return {"form": form, "problems": problems, "found": found, "names": process_names(engine),
            "statuses": STATUSES, "people": people,
            "query": {k: v for k, v in form.items() if v}}


def _day(text: str) -> date | None:
    """The day `text` names (YYYY-MM-DD); the engine searches it from local midnight to the end of
    that day in the organisation's zone, both bounds inclusive days.

    Raises:
        ValueError: not a date."""
    return date.fromisoformat(text) if text else None


def _int(text: str | None, default: int) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default


# -- one instance -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class TimelineRow:
    seq: int
    kind: str
    actor: str
    at: datetime
    element: str
    command: bool
    submitted: list[Shown] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Step:
    """The instance after one command: where the tokens were and what the data was."""

    index: int
    seq: int
    kind: str
    actor: str
    at: datetime | None
    element: str
    active: list[str]
    active_names: list[str]
    done: list[str]
    data: list[Shown]
    changed: set[str]


def instance_page(engine: Engine, username: str, instance_id: str, lang: str,
                  verdict: Verdict | None = None) -> dict[str, Any]:
    """Timeline with data changes, step-through and (after the button) the verdict; confidential
    values as `username` may read them."""
    instance = engine.visible_instance(instance_id, username)
    diagram = engine.diagram(instance_id)
    entries = engine.visible_history(instance_id, username)
    labels = Labels(engine.instance_forms(instance_id), lang)
    elements = {k: bilingual(v, lang) for k, v in element_names(diagram.bpmn).items()}
    people = {u.username: u.name for u in engine.users()}
    timeline = [_row(e, labels, people, elements) for e in entries]
    steps, step_error = _steps(engine, username, instance_id, entries, labels, people, elements)
    script = {"xml": diagram.bpmn, "steps": [{"seq": s.seq, "active": s.active, "done": s.done} for s in steps]}
    return {"instance": instance, "timeline": timeline, "steps": steps, "step_error": step_error,
            "diagram": script, "verdict": _verdict(verdict, elements, labels) if verdict else None,
            "process_name": process_names(engine).get(instance.process_key), "people": people}


def _row(entry, labels: Labels, people: Mapping[str, str], elements: Mapping[str, str]) -> TimelineRow:
    payload = entry.payload
    submitted = payload.get("data") if entry.kind in ("started", "completed") else None
    changes = [Change(k, labels.label(k), labels.display(k, c.get("before")), labels.display(k, c.get("after")))
               for k, c in (payload.get("changes") or {}).items() if isinstance(c, dict)]
    note = people.get(payload.get("to") or "", payload.get("to") or "") if entry.kind == "reassigned" else ""
    return TimelineRow(entry.seq, entry.kind, people.get(entry.actor or "", entry.actor or ""), entry.at,
                       elements.get(payload.get("element") or "", payload.get("element") or ""),
                       entry.kind in COMMANDS, labels.shown(list(submitted), submitted) if submitted else [],
                       changes, note)


def _steps(engine: Engine, username: str, instance_id: str, entries: list, labels: Labels,
           people: Mapping[str, str], elements: Mapping[str, str]) -> tuple[list[Step], str | None]:
    """Replay's steps with the journal's who/when/where; a reason instead when it cannot replay."""
    try:
        replayed = engine.audit_steps(username, instance_id)
    except (Divergence, DefinitionInvalid) as err:
        return [], str(err)
    by_seq = {e.seq: e for e in entries}
    steps, before = [], {}
    for index, step in enumerate(replayed):
        entry = by_seq[step["seq"]]
        until = replayed[index + 1]["seq"] if index + 1 < len(replayed) else entries[-1].seq + 1
        done = sorted({e.payload["element"] for e in entries if e.seq < until and e.kind in _DONE_KINDS
                       and e.payload.get("element") and not e.payload.get("cancelled")})
        data = step["data"]
        steps.append(Step(index, step["seq"], step["kind"], people.get(entry.actor or "", entry.actor or ""),
                          entry.at, elements.get(entry.payload.get("element") or "", ""), list(step["active"]),
                          [elements.get(a, a) for a in step["active"]], done, labels.shown(list(data), data),
                          {k for k in set(data) | set(before) if data.get(k) != before.get(k)}))
        before = data
    return steps, None


def _verdict(verdict: Verdict, elements: Mapping[str, str], labels: Labels) -> dict[str, Any]:
    return {"status": verdict.status, "entry": verdict.entry, "element": verdict.element,
            "element_name": elements.get(verdict.element or "", verdict.element or ""),
            "field": verdict.field, "recorded": _text(verdict.recorded, labels),
            "replayed": _text(verdict.replayed, labels), "reason": verdict.reason}


def _text(value: Any, labels: Labels) -> str:
    """A verdict's value exactly (JSON for anything but text), a confidential one as its marker."""
    if value is None:
        return "—"
    if is_marker(value):
        return labels.display("", value)
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)


def export_file(engine: Engine, instance_id: str, username: str) -> tuple[str, str]:
    """(file name, JSON text) of the instance's export bundle, confidential values as hashes."""
    bundle = engine.export([instance_id], username)
    return f"zhidu-{instance_id[:8]}.json", json.dumps(bundle, ensure_ascii=False, indent=1)
