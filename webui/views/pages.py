"""Page data for the employee views: calls the engine facade and returns plain values."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping

from engine.errors import FieldError, PermissionDenied, ProcessNotFound, UserNotFound
from engine.queries.sheets import Labels
from engine.runtime import Engine
from engine.views import ProcessView, TaskView, UserView
from webui.i18n import bilingual, localised, normalise, translate
from webui.views.audit_steps import element_id
from webui.views.data_display import DataDisplay, DataRow, DataValue
from webui.views.duties_text import refusal_text
from webui.views.form_fields import person_options
from webui.views.form_fields import build_fields, error_texts, prefill

COMMANDS = ("started", "claimed", "released", "reassigned", "completed", "timer_fired", "message_received",
            "cancelled", "withdrawn", "migrated", "incident_retried", "external_completed", "external_failed",
            "commented", "refused")


def process_names(engine: Engine) -> dict[str, Mapping[str, str]]:
    return {p.key: p.name for p in engine.processes()}


@dataclass(frozen=True)
class InboxRow:
    """A task of an inbox page with the words its row shows, in the reader's language: worked out
    here, each procedure's name once, instead of by the template for each of fifty rows."""

    task: TaskView
    title: str
    subject: str
    procedure: str
    late: bool
    on_behalf: str | None  # the absent person the task is there for


def inbox(engine: Engine, username: str, args: Mapping[str, str], page_size: int, lang: str) -> dict[str, Any]:
    """Tasks claimed by me and unclaimed ones offered to me, filtered, sorted and paged."""
    procedure, sort, search = args.get("process", ""), args.get("sort", "due"), args.get("q", "").strip()
    found = engine.inbox_page(username, procedure or None, sort, _int(args.get("page"), 1), page_size, search)
    now, keys = engine.clock.now(), dict.fromkeys([*found.procedures, *(t.process_key for t in found.tasks)])
    names = {key: localised(found.names.get(key), lang, key) for key in keys}  # the procedures' names, in lang
    rows = [InboxRow(t, bilingual(t.title, lang), localised(t.subject, lang), names[t.process_key],
                     is_overdue(t, now), found.on_behalf_of.get(t.id)) for t in found.tasks]
    return {"rows": rows, "total": found.total, "total_all": found.total_all, "page": found.page,
            "pages": found.pages, "process": procedure, "sort": sort,
            "procedures": [(key, names[key]) for key in found.procedures], "q": search,
            "people": people_names(engine) if found.on_behalf_of else {}}


def team(engine: Engine, user: UserView, search: str = "") -> dict[str, Any]:
    """Open tasks of the departments `user` manages, with who each may be given to (as the engine
    answers it): (username, name) pairs, the username shown only where two people share a name."""
    tasks = engine.department_tasks(user.username, search.strip())
    receivers = engine.receivers(user.username, [t.id for t in tasks])
    return {"tasks": tasks, "names": process_names(engine), "q": search.strip(),
            "absences": engine.absences(user.username).team,  # who stands in for whom
            "claimers": {u.username: u.name for u in engine.users()},
            "people": {t.id: person_options({}, [u for u in receivers.get(t.id, []) if u.username != t.claimed_by])
                       for t in tasks}}


@dataclass(frozen=True)
class HistoryRow:
    seq: int
    kind: str
    actor: str
    at: datetime
    element: str
    command: bool
    details: list[DataRow]


def labelled(labels: Labels, lang: str, zone: Any = None, instance_id: str | None = None) -> DataDisplay:
    """The formatter for the data of a page's sheet (engine/queries/sheets.py), with no more reads;
    with `instance_id`, attached files link to their download."""
    return DataDisplay(list(labels.forms), lang, {u.username: u.name for u in labels.users}, zone,
                       labels.data_fields, instance_id=instance_id)


def people_names(engine: Engine) -> dict[str, str]:
    """username → display name, for every user (deactivated ones too: history names them)."""
    return {u.username: u.name for u in engine.users()}


def task_page(engine: Engine, user: UserView, task_id: str, lang: str, values: Mapping[str, Any] | None = None,
              field_errors: list[FieldError] | None = None, zone: Any = None) -> dict[str, Any]:
    """A task's form with the process data it shows; raises TaskNotReady once the task is done."""
    sheet = engine.task_sheet(task_id, user.username)
    task, instance, labels = sheet.task, sheet.instance, sheet.labels
    display = labelled(labels, lang, zone, instance.id)
    data = {**instance.data, **sheet.context}
    shown = display.rows(data, task.form.ui.get("show") or []) if task.form else []
    errors = error_texts(field_errors or [], lang)
    filled = prefill(task.form, data) if values is None and task.form else values  # a loop back shows the last round
    fields = build_fields(task.form, lang, filled, errors, labels.users) if task.form else []
    return {"task": task, "instance": instance, "shown": shown, "fields": fields, "errors": errors,
            "form_errors": [m for f, m in errors.items() if not any(f == x.name or f.startswith(f"{x.name}[")
                                                                     for x in fields)],
            "may_complete": "complete" in task.actions,
            "claimer": display.people.get(task.claimed_by, task.claimed_by) if task.claimed_by else "",
            "process_name": labels.process_name, "comments": sheet.comments, "people": display.people}


def start_page(engine: Engine, username: str, key: str, lang: str, values: Mapping[str, Any] | None = None,
               field_errors: list[FieldError] | None = None) -> dict[str, Any]:
    """A procedure's start form; PermissionDenied if `username` may not start it."""
    process = startable(engine, username, key)
    errors = error_texts(field_errors or [], lang)
    fields = build_fields(process.start_form, lang, values, errors, engine.users()) if process.start_form else []
    return {"process": process, "fields": fields, "errors": errors, "form_errors": []}


