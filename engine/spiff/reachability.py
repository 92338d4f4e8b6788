"""Warnings about paths: steps no start event leads to, and steps from which nobody can finish.

These are warnings, not errors: SpiffWorkflow runs such a model, but a person working on it
could end up with no way to complete the procedure. Each (sub)process is checked on its own;
a subprocess counts as one step of the process that holds it.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.errors import Problem
from engine.definitions.namespaces import BPMN_NS

_SCOPES = {"process", "subProcess", "transaction"}
_NOT_NODES = {"sequenceFlow", "laneSet", "extensionElements", "documentation", "dataObject",
              "dataObjectReference", "dataStoreReference", "textAnnotation", "association", "group",
              "ioSpecification", "property", "dataInputAssociation", "dataOutputAssociation",
              "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "incoming", "outgoing"}


def path_warnings(file: str, root: Any) -> list[Problem]:
    """Warnings for every process of one parsed BPMN document."""
    problems: list[Problem] = []
    for scope in root.iter(*(f"{{{BPMN_NS}}}{tag}" for tag in _SCOPES)):
        problems += _scope_warnings(file, scope)
    return problems


def _local(node: Any) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def _scope_warnings(file: str, scope: Any) -> list[Problem]:
    nodes = {n.get("id"): n for n in scope if isinstance(n.tag, str) and n.tag.startswith(f"{{{BPMN_NS}}}")
             and _local(n) not in _NOT_NODES and n.get("id")}
    if not nodes:
        return []
    outgoing: dict[str, set[str]] = {key: set() for key in nodes}
    incoming: dict[str, set[str]] = {key: set() for key in nodes}
    for flow in scope.findall(f"{{{BPMN_NS}}}sequenceFlow"):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        if source in nodes and target in nodes:
            outgoing[source].add(target)
            incoming[target].add(source)
    for key, node in nodes.items():
        attached = node.get("attachedToRef")
        if _local(node) == "boundaryEvent" and attached in nodes:
            outgoing[attached].add(key)
            incoming[key].add(attached)
    starts = {k for k, n in nodes.items() if _local(n) == "startEvent"} or \
        {k for k in nodes if not incoming[k] and _local(nodes[k]) != "boundaryEvent"}
    if _local(scope) == "subProcess" and scope.get("triggeredByEvent") == "true":
        starts = {k for k, n in nodes.items() if _local(n) == "startEvent"}
    # Event subprocesses start on their own events; they are not reached by flows.
    starts |= {k for k, n in nodes.items() if _local(n) == "subProcess" and n.get("triggeredByEvent") == "true"}
    ends = {k for k in nodes if not outgoing[k]}
    reached = _closure(starts, outgoing)
    finishing = _closure(ends, incoming)
    problems = []
    for key in sorted(nodes):
        node, kind = nodes[key], _local(nodes[key])
        if key not in reached:
            what = "end event" if kind == "endEvent" else "step"
            problems.append(_warning(file, node, f"this {what} cannot be reached from the start event"))
        elif key not in finishing:
            problems.append(_warning(file, node, "no path leads from here to an end event: "
                                                 "an instance that gets here can never finish"))
        elif key in ends and kind not in ("endEvent", "boundaryEvent") and \
                not (kind == "subProcess" and node.get("triggeredByEvent") == "true"):
            problems.append(_warning(file, node, "has no outgoing flow and is not an end event"))
    return problems


def _closure(seeds: set[str], edges: dict[str, set[str]]) -> set[str]:
    seen, stack = set(seeds), list(seeds)
    while stack:
        for nxt in edges[stack.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _warning(file: str, node: Any, reason: str) -> Problem:
    return Problem(file, reason, node.get("id"), node.sourceline, severity="warning")
