"""Attacks (issue 12, items 9 and 14): values no person means, accepted by form validation.

- `threshold: NaN` passed `exclusiveMinimum: 0` (every comparison with NaN is false), and NaN
  or Infinity in stored data made `show --json` and exports invalid JSON. Non-finite numbers are
  refused field by field, from the browser, the CLI's --data and the API alike (they all reach
  the same validation), and every JSON output is strict.
- `20240101` and `2024-W01-1` passed as `format: date` (Python's ISO parser is lenient);
  NUL characters and text of only spaces were stored.
- A formKey `../../../x` made `zhidu deploy` read a file outside forms/.
"""

from __future__ import annotations

import json
import math

import pytest

from engine.definitions.bundles import bundle_from_files
from engine.errors import DefinitionInvalid, FormInvalid
from engine.definitions.forms import parse_form
from engine.spiff.specs import compile_bundle
from tests.conftest import FORMS
from tests.cli.test_cli import cli  # noqa: F401  (fixture)
from bootstrap.json_text import strict_json

ALERT = parse_form((FORMS / "monitoring_alert_start.yaml").read_text(encoding="utf-8"), "monitoring_alert_start.yaml")
GOOD = {"indicator": "日活", "indicator_category": "sales", "value": 12.5, "threshold": 3, "direction": "above",
        "observed_at": "2026-11-30", "data_source": "BI"}


def errors_of(data: dict) -> dict[str, str]:
    with pytest.raises(FormInvalid) as refused:
        ALERT.validate(data)
    return {e.field: e.code for e in refused.value.field_errors}


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused_field_by_field(number):
    assert ALERT.validate(GOOD) == GOOD
    assert errors_of({**GOOD, "threshold": number, "value": number}) == {"threshold": "finite", "value": "finite"}


@pytest.mark.parametrize("day", ["20240101", "2024-W01-1", "2024-001", "2024-02-30", " 2024-01-01", "2024-1-1"])
def test_a_date_is_only_yyyy_mm_dd(day):
    assert errors_of({**GOOD, "observed_at": day}) == {"observed_at": "format"}


def test_date_time_is_rfc_3339():
    form = parse_form("key: t\ntitle: {zh: 时, en: T}\nschema:\n  properties:\n    at: {type: string, format: date-time}\n"
                      "ui: {fields: {at: {label: {zh: 时, en: At}}}}", "t.yaml")
    for good in ("2026-11-30T08:00:00Z", "2026-11-30T08:00:00.5+08:00"):
        assert form.validate({"at": good})
    for bad in ("2026-11-30", "2026-11-30T08:00", "2026-11-30T08:00:00", "20261130T080000Z", "2026-W48-1T08:00:00Z"):
        with pytest.raises(FormInvalid):
            form.validate({"at": bad})


def test_nul_characters_and_blank_text_are_refused():
    assert errors_of({**GOOD, "data_source": "B\x00I"}) == {"data_source": "nul"}
    assert errors_of({**GOOD, "data_source": "  \t "}) == {"data_source": "required"}  # blank counts as empty
    form = parse_form((FORMS / "project_kickoff.yaml").read_text(encoding="utf-8"), "project_kickoff.yaml")
    with pytest.raises(FormInvalid) as refused:
        form.validate({"kickoff_date": "2026-11-30", "attendees": "全体", "goals_communicated": True,
                       "kickoff_notes": "   "})
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("kickoff_notes", "blank")]


def test_nan_from_the_cli_is_a_field_error_and_json_output_stays_strict(cli):  # noqa: F811
    data = json.dumps({**GOOD, "threshold": 1}).replace('"threshold": 1', '"threshold": NaN')
    code, answer = cli("start", "monitoring_alert", "--as", "da_staff1", "--data", data)
    assert code != 0 and "threshold" in json.dumps(answer) and "finite" in json.dumps(answer)
    text = strict_json({"data": {"a": math.nan, "b": [math.inf, -math.inf]}})
    assert json.loads(text, parse_constant=lambda token: pytest.fail(f"bare {token} in JSON output")) == {
        "data": {"a": "NaN", "b": ["Infinity", "-Infinity"]}}


def test_a_form_key_cannot_leave_the_forms_folder(tmp_path):
    forms, processes = tmp_path / "site" / "forms", tmp_path / "site" / "processes"
    forms.mkdir(parents=True), processes.mkdir()
    (tmp_path / "secret.yaml").write_text("key: secret\n", encoding="utf-8")
    bpmn = (BPMN_FORM_TASK).replace("FORM_KEY", "../../secret")
    (processes / "leak.bpmn").write_text(bpmn, encoding="utf-8")
    bundle = bundle_from_files(processes / "leak.bpmn", forms, processes)
    assert not any("secret" in name for name in bundle.files)
    with pytest.raises(DefinitionInvalid) as refused:
        compile_bundle(bundle)
    assert [p.element for p in refused.value.problems if "../../secret" in p.reason] == ["Task_Fill"]


BPMN_FORM_TASK = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="leak" isExecutable="true">
    <bpmn:startEvent id="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="Task_Fill" name="Fill">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formKey" value="FORM_KEY" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="End"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="Start" targetRef="Task_Fill" />
    <bpmn:sequenceFlow id="f2" sourceRef="Task_Fill" targetRef="End" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_json_responses_of_the_web_app_are_strict(zhidu):
    """Attack: a stored non-finite number makes a JSON response that strict parsers reject
    (`NaN` is not JSON). Every JSON the web app sends goes through one strict provider."""
    import json as json_lib

    from flask import jsonify

    from webui.app import create_app

    app = create_app({"SECRET_KEY": "t", "ENGINE": zhidu})
    with app.app_context():
        body = jsonify(value=float("nan"), big=float("inf"), rows=[1.5]).get_data(as_text=True)
    assert json_lib.loads(body, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))) == {
        "value": "NaN", "big": "Infinity", "rows": [1.5]}
