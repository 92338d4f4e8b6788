"""Decision tables with the DMN 1.3 hit policies, at SpiffWorkflow's parser seam.

SpiffWorkflow 3.2 knows only UNIQUE and COLLECT, and not quite: UNIQUE returns the first
matching rule without checking that no other rule matches, COLLECT ignores `aggregation`, and
any other hit policy silently behaves like "first match". zhidu evaluates them as DMN defines,
and refuses at deploy the policies it does not implement, naming the decision.
"""

from __future__ import annotations

import ast
import re
from typing import Any, Callable

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.spiff.parser import ZhiduParser
from engine.spiff.script_environment import check_source

SINGLE_HIT = {"UNIQUE", "FIRST", "ANY"}
MULTIPLE_HIT = {"COLLECT", "RULE ORDER"}
AGGREGATIONS: dict[str, Callable[[list[Any]], Any]] = {
    "SUM": sum, "MIN": min, "MAX": max, "COUNT": len,
}
# The one-letter forms some editors write (C+, C<, C>, C#).
_SHORT_AGGREGATIONS = {"+": "SUM", "<": "MIN", ">": "MAX", "#": "COUNT"}
# SpiffWorkflow's DMNEngine replaces a `?` outside quotes in an input entry by the input's value.
_QUESTION_MARK = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


class HitPolicyEngine(DMNEngine):
    """Evaluates one decision table under its hit policy (and COLLECT aggregation)."""

    def __init__(self, decision_table: Any, aggregation: str | None = None):
        super().__init__(decision_table)
        self.hit_policy = decision_table.hit_policy
        self.aggregation = aggregation

    def matching_rules(self, task: Any) -> list[Any]:
        """Every rule whose input entries all hold, in table order."""
        return [rule for rule in self.decision_table.rules if self._holds(rule, task)]

    def result(self, task: Any) -> dict[str, Any]:
        """The decision's output for `task`'s data.

        Raises:
            WorkflowTaskException: UNIQUE matched several rules, or ANY matched rules that disagree.
        """
        rules = self.matching_rules(task)
        if self.hit_policy in MULTIPLE_HIT:
            return self._collect(rules, task)
        if not rules:
            return {}
        outputs = [rule.output_as_dict(task) for rule in rules]
        if self.hit_policy == "UNIQUE" and len(rules) > 1:
            raise WorkflowTaskException(
                f"decision table {self.decision_table.id}: hit policy UNIQUE but rules "
                f"{_rows(rules)} all match", task=task)
        if self.hit_policy == "ANY" and any(out != outputs[0] for out in outputs[1:]):
            raise WorkflowTaskException(
                f"decision table {self.decision_table.id}: hit policy ANY but matching rules "
                f"{_rows(rules)} give different outputs", task=task)
        return outputs[0]

    def _collect(self, rules: list[Any], task: Any) -> dict[str, Any]:
        names = [out.name or out.label for out in self.decision_table.outputs]
        collected: dict[str, list[Any]] = {name: [] for name in names}
        for rule in rules:
            for name, value in rule.output_as_dict(task).items():
                collected.setdefault(name, []).append(value)
        if self.aggregation is None:
            return collected
        aggregate = AGGREGATIONS[self.aggregation]
        if self.aggregation in ("MIN", "MAX"):
            return {name: aggregate(values) if values else None for name, values in collected.items()}
        return {name: aggregate(values) for name, values in collected.items()}

    def _holds(self, rule: Any, task: Any) -> bool:
        for entry in rule.inputEntries:
            for lhs in entry.lhs:
                if lhs is None:
                    continue
                try:
                    if not self.evaluate(entry.input.expression, lhs, task):
                        return False
                except WorkflowTaskException as err:
                    err.add_note(f"Rule failed on row {rule.row_number}")
                    raise
                except Exception as err:  # an expression in the table failed: report its row
                    raise WorkflowTaskException(
                        f"decision table {self.decision_table.id}, row {rule.row_number}: {err}",
                        task=task, exception=err) from err
        return True


