"""Constructs SpiffWorkflow 3.2 would run wrongly are refused at deploy, naming the element
(decision 1; found with the betsy suite, bench/conformance.py) — and their correct neighbours
still deploy."""

from __future__ import annotations

import pytest

from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.errors import DefinitionInvalid
from engine.spiff.specs import compile_bundle

HEAD = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="http://example.com">'
        '<signal id="sig" name="sig"/><escalation id="esc" escalationCode="E"/><error id="err" errorCode="X"/>'
        '<process id="p" isExecutable="true">')
TAIL = "</process></definitions>"


def flow(*nodes: str) -> str:
    """start -> nodes... -> end, each node given as (xml with id n1, n2, ...)."""
    ids = ["s"] + [f"n{i}" for i in range(1, len(nodes) + 1)] + ["e"]
    flows = "".join(f'<sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
                    for i, (a, b) in enumerate(zip(ids, ids[1:])))
    return '<startEvent id="s"/>' + "".join(nodes) + '<endEvent id="e"/>' + flows


def compile_model(body: str):
    entry = CatalogEntry("p", "p", "p.bpmn", {"en": "p", "zh": "p"}, (), "process-owner")
    return compile_bundle(ProcessBundle(entry, {"p.bpmn": HEAD + body + TAIL}))


def refused(body: str) -> list[tuple[str | None, str]]:
    with pytest.raises(DefinitionInvalid) as caught:
        compile_model(body)
    return [(p.element, p.reason) for p in caught.value.problems]


def script(node_id: str, attrs: str = "", inner: str = "") -> str:
    return f'<scriptTask id="{node_id}" {attrs}>{inner}<script>x = 1</script></scriptTask>'


def sub(node_id: str, inner: str, attrs: str = "") -> str:
    return f'<subProcess id="{node_id}" {attrs}>{inner}</subProcess>'


MI = '<multiInstanceLoopCharacteristics isSequential="true" {}><loopCardinality>{}</loopCardinality>' \
     '{}</multiInstanceLoopCharacteristics>'


@pytest.mark.parametrize("behavior", ["None", "One", "Complex"])
def test_multi_instance_behavior_other_than_all_is_refused(behavior):
    [(element, reason)] = refused(flow(script("n1", inner=MI.format(f'behavior="{behavior}"', 3, ""))))
    assert element == "n1" and f"behavior {behavior!r}" in reason


def test_multi_instance_with_default_or_all_behavior_deploys():
    compile_model(flow(script("n1", inner=MI.format("", 3, ""))))
    compile_model(flow(script("n1", inner=MI.format('behavior="All"', 3, ""))))


def test_negative_loop_cardinality_and_maximum_are_refused():
    [(element, reason)] = refused(flow(script("n1", inner=MI.format("", -1, ""))))
    assert element == "n1" and "negative" in reason
    loop = '<standardLoopCharacteristics loopMaximum="-1"><loopCondition>x &lt; 3</loopCondition>' \
           '</standardLoopCharacteristics>'
    [(element, reason)] = refused(flow(script("n1", inner=loop)))
    assert element == "n1" and "loopMaximum -1" in reason
    compile_model(flow(script("n1", inner=loop.replace("-1", "3"))))


@pytest.mark.parametrize("attribute", ["startQuantity", "completionQuantity"])
@pytest.mark.parametrize("value", ["0", "2"])
def test_token_quantities_other_than_one_are_refused(attribute, value):
    [(element, reason)] = refused(flow(script("n1", f'{attribute}="{value}"')))
    assert element == "n1" and attribute in reason
    compile_model(flow(script("n1", f'{attribute}="1"')))


def test_signal_end_event_is_refused():
    body = flow(script("n1")).replace('<endEvent id="e"/>',
                                      '<endEvent id="e"><signalEventDefinition signalRef="sig"/></endEvent>')
    [(element, reason)] = refused(body)
    assert element == "e" and "signal end events" in reason


def test_event_definition_ref_is_refused():
    body = flow('<intermediateCatchEvent id="n1"><eventDefinitionRef>td</eventDefinitionRef>'
                '</intermediateCatchEvent>')
    problems = refused(body)
    assert ("n1", next(r for e, r in problems if e == "n1")) in problems
    assert any("eventDefinitionRef" in r for _e, r in problems)


def event_sub(definition: str, interrupting: bool = True) -> str:
    start = f'<startEvent id="es" isInterrupting="{str(interrupting).lower()}">{definition}</startEvent>'
    return sub("evsub", start + '<endEvent id="ee"/><sequenceFlow id="ef" sourceRef="es" targetRef="ee"/>',
               'triggeredByEvent="true"')


