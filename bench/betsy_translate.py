"""Translating a betsy model for zhidu, in memory: script placeholders into sandbox scripts that
call the adapter's helpers, Java/JUEL conditions into Python (see bench/betsy_adapter.py)."""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
# Elements whose text is a condition or expression written Java/JUEL style.
EXPRESSION_TAGS = ("conditionExpression", "loopCondition", "completionCondition", "loopCardinality",
                   "condition", "activationCondition")


def translate_expression(text: str) -> str:
    """A Java/JUEL condition as a Python expression (ISO timer text is not passed here)."""
    expr = text.strip()
    match = re.fullmatch(r"\$\{(.*)\}", expr, re.S)
    if match:
        expr = match.group(1).strip()
    # x.contains("a")  ->  ("a" in x)
    expr = re.sub(r"([A-Za-z_][\w.]*)\.contains\(([^()]*)\)", r"(\2 in \1)", expr)
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    expr = re.sub(r"\btrue\b", "True", expr)
    expr = re.sub(r"\bfalse\b", "False", expr)
    expr = re.sub(r"\bnull\b", "None", expr)
    return " ".join(expr.split())


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _data_object_of(root: Any, ref_id: str) -> str:
    """The data object (id) a dataObjectReference points to; the id itself otherwise."""
    for node in root.iter(_q("dataObjectReference")):
        if node.get("id") == ref_id and node.get("dataObjectRef"):
            return node.get("dataObjectRef")
    return ref_id


def _script_for(placeholder: str, task: Any, root: Any) -> str:
    token = placeholder.strip()
    if token == "CREATE_LOG_FILE":
        return "pass"
    if re.fullmatch(r"SCRIPT_task\d+", token):
        return f"betsy_log({token!r})"
    if token == "CREATE_MARKER_FILE":
        return "betsy_marker()"
    if token == "INCREMENT_INTEGER_VARIABLE":
        return "integerVariable = integerVariable + 1"
    if token == "INCREMENT_INTEGER_VARIABLE_AND_LOG":
        return "integerVariable = integerVariable + 1\nbetsy_log('INCREMENT_correct')"
    if token == "SET_STRING_DATA":
        names = ["data"] + [o.get("id") for o in task.iter(_q("dataOutput"))]
        names += [_data_object_of(root, (a.findtext(_q("targetRef")) or "").strip())
                  for a in task.iter(_q("dataOutputAssociation"))]
        return "\n".join(f"{name} = 'String'" for name in dict.fromkeys(n for n in names if n))
    if token == "LOG_DATA":
        sources = [i.get("id") for i in task.iter(_q("dataInput"))]
        sources += [_data_object_of(root, (a.findtext(_q("sourceRef")) or "").strip())
                    for a in task.iter(_q("dataInputAssociation"))]
        name = next((s for s in sources if s), "data")
        return f"betsy_read({name})"
    if token == "WAIT_TEN_SECONDS":
        return "betsy_wait()"
    match = re.fullmatch(r"CREATE_TIMESTAMP_LOG_(\d)", token)
    if match:
        return f"betsy_stamp({match.group(1)})"
    if token == "THROW_ERROR":
        # SpiffWorkflow has no way for a script to throw a BPMN error: a failing script is a
        # failed task (an incident), which is what this becomes.
        return "betsy_throw('ERR_CODE')"
    return token


def translate_model(text: str) -> str:
    """The model with placeholders and Java/JUEL conditions replaced (in memory only)."""
    root = etree.fromstring(text.encode("utf-8"))
    for task in root.iter(_q("scriptTask"), _q("globalScriptTask")):
        script = task.find(_q("script"))
        if script is not None and script.text:
            script.text = _script_for(script.text, task, root)
    for tag in EXPRESSION_TAGS:
        for node in root.iter(_q(tag)):
            if node.text and node.text.strip():
                node.text = translate_expression(node.text)
    return etree.tostring(root, encoding="unicode")


def executable_processes(text: str) -> list[str]:
    root = etree.fromstring(text.encode("utf-8"))
    return [p.get("id") for p in root.iter(_q("process")) if p.get("isExecutable", "true") == "true"]


def started_by_events(text: str) -> list[str]:
    """Executable processes an incoming message or signal instantiates (a message or signal start
    event, or a receive task with instantiate="true"): deployed, they wait for it."""
    found = []
    for process in etree.fromstring(text.encode("utf-8")).iter(_q("process")):
        if process.get("isExecutable", "true") != "true":
            continue
        starts = [e for e in process.findall(_q("startEvent"))
                  if e.find(_q("messageEventDefinition")) is not None or e.find(_q("signalEventDefinition")) is not None]
        receives = [t for t in process.findall(_q("receiveTask")) if t.get("instantiate") == "true"]
        if starts or receives:
            found.append(process.get("id"))
    return found
