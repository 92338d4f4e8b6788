"""Path warnings: a model deploys, but the owner hears where a person could never finish."""

from __future__ import annotations

from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.spiff.specs import compile_bundle, validate_bundle

HEAD = ('<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" '
        'targetNamespace="http://example.com"><process id="p" isExecutable="true">')


def bundle(body: str) -> ProcessBundle:
    entry = CatalogEntry("p", "p", "p.bpmn", {"en": "p"}, (), "process-owner")
    return ProcessBundle(entry, {"p.bpmn": HEAD + body + "</process></definitions>"})


def warnings(body: str) -> dict[str, str]:
    return {p.element: p.reason for p in validate_bundle(bundle(body)) if p.severity == "warning"}


def test_a_clean_model_has_no_warnings():
    assert warnings('<startEvent id="s"/><sequenceFlow id="f" sourceRef="s" targetRef="e"/><endEvent id="e"/>') == {}


def test_a_loop_with_no_way_out_is_a_warning_and_still_deploys():
    body = ('<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
            '<scriptTask id="a"><script>x = 1</script></scriptTask>'
            '<sequenceFlow id="f2" sourceRef="a" targetRef="b"/><scriptTask id="b"><script>y = 1</script></scriptTask>'
            '<sequenceFlow id="f3" sourceRef="b" targetRef="a"/><endEvent id="e"/>')
    found = warnings(body)
    assert "can never finish" in found["a"] and "can never finish" in found["b"]
    assert "cannot be reached" in found["e"]
    compile_bundle(bundle(body))  # warnings do not refuse the model


def test_a_step_with_no_outgoing_flow_is_named():
    body = ('<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
            '<scriptTask id="a"><script>x = 1</script></scriptTask>')
    assert "no outgoing flow" in warnings(body)["a"]


def test_errors_and_warnings_come_together():
    body = ('<startEvent id="s"/><sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
            '<scriptTask id="a"><script>import os</script></scriptTask><endEvent id="e"/>')
    problems = validate_bundle(bundle(body))
    assert {p.severity for p in problems} == {"error", "warning"}
    assert any(p.element == "a" and p.severity == "error" for p in problems)


def test_the_deployed_procedures_have_no_path_warnings():
    from engine.definitions.bundles import load_catalog
    from tests.conftest import FORMS, PROCESSES
    for found in load_catalog(PROCESSES, FORMS):
        assert [p for p in validate_bundle(found) if p.severity == "warning"] == [], found.key
