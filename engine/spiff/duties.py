"""Separation of duties in a model (R1.3.4, R1.3.2): who may not do a user task.

Two properties of a user task declare it (``<spiffworkflow:properties>``):

- ``notBy``: an expression over process data giving a username, or a list of them, who may not
  do the task: the person it concerns (an appraisal's employee, an award's nominee, the handler
  of a complaint). It is evaluated in the sandbox when the task is entered, as ``assignee`` is
  (engine/spiff/assignment.py), and the journal's ``task_entered`` entry records the names, so
  replay recomputes and checks them.
- ``notSameAs``: comma-separated ids of other user tasks of the same process. Whoever did one
  of them in this instance, or holds one claimed now, may not do this one; and the other way
  round — two steps declared apart are done by different people whichever is done first (with
  parallel steps either may be).

This module reads the declaration and checks it at deploy; the runtime keeps each open task's
excluded people (engine/commands/duties.py) and verify checks the record (engine/audit/duties.py).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from engine.definitions.namespaces import BPMN_NS, SPIFF_NS
from engine.errors import Problem
from engine.spiff.script_environment import check_source

NOT_BY, NOT_SAME_AS = "notBy", "notSameAs"
NS = {"bpmn": BPMN_NS, "spiff": SPIFF_NS}
CHILD_SUFFIX = " [child]"  # SpiffWorkflow's name for the task of one item of a multi-instance activity


def element_of(spec_name: str | None) -> str:
    """The BPMN id a task's spec name stands for: an item of a multi-instance activity is the
    activity's (rules name BPMN ids)."""
    return (spec_name or "").removesuffix(CHILD_SUFFIX)


def same_as_ids(text: str | None) -> tuple[str, ...]:
    """The step ids a ``notSameAs`` value names, in order, each once."""
    return tuple(dict.fromkeys(part.strip() for part in (text or "").split(",") if part.strip()))


def apart(properties: Mapping[str, Mapping[str, str]]) -> dict[str, frozenset[str]]:
    """Step id -> the steps it must be done apart from, both ways round (BPMN ids: look a task
    up by `element_of` its spec name).

    `properties`: each user task's properties by its spec name (`CompiledVersion.user_tasks`).
    """
    pairs: dict[str, set[str]] = {}
    for name, props in properties.items():
        step = element_of(name)
        for other in same_as_ids(props.get(NOT_SAME_AS)):
            if other != step:
                pairs.setdefault(step, set()).add(other)
                pairs.setdefault(other, set()).add(step)
    return {step: frozenset(others) for step, others in pairs.items()}


def apart_in(compiled: Any) -> dict[str, frozenset[str]]:
    """`apart` for a compiled version (engine/spiff/specs.py `CompiledVersion`, which keeps it)."""
    return compiled.apart


def as_names(value: Any) -> tuple[str, ...]:
    """A ``notBy`` result as usernames: one name, or a list of them; blanks left out."""
    if value is None or value == "":
        return ()
    items = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    return tuple(dict.fromkeys(str(v).strip() for v in items if v is not None and str(v).strip()))


def duty_problems(file: str, root: Any) -> list[Problem]:
    """What is wrong with the separation-of-duties rules of a BPMN document: ``notBy`` must be
    an expression the sandbox accepts; ``notSameAs`` must name other user tasks of the same
    process. Each problem names the file, the element and its line."""
    problems: list[Problem] = []
    for process in root.iter(f"{{{BPMN_NS}}}process"):
        steps = {node.get("id") for node in process.iter(f"{{{BPMN_NS}}}userTask")}
        for node in process.iter(f"{{{BPMN_NS}}}userTask"):
            props = _properties(node)
            if NOT_BY in props:
                problems += _not_by_problems(file, node, props[NOT_BY])
            if NOT_SAME_AS in props:
                problems += _same_as_problems(file, node, props[NOT_SAME_AS], steps)
    return problems


def _not_by_problems(file: str, node: Any, source: str) -> list[Problem]:
    where = (node.get("id"), node.sourceline)
    if not source.strip():
        return [Problem(file, "notBy is empty: give an expression naming who may not do this task "
                              "(for example employee)", *where)]
    reason = check_source(source, "expression")
    return [Problem(file, f"notBy: expression refused: {reason}", *where)] if reason else []


def _same_as_problems(file: str, node: Any, text: str, steps: Iterable[str | None]) -> list[Problem]:
    named, where = same_as_ids(text), (node.get("id"), node.sourceline)
    if not named:
        return [Problem(file, "notSameAs names no step: give the ids of the user tasks whose doers may not "
                              "do this one, separated by commas", *where)]
    known, problems = set(steps), []
    for step in named:
        if step == node.get("id"):
            problems.append(Problem(file, f"notSameAs names this task itself ({step!r}); name the other steps "
                                          "it must be done apart from", *where))
        elif step not in known:
            problems.append(Problem(file, f"notSameAs names {step!r}, which is not a user task of this process",
                                    *where))
    return problems


def _properties(node: Any) -> dict[str, str]:
    found = node.xpath("./bpmn:extensionElements/spiff:properties/spiff:property", namespaces=NS)
    return {p.get("name"): p.get("value", "") for p in found}
