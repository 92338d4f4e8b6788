"""zhidu's BPMN/DMN parser: SpiffWorkflow's, with parser classes swapped at its seam."""

from __future__ import annotations

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser, SpiffProcessParser

from engine.spiff import timer_events as timers
from engine.spiff.external import ExternalTask, ExternalTaskParser

_SPIFF = SpiffBpmnParser.OVERRIDE_PARSER_CLASSES


class MergeLinkingProcessParser(SpiffProcessParser):
    """SpiffWorkflow's process parser, with every loop/multi-instance task's child spec connected to
    its merge once the process is parsed.

    SpiffWorkflow makes that connection only when a running instance creates a child (on the shared
    spec object), or when its serializer restores a spec. zhidu's stored state holds no spec, so a
    version compiled afresh (after a restart, in another process) and loaded mid-loop would never
    merge its finished children, and the task would never end. This is the connection
    SpiffWorkflow's own spec converter makes on restore (`BpmnProcessSpecConverter.from_dict`).
    """

    def add_tasks(self):
        super().add_tasks()
        for task_spec in self.spec.task_specs.values():
            if isinstance(task_spec, LoopTask):
                child = self.spec.task_specs.get(task_spec.task_spec)
                if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                    child.completed_event.connect(task_spec.merge_child)


class ZhiduParser(SpiffBpmnParser):
    """Timers read the engine clock, loops merge on any load, service tasks wait for external
    workers (engine/spiff/external.py); the rest is SpiffWorkflow's spiff dialect."""

    PROCESS_PARSER_CLASS = MergeLinkingProcessParser
    OVERRIDE_PARSER_CLASSES = {
        **_SPIFF,
        full_tag("startEvent"): (timers.StartEventParser, _SPIFF[full_tag("startEvent")][1]),
        full_tag("intermediateCatchEvent"): (
            timers.IntermediateCatchEventParser, _SPIFF[full_tag("intermediateCatchEvent")][1]),
        full_tag("boundaryEvent"): (timers.BoundaryEventParser, _SPIFF[full_tag("boundaryEvent")][1]),
        full_tag("serviceTask"): (ExternalTaskParser, ExternalTask),
    }
