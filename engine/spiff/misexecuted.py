"""Constructs SpiffWorkflow 3.2 parses but then executes wrongly: refused at deploy (decision 1).

Each check names the element and says what would go wrong. Found by running the betsy
conformance suite (bench/conformance.py); tests in tests/engine/test_unsupported.py.
"""

from __future__ import annotations

from typing import Any, Iterator

from engine.errors import Problem
from engine.definitions.namespaces import BPMN_NS

ACTIVITIES = ("task", "scriptTask", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess")


def _q(tag: str) -> str:
    return f"{{{BPMN_NS}}}{tag}"


def _local(node: Any) -> str:
    return node.tag.rsplit("}", 1)[-1] if isinstance(node.tag, str) else ""


def _owner(node: Any) -> Any:
    while node is not None and not node.get("id"):
        node = node.getparent()
    return node


def misexecuted_problems(file: str, root: Any) -> list[Problem]:
    """Every element of a BPMN document SpiffWorkflow would run differently from BPMN 2.0."""
    problems = []
    for node, reason in _findings(root):
        owner = _owner(node)
        problems.append(Problem(file, reason, owner.get("id") if owner is not None else None, node.sourceline))
    return problems


def _findings(root: Any) -> Iterator[tuple[Any, str]]:
    yield from _event_definition_refs(root)
    yield from _signal_end_events(root)
    yield from _event_subprocess_starts(root)
    yield from _interrupting_boundaries(root)
    yield from _multi_instance(root)
    yield from _quantities(root)
    yield from _mapped_data_associations(root)
    yield from _global_task_calls(root)
    yield from _activity_splits(root)


def _event_definition_refs(root: Any) -> Iterator[tuple[Any, str]]:
    for node in root.iter(_q("eventDefinitionRef")):
        yield node.getparent(), ("eventDefinitionRef is not supported: the engine ignores it and the event would "
                                 "behave as a plain event; put the event definition inside the event")


def _signal_end_events(root: Any) -> Iterator[tuple[Any, str]]:
    for event in root.iter(_q("endEvent")):
        if event.find(_q("signalEventDefinition")) is not None:
            yield event, "signal end events are not supported: the engine would end there without sending the signal"


def _event_subprocess_starts(root: Any) -> Iterator[tuple[Any, str]]:
    for sub in root.iter(_q("subProcess")):
        if sub.get("triggeredByEvent") != "true":
            continue
        for start in sub.findall(_q("startEvent")):
            interrupting = start.get("isInterrupting", "true") != "false"
            kinds = {_local(d) for d in start if _local(d).endswith("EventDefinition")}
            if "errorEventDefinition" in kinds:
                yield start, ("error start events of event subprocesses are not supported: the engine lets the "
                              "error escape the process as uncaught even though the event subprocess handles it")
            if "signalEventDefinition" in kinds:
                yield start, ("signal start events of event subprocesses are not supported: the engine does not "
                              "start the event subprocess when the signal is sent")
            if "conditionalEventDefinition" in kinds:
                yield start, ("conditional start events of event subprocesses are not supported: the engine does "
                              "not start the event subprocess when the condition holds")
            if "escalationEventDefinition" in kinds and interrupting:
                yield start, ("interrupting escalation start events of event subprocesses are not supported: the "
                              "engine does not interrupt the work that raised the escalation")


def _interrupting_boundaries(root: Any) -> Iterator[tuple[Any, str]]:
    by_id = {n.get("id"): n for n in root.iter() if isinstance(n.tag, str) and n.get("id")}
    for event in root.iter(_q("boundaryEvent")):
        if event.get("cancelActivity", "true") == "false":
            continue
        if event.find(_q("conditionalEventDefinition")) is not None:
            yield event, ("interrupting conditional boundary events are not supported: the engine does not "
                          "interrupt the activity when the condition holds")
        activity = by_id.get(event.get("attachedToRef"))
        for kind, ref in (("signal", "signalRef"), ("escalation", "escalationRef")):
            definition = event.find(_q(f"{kind}EventDefinition"))
            if definition is None or activity is None:
                continue
            # thrown by an end event inside the activity it is fine: nothing there runs on after it
            for thrown in activity.iter(_q(f"{kind}EventDefinition")):
                inside = thrown.getparent()
                if inside is not None and _local(inside) == "intermediateThrowEvent" \
                        and thrown.get(ref) == definition.get(ref):
                    yield event, (f"an interrupting {kind} boundary event caught from inside its own activity "
                                  f"({inside.get('id')}) is not supported: the engine runs on after the throw "
                                  "instead of interrupting the activity")
                    break


def _multi_instance(root: Any) -> Iterator[tuple[Any, str]]:
    for loop in root.iter(_q("multiInstanceLoopCharacteristics")):
        behavior = loop.get("behavior", "All")
        if behavior != "All" or loop.find(_q("complexBehaviorDefinition")) is not None:
            yield loop, (f"multi-instance behavior {behavior!r} is not supported: the engine ignores it and "
                         "throws no event when instances complete; only the default 'All' is")
        cardinality = (loop.findtext(_q("loopCardinality")) or "").strip()
        if _negative_integer(cardinality):
            yield loop, f"loopCardinality {cardinality} is negative: an activity cannot run a negative number of times"
    for loop in root.iter(_q("standardLoopCharacteristics")):
        maximum = (loop.get("loopMaximum") or "").strip()
        if _negative_integer(maximum):
            yield loop, f"loopMaximum {maximum} is negative: a loop cannot run a negative number of times"


def _negative_integer(text: str) -> bool:
    try:
        return int(text) < 0
    except ValueError:
        return False


def _quantities(root: Any) -> Iterator[tuple[Any, str]]:
    for tag in ACTIVITIES:
        for activity in root.iter(_q(tag)):
            for attribute in ("startQuantity", "completionQuantity"):
                value = activity.get(attribute)
                if value is not None and value.strip() != "1":
                    yield activity, (f"{attribute}={value!r} is not supported: the engine always consumes and "
                                     "produces one token per activity")


def _mapped_data_associations(root: Any) -> Iterator[tuple[Any, str]]:
    """An association between a task's ioSpecification input/output and a data object of
    another name: the engine binds data by name and fails (or reads nothing) at run time."""
    for tag, own_end, io_tag in (("dataOutputAssociation", "sourceRef", "dataOutput"),
                                 ("dataInputAssociation", "targetRef", "dataInput")):
        for association in root.iter(_q(tag)):
            task = association.getparent()
            io_ids = {n.get("id") for n in task.iter(_q(io_tag))}
            end = (association.findtext(_q(own_end)) or "").strip()
            if end and end in io_ids:
                yield task, (f"a {tag} from the task's {io_tag} {end!r} to a data object is not supported: the "
                             "engine binds data objects by name and does not map between them")


GLOBAL_TASKS = ("globalTask", "globalScriptTask", "globalUserTask", "globalManualTask", "globalBusinessRuleTask")


def _global_task_calls(root: Any) -> Iterator[tuple[Any, str]]:
    """SpiffWorkflow calls processes only; without this the parser's message names no element."""
    global_ids = {n.get("id") for tag in GLOBAL_TASKS for n in root.iter(_q(tag))}
    for call in root.iter(_q("callActivity")):
        if call.get("calledElement") in global_ids:
            yield call, (f"calling the global task {call.get('calledElement')!r} is not supported: a call "
                         "activity can only call a process")


def _activity_splits(root: Any) -> Iterator[tuple[Any, str]]:
    """SpiffWorkflow refuses these too, with a message that breaks off ("...for tasks of type")."""
    outgoing: dict[str, int] = {}
    for flow in root.iter(_q("sequenceFlow")):
        outgoing[flow.get("sourceRef")] = outgoing.get(flow.get("sourceRef"), 0) + 1
    for tag in ACTIVITIES:
        for activity in root.iter(_q(tag)):
            count = outgoing.get(activity.get("id"), 0)
            if count > 1:
                yield activity, (f"{count} sequence flows leave this activity (a split without a gateway), which "
                                 "is not supported: put an exclusive, inclusive or parallel gateway after it")