class DecisionParser(ZhiduParser):
    """zhidu's parser, with business rule tasks evaluated by `HitPolicyEngine`."""

    def get_engine(self, decision_ref: str, node: Any) -> HitPolicyEngine:
        """Build the engine for `decision_ref`.

        Raises:
            ValidationException: the hit policy or aggregation is one zhidu does not implement,
                or an input has no expression.
        """
        table = super().get_engine(decision_ref, node).decision_table
        dmn_node = self.dmn_parsers[decision_ref].node
        policy, aggregation = hit_policy_of(dmn_node)
        table.hit_policy = policy
        problem = check_table(table, policy, aggregation)
        if problem:
            raise ValidationException(f"decision {decision_ref}: {problem}", node=node,
                                      file_name=self.dmn_parsers[decision_ref].filename)
        return HitPolicyEngine(table, aggregation)


def hit_policy_of(dmn_node: Any) -> tuple[str, str | None]:
    """(hit policy, aggregation) of the first decision table in a DMN document."""
    for element in dmn_node.iter():
        if isinstance(element.tag, str) and element.tag.endswith("decisionTable"):
            policy = (element.get("hitPolicy") or "UNIQUE").strip().upper()
            aggregation = element.get("aggregation")
            if policy.startswith("C") and policy[1:] in _SHORT_AGGREGATIONS:
                policy, aggregation = "COLLECT", _SHORT_AGGREGATIONS[policy[1:]]
            elif policy in {"U", "F", "A", "R", "C"}:
                policy = {"U": "UNIQUE", "F": "FIRST", "A": "ANY", "R": "RULE ORDER", "C": "COLLECT"}[policy]
            return policy, aggregation.strip().upper() if aggregation else None
    return "UNIQUE", None


def check_table(table: Any, policy: str, aggregation: str | None) -> str | None:
    """Why zhidu cannot evaluate this table faithfully (None when it can)."""
    if policy not in SINGLE_HIT | MULTIPLE_HIT:
        return f"hit policy {policy} is not supported (use one of: {', '.join(sorted(SINGLE_HIT | MULTIPLE_HIT))})"
    if aggregation is not None:
        if policy != "COLLECT":
            return f"aggregation {aggregation} is only allowed with hit policy COLLECT"
        if aggregation not in AGGREGATIONS:
            return f"aggregation {aggregation} is not one of {', '.join(AGGREGATIONS)}"
        if len(table.outputs) != 1:
            return "an aggregating COLLECT table must have exactly one output"
    missing = [i.label or i.id for i in table.inputs if not (i.expression or "").strip()]
    if missing:
        return f"input {missing[0]!r} has no expression"
    return check_expressions(table)


def check_expressions(table: Any) -> str | None:
    """Why an expression of the table would be refused by the sandbox, naming the input or the
    rule; checked as scripts are, on the very text SpiffWorkflow will evaluate."""
    for item in table.inputs:
        reason = check_source(item.expression, "expression")
        if reason:
            return f"input {item.label or item.id!r}: expression refused: {reason}"
    for rule in table.rules:
        for entry in rule.inputEntries:
            for text in (t for t in entry.lhs if t is not None):
                for source in entry_expressions(entry.input.expression, text):
                    reason = check_source(source, "expression")
                    if reason:
                        return f"rule {rule.row_number} ({entry.input.label or entry.input.id!r}): {text!r} refused: {reason}"
        for entry in rule.outputEntries:
            if getattr(entry, "text", None):
                reason = check_source(entry.text, "expression")
                if reason:
                    name = entry.output.name or entry.output.label
                    return f"rule {rule.row_number} (output {name!r}): {entry.text!r} refused: {reason}"
    return None


def entry_expressions(input_expression: str, text: str) -> list[str]:
    """The expressions SpiffWorkflow's DMNEngine evaluates for one input entry (see its `evaluate`)."""
    match = _QUESTION_MARK.sub("dmninputexpr", text)
    if "dmninputexpr" in match:
        return [input_expression, match]
    try:
        ast.parse(text)
    except SyntaxError:
        return [input_expression + text]
    return [f"({input_expression}) == ({text})"]


def _rows(rules: list[Any]) -> str:
    return ", ".join(str(rule.row_number) for rule in rules)
