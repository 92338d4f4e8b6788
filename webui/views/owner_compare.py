"""The comparison of two versions as a process owner reads it: each changed element by its
name and kind ("User task 'Investigate'"), and in each changed field the elements it refers to
by name too, never a bare list of BPMN ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.definitions.diff import VersionDiff
from webui.i18n import MESSAGES, bilingual, translate

KINDS: dict[str, tuple[str, str]] = {
    "userTask": ("用户任务", "User task"), "scriptTask": ("脚本任务", "Script task"),
    "businessRuleTask": ("规则任务", "Business rule task"), "serviceTask": ("服务任务", "Service task"),
    "manualTask": ("手工任务", "Manual task"), "sendTask": ("发送任务", "Send task"),
    "receiveTask": ("接收任务", "Receive task"), "task": ("任务", "Task"),
    "sequenceFlow": ("连线", "Flow"), "exclusiveGateway": ("排他网关", "Exclusive gateway"),
    "parallelGateway": ("并行网关", "Parallel gateway"), "inclusiveGateway": ("包容网关", "Inclusive gateway"),
    "eventBasedGateway": ("事件网关", "Event-based gateway"), "startEvent": ("开始事件", "Start event"),
    "endEvent": ("结束事件", "End event"), "intermediateCatchEvent": ("中间捕获事件", "Intermediate catch event"),
    "intermediateThrowEvent": ("中间抛出事件", "Intermediate throw event"),
    "boundaryEvent": ("边界事件", "Boundary event"), "subProcess": ("子流程", "Subprocess"),
    "callActivity": ("调用活动", "Call activity"),
}
FIELDS: dict[str, tuple[str, str]] = {
    "name": ("名称", "name"), "type": ("类型", "type"), "lane": ("泳道", "lane"),
    "incoming": ("流入连线", "incoming flows"), "outgoing": ("流出连线", "outgoing flows"),
    "source": ("起点", "from"), "target": ("终点", "to"), "condition": ("条件", "condition"),
    "script": ("脚本", "script"), "timer": ("定时器", "timer"), "properties": ("属性", "properties"),
    "form_key": ("表单", "form"), "loop": ("多实例/循环", "loop"), "postScript": ("后置脚本", "post-script"),
    "preScript": ("前置脚本", "pre-script"), "calledDecisionId": ("决策表", "decision table"),
    "default": ("默认连线", "default flow"), "attachedToRef": ("附着于", "attached to"),
    "event": ("事件定义", "event definition"),
}
MESSAGES.update({f"owner.kind.{k}": v for k, v in KINDS.items()})
MESSAGES.update({f"owner.diff_field.{k}": v for k, v in FIELDS.items()})
_REFERENCES = {"incoming", "outgoing", "source", "target", "default", "attachedToRef"}


@dataclass(frozen=True)
class ChangeRow:
    """One changed element as the comparison page lists it."""

    element: str
    kind: str                      # added | removed | changed
    type: str                      # the element's kind, in the reader's language
    name: str                      # its name, or its kind and position when it has none
    fields: tuple[tuple[str, str, str], ...]  # (field label, before, after)


def kind_text(kind: str, lang: str) -> str:
    """'userTask' → 'User task' (or 用户任务)."""
    key = f"owner.kind.{kind}"
    return translate(key, lang) if key in MESSAGES else kind


def change_rows(diff: VersionDiff, described: dict[str, dict[str, Any]], lang: str) -> list[ChangeRow]:
    """The element changes of `diff`, each named; `described` holds both versions' elements
    (the newer one's where an element is in both)."""
    rows = []
    for change in diff.elements:
        fields = tuple((_field_label(name, lang), _value(name, before, described, lang),
                        _value(name, after, described, lang)) for name, (before, after) in change.fields.items())
        rows.append(ChangeRow(change.element, change.kind, kind_text(change.type, lang),
                              element_label(change.element, described, lang), fields))
    return rows


def element_label(element: str, described: dict[str, dict[str, Any]], lang: str) -> str:
    """An element by name; an unnamed flow by its two ends; else by its kind."""
    item = described.get(element) or {}
    if item.get("name"):
        return bilingual(item["name"], lang)
    if item.get("type") == "sequenceFlow":
        ends = [element_label(item.get(end) or "", described, lang) for end in ("source", "target")]
        return " → ".join(ends)
    return kind_text(item.get("type", ""), lang) or element


def _field_label(name: str, lang: str) -> str:
    key = f"owner.diff_field.{name}"
    return translate(key, lang) if key in MESSAGES else name


def _value(name: str, value: Any, described: dict[str, dict[str, Any]], lang: str) -> str:
    if value is None or value == [] or value == {}:
        return "—"
    if name in _REFERENCES:
        ids = value if isinstance(value, list) else [value]
        return "; ".join(element_label(str(i), described, lang) for i in ids)
    if name == "type":
        return kind_text(str(value), lang)
    if isinstance(value, dict):
        return "; ".join(f"{k} = {v}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)
