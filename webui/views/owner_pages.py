"""Page data for the process owners' views: the editor's data, the bundle an edit posts, the
comparison of two versions and the migration dry run. Calls the facade; returns plain values."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

from engine.definitions.bundles import CatalogEntry, ProcessBundle, form_keys_in
from engine.permissions import OWNER_ROLE
from engine.definitions.diff import describe_elements
from engine.errors import InvalidInput, ProcessNotFound, Problem
from engine.definitions.forms import check_form, parse_form
from engine.definitions.namespaces import BPMN_NS
from engine.runtime import Engine
from engine.views import FormView
from webui.views.form_fields import build_fields
from webui.i18n import translate
from webui.views.owner_compare import change_rows
from webui.views.owner_layout import with_layout
from webui.views.owner_text import editor_labels, problem_reason

KEY = re.compile(r"[a-z][a-z0-9_]{1,62}")
EMPTY_BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_{key}" targetNamespace="http://zhidu.example/bpmn">
  <bpmn:process id="{key}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="{key}">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="180" y="160" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
NEW_FORM = """key: {key}
title: {{zh: 新表单, en: New form}}
schema:
  type: object
  required: [note]
  properties:
    note: {{type: string, minLength: 1, maxLength: 2000}}
ui:
  order: [note]
  fields:
    note: {{label: {{zh: 说明, en: Note}}, widget: textarea}}
"""


def catalog(engine: Engine, username: str) -> dict[str, Any]:
    """Every deployed procedure with its version history, newest version first, and who
    deployed each by name (`people`: username → name)."""
    procedures = engine.processes()
    return {"procedures": [(p, engine.version_history(p.key, username)) for p in procedures],
            "people": {u.username: u.name for u in engine.users()}}


def editor_data(engine: Engine, username: str, key: str, lang: str) -> dict[str, Any]:
    """What the editor opens: the latest version's BPMN, forms and catalog fields."""
    bundle = engine.version_bundle(key, username)
    return _editor(engine, bundle, is_new=False, lang=lang)


def new_editor_data(engine: Engine, username: str, form: Mapping[str, str], upload: bytes | None,
                    lang: str) -> dict[str, Any]:
    """The editor for a procedure not deployed yet: an empty diagram or an uploaded file.

    Raises:
        InvalidInput: the key is malformed or already taken, or the upload is not UTF-8 text.
    """
    key = (form.get("key") or "").strip()
    if not KEY.fullmatch(key):
        raise InvalidInput("a key is 2-63 lowercase letters, digits and _ , starting with a letter")
    try:
        engine.version_bundle(key, username)
        raise InvalidInput(f"a procedure with key {key!r} already exists")
    except ProcessNotFound:
        pass
    try:
        xml = upload.decode("utf-8-sig") if upload else EMPTY_BPMN.format(key=key)
    except UnicodeDecodeError as err:
        raise InvalidInput("the uploaded file is not UTF-8 text") from err
    name = {"zh": form.get("name_zh") or key, "en": form.get("name_en") or key}
    entry = CatalogEntry(key, process_id_of(xml) or key, f"{key}.bpmn", name, (), OWNER_ROLE)
    files = {entry.bpmn: xml}
    return _editor(engine, ProcessBundle(entry, files), is_new=True, lang=lang)


def _editor(engine: Engine, bundle: ProcessBundle, is_new: bool, lang: str) -> dict[str, Any]:
    roles = sorted({r for u in engine.users() for r in u.roles})
    forms = {name.removeprefix("forms/").removesuffix(".yaml"): text for name, text in bundle.form_files().items()}
    return {"key": bundle.key, "is_new": is_new, "entry": bundle.entry.to_dict(),
            "xml": with_layout(bundle.files.get(bundle.entry.bpmn, "")), "forms": forms, "roles": roles,
            "new_form": NEW_FORM.format(key="{key}"), "labels": editor_labels(lang), "draft": None}