@pytest.mark.parametrize("definition,interrupting,words", [
    ('<errorEventDefinition errorRef="err"/>', True, "error start events"),
    ('<signalEventDefinition signalRef="sig"/>', True, "signal start events"),
    ('<signalEventDefinition signalRef="sig"/>', False, "signal start events"),
    ('<conditionalEventDefinition><condition>x == 1</condition></conditionalEventDefinition>', True,
     "conditional start events"),
    ('<conditionalEventDefinition><condition>x == 1</condition></conditionalEventDefinition>', False,
     "conditional start events"),
    ('<escalationEventDefinition escalationRef="esc"/>', True, "interrupting escalation start events"),
])
def test_misexecuted_event_subprocess_start_events_are_refused(definition, interrupting, words):
    problems = refused(flow(script("n1")) + event_sub(definition, interrupting))
    assert ("es", next(r for e, r in problems if e == "es")) in problems
    assert any(words in r for e, r in problems if e == "es")


@pytest.mark.parametrize("definition,interrupting", [
    ('<escalationEventDefinition escalationRef="esc"/>', False),
    ('<timerEventDefinition><timeDuration>PT5S</timeDuration></timerEventDefinition>', True),
    ('<timerEventDefinition><timeDuration>PT5S</timeDuration></timerEventDefinition>', False),
])
def test_event_subprocess_start_events_that_work_deploy(definition, interrupting):
    compile_model(flow(script("n1")) + event_sub(definition, interrupting))


def inner_flow(*nodes: str) -> str:
    return flow(*nodes).replace('id="s"', 'id="is"').replace('id="e"', 'id="ie"') \
        .replace('sourceRef="s"', 'sourceRef="is"').replace('targetRef="e"', 'targetRef="ie"') \
        .replace('id="f', 'id="if').replace('id="n', 'id="in').replace('Ref="n', 'Ref="in')


def boundary(definition: str, cancel: bool) -> str:
    return (f'<boundaryEvent id="b" attachedToRef="n1" cancelActivity="{str(cancel).lower()}">{definition}'
            '</boundaryEvent><endEvent id="be"/><sequenceFlow id="bf" sourceRef="b" targetRef="be"/>')


def test_interrupting_conditional_boundary_event_is_refused():
    definition = '<conditionalEventDefinition><condition>x == 1</condition></conditionalEventDefinition>'
    [(element, reason)] = refused(flow(sub("n1", inner_flow(script("n1")))) + boundary(definition, True))
    assert element == "b" and "conditional boundary" in reason
    compile_model(flow(sub("n1", inner_flow(script("n1")))) + boundary(definition, False))


@pytest.mark.parametrize("kind,ref", [("signal", 'signalRef="sig"'), ("escalation", 'escalationRef="esc"')])
def test_interrupting_boundary_caught_from_an_intermediate_throw_inside_is_refused(kind, ref):
    throw = f'<intermediateThrowEvent id="n1"><{kind}EventDefinition {ref}/></intermediateThrowEvent>'
    definition = f"<{kind}EventDefinition {ref}/>"
    body = flow(sub("n1", inner_flow(throw, script("n2")))) + boundary(definition, True)
    [(element, reason)] = refused(body)
    assert element == "b" and f"interrupting {kind} boundary" in reason and "in1" in reason
    compile_model(flow(sub("n1", inner_flow(throw, script("n2")))) + boundary(definition, False))


def test_interrupting_escalation_thrown_by_an_end_event_inside_deploys():
    inner = inner_flow(script("n1")).replace(
        '<endEvent id="ie"/>', '<endEvent id="ie"><escalationEventDefinition escalationRef="esc"/></endEvent>')
    compile_model(flow(sub("n1", inner)) + boundary('<escalationEventDefinition escalationRef="esc"/>', True))


def test_data_association_mapping_an_io_specification_output_is_refused():
    task = ('<scriptTask id="n1"><ioSpecification><dataOutput id="out"/><inputSet/><outputSet>'
            '<dataOutputRefs>out</dataOutputRefs></outputSet></ioSpecification>'
            '<dataOutputAssociation id="a1"><sourceRef>out</sourceRef><targetRef>ref1</targetRef>'
            '</dataOutputAssociation><script>out = 1</script></scriptTask>'
            '<dataObject id="obj"/><dataObjectReference id="ref1" dataObjectRef="obj"/>')
    [(element, reason)] = refused(flow(task))
    assert element == "n1" and "dataOutputAssociation" in reason and "'out'" in reason


def test_call_activity_calling_a_global_task_is_refused_naming_the_call():
    body = flow('<callActivity id="n1" calledElement="g"/>')
    entry = CatalogEntry("p", "p", "p.bpmn", {"en": "p", "zh": "p"}, (), "process-owner")
    text = HEAD.replace("<process ", '<globalScriptTask id="g"><script>x = 1</script></globalScriptTask><process ')
    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle(ProcessBundle(entry, {"p.bpmn": text + body + TAIL}))
    [problem] = caught.value.problems
    assert problem.element == "n1" and "global task 'g'" in problem.reason


def test_activity_with_several_outgoing_flows_is_refused_with_a_whole_message():
    body = flow(script("n1")) + '<endEvent id="e2"/><sequenceFlow id="extra" sourceRef="n1" targetRef="e2">' \
        '<conditionExpression>x == 1</conditionExpression></sequenceFlow>'
    [(element, reason)] = refused(body)
    assert element == "n1" and "2 sequence flows leave this activity" in reason and "gateway" in reason
