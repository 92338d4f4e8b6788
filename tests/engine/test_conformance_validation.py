"""Models from elsewhere — the betsy conformance suite and files as other modellers write
them — always give a problem list or compile; validation never fails with an internal error."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.definitions.bundles import CatalogEntry, ProcessBundle, bundle_from_files
from engine.errors import DefinitionInvalid
from engine.spiff.specs import compile_bundle, validate_bundle

BETSY = Path(__file__).resolve().parents[3] / "shared" / "conformance" / "betsy" / "bpmn"
FORMS = Path(__file__).resolve().parents[2] / "forms"


def betsy_files() -> list[Path]:
    if not BETSY.is_dir():
        pytest.fail(f"the betsy conformance models are missing: expected them in {BETSY} "
                    "(shared/ sits beside the clone)")
    return sorted(BETSY.rglob("*.bpmn"))


def test_the_whole_suite_is_there():
    assert len(betsy_files()) == 137


@pytest.mark.parametrize("path", betsy_files() if BETSY.is_dir() else [], ids=lambda p: p.stem)
def test_betsy_model_compiles_or_lists_its_problems(path):
    bundle = bundle_from_files(path, FORMS, path.parent)
    try:
        compile_bundle(bundle)
    except DefinitionInvalid as err:
        assert err.problems, "refused without saying why"
        assert all(p.file and p.reason for p in err.problems)
    assert all(p.file and p.reason for p in validate_bundle(bundle))


DI = """<bpmndi:BPMNDiagram id="D1"><bpmndi:BPMNPlane id="P1" bpmnElement="{pid}">
<bpmndi:BPMNShape id="S1" bpmnElement="start"><dc:Bounds x="10" y="10" width="36" height="36"/></bpmndi:BPMNShape>
</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"""
HEAD = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        '{ns} id="defs" targetNamespace="http://example.com">')
FLOW = ('<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="work"/>'
        '{task}<sequenceFlow id="f2" sourceRef="work" targetRef="end"/><endEvent id="end"/>')
MODELLERS = {
    "camunda": (HEAD.format(ns='xmlns:camunda="http://camunda.org/schema/1.0/bpmn"')
                + '<process id="p" isExecutable="true">'
                + FLOW.format(task='<userTask id="work" name="Approve" camunda:formKey="embedded:app:forms/a.html" '
                                   'camunda:assignee="${initiator}"><extensionElements><camunda:inputOutput>'
                                   '<camunda:inputParameter name="x">1</camunda:inputParameter></camunda:inputOutput>'
                                   '</extensionElements></userTask>')
                + "</process>" + DI.format(pid="p") + "</definitions>"),
    "signavio": (HEAD.format(ns='xmlns:signavio="http://www.signavio.com"')
                 + '<process id="sid-1" processType="None" isClosed="false">'
                 + FLOW.format(task='<task id="work" name="Check"><extensionElements><signavio:signavioMetaData '
                                    'metaKey="bgcolor" metaValue="#ffffcc"/></extensionElements></task>')
                 + "</process></definitions>"),
    "bizagi": (HEAD.format(ns='xmlns:bizagi="http://www.bizagi.com/bpmn20"')
               + '<collaboration id="c"><participant id="pool" processRef="proc"/></collaboration>'
               + '<process id="proc"><laneSet id="ls"><lane id="l1" name="Clerk"><flowNodeRef>work</flowNodeRef>'
               + '</lane></laneSet>'
               + FLOW.format(task='<userTask id="work" name="Fill"><extensionElements><bizagi:BizagiExtensions>'
                                  '<bizagi:BizagiProperties/></bizagi:BizagiExtensions></extensionElements></userTask>')
               + "</process>" + DI.format(pid="pool") + "</definitions>"),
    "not xml": "this is not a BPMN file",
    "empty": "",
    "not bpmn": "<html><body>hello</body></html>",
    "flow to nowhere": (HEAD.format(ns="") + '<process id="p" isExecutable="true">'
                        + '<startEvent id="start"/><sequenceFlow id="f1" sourceRef="start" targetRef="missing"/>'
                        + "</process></definitions>"),
}


@pytest.mark.parametrize("name", sorted(MODELLERS))
def test_files_from_other_modellers_give_problems_not_crashes(name, tmp_path):
    path = tmp_path / "model.bpmn"
    path.write_text(MODELLERS[name], encoding="utf-8")
    bundle = bundle_from_files(path, FORMS, tmp_path)
    try:
        compile_bundle(bundle)
    except DefinitionInvalid as err:
        assert err.problems and all(p.file and p.reason for p in err.problems)
    problems = validate_bundle(bundle)
    assert all(p.file and p.reason for p in problems)


def test_a_user_task_without_zhidu_properties_is_named():
    entry = CatalogEntry("p", "p", "p.bpmn", {"en": "p"}, (), "process-owner")
    bundle = ProcessBundle(entry, {"p.bpmn": MODELLERS["camunda"]})
    problems = validate_bundle(bundle)
    assert any(p.element == "work" and "formKey" in p.reason for p in problems)
