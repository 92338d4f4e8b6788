"""Page data for the auditor's views: search, an instance's timeline, verdict and step-through.

Everything here reads; nothing calls a command that writes."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Mapping, MutableMapping
from zoneinfo import ZoneInfo

from engine.queries.audit_search import STATUSES
from engine.errors import PermissionDenied
from engine.runtime import Engine
from engine.audit.verify import Verdict
from engine.views import UserView
from engine.audit.confidential import is_marker
from bootstrap.json_text import strict_json
from webui.i18n import bilingual, translate
from webui.views import audit_text  # noqa: F401  (adds the audit pages' messages)
from webui.views.audit_steps import Readers, build_steps, diagram_steps
from webui.views.data_display import DataDisplay
from webui.views.form_fields import Labels
from webui.views.pages import element_names, process_names


def may_audit(engine: Engine, user: UserView | None) -> bool:
    """Whether `user` may read every instance, as the engine answers it (engine/permissions.py)."""
    return user is not None and engine.abilities(user.username).audit


def require_auditor(engine: Engine, user: UserView | None) -> None:
    """Raises: PermissionDenied for anyone who may not audit."""
    if not may_audit(engine, user):
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

def instance_page(engine: Engine, username: str, instance_id: str, lang: str, zone: ZoneInfo,
                  verdict: Verdict | None = None) -> dict[str, Any]:
    """Every journal entry as a step (timeline and step-through alike) and, after the button,
    the verdict; confidential values as `username` may read them. One read of the journal."""
    read = engine.audit_read(username, instance_id)
    labels = Labels(read.forms, lang)
    display = DataDisplay(read.forms, lang, read.people, zone, instance_id=instance_id)  # files link to their download
    elements = {k: bilingual(v, lang) for k, v in element_names(read.bpmn).items()}
    readers = Readers(display.rows, display.label, display.value, read.people, elements, lang)
    steps = build_steps(read.entries, read.steps, readers)
    script = {"xml": read.bpmn, "steps": diagram_steps(steps)}
    return {"instance": read.instance, "steps": steps, "step_error": read.replay_error,
            "diagram": script, "verdict": _verdict(verdict, elements, labels) if verdict else None,
            "process_name": process_names(engine).get(read.instance.process_key), "people": read.people}


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


# The verdict travels from the verify POST to the instance page in the session (a cookie, so
# values are cut short: the page shows where it breaks, the export bundle has everything).
_KEPT_VALUE = 400


def keep_verdict(session: MutableMapping[str, Any], verdict: Verdict) -> None:
    """Remember `verdict` for the next view of its instance page."""
    kept = verdict.to_dict()
    for key in ("recorded", "replayed"):
        text = json.dumps(kept[key], ensure_ascii=False)
        if len(text) > _KEPT_VALUE:
            kept[key] = text[:_KEPT_VALUE] + "…"
    kept["reason"] = (kept.get("reason") or "")[:_KEPT_VALUE]
    session["verdict"] = kept


def take_verdict(session: MutableMapping[str, Any], instance_id: str) -> Verdict | None:
    """The verdict kept for `instance_id`, once (a reload shows the page without it)."""
    kept = session.get("verdict")
    if not isinstance(kept, dict) or kept.get("instance_id") != instance_id:
        return None
    session.pop("verdict", None)
    return Verdict(instance_id, kept["verdict"], kept.get("entry"), kept.get("element"), kept.get("field"),
                   kept.get("recorded"), kept.get("replayed"), kept.get("reason") or "")


def export_file(engine: Engine, instance_id: str, username: str) -> tuple[str, str]:
    """(file name, JSON text) of the instance's export bundle, confidential values as hashes."""
    bundle = engine.export([instance_id], username)
    return f"zhidu-{instance_id[:8]}.json", strict_json(bundle, indent=1)
