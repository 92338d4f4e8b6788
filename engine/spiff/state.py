"""The stored form of a running instance: no copy of the spec, and only what can still run.

SpiffWorkflow keeps every task an instance ever ran in one tree, so its state and the cost
of each step grow with history, and past ~250 loop iterations its task iterator gives up
(`TaskIterator(max_depth=1000)`). The journal holds history; the state keeps only the tasks
that are unfinished, their parents and children, and the root, with the finished chains in
between spliced out. Task data is stored whole per task (not as a delta against the parent),
which is what makes splicing safe.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import TimerConditionalEventDefinitionConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import SimpleTaskConverter
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.bpmn.specs.mixins.unstructured_join import UnstructuredJoin
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from engine.spiff.timer_events import CLOCKED

STATE_FORMAT = "zhidu-state/1"
_DONE = TaskState.COMPLETED | TaskState.CANCELLED
_WAITING = TaskState.WAITING
_local = threading.local()


def _serializer() -> BpmnWorkflowSerializer:
    # The serializer's registry holds mutable mode flags, so each thread gets its own.
    found = getattr(_local, "serializer", None)
    if found is None:
        config = dict(SPIFF_CONFIG)
        config[Task] = SimpleTaskConverter
        for clocked in CLOCKED.values():
            config[clocked] = TimerConditionalEventDefinitionConverter
        found = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
        _local.serializer = found
    return found


def dump_state(workflow: Any) -> dict[str, Any]:
    """The instance's live state as a JSON-ready dict, without the spec, pruned."""
    state = _serializer().to_dict(workflow)
    state.pop("spec", None)
    state.pop("subprocess_specs", None)
    # A subprocess nested in a subprocess is held by a task of its parent subprocess, not of
    # the top workflow: every map keeps whichever holders it has.
    holders = set(state.get("subprocesses", {}))
    joins = join_spec_names(workflow)
    prune_tasks(state, holders, joins)
    for sub in state.get("subprocesses", {}).values():
        prune_tasks(sub, holders, joins)
    state["format"] = STATE_FORMAT
    return state


def load_state(state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any], script_engine: Any) -> Any:
    """Rebuild a workflow from its stored state and its version's compiled spec."""
    if state.get("format") != STATE_FORMAT:
        raise ValueError(f"unknown state format {state.get('format')!r}")
    dct = copy.deepcopy(state)
    dct.pop("format")
    # Already-built spec objects pass through the registry unchanged: no re-parse per load.
    dct["spec"] = spec
    dct["subprocess_specs"] = dict(subprocess_specs)
    workflow = _serializer().from_dict(dct)
    workflow.script_engine = script_engine
    return workflow


def join_spec_names(workflow: Any) -> set[str]:
    """Names of the parallel and inclusive gateways (joins) of a workflow's specs."""
    specs = [workflow.spec, *getattr(workflow, "subprocess_specs", {}).values()]
    return {name for spec in specs for name, task_spec in spec.task_specs.items()
            if isinstance(task_spec, UnstructuredJoin)}


def prune_tasks(workflow_dict: dict[str, Any], holders: set[str] = frozenset(),
                joins: set[str] = frozenset()) -> None:
    """Drop finished history from one (sub)workflow's task map, in place; tasks that hold a
    subprocess (`holders`, and the map's own `subprocesses`) are kept.

    A join still collecting its branches (a WAITING task of a join spec) counts the branches
    that already arrived by their finished join tasks and those tasks' parents: they stay
    until the join fires.
    """
    tasks: dict[str, dict] = workflow_dict["tasks"]
    root = workflow_dict["root"]
    holders = (set(workflow_dict.get("subprocesses", {})) | set(holders)) & tasks.keys()
    keep = {root} | holders
    collecting = {t["task_spec"] for t in tasks.values() if t["task_spec"] in joins and t["state"] & _WAITING}
    for task_id, task in tasks.items():
        if task["state"] & _DONE and task["task_spec"] not in collecting:
            continue
        keep.add(task_id)
        keep.update(task["children"])
        if task["parent"]:
            keep.add(task["parent"])
    if len(keep) == len(tasks):
        return
    new_parent = {}
    for task_id in keep:
        parent = tasks[task_id]["parent"]
        while parent is not None and parent not in keep:
            parent = tasks[parent]["parent"]
        new_parent[task_id] = parent
    children: dict[str, list[str]] = {task_id: [] for task_id in keep}
    for task_id in _preorder(tasks, root, keep):
        if new_parent[task_id] is not None:
            children[new_parent[task_id]].append(task_id)
    for task_id in list(tasks):
        if task_id not in keep:
            del tasks[task_id]
    for task_id, task in tasks.items():
        task["parent"] = new_parent[task_id]
        task["children"] = children[task_id]
    if workflow_dict.get("last_task") not in keep:
        workflow_dict["last_task"] = None


def _preorder(tasks: dict[str, dict], root: str, keep: set[str]) -> list[str]:
    """Kept task ids in tree order, so children keep their relative order."""
    order, stack = [], [root]
    while stack:
        task_id = stack.pop()
        if task_id in keep:
            order.append(task_id)
        stack.extend(reversed(tasks[task_id]["children"]))
    return order


def spec_registry() -> Any:
    """The (per-thread) serializer registry, which SpiffWorkflow's spec diff compares specs with."""
    return _serializer().registry
