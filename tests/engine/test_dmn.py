"""DMN hit policies at the parser seam (engine/spiff/dmn.py): evaluated as DMN 1.3 says, or refused at deploy."""

from __future__ import annotations

import pytest

from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.errors import DefinitionInvalid
from engine.spiff.execution import Execution
from engine.spiff.specs import compile_bundle

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
                  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="Defs" targetNamespace="t">
  <bpmn:process id="decide" isExecutable="true">
    <bpmn:startEvent id="Start_Decide"><bpmn:outgoing>F1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:businessRuleTask id="Task_Decide">
      <bpmn:extensionElements><spiffworkflow:calledDecisionId>table</spiffworkflow:calledDecisionId></bpmn:extensionElements>
      <bpmn:incoming>F1</bpmn:incoming><bpmn:outgoing>F2</bpmn:outgoing>
    </bpmn:businessRuleTask>
    <bpmn:endEvent id="End_Decide"><bpmn:incoming>F2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Start_Decide" targetRef="Task_Decide" />
    <bpmn:sequenceFlow id="F2" sourceRef="Task_Decide" targetRef="End_Decide" />
  </bpmn:process>
</bpmn:definitions>
"""


def dmn(policy: str, rules: list[tuple[str, ...]], outputs: tuple[str, ...] = ("result",), aggregation: str = "",
        input_expression: str = "score") -> str:
    """A one-input table: each rule is (input entry, output entry, ...)."""
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    outs = "".join(f'<output id="O{i}" name="{name}" />' for i, name in enumerate(outputs))
    body = "".join(
        f'<rule id="R{n}"><inputEntry id="I{n}"><text>{rule[0]}</text></inputEntry>'
        + "".join(f'<outputEntry id="E{n}_{k}"><text>{text}</text></outputEntry>' for k, text in enumerate(rule[1:]))
        + "</rule>" for n, rule in enumerate(rules))
    return (f'<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="D" name="D" namespace="t">'
            f'<decision id="table" name="table"><decisionTable id="T" hitPolicy="{policy}"{agg}>'
            f'<input id="In" label="score"><inputExpression id="IE" typeRef="number"><text>{input_expression}</text>'
            f'</inputExpression></input>{outs}{body}</decisionTable></decision></definitions>')


def decide(clock, table: str, **data):
    entry = CatalogEntry(key="decide", process_id="decide", bpmn="decide.bpmn", name={"zh": "决策", "en": "Decide"},
                         starters=(), owner_role="process-owner", dmn=("table.dmn",))
    compiled = compile_bundle(ProcessBundle(entry, {"decide.bpmn": BPMN, "table.dmn": table}))
    return Execution(compiled, clock).start(data)


BANDS = [("&gt;= 90", "'A'"), ("&gt;= 60", "'B'"), ("&lt; 60", "'C'")]


def test_unique_gives_the_one_matching_rule(clock):
    result = decide(clock, dmn("UNIQUE", [("&gt;= 90", "'A'"), ("60 &lt;= ? &lt; 90", "'B'"), ("&lt; 60", "'C'")]), score=75)
    assert result.status == "completed" and result.data["result"] == "B"


def test_unique_with_overlapping_rules_fails_the_instance_naming_the_rows(clock):
    result = decide(clock, dmn("UNIQUE", BANDS), score=95)
    assert result.status == "failed"
    assert "UNIQUE" in result.incident["message"] and "1, 2" in result.incident["message"]


def test_first_takes_the_first_match_in_table_order(clock):
    assert decide(clock, dmn("FIRST", BANDS), score=95).data["result"] == "A"
    assert decide(clock, dmn("FIRST", BANDS), score=70).data["result"] == "B"


def test_any_accepts_agreeing_rules_and_refuses_disagreeing_ones(clock):
    agreeing = dmn("ANY", [("&gt;= 60", "'pass'"), ("&gt;= 90", "'pass'"), ("&lt; 60", "'retrain'")])
    assert decide(clock, agreeing, score=95).data["result"] == "pass"
    result = decide(clock, dmn("ANY", BANDS), score=95)
    assert result.status == "failed" and "ANY" in result.incident["message"]


def test_rule_order_and_collect_give_every_match_as_a_list(clock):
    assert decide(clock, dmn("RULE ORDER", BANDS), score=95).data["result"] == ["A", "B"]
    assert decide(clock, dmn("COLLECT", BANDS), score=95).data["result"] == ["A", "B"]
    assert decide(clock, dmn("COLLECT", BANDS), score=-1).data["result"] == ["C"]


@pytest.mark.parametrize("aggregation, expected", [("SUM", 30), ("MIN", 10), ("MAX", 20), ("COUNT", 2)])
def test_collect_aggregates(clock, aggregation, expected):
    table = dmn("COLLECT", [("&gt;= 0", "10"), ("&gt;= 50", "20"), ("&gt;= 90", "40")], aggregation=aggregation)
    assert decide(clock, table, score=60).data["result"] == expected


def test_collect_short_forms_and_empty_aggregates(clock):
    table = dmn("C+", [("&gt;= 50", "20"), ("&gt;= 90", "40")])
    assert decide(clock, table, score=95).data["result"] == 60
    assert decide(clock, table, score=10).data["result"] == 0
    assert decide(clock, dmn("C&gt;", [("&gt;= 50", "20")]), score=10).data["result"] is None


@pytest.mark.parametrize("policy, aggregation, outputs, reason", [
    ("PRIORITY", "", ("result",), "hit policy PRIORITY is not supported"),
    ("OUTPUT ORDER", "", ("result",), "hit policy OUTPUT ORDER is not supported"),
    ("FIRST", "SUM", ("result",), "only allowed with hit policy COLLECT"),
    ("COLLECT", "AVERAGE", ("result",), "aggregation AVERAGE is not one of"),
    ("COLLECT", "SUM", ("a", "b"), "exactly one output"),
])
def test_tables_zhidu_cannot_evaluate_faithfully_are_refused_at_deploy(clock, policy, aggregation, outputs, reason):
    rules = [("&gt;= 0",) + ("1",) * len(outputs)]
    with pytest.raises(DefinitionInvalid) as err:
        decide(clock, dmn(policy, rules, outputs=outputs, aggregation=aggregation), score=1)
    assert reason in str(err.value) and "table" in str(err.value)


def test_table_expressions_run_in_the_sandbox(clock):
    # refused at deploy now, as scripts are (tests/security/test_dmn_expressions.py)
    with pytest.raises(DefinitionInvalid, match="input 'score': expression refused"):
        decide(clock, dmn("UNIQUE", [("&gt;= 0", "'x'")], input_expression="score.__class__"), score=1)
    assert decide(clock, dmn("UNIQUE", [("&gt;= 0", "round(score * 1.5)")]), score=3).data["result"] == 4
