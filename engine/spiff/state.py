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
from uuid import UUID

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, SimpleTaskConverter
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
    one on every dump only for `stored_form` to throw it away — 40% of a dump's time. Restoring
    puts the version's already-built specs back (`serialized_form`) and reads each task's id once
    (`restore_tasks`).
    """

    def to_dict(self, workflow: Any) -> dict[str, Any]:
        """`WorkflowConverter.to_dict`, the task map keyed by the id text each task's dict already
        holds instead of writing every id out twice; then the top workflow's own parts."""
        tasks = {}
        for key, task in workflow.tasks.items():
            converted = self.registry.convert(task)
            tasks[converted["id"] if key is task.id else str(key)] = converted
        return {
            "data": self.registry.convert(self.registry.clean(workflow.data)),
            "correlations": workflow.correlations,
            "last_task": str(workflow.last_task.id) if workflow.last_task is not None else None,
            "success": workflow.success,
            "completed": workflow.completed,
            "tasks": tasks,
            "root": str(workflow.task_tree.id),
            "subprocesses": self.mapping_to_dict(workflow.subprocesses),
            "bpmn_events": self.registry.convert(workflow.bpmn_events),
        }

    def from_dict(self, dct: dict[str, Any]) -> Any:
        """SpiffWorkflow's restore of the top workflow (`BpmnWorkflowConverter.from_dict`), its
        tasks restored by `restore_tasks`."""
        spec = self.registry.restore(dct.pop("spec"))
        subprocess_specs = self.mapping_from_dict(dct.pop("subprocess_specs", {}))
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = restore_tasks(self.registry, dct["tasks"], workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def restore_tasks(registry: Any, tasks: dict[str, dict[str, Any]], workflow: Any) -> dict[UUID, Task]:
    """A workflow's task map restored as SpiffWorkflow's converters restore it, each task's id read
    once instead of four times.

    SpiffWorkflow's task converter reads a task's id as its key, as its own id, as its children's
    parent and as its parent's child: parsing the text of a UUID was a tenth of a replayed
    command. Here each task is restored without its links, which are then set from the tasks
    themselves through `Task.parent` and `Task.children`. A map that is not linked by its own
    ids — a link to a task it does not hold, which SpiffWorkflow keeps as it is, or a task filed
    under another id than its own — is left to SpiffWorkflow's way.
    """
    if not _linked_by_ids(tasks):
        return {UUID(key): registry.restore(value, workflow=workflow) for key, value in tasks.items()}
    restored = {key: registry.restore({**value, "parent": None, "children": []}, workflow=workflow)
                for key, value in tasks.items()}
    for key, value in tasks.items():
        task = restored[key]
        if value["parent"] is not None:
            task.parent = restored[value["parent"]]
        task.children = [restored[child] for child in value["children"]]
    return {task.id: task for task in restored.values()}


def _linked_by_ids(tasks: dict[str, dict[str, Any]]) -> bool:
    for key, task in tasks.items():
        if key != task["id"] or (task["parent"] is not None and task["parent"] not in tasks):
            return False
        for child in task["children"]:
            if child not in tasks:
                return False
    return True


_PLAIN = frozenset({str, int, float, bool, type(None)})


class PlainDataRegistry(DefaultRegistry):
    """SpiffWorkflow's registry, converting plain data (text, numbers, booleans, None, and dicts and
    lists of them) without a look-up and a cleaning pass per value, and restoring it without a
    call per value: task data is nearly all plain, and converting it value by value was most of
    a state dump (47 µs for a complaint's task data, 5 µs this way). The result is exactly the
    base class's: anything else, and any plain type a converter was registered for, goes through
    it (tests/engine/test_state_format.py compares)."""

    def __init__(self) -> None:
        super().__init__()
        self.kept_as_is = _PLAIN - self.typenames.keys()  # plain types no converter was registered for

    def register(self, cls: type, *args: Any, **kwargs: Any) -> None:
        super().register(cls, *args, **kwargs)
        self.kept_as_is = _PLAIN - self.typenames.keys()

    def convert(self, obj: Any) -> Any:
        kind = type(obj)
        if self._encoder_mode or kind in self.typenames:
            return super().convert(obj)
        kept = self.kept_as_is
        if kind in kept:
            return obj
        if kind is dict:  # `clean` at every level, as the base class's recursion does
            if kept.issuperset(map(type, obj.values())):  # all plain: neither callable nor a module
                return dict(obj)
            converted = {}
            for key, value in obj.items():
                if type(value) in kept:  # neither callable nor a module, and converted as it is
                    converted[key] = value
                elif not callable(value) and not isinstance(value, ModuleType):
                    converted[key] = self.convert(value)
            return converted
        if kind is list:
            return [item if type(item) in kept else self.convert(item) for item in obj]
        return super().convert(obj)

    def clean(self, obj: Any) -> Any:
        # `convert` cleans a plain map at every level as it converts it: SpiffWorkflow's converters
        # call convert(clean(data)), and a cleaning pass first only copied each task's data once more.
        if type(obj) is dict and not self._encoder_mode:
            return obj
        return super().clean(obj)

    def restore(self, val: Any, **kwargs: Any) -> Any:
        # Plain values inside a plain map or list are what the base class would return for them.
        kind = type(val)
        if kind is dict and "typename" not in val:
            if _PLAIN.issuperset(map(type, val.values())):
                return dict(val)
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
