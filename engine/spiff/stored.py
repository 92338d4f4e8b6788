"""The stored state's shape: the one module that reads or rewrites its dicts.

A stored state is SpiffWorkflow's serialized workflow without the spec, pruned, with zhidu's
format marker: a "tasks" map of task dicts ("task_spec", "state", "data", "internal_data",
"parent", "children") and a map of "subprocesses" shaped alike. Everything else in zhidu asks
this module about it (`task_entries`, `live_elements`) instead of indexing the dicts itself, so
a change of that shape changes one module, and adds one entry to `MIGRATIONS`.

The format is versioned the way SpiffWorkflow versions its own serializer (`MIGRATIONS` in
`SpiffWorkflow.bpmn.serializer.migration.version_migration`): the writer writes `STATE_FORMAT`;
a reader brings an older state up one registered step at a time and refuses a format it does
not know.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable

from SpiffWorkflow.util.task import TaskState

from engine.errors import StateFormatUnknown

STATE_FORMAT = "zhidu-state/1"
# Format a state is in -> the function that rewrites it (in place) into the next format and returns
# that format's name. Empty while zhidu-state/1 is the only format there has been.
MIGRATIONS: dict[str, Callable[[dict[str, Any]], str]] = {}

LIVE = TaskState.WAITING | TaskState.READY | TaskState.STARTED
_DONE = TaskState.COMPLETED | TaskState.CANCELLED


@dataclass(frozen=True)
class StoredTask:
    """One task of a stored state, as zhidu reads it."""

    id: str
    element: str  # the task spec's name: the BPMN id, or SpiffWorkflow's own ("Start", "Work [child]")
    state: int  # SpiffWorkflow's TaskState bits
    data: dict[str, Any]
    internal_data: dict[str, Any]

    @property
    def live(self) -> bool:
        """Waiting, ready or started: where the instance is now."""
        return bool(self.state & LIVE)


def stored_form(serialized: dict[str, Any], joins: set[str]) -> dict[str, Any]:
    """SpiffWorkflow's serialized workflow made into a stored state, in place: the specs left out
    (the version holds them), finished history pruned (`prune_tasks`), the newest format marked.
    `joins` names the parallel and inclusive gateways of the specs."""
    serialized.pop("spec", None)
    serialized.pop("subprocess_specs", None)
    # A subprocess nested in a subprocess is held by a task of its parent subprocess, not of
    # the top workflow: every map keeps whichever holders it has.
    holders = set(serialized.get("subprocesses", {}))
    prune_tasks(serialized, holders, joins)
    for sub in serialized.get("subprocesses", {}).values():
        prune_tasks(sub, holders, joins)
    serialized["format"] = STATE_FORMAT
    return serialized


def serialized_form(state: dict[str, Any], spec: Any, subprocess_specs: dict[str, Any]) -> dict[str, Any]:
    """What SpiffWorkflow's serializer restores a workflow from: a copy of the stored `state`
    brought to the newest format, with the version's already-built specs put back.

    Raises:
        StateFormatUnknown: see `upgraded`.
    """
    dct = _consumable(state) if state.get("format") == STATE_FORMAT else upgraded(state)
    dct.pop("format")
    # Already-built spec objects pass through the serializer's registry unchanged: no re-parse per load.
    dct["spec"] = spec
    dct["subprocess_specs"] = dict(subprocess_specs)
    return dct


def _consumable(state: dict[str, Any]) -> dict[str, Any]:
    """A copy of a current-format `state` that SpiffWorkflow's deserializer may use up.

    Only the maps it changes or keeps are copied: the top map and each subprocess's (it pops keys
    from them), the map of subprocesses, and the correlations (the restored workflow holds that
    very dict). Everything else — task maps, data, internal data, events — it restores into new
    dicts and lists (`DictionaryConverter.restore`), so a deep copy first (a third of a load's
    time) bought nothing; tests/engine/test_state_format.py holds the caller's state unchanged
    by a command run on it.
    """
    def top_of(workflow_dict: dict[str, Any]) -> dict[str, Any]:
        found = dict(workflow_dict)
        if "correlations" in found:
            found["correlations"] = copy.deepcopy(found["correlations"])
        return found

    dct = top_of(state)
    if "subprocesses" in dct:
        dct["subprocesses"] = {key: top_of(sub) for key, sub in dct["subprocesses"].items()}
    return dct


def upgraded(state: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of `state` in `STATE_FORMAT`, through each registered migration in turn.

    Raises:
        StateFormatUnknown: the state's format is newer than this code, or not zhidu's.
    """
    found = copy.deepcopy(state)
    for _ in range(len(MIGRATIONS) + 1):
        if found.get("format") == STATE_FORMAT:
            return found
        step = MIGRATIONS.get(found.get("format"))
        if step is None:
            break
        found["format"] = step(found)
    raise StateFormatUnknown(state.get("format"))


def _readable(state: dict[str, Any]) -> dict[str, Any]:
    return state if state.get("format") == STATE_FORMAT else upgraded(state)


def task_entries(state: dict[str, Any]) -> list[StoredTask]:
    """The tasks of the top workflow of a stored state (not of its subprocesses).

    Raises:
        StateFormatUnknown: see `upgraded`.
    """
    return _entries(_readable(state))


def every_task_entry(state: dict[str, Any]) -> list[StoredTask]:
    """The tasks of the top workflow and then of each subprocess.

    Raises:
        StateFormatUnknown: see `upgraded`.
    """
    current = _readable(state)
    return [task for part in (current, *current.get("subprocesses", {}).values()) for task in _entries(part)]


def live_elements(state: dict[str, Any]) -> list[str]:
    """The spec names of the top workflow's waiting, ready and started tasks, sorted, once each:
    the elements an instance's diagram and replay's steps mark active.

    Raises:
        StateFormatUnknown: see `upgraded`.
    """
    return sorted({task.element for task in task_entries(state) if task.live})


def _entries(workflow_dict: dict[str, Any]) -> list[StoredTask]:
    return [StoredTask(task_id, t["task_spec"], t["state"], t["data"], t["internal_data"])
            for task_id, t in workflow_dict.get("tasks", {}).items()]


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
    collecting = {t["task_spec"] for t in tasks.values()
                  if t["task_spec"] in joins and t["state"] & TaskState.WAITING}
    for task_id, task in tasks.items():
        if task["state"] & _DONE and task["task_spec"] not in collecting:
            continue
        keep.add(task_id)
        keep.update(task["children"])
        if task["parent"]:
            keep.add(task["parent"])
    if len(keep) == len(tasks):
        return
    _splice(workflow_dict, keep)


def _splice(workflow_dict: dict[str, Any], keep: set[str]) -> None:
    """Remove every task not in `keep`, reconnecting each kept task to its nearest kept ancestor."""
    tasks: dict[str, dict] = workflow_dict["tasks"]
    new_parent = {}
    for task_id in keep:
        parent = tasks[task_id]["parent"]
        while parent is not None and parent not in keep:
            parent = tasks[parent]["parent"]
        new_parent[task_id] = parent
    children: dict[str, list[str]] = {task_id: [] for task_id in keep}
    for task_id in _preorder(tasks, workflow_dict["root"], keep):
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