class PayloadInvalid(InvalidInput):
    """A field of the editor's payload has the wrong type; `field` names it, `expected` says
    what it must be (an owner.expected.* message)."""

    def __init__(self, field: str, expected: str):
        self.field, self.expected = field, expected
        super().__init__(f"{field} must be {expected.replace('_', ' ')}")


def read_payload(raw: str | None) -> dict[str, Any]:
    """The editor's payload with every field checked for its type.

    Raises:
        PayloadInvalid: naming the first field that is not what the editor sends.
    """
    try:
        payload = json.loads(raw or "")
    except ValueError as err:
        raise PayloadInvalid("payload", "json_object") from err
    _expect(payload, "payload", dict, "json_object")
    for name in ("key", "xml"):
        _expect(payload.get(name), name, str, "text")
    forms = payload.get("forms") or {}
    _expect(forms, "forms", dict, "object")
    for form_key, text in forms.items():
        _expect(text, f"forms.{form_key}", str, "text")
    entry = payload.get("entry") or {}
    _expect(entry, "entry", dict, "object")
    name = entry.get("name") or {}
    _expect(name, "entry.name", dict, "object")
    for lang in ("zh", "en"):
        _expect(name.get(lang) or "", f"entry.name.{lang}", str, "text")
    for listed in ("starters", "clauses"):
        value = entry.get(listed) or []
        _expect(value, f"entry.{listed}", (list, str), "list")
        for item in value if isinstance(value, list) else []:
            _expect(item, f"entry.{listed}", str, "list")
    _expect(entry.get("start_form") or "", "entry.start_form", str, "text")
    lanes = entry.get("lanes") or {}
    _expect(lanes, "entry.lanes", dict, "object")
    for lane, role in lanes.items():
        _expect(role, f"entry.lanes.{lane}", str, "text")
    return {"key": payload["key"], "xml": payload["xml"], "forms": forms, "entry": entry}


def _expect(value: Any, field: str, kind: type | tuple[type, ...], expected: str) -> None:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise PayloadInvalid(field, expected)


def bundle_from_payload(engine: Engine, username: str, raw: str | None) -> ProcessBundle:
    """The bundle an editor posts: BPMN text, form texts and catalog fields, over the latest
    version's files (DMN files are kept as they are).

    Raises:
        InvalidInput: the payload is not what the editor sends (PayloadInvalid names the field).
    """
    payload = read_payload(raw)
    key, xml, forms, fields = payload["key"], payload["xml"], payload["forms"], payload["entry"]
    if not KEY.fullmatch(key):
        raise PayloadInvalid("key", "procedure_key")
    try:
        base = engine.version_bundle(key, username)
        entry, files = base.entry, {n: t for n, t in base.files.items() if n in base.entry.dmn}
    except ProcessNotFound:
        entry, files = CatalogEntry(key, key, f"{key}.bpmn", {"zh": key, "en": key}, (), OWNER_ROLE), {}
    name = fields.get("name") or {}
    entry = replace(
        entry, process_id=process_id_of(xml) or entry.process_id,
        name={"zh": name.get("zh") or key, "en": name.get("en") or key},
        starters=tuple(_words(fields.get("starters"))), clauses=tuple(_words(fields.get("clauses"))),
        start_form=(fields.get("start_form") or "").strip() or None,
        lanes={k: v.strip() for k, v in (fields.get("lanes") or {}).items() if v.strip()})
    files[entry.bpmn] = xml
    for form_key in sorted(set(form_keys_in(xml)) | ({entry.start_form} if entry.start_form else set())):
        if form_key in forms:
            files[f"forms/{form_key}.yaml"] = forms[form_key]
    return ProcessBundle(entry, files)


