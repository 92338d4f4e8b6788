"""A plain left-to-right layout for BPMN files that come without a diagram (DI), so the editor
can open them: Signavio exports, hand-written files and the betsy models have none, and
bpmn-js draws nothing it has no shapes for. Steps are put in columns by their distance from
the start; the owner tidies them up in the editor."""

from __future__ import annotations

from collections import deque

from lxml import etree

from engine.definitions.namespaces import BPMN_NS

DI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI_WAYPOINT = "http://www.omg.org/spec/DD/20100524/DI"
_SIZES = {"Event": (36, 36), "Gateway": (50, 50)}
_NOT_NODES = {"sequenceFlow", "laneSet", "extensionElements", "documentation", "dataObject", "ioSpecification",
              "property", "textAnnotation", "association", "dataObjectReference", "dataStoreReference", "incoming",
              "outgoing", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics"}


def with_layout(xml: str) -> str:
    """`xml` unchanged if it has a diagram or cannot be read, else with a simple one added."""
    try:
        root = etree.fromstring(xml.encode("utf-8"))
    except (etree.XMLSyntaxError, ValueError):
        return xml
    if root.find(f"{{{DI}}}BPMNDiagram") is not None:
        return xml
    process = root.find(f"{{{BPMN_NS}}}process")
    if process is None:
        return xml
    nodes = [n for n in process if isinstance(n.tag, str) and n.tag.startswith(f"{{{BPMN_NS}}}")
             and etree.QName(n).localname not in _NOT_NODES and n.get("id")]
    flows = [f for f in process.findall(f"{{{BPMN_NS}}}sequenceFlow")]
    bounds = _place(nodes, flows)
    diagram = etree.SubElement(root, f"{{{DI}}}BPMNDiagram", id="BPMNDiagram_generated", nsmap={"bpmndi": DI})
    plane = etree.SubElement(diagram, f"{{{DI}}}BPMNPlane", id="BPMNPlane_generated", bpmnElement=process.get("id"))
    for node in nodes:
        x, y, w, h = bounds[node.get("id")]
        shape = etree.SubElement(plane, f"{{{DI}}}BPMNShape", id=f"{node.get('id')}_di", bpmnElement=node.get("id"))
        etree.SubElement(shape, f"{{{DC}}}Bounds", nsmap={"dc": DC}, x=str(x), y=str(y), width=str(w), height=str(h))
    for flow in flows:
        source, target = bounds.get(flow.get("sourceRef")), bounds.get(flow.get("targetRef"))
        if source is None or target is None:
            continue
        edge = etree.SubElement(plane, f"{{{DI}}}BPMNEdge", id=f"{flow.get('id')}_di", bpmnElement=flow.get("id"))
        for px, py in ((source[0] + source[2], source[1] + source[3] // 2), (target[0], target[1] + target[3] // 2)):
            etree.SubElement(edge, f"{{{DI_WAYPOINT}}}waypoint", nsmap={"di": DI_WAYPOINT}, x=str(px), y=str(py))
    return etree.tostring(root, encoding="unicode")


def _place(nodes: list, flows: list) -> dict[str, tuple[int, int, int, int]]:
    ids = [n.get("id") for n in nodes]
    outgoing: dict[str, list[str]] = {i: [] for i in ids}
    incoming: dict[str, int] = {i: 0 for i in ids}
    for flow in flows:
        if flow.get("sourceRef") in outgoing and flow.get("targetRef") in incoming:
            outgoing[flow.get("sourceRef")].append(flow.get("targetRef"))
            incoming[flow.get("targetRef")] += 1
    column = {i: 0 for i in ids if incoming[i] == 0}
    queue = deque(column)
    while queue:
        current = queue.popleft()
        for nxt in outgoing[current]:
            if nxt not in column:
                column[nxt] = column[current] + 1
                queue.append(nxt)
    rows: dict[int, int] = {}
    bounds = {}
    for node in nodes:
        key = node.get("id")
        col = column.get(key, max(column.values(), default=0) + 1)
        row = rows.get(col, 0)
        rows[col] = row + 1
        kind = etree.QName(node).localname
        w, h = next((size for suffix, size in _SIZES.items() if kind.endswith(suffix)), (100, 80))
        cx, cy = 200 + col * 170, 140 + row * 130
        bounds[key] = (cx - w // 2, cy - h // 2, w, h)
    return bounds
