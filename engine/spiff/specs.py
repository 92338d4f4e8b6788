"""Compile a process bundle into executable SpiffWorkflow specs, validating as we go.

A model that would deploy and then misbehave is refused here with the element named.
Compiled versions are cached by content hash; instances never carry a copy of the spec.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.definitions.bundles import ProcessBundle
from engine.errors import DefinitionInvalid, Problem
from engine.definitions.forms import FormDefinition, check_form, parse_form
from engine.spiff.misexecuted import misexecuted_problems
from engine.definitions.namespaces import BPMN_NS, SPIFF_NS
from engine.spiff.dmn import DecisionParser
from engine.spiff.duties import apart, duty_problems
from engine.spiff.external import ExternalTask, service_task_problems
from engine.spiff.reachability import path_warnings
from engine.spiff.script_environment import check_source, is_iso_timer_text
from engine.spiff.timer_events import check_timer_text

NS = {"bpmn": BPMN_NS, "spiff": SPIFF_NS}

# Constructs SpiffWorkflow 3.2 executes wrongly or not at all (see conformance/betsy):
# refused at deploy rather than deployed to misbehave.
UNSUPPORTED = {
    "complexGateway": "complex gateways are not supported",
    "compensateEventDefinition": "compensation is not supported",
    "linkEventDefinition": "link events are not supported",
    "adHocSubProcess": "ad-hoc subprocesses are not supported",
}
# SpiffWorkflow names its own start and end tasks so; an element with such an id replaces them
# and the process silently loses its flow.
RESERVED_IDS = {"Start", "End", "Root"}


@dataclass(frozen=True)
class UserTaskInfo:
    """What zhidu needs to know about one user task of a version."""

    spec_name: str
    name: str
    lane: str | None
    form_key: str | None
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CompiledVersion:
    """A parsed, validated version: the specs SpiffWorkflow runs plus zhidu's own tables."""

    bundle: ProcessBundle
    spec: Any
    subprocess_specs: dict[str, Any]
    forms: dict[str, FormDefinition]
    user_tasks: dict[str, UserTaskInfo]

    @functools.cached_property
    def content_hash(self) -> str:
        """The bundle's hash, taken once (it hashes every file of the version anew each time)."""
        return self.bundle.content_hash

    @functools.cached_property
    def has_external(self) -> bool:
        """Whether any process of the version has an external (service) task: runs of one that
        has none need not look for them."""
        specs = [self.spec, *self.subprocess_specs.values()]
        return any(isinstance(task, ExternalTask) for spec in specs for task in spec.task_specs.values())

    @functools.cached_property
    def apart(self) -> dict[str, frozenset[str]]:
        """The steps each step is done apart from (engine/spiff/duties.py `apart`), worked out
        once: every command on a task of a paired step asks."""
        return apart({name: info.properties for name, info in self.user_tasks.items()})

    @property
    def start_form(self) -> FormDefinition | None:
        key = self.bundle.entry.start_form
        return self.forms.get(key) if key else None


class SpecCache:
    """Compiled versions by content hash; safe to share between threads."""

    def __init__(self, compiler: Callable[[ProcessBundle], CompiledVersion] | None = None) -> None:
        self._compiled: dict[str, CompiledVersion] = {}
        self._lock = threading.Lock()
        self._compiler = compiler or compile_bundle  # or one remembered across processes (spec_cache.py)

    def pinned(self, digest: str, make_bundle: Callable[[], ProcessBundle]) -> CompiledVersion:
        """The compiled version stored under `digest`; built (and its files checked against the
        digest) only on first use, so the hot path neither re-reads nor re-hashes files.

        Raises:
            DefinitionInvalid: the stored files no longer match the version's hash.
        """
        with self._lock:
            found = self._compiled.get(digest)
        if found is not None:
            return found
        bundle = make_bundle()
        if bundle.content_hash != digest:
            raise DefinitionInvalid([Problem(bundle.entry.bpmn, "the stored files of this version do not match "
                                             f"its hash {digest[:12]}…: they were altered after deployment")])
        return self.get(bundle)

    def get(self, bundle: ProcessBundle) -> CompiledVersion:
        digest = bundle.content_hash
        with self._lock:
            found = self._compiled.get(digest)
        if found is None:
            found = self._compiler(bundle)
            with self._lock:
                self._compiled[digest] = found
        return found


