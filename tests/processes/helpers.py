"""Small helpers to drive a procedure through the engine facade, one storage round-trip per command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from engine.errors import PermissionDenied
from engine.runtime import Engine
from engine.views import InstanceView, TaskView

PROCESSES = Path(__file__).resolve().parents[2] / "processes"


class NewProcessEachCommand:
    """Stands in for the facade, but every call goes to a new Engine with an empty spec cache,
    as when each command runs in a new CLI process, another web worker, or after a restart."""

    def __init__(self, zhidu: Engine):
        self.zhidu = zhidu

    def __getattr__(self, name: str):
        return getattr(Engine(self.zhidu.uow_factory, self.zhidu.clock, files=self.zhidu.files), name)


def start(zhidu: Engine, key: str, user: str, data: dict[str, Any]) -> str:
    """Start `key` as `user` and return the instance id; the instance must be running."""
    view = zhidu.start(key, user, data)
    assert view.status == "running", view.incident
    return view.id


def open_tasks(zhidu: Engine, instance_id: str) -> list[TaskView]:
    """The instance's open user tasks, as storage holds them."""
    view = zhidu.show(instance_id)
    assert view.incident is None, view.incident
    return list(view.active_tasks)


def active(zhidu: Engine, instance_id: str) -> set[str]:
    """The element ids (multi-instance children without their ' [child]' suffix) now waiting."""
    return {t.name.removesuffix(" [child]") for t in open_tasks(zhidu, instance_id)}


def complete_as(zhidu: Engine, instance_id: str, element: str, user: str, data: dict[str, Any],
                task: TaskView | None = None) -> InstanceView:
    """Complete the open task `element` as `user`, checking it sits in their inbox first."""
    if task is None:
        matching = [t for t in open_tasks(zhidu, instance_id) if t.name.removesuffix(" [child]") == element]
        assert matching, f"{element} is not open; open: {active(zhidu, instance_id)}"
        task = matching[0]
    inbox = {t.id for t in zhidu.tasks_for(user)}
    assert task.id in inbox, f"{element} is not in {user}'s inbox (offered to {task.candidates})"
    view = zhidu.complete_task(task.id, user, data)
    assert view.incident is None, view.incident
    return view


def complete_each(zhidu: Engine, instance_id: str, element: str, by_user: dict[str, dict[str, Any]]) -> InstanceView:
    """Complete every open instance of a multi-instance `element`, each as the user it is assigned to."""
    view = None
    for user, data in by_user.items():
        mine = [t for t in open_tasks(zhidu, instance_id)
                if t.name.removesuffix(" [child]") == element and f"user:{user}" in t.candidates]
        assert len(mine) == 1, f"expected one {element} for {user}, found {len(mine)}"
        view = complete_as(zhidu, instance_id, element, user, data, task=mine[0])
    return view


def entered_in_order(zhidu: Engine, instance_id: str, element: str) -> list[TaskView]:
    """Open tasks of `element` in the order the engine created them (multi-instance: the input list's order)."""
    open_by_id = {t.id: t for t in open_tasks(zhidu, instance_id)}
    order = [e.payload["task_id"] for e in zhidu.history(instance_id)
             if e.kind == "task_entered" and e.payload["element"] == element and e.payload["task_id"] in open_by_id]
    return [open_by_id[task_id] for task_id in order]


def data(zhidu: Engine, instance_id: str) -> dict[str, Any]:
    return zhidu.show(instance_id).data


def status(zhidu: Engine, instance_id: str) -> str:
    return zhidu.show(instance_id).status


def assert_diagram_complete(bpmn_file: str) -> None:
    """Every flow node has a BPMNShape, every sequence flow a BPMNEdge with waypoints, lanes are horizontal."""
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
          "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
          "di": "http://www.omg.org/spec/DD/20100524/DI"}
    root = etree.parse(str(PROCESSES / bpmn_file)).getroot()
    ids = [node.get("id") for node in root.iter() if isinstance(node.tag, str) and node.get("id")]
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted({i for i in ids if ids.count(i) > 1})}"
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", ns)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", ns)}
    process = root.find("bpmn:process", ns)
    for node in process.iter():
        tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
        if tag == "sequenceFlow":
            edge = edges.get(node.get("id"))
            assert edge is not None, f"flow {node.get('id')} has no BPMNEdge"
            assert len(edge.findall("di:waypoint", ns)) >= 2, f"flow {node.get('id')} has too few waypoints"
        elif tag.endswith(("Task", "Event", "Gateway", "subProcess", "lane")) and node.get("id"):
            assert node.get("id") in shapes, f"{tag} {node.get('id')} has no BPMNShape"
    for participant in root.iterfind(".//bpmn:participant", ns):
        assert shapes[participant.get("id")].get("isHorizontal") == "true"
    for lane in root.iterfind(".//bpmn:lane", ns):
        assert shapes[lane.get("id")].get("isHorizontal") == "true"


def offered_to(zhidu: Engine, iid: str, element: str) -> tuple[str, ...]:
    """The candidates of the one open task of `element`."""
    [task] = [t for t in open_tasks(zhidu, iid) if t.name == element]
    return task.candidates


def refused(zhidu: Engine, iid: str, element: str, user: str, form: dict, error: type = PermissionDenied) -> None:
    """`user` does not see the open `element` and may neither claim nor complete it."""
    [task] = [t for t in open_tasks(zhidu, iid) if t.name == element]
    assert task.id not in {t.id for t in zhidu.tasks_for(user)}
    with pytest.raises(error):
        zhidu.claim(task.id, user)
    with pytest.raises(error):
        zhidu.complete_task(task.id, user, form)
