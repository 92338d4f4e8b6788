"""The stored form of a running instance: no copy of the spec, and only what can still run.

SpiffWorkflow keeps every task an instance ever ran in one tree, so its state and the cost
of each step grow with history, and past ~250 loop iterations its task iterator gives up
(`TaskIterator(max_depth=1000)`). The journal holds history; the state keeps only the tasks
that are unfinished, their parents and children, and the root, with the finished chains in
between spliced out. Task data is stored whole per task (not as a delta against the parent),
which is what makes splicing safe.

This module turns workflows into stored states and back with SpiffWorkflow's serializer; the
shape of the stored dicts (pruning, format versions, reading tasks) is engine/spiff/stored.py's.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, SimpleTaskConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task

from engine.spiff.external import ExternalTask, ExternalTaskConverter
from engine.spiff.stored import serialized_form, stored_form
from engine.spiff.timer_events import CLOCKED

_local = threading.local()


class SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """SpiffWorkflow's converter of the top workflow, leaving out its spec and subprocess specs.

    The stored state holds no copy of the spec (DESIGN 2): SpiffWorkflow's own converter rebuilt
    one on every dump only for `stored_form` to throw it away — 40% of a dump's time. Restoring is
    unchanged: `serialized_form` puts the version's already-built specs back.
    """

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


_PLAIN = (str, int, float, bool, type(None))


class PlainDataRegistry(DefaultRegistry):
    """SpiffWorkflow's registry, converting plain data (text, numbers, booleans, None, and dicts and
    lists of them) without a look-up and a cleaning pass per value, and restoring it without a
    call per value: task data is nearly all plain, and converting it value by value was most of
    a state dump (47 µs for a complaint's task data, 5 µs this way). The result is exactly the
    base class's: anything else, and any plain type a converter was registered for, goes through
    it (tests/engine/test_state_format.py compares)."""

    def convert(self, obj: Any) -> Any:
        kind = type(obj)
        if self._encoder_mode or kind in self.typenames:
            return super().convert(obj)
        if kind in _PLAIN:
            return obj
        if kind is dict:  # `clean` at every level, as the base class's recursion does
            return {key: self.convert(value) for key, value in obj.items()
                    if not callable(value) and not isinstance(value, ModuleType)}
        if kind is list:
            return [self.convert(item) for item in obj]
        return super().convert(obj)

    def restore(self, val: Any, **kwargs: Any) -> Any:
        # Plain values inside a plain map or list are what the base class would return for them.
        kind = type(val)
        if kind is dict and "typename" not in val:
            return {key: value if type(value) in _PLAIN else self.restore(value, **kwargs)
                    for key, value in val.items()}
        if kind is list:
            return [item if type(item) in _PLAIN else self.restore(item, **kwargs) for item in val]
        return super().restore(val, **kwargs)


def serializer_config() -> dict[type, type]:
    """SpiffWorkflow's serializer configuration as zhidu uses it: data stored whole per task,
    external tasks and clocked timers known, the top workflow stored without its spec."""
    config = dict(SPIFF_CONFIG)
    config[Task] = SimpleTaskConverter
    config[ExternalTask] = ExternalTaskConverter
    config[BpmnWorkflow] = SpeclessWorkflowConverter
    for clocked in CLOCKED.values():
        config[clocked] = TimerConditionalEventDefinitionConverter
    return config


def _serializer() -> BpmnWorkflowSerializer:
    # The serializer's registry holds mutable mode flags, so each thread gets its own.
    found = getattr(_local, "serializer", None)
    if found is None:
        found = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(serializer_config(), PlainDataRegistry()))
        _local.serializer = found
    return found


def dump_state(workflow: Any) -> dict[str, Any]:
    """The instance's live state as a JSON-ready dict, without the spec, pruned."""
    return stored_form(_serializer().to_dict(workflow), join_spec_names(workflow))


def load_state(state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> Any:
    """Rebuild a workflow from its stored state and its version's compiled spec.

    Raises:
        StateFormatUnknown: the state's format is newer than this code, or not zhidu's.
    """
    workflow = _serializer().from_dict(serialized_form(state, spec, subprocess_specs))
    workflow.script_engine = script_engine
    return workflow


def join_spec_names(workflow: Any) -> set[str]:
    """Names of the parallel and inclusive gateways (joins) of a workflow's specs."""
    specs = [workflow.spec, *getattr(workflow, "subprocess_specs", {}).values()]
    return {name for spec in specs for name, task_spec in spec.task_specs.items()
            if isinstance(task_spec, UnstructuredJoin)}


def spec_registry() -> Any:
    """The (per-thread) serializer registry, which SpiffWorkflow's spec diff compares specs with."""
    return _serializer().registry
