"""What changed between two versions of a procedure, element by element (a pure function).

Elements are matched by BPMN id. For each, the comparison covers what a process owner
changes and what matters when instances move: type, name, zhidu properties (formKey,
candidateRoles, assignee, dueIn), SpiffWorkflow's other extension elements (pre- and
post-scripts, the decision a business rule task calls), the multi-instance or standard loop,
the condition of a flow, the script of a script task, the text of a timer, the lane, and the
incoming and outgoing flows. Forms and the catalog entry's fields are compared as well.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.definitions.bundles import ProcessBundle
from engine.definitions.namespaces import BPMN_NS, SPIFF_NS

_NS = {"bpmn": BPMN_NS, "spiff": SPIFF_NS}
# Containers and definitions, not flow elements a person would call a "step".
_SKIPPED = {"definitions", "process", "laneSet", "collaboration", "participant", "extensionElements",
            "documentation", "incoming", "outgoing", "conditionExpression", "script", "property",
            "properties", "flowNodeRef", "multiInstanceLoopCharacteristics"}
# Fields that only describe how an element is connected; migration tolerates these changing.
CONNECTION_FIELDS = ("incoming", "outgoing", "source", "target")


@dataclass(frozen=True)
class ElementChange:
    """One element added, removed or changed; `fields` maps a field to (before, after)."""

    element: str
    kind: str
    type: str
    name: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"element": self.element, "kind": self.kind, "type": self.type, "name": self.name,
                "fields": {k: {"before": b, "after": a} for k, (b, a) in self.fields.items()}}


@dataclass(frozen=True)
class VersionDiff:
    """Elements, forms and catalog fields that differ between an old and a new version."""

    elements: tuple[ElementChange, ...]
    forms: dict[str, str]           # form key -> "added" | "removed" | "changed"
    catalog: dict[str, tuple[Any, Any]]
    decisions: dict[str, str] = field(default_factory=dict)  # DMN file -> "added" | "removed" | "changed"

    def of_kind(self, kind: str) -> list[ElementChange]:
        return [c for c in self.elements if c.kind == kind]

    @property
    def empty(self) -> bool:
        return not (self.elements or self.forms or self.catalog or self.decisions)

    def to_dict(self) -> dict[str, Any]:
        return {"elements": [c.to_dict() for c in self.elements], "forms": dict(self.forms),
                "decisions": dict(self.decisions),
                "catalog": {k: {"before": b, "after": a} for k, (b, a) in self.catalog.items()}}


def diff_versions(old: ProcessBundle, new: ProcessBundle) -> VersionDiff:
    """Compare two bundles of the same procedure."""
    before = describe_elements(old.files.get(old.entry.bpmn, ""))
    after = describe_elements(new.files.get(new.entry.bpmn, ""))
    changes = []
    for element in sorted(set(before) | set(after)):
        was, now = before.get(element), after.get(element)
        if was is None:
            changes.append(ElementChange(element, "added", now["type"], now["name"]))
        elif now is None:
            changes.append(ElementChange(element, "removed", was["type"], was["name"]))
        else:
            fields = {k: (was.get(k), now.get(k)) for k in sorted(set(was) | set(now)) if was.get(k) != now.get(k)}
            if fields:
                changes.append(ElementChange(element, "changed", now["type"], now["name"], fields))
    forms = {name.removeprefix("forms/").removesuffix(".yaml"): kind
             for name, kind in _file_changes(old.form_files(), new.form_files()).items()}
    decisions = _file_changes({n: old.files.get(n, "") for n in old.entry.dmn},
                              {n: new.files.get(n, "") for n in new.entry.dmn})
    old_entry, new_entry = old.entry.to_dict(), new.entry.to_dict()
    catalog = {k: (old_entry.get(k), new_entry.get(k)) for k in sorted(set(old_entry) | set(new_entry))
               if old_entry.get(k) != new_entry.get(k) and k != "dmn"}
    return VersionDiff(tuple(changes), forms, catalog, decisions)


def _file_changes(old: dict[str, str], new: dict[str, str]) -> dict[str, str]:
    """name -> "added" | "removed" | "changed" for files whose text differs."""
    changes = {}
    for name in sorted(set(old) | set(new)):
        if name not in old:
            changes[name] = "added"
        elif name not in new:
            changes[name] = "removed"
        elif old[name] != new[name]:
            changes[name] = "changed"
    return changes


def describe_elements(bpmn_text: str) -> dict[str, dict[str, Any]]:
    """Every flow element of a BPMN document by id, with the fields `diff_versions` compares.

    An unreadable document describes no elements (validation reports why).
    """
    try:
        root = etree.fromstring(bpmn_text.encode("utf-8"))
    except (etree.XMLSyntaxError, ValueError):
        return {}
    found: dict[str, dict[str, Any]] = {}
    lanes = _lanes(root)
    for node in root.iter():
        if not isinstance(node.tag, str) or not node.tag.startswith(f"{{{BPMN_NS}}}"):
            continue
        kind = etree.QName(node).localname
        element = node.get("id")
        if not element or kind in _SKIPPED or kind.endswith("EventDefinition") or kind == "lane":
            continue
        found[element] = _describe(node, kind, lanes.get(element))
    flows = [(k, v) for k, v in found.items() if v["type"] == "sequenceFlow"]
    for flow_id, flow in sorted(flows):
        for end, direction in (("source", "outgoing"), ("target", "incoming")):
            if flow.get(end) in found:
                found[flow[end]].setdefault(direction, []).append(flow_id)
    return found


def _describe(node: Any, kind: str, lane: str | None) -> dict[str, Any]:
    item: dict[str, Any] = {"type": kind, "name": node.get("name") or ""}
    if lane:
        item["lane"] = lane
    props = {p.get("name"): p.get("value", "") for p in
             node.xpath("./bpmn:extensionElements/spiff:properties/spiff:property", namespaces=_NS)}
    if props:
        item["properties"] = props
        if props.get("formKey"):
            item["form_key"] = props["formKey"]
    for extension in node.xpath("./bpmn:extensionElements/*[not(self::spiff:properties)]", namespaces=_NS):
        item[etree.QName(extension).localname] = _text_of(extension)
    for tag in ("multiInstanceLoopCharacteristics", "standardLoopCharacteristics"):
        loop = node.find(f"{{{BPMN_NS}}}{tag}")
        if loop is not None:
            item["loop"] = f"{tag}: {_text_of(loop)}"
    if kind == "sequenceFlow":
        item["source"], item["target"] = node.get("sourceRef"), node.get("targetRef")
        condition = node.find(f"{{{BPMN_NS}}}conditionExpression")
        if condition is not None:
            item["condition"] = (condition.text or "").strip()
    script = node.find(f"{{{BPMN_NS}}}script")
    if script is not None:
        item["script"] = (script.text or "").strip()
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        timer = node.find(f"{{{BPMN_NS}}}timerEventDefinition/{{{BPMN_NS}}}{tag}")
        if timer is not None:
            item["timer"] = f"{tag}: {(timer.text or '').strip()}"
    definitions = sorted(etree.QName(d).localname for d in node if isinstance(d.tag, str)
                         and etree.QName(d).localname.endswith("EventDefinition"))
    if definitions:
        item["event"] = ", ".join(definitions)
    for attribute in ("attachedToRef", "cancelActivity", "default", "calledElement", "decisionRef"):
        if node.get(attribute) is not None:
            item[attribute] = node.get(attribute)
    return item


def _text_of(node: Any) -> str:
    """An element's attributes, text and children as one line, the same however it is laid out
    (attribute order, namespace prefixes and indentation do not count)."""
    parts = [f"{etree.QName(k).localname}={v}" for k, v in sorted(node.attrib.items())]
    text = (node.text or "").strip()
    if text:
        parts.append(text)
    for child in node:
        if isinstance(child.tag, str):
            parts.append(f"{etree.QName(child).localname}({_text_of(child)})")
    return " ".join(parts)


def _lanes(root: Any) -> dict[str, str]:
    placed = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        for ref in lane.findall(f"{{{BPMN_NS}}}flowNodeRef"):
            placed[(ref.text or "").strip()] = lane.get("name") or lane.get("id") or ""
    return placed
