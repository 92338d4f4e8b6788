"""Deploy-time validation: bad models are refused with file, line, element and reason."""

from __future__ import annotations

import pytest

from engine.definitions.bundles import CatalogEntry, ProcessBundle, load_catalog
from engine.errors import DefinitionInvalid
from engine.spiff.specs import compile_bundle
from tests.conftest import FIXTURES, FORMS, PROCESSES

LOOP = (FIXTURES / "loop.bpmn").read_text(encoding="utf-8")
STEP_FORM = (FIXTURES / "loop_step.yaml").read_text(encoding="utf-8")


def bundle(bpmn: str, forms: dict[str, str] | None = None, lanes: dict | None = None) -> ProcessBundle:
    entry = CatalogEntry("loop", "loop", "loop.bpmn", {"zh": "循环", "en": "loop"}, (), "process-owner",
                         lanes=lanes or {})
    return ProcessBundle(entry, {"loop.bpmn": bpmn, **({"forms/loop_step.yaml": STEP_FORM} if forms is None else forms)})


def problems_of(b: ProcessBundle):
    with pytest.raises(DefinitionInvalid) as caught:
        compile_bundle(b)
    return caught.value.problems


def test_shipped_processes_compile():
    for b in load_catalog(PROCESSES, FORMS):
        compiled = compile_bundle(b)
        assert compiled.user_tasks, b.key


def test_xml_errors_carry_the_line():
    [problem] = problems_of(bundle(LOOP.replace("</bpmn:process>", "</bpmn:proces>")))
    assert problem.file == "loop.bpmn" and problem.line and "well-formed" in problem.reason


def test_missing_form_is_named_with_the_task():
    [problem] = problems_of(bundle(LOOP, forms={}))
    assert problem.element == "Work" and "loop_step" in problem.reason


def test_script_refused_by_the_sandbox_names_the_element():
    [problem] = problems_of(bundle(LOOP.replace("count = count + 1", "import os")))
    assert problem.element == "Count" and "script refused" in problem.reason


def test_reserved_ids_and_unsupported_constructs_are_refused():
    text = LOOP.replace('id="EndEvent_1"', 'id="End"').replace('bpmnElement="EndEvent_1"', 'bpmnElement="End"') \
        .replace('targetRef="EndEvent_1"', 'targetRef="End"')
    assert any(p.element == "End" and "reserved" in p.reason for p in problems_of(bundle(text)))
    gateway = LOOP.replace('<bpmn:exclusiveGateway id="Again"', '<bpmn:complexGateway id="Again"') \
        .replace('</bpmn:exclusiveGateway>\n    <bpmn:endEvent', '</bpmn:complexGateway>\n    <bpmn:endEvent')
    assert any(p.element == "Again" and "complex" in p.reason for p in problems_of(bundle(gateway)))


def test_a_task_nobody_can_be_offered_is_refused():
    text = LOOP.replace('<spiffworkflow:property name="candidateRoles" value="\'worker\'" />', "")
    [problem] = problems_of(bundle(text))
    assert problem.element == "Work" and "no lane" in problem.reason


def test_bad_condition_expression_is_refused():
    [problem] = problems_of(bundle(LOOP.replace("count &lt; limit", "count &lt;&lt;&lt; limit")))
    assert problem.element == "F5" and "expression refused" in problem.reason