def compile_bundle(bundle: ProcessBundle) -> CompiledVersion:
    """Parse and validate every file of `bundle`.

    Raises:
        DefinitionInvalid: listing every problem found (file, line, element, reason).
    """
    entry = bundle.entry
    problems: list[Problem] = []
    forms = _compile_forms(bundle, problems)
    documents = _parse_xml(bundle, problems)
    if problems:
        raise DefinitionInvalid(problems)
    for name, root in documents.items():
        problems += _check_document(name, root, bundle, forms)
    if problems:
        raise DefinitionInvalid(problems)
    parser = DecisionParser()  # zhidu's parser plus DMN hit policies (engine/spiff/dmn.py)
    try:
        for name, root in documents.items():
            if name.endswith(".dmn"):
                parser.add_dmn_xml(root, filename=name)
            else:
                parser.add_bpmn_xml(root, filename=name)
        if entry.process_id not in parser.get_process_ids():
            raise DefinitionInvalid([Problem(entry.bpmn, f"no executable process with id {entry.process_id!r}")])
        spec = parser.get_spec(entry.process_id)
        subprocess_specs = parser.get_subprocess_specs(entry.process_id)
    except ValidationException as err:
        raise DefinitionInvalid([Problem(err.file_name or entry.bpmn, str(err).split("\n")[0],
                                         err.id or None, err.line_number or None)]) from err
    except SpiffWorkflowException as err:
        raise DefinitionInvalid([Problem(entry.bpmn, str(err).split("\n")[0])]) from err
    except (KeyError, AttributeError, TypeError, ValueError, IndexError) as err:
        # Files from other modellers can trip the parser's assumptions; a problem, not a crash.
        raise DefinitionInvalid([Problem(entry.bpmn, f"the model cannot be read: {type(err).__name__}: {err}")]) from err
    user_tasks = _user_tasks(spec, subprocess_specs)
    problems += _check_assignment(entry.bpmn, entry.lanes, user_tasks)
    if problems:
        raise DefinitionInvalid(problems)
    return CompiledVersion(bundle, spec, subprocess_specs, forms, user_tasks)


def _compile_forms(bundle: ProcessBundle, problems: list[Problem]) -> dict[str, FormDefinition]:
    forms = {}
    for name, text in bundle.form_files().items():
        try:
            form = parse_form(text, name)
        except Exception as err:  # YAML errors come in several types; all mean "unreadable"
            problems.append(Problem(name, f"cannot read the form: {err}".split("\n")[0]))
            continue
        problems += check_form(form, name)
        forms[form.key] = form
    start_form = bundle.entry.start_form
    if start_form and start_form not in forms:
        problems.append(Problem("catalog.yaml", f"start form {start_form!r} does not exist", bundle.key))
    return forms


def _parse_xml(bundle: ProcessBundle, problems: list[Problem]) -> dict[str, Any]:
    documents = {}
    names = [bundle.entry.bpmn, *bundle.entry.dmn]
    for name in names:
        text = bundle.files.get(name)
        if text is None:
            problems.append(Problem(name, "file is missing from the bundle"))
            continue
        try:
            documents[name] = etree.fromstring(text.encode("utf-8"))
        except etree.XMLSyntaxError as err:
            problems.append(Problem(name, f"XML is not well-formed: {err.msg}", line=err.lineno))
    return documents