def startable(engine: Engine, username: str, key: str) -> ProcessView:
    for process in engine.startable(username):
        if process.key == key:
            return process
    if key in process_names(engine):
        raise PermissionDenied(f"{username} may not start {key}")
    raise ProcessNotFound(f"no procedure {key!r}")


def instance_page(engine: Engine, username: str, instance_id: str, lang: str, zone: Any = None) -> dict[str, Any]:
    """An instance the user may see: diagram data, history with labels, current data."""
    sheet = engine.instance_sheet(instance_id, username)
    instance, diagram = sheet.instance, sheet.diagram
    display = labelled(sheet.labels, lang, zone, instance.id)
    elements = element_names(diagram.bpmn)
    people = display.people
    history = [HistoryRow(e.seq, e.kind, people.get(e.actor or "", e.actor or ""), e.at,
                          bilingual(elements.get(element_id(e.payload.get("element", "")), ""), lang),
                          e.kind in COMMANDS, _details(e.kind, e.payload, display, elements))
               for e in sheet.history]
    waits = WaitingOn(people, sheet.labels.roles, lang)
    return {"instance": instance, "history": history, "data": display.rows(instance.data),
            "waiting": {t.id: waits(t) for t in instance.active_tasks},
            "may_withdraw": may_withdraw(instance, username),
            "diagram": {"xml": diagram.bpmn, "completed": diagram.completed, "active": list(dict.fromkeys(map(element_id, diagram.active)))},
            "process_name": sheet.labels.process_name, "people": people, "comments": sheet.comments}


def _details(kind: str, payload: Mapping[str, Any], display: DataDisplay,
             elements: Mapping[str, str] | None = None) -> list[DataRow]:
    if kind == "refused":  # separation of duties turned a command away (it names its own substitute)
        return [DataRow("refused", translate("duties.detail", display.lang),
                        DataValue(text=refusal_text(payload, display.people, elements or {}, display.lang)))]
    rows = _what(kind, payload, display)
    behalf = payload.get("on_behalf_of")  # done by a substitute: say for whom
    if behalf:
        rows.append(DataRow("on_behalf_of", translate("history.on_behalf_of", display.lang),
                            DataValue(text=display.people.get(behalf, behalf))))
    return rows


def _what(kind: str, payload: Mapping[str, Any], display: DataDisplay) -> list[DataRow]:
    if kind == "commented":
        return [DataRow("text", translate("comments.title", display.lang), DataValue(text=str(payload.get("text") or "")))]
    if kind in ("started", "completed"):
        return display.rows(payload.get("data") or {})
    if kind == "reassigned":
        to = payload.get("to") or ""
        return [DataRow("to", "→", DataValue(text=display.people.get(to, to)))]
    if kind in ("cancelled", "withdrawn") and payload.get("reason"):
        return [DataRow("reason", display.label("reason"), DataValue(text=str(payload["reason"])))]
    return []


def element_names(bpmn: str) -> dict[str, str]:
    """BPMN element id → name, for the history's element column."""
    try:
        root = ET.fromstring(bpmn)
    except ET.ParseError:
        return {}
    return {el.get("id", ""): el.get("name", "") for el in root.iter() if el.get("id") and el.get("name")}


def requests(engine: Engine, username: str, lang: str) -> dict[str, Any]:
    """Instances `username` started, newest first, with whom each open step waits on."""
    mine = sorted(engine.my_requests(username), key=lambda i: i.started_at, reverse=True)
    waits = WaitingOn(people_names(engine), dict(engine.organisation().roles), lang)
    return {"instances": mine, "names": process_names(engine),
            "waiting": {i.id: [(t, waits(t)) for t in i.active_tasks] for i in mine}}


class WaitingOn:
    """Whom an open task waits on, as its requester reads it: the claimant, else the people and
    roles it is offered to, by name."""

    def __init__(self, people: Mapping[str, str], roles: Mapping[str, Mapping[str, str]], lang: str):
        self.lang, self.people, self.roles = lang, people, roles

    def __call__(self, task: TaskView) -> str:
        if task.claimed_by:
            return self.people.get(task.claimed_by, task.claimed_by)
        names = []
        for candidate in task.candidates:
            kind, _, key = candidate.partition(":")
            names.append(self.people.get(key, key) if kind == "user" else localised(self.roles.get(key), self.lang, key))
        return ("、" if self.lang == "zh" else ", ").join(names)


def may_withdraw(instance: Any, username: str) -> bool:
    return instance.started_by == username and instance.status in ("running", "failed")


def is_overdue(task: TaskView, now: datetime | None = None) -> bool:
    return task.due_at is not None and task.due_at < (now or datetime.now(timezone.utc))


def _name(engine: Engine, username: str | None) -> str:
    if not username:
        return ""
    try:
        return engine.user(username).name
    except (UserNotFound, PermissionDenied):  # a removed user still shows by login name
        return username


def _int(text: str | None, default: int) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default


def steps(current_step: str | None, lang: str) -> str:
    """An instance's current step(s) in `lang`, each once (the items of a multi-instance step
    share its name), joined as the language punctuates a list."""
    names = dict.fromkeys(bilingual(s, lang) for s in (current_step or "").split(", ") if s)
    return ("，" if normalise(lang) == "zh" else ", ").join(names)


def procedure_name(names: Mapping[str, Mapping[str, str]], key: str, lang: str) -> str:
    return localised(names.get(key), lang, key)
