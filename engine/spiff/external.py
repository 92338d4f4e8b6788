"""Service tasks done by programs outside zhidu: external tasks (issue 14.4).

A BPMN `serviceTask` names a topic in zhidu's usual extension, the spiffworkflow properties a
user task names its form in:

    <bpmn:serviceTask id="Score" name="Score the lead">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="topic" value="lead-scoring" />     <!-- required -->
        <spiffworkflow:property name="formKey" value="lead_score" />     <!-- optional: the result's schema -->
        <spiffworkflow:property name="retries" value="3" />              <!-- optional, default 3 -->
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:serviceTask>

The parser class table (SpiffWorkflow's seam) maps `serviceTask` to `ExternalTaskParser` and
`ExternalTask`, a manual task spec: the engine stops at it and it stays READY, like a user
task, until a worker's result completes it. SpiffWorkflow's own service task (a
`serviceTaskOperator` called synchronously through the script engine) is refused at deploy:
nothing in zhidu would answer the call.

This module knows the spec and which external tasks a workflow waits on; which worker holds
which task is storage's (engine/commands/external_tasks.py writes the rows).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.spiff.parser.task_spec import SpiffTaskParser
from SpiffWorkflow.spiff.serializer.task_spec import SpiffBpmnTaskConverter
from SpiffWorkflow.spiff.specs.spiff_task import SpiffBpmnTask
from SpiffWorkflow.util.task import TaskState

from engine.definitions.namespaces import BPMN_NS, SPIFF_NS
from engine.errors import Problem

DEFAULT_RETRIES = 3
MAX_RETRIES = 100
MAX_TOPIC = 100
_NS = {"bpmn": BPMN_NS, "spiff": SPIFF_NS}


class ExternalTask(SpiffBpmnTask):
    """A service task a worker outside zhidu does: it waits READY until its result arrives."""

    def __init__(self, wf_spec: Any, name: str, topic: str, form_key: str | None = None,
                 retries: int = DEFAULT_RETRIES, **kwargs: Any):
        kwargs["manual"] = True  # the engine steps past it only when a worker's result runs it
        super().__init__(wf_spec, name, **kwargs)
        self.topic, self.form_key, self.retries = topic, form_key, retries


class ExternalTaskParser(SpiffTaskParser):
    """Reads the topic, result form and retries from the task's spiffworkflow properties."""

    def create_task(self) -> ExternalTask:
        extensions = self.parse_extensions()
        props = extensions.get("properties") or {}
        topic = (props.get("topic") or "").strip()
        if not topic:
            raise ValidationException("a service task must name a topic", node=self.node, file_name=self.filename)
        return self.spec_class(self.spec, self.bpmn_id, topic=topic, form_key=props.get("formKey") or None,
                               retries=_retries(props.get("retries")), prescript=extensions.get("preScript"),
                               postscript=extensions.get("postScript"), **self.bpmn_attributes)


class ExternalTaskConverter(SpiffBpmnTaskConverter):
    """The serializer's form of the spec (SpiffWorkflow's spec diff compares versions with it)."""

    def to_dict(self, spec: ExternalTask) -> dict[str, Any]:
        dct = super().to_dict(spec)
        dct.update(topic=spec.topic, form_key=spec.form_key, retries=spec.retries)
        return dct


@dataclass(frozen=True)
class ExternalReady:
    """An external task the workflow now waits on."""

    id: str
    element: str
    title: str
    topic: str
    form_key: str | None
    retries: int


@dataclass
class ExternalChanges:
    """What one engine run did to the instance's external tasks."""

    ready: list[ExternalReady] = field(default_factory=list)      # waiting after the run
    entered: list[ExternalReady] = field(default_factory=list)    # new since the run began
    left: dict[str, str] = field(default_factory=dict)            # task id -> completed | cancelled
    revived: list[str] = field(default_factory=list)              # waiting again after an incident retry

    def __bool__(self) -> bool:
        return bool(self.ready or self.entered or self.left)


def external_ready(workflow: Any) -> list[ExternalReady]:
    """The external tasks `workflow` waits on (in its subprocesses too)."""
    found = []
    for task in workflow.get_tasks(state=TaskState.READY):
        spec = task.task_spec
        if isinstance(spec, ExternalTask):
            found.append(ExternalReady(str(task.id), spec.bpmn_id or spec.name, spec.bpmn_name or spec.name,
                                       spec.topic, spec.form_key, spec.retries))
    return found


def is_external(task: Any) -> bool:
    return isinstance(task.task_spec, ExternalTask)


def service_task_problems(file: str, root: Any, forms: dict[str, Any]) -> list[Problem]:
    """Every service task of a BPMN document that names no topic, a form that does not exist,
    retries that are no count, or SpiffArena's connector operator (which nothing would answer)."""
    problems = []
    for node in root.iter(f"{{{BPMN_NS}}}serviceTask"):
        where = (node.get("id"), node.sourceline)
        found = node.xpath("./bpmn:extensionElements/spiff:properties/spiff:property", namespaces=_NS)
        props = {p.get("name"): p.get("value", "") for p in found}
        topic = (props.get("topic") or "").strip()
        if node.xpath("./bpmn:extensionElements/spiff:serviceTaskOperator", namespaces=_NS):
            problems.append(Problem(file, "service task operators (connectors) are not supported: name a topic "
                                          "for an external worker instead", *where))
        if not topic:
            problems.append(Problem(file, "service task names no topic (spiffworkflow property 'topic'): "
                                          "no external worker could fetch it", *where))
        elif len(topic) > MAX_TOPIC:
            problems.append(Problem(file, f"service task topic is over {MAX_TOPIC} characters", *where))
        form_key = props.get("formKey")
        if form_key and form_key not in forms:
            problems.append(Problem(file, f"result form {form_key!r} does not exist in forms/", *where))
        if props.get("retries") is not None and _retries(props["retries"], None) is None:
            problems.append(Problem(file, f"retries must be a whole number from 1 to {MAX_RETRIES}, "
                                          f"not {props['retries']!r}", *where))
    return problems


def _retries(text: str | None, default: int | None = DEFAULT_RETRIES) -> int | None:
    if text is None or not str(text).strip():
        return default
    try:
        value = int(str(text).strip())
    except ValueError:
        return default
    return value if 1 <= value <= MAX_RETRIES else default