def _check_document(name: str, root: Any, bundle: ProcessBundle, forms: dict) -> list[Problem]:
    if name.endswith(".dmn"):
        return []
    problems = []
    for node in root.iter():
        if node.get("id") in RESERVED_IDS and isinstance(node.tag, str) and node.tag.startswith(f"{{{BPMN_NS}}}"):
            problems.append(Problem(name, f"the id {node.get('id')!r} is reserved by the engine; rename the element",
                                    node.get("id"), node.sourceline))
    for tag, reason in UNSUPPORTED.items():
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            owner = node if node.get("id") else node.getparent()
            problems.append(Problem(name, reason, owner.get("id"), node.sourceline))
    problems += misexecuted_problems(name, root)
    for node in root.iter(f"{{{BPMN_NS}}}script"):
        problems += _check_code(name, node, node.text or "", "script")
    for node in root.iter(f"{{{BPMN_NS}}}conditionExpression"):
        problems += _check_code(name, node, node.text or "", "expression")
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for node in root.iter(f"{{{BPMN_NS}}}{tag}"):
            reason = check_timer_text(tag, node.text or "")
            if reason:
                problems.append(Problem(name, reason, _owner_id(node), node.sourceline))
            else:
                problems += _check_code(name, node, node.text or "", "expression")
    for node in root.iter(f"{{{BPMN_NS}}}userTask"):
        props = _properties(node)
        form_key = props.get("formKey")
        if not form_key:
            problems.append(Problem(name, "user task has no formKey property", node.get("id"), node.sourceline))
        elif form_key not in forms:
            problems.append(Problem(name, f"form {form_key!r} does not exist in forms/", node.get("id"), node.sourceline))
        for prop in ("candidateRoles", "assignee"):
            if props.get(prop):
                problems += _check_code(name, node, props[prop], "expression", f"{prop}: ")
        if props.get("dueIn"):
            problems += _check_due(name, node, props["dueIn"])
    problems += service_task_problems(name, root, forms)
    problems += duty_problems(name, root)  # separation of duties (engine/spiff/duties.py)
    return problems


def _check_due(file: str, node: Any, text: str) -> list[Problem]:
    """dueIn is an ISO duration or date, or an expression giving one."""
    if not is_iso_timer_text(text):
        return _check_code(file, node, text, "expression", "dueIn: ")
    reason = check_timer_text("timeDuration" if text.strip().upper().startswith("P") else "timeDate", text)
    return [Problem(file, f"dueIn: {reason}", node.get("id"), node.sourceline)] if reason else []


def _check_code(file: str, node: Any, source: str, kind: str, prefix: str = "") -> list[Problem]:
    if not source.strip():
        return [Problem(file, f"empty {kind}", _owner_id(node), node.sourceline)]
    reason = check_source(source, kind)
    return [Problem(file, f"{prefix}{kind} refused: {reason}", _owner_id(node), node.sourceline)] if reason else []


def _owner_id(node: Any) -> str | None:
    # An event definition's own id (TimerEventDefinition_0x1) is not what a modeller sees: name the event.
    while node is not None and (not node.get("id") or etree.QName(node).localname.endswith("EventDefinition")):
        node = node.getparent()
    return node.get("id") if node is not None else None


def _properties(node: Any) -> dict[str, str]:
    found = node.xpath("./bpmn:extensionElements/spiff:properties/spiff:property", namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in found}


def _user_tasks(spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, UserTaskInfo]:
    infos = {}
    for process_spec in (spec, *subprocess_specs.values()):
        for task_spec in process_spec.task_specs.values():
            if type(task_spec).__name__ != "UserTask":
                continue
            props = dict(getattr(task_spec, "extensions", {}).get("properties", {}))
            infos[task_spec.name] = UserTaskInfo(
                spec_name=task_spec.name,
                name=task_spec.bpmn_name or task_spec.name,
                lane=task_spec.lane,
                form_key=props.get("formKey"),
                properties=props,
            )
    return infos


def _check_assignment(file: str, lanes: dict[str, str], user_tasks: dict[str, UserTaskInfo]) -> list[Problem]:
    problems = []
    for info in user_tasks.values():
        if info.properties.get("candidateRoles") or info.properties.get("assignee"):
            continue
        if info.lane is None:
            problems.append(Problem(file, "user task is in no lane and names no candidateRoles or assignee",
                                    info.spec_name))
        elif info.lane not in lanes:
            problems.append(Problem(file, f"lane {info.lane!r} is not mapped to a role in the catalog",
                                    info.spec_name))
    return problems


def validate_bundle(bundle: ProcessBundle) -> list[Problem]:
    """Every problem of `bundle`: the errors that refuse it and warnings that do not. Never raises."""
    problems: list[Problem] = []
    try:
        compile_bundle(bundle)
    except DefinitionInvalid as err:
        problems += err.problems
    text = bundle.files.get(bundle.entry.bpmn)
    if text:
        try:
            problems += path_warnings(bundle.entry.bpmn, etree.fromstring(text.encode("utf-8")))
        except (etree.XMLSyntaxError, ValueError):
            pass  # compile_bundle has reported it
    return problems