def problem_list(problems: list[Problem], lang: str = "en") -> list[dict[str, Any]]:
    """Problems as the editor lists them, errors first, then warnings; reasons zhidu knows in
    the user's language, the others as the engine gave them."""
    ordered = sorted(problems, key=lambda p: (p.severity != "error", p.file, p.line or 0))
    return [{"file": p.file, "line": p.line, "element": p.element, "reason": problem_reason(p.reason, lang),
             "severity": p.severity, "severity_text": translate(f"owner.severity.{p.severity}", lang)}
            for p in ordered]


def describe_invalid(err: InvalidInput, t: Callable[..., str]) -> str:
    """The message for bad input: a payload field in the user's language, else the engine's."""
    if isinstance(err, PayloadInvalid):
        return t("owner.payload_invalid", field=err.field, expected=t(f"owner.expected.{err.expected}"))
    return err.message


def int_or_none(text: str | None) -> int | None:
    """A posted version number, or None (the latest) when absent or not a number."""
    try:
        return int(text or "") or None
    except ValueError:
        return None


def form_preview(text: str, lang: str, people: Sequence[Any] = ()) -> dict[str, Any]:
    """Fields to draw for a form definition being edited, or why it cannot be drawn; its user
    fields offer `people` (UserViews) as the task page would."""
    try:
        form = parse_form(text, "preview")
    except Exception as err:  # YAML errors come in several types; all mean "unreadable"
        return {"fields": [], "problems": [f"cannot read the form: {err}".split("\n")[0]]}
    problems = [p.describe() for p in check_form(form, "preview")]
    try:
        fields = build_fields(FormView(form.key, form.schema, form.title, form.ui), lang, people=people)
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        return {"fields": [], "problems": problems + [f"cannot draw the form: {err}"]}
    return {"fields": fields, "problems": problems, "title": form.title}


def compare_page(engine: Engine, username: str, key: str, args: Mapping[str, str], lang: str) -> dict[str, Any]:
    """Two versions side by side: what was added, changed and removed, each element named, and
    the newer diagram."""
    history = engine.version_history(key, username)
    newest = history[0].number
    new = _int(args.get("new"), newest)
    old = _int(args.get("old"), max(1, new - 1))
    diff = engine.compare(key, username, old, new)
    after = engine.version_bundle(key, username, new)
    before = engine.version_bundle(key, username, old)
    described = {**describe_elements(before.files.get(before.entry.bpmn, "")),
                 **describe_elements(after.files.get(after.entry.bpmn, ""))}
    return {"key": key, "history": history, "old": old, "new": new, "diff": diff, "name": _name_of(engine, key),
            "changes": change_rows(diff, described, lang),
            "diagram": {"xml": after.files.get(after.entry.bpmn, ""),
                        "added": [c.element for c in diff.of_kind("added")],
                        "changed": [c.element for c in diff.of_kind("changed")]}}


def migrate_page(engine: Engine, username: str, key: str, args: Mapping[str, str]) -> dict[str, Any]:
    """The dry run: which running instances can move to the target version, and why not."""
    history = engine.version_history(key, username)
    target = _int(args.get("to"), history[0].number)
    return {"key": key, "history": history, "target": target, "name": _name_of(engine, key),
            "checks": engine.migration_plan(key, username, target)}


def _name_of(engine: Engine, key: str) -> Mapping[str, str] | None:
    """The {zh, en} name of procedure `key`, for headings that would otherwise show its key."""
    return next((p.name for p in engine.processes() if p.key == key), None)


def process_id_of(xml: str) -> str | None:
    """The id of the first executable process of a BPMN text (else the first process)."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError:
        return None
    processes = list(root.iter(f"{{{BPMN_NS}}}process"))
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    chosen = (executable or processes or [None])[0]
    return chosen.get("id") if chosen is not None else None


def _words(value: Any) -> list[str]:
    items = value if isinstance(value, list) else re.split(r"[\s,，]+", str(value or ""))
    return [str(v).strip() for v in items if str(v).strip()]


def _int(text: str | None, default: int) -> int:
    try:
        return int(text or default)
    except ValueError:
        return default
