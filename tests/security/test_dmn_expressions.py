"""Attack (issue 12, item 14): DMN expressions were not checked at deploy like scripts.

A decision table's input expressions, input entries and output entries are Python that the
sandbox runs; a forbidden one must refuse the deployment, naming the decision and the rule (or
input), as a forbidden script names its element — not deploy and fail on the first instance.
"""

from __future__ import annotations

import pytest

from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.errors import DefinitionInvalid
from engine.spiff.specs import compile_bundle
from tests.engine.test_dmn import BANDS, BPMN, dmn

ENTRY = CatalogEntry(key="decide", process_id="decide", bpmn="decide.bpmn", name={"zh": "决策", "en": "Decide"},
                     starters=(), owner_role="process-owner", dmn=("table.dmn",))


def deploy(table: str):
    return compile_bundle(ProcessBundle(ENTRY, {"decide.bpmn": BPMN, "table.dmn": table}))


def refusal(table: str) -> str:
    with pytest.raises(DefinitionInvalid) as refused:
        deploy(table)
    [problem] = refused.value.problems
    assert problem.file == "table.dmn" and problem.element == "Task_Decide"
    return problem.reason


@pytest.mark.parametrize("where, table, named", [
    ("input entry", dmn("FIRST", [("__import__('os')", "'A'")]), "rule 1"),
    ("input entry with ?", dmn("FIRST", [("? &gt; ().__class__.__mro__[1]", "'A'")]), "rule 1"),
    ("input entry after a good rule", dmn("FIRST", [BANDS[0], ("&gt; open('/etc/passwd')", "'B'")]), "rule 2"),
    ("output entry", dmn("FIRST", [("&gt;= 0", "getattr(score, '__class__')")]), "rule 1 (output 'result')"),
    ("input expression", dmn("FIRST", BANDS, input_expression="score.__class__"), "input 'score'"),
    ("over-long output entry", dmn("FIRST", [("&gt;= 0", "'" + "x" * 20_000 + "'")]), "longer than 10,000"),
], ids=lambda value: value if len(value) < 40 else "")
def test_a_forbidden_table_expression_is_refused_at_deploy_naming_the_table_and_rule(where, table, named):
    reason = refusal(table)
    assert "decision table" in reason and named in reason and "refused" in reason


def test_sound_tables_still_deploy():
    assert deploy(dmn("FIRST", BANDS + [("60 &lt;= ? &lt; 90", "'B'"), ("'x', 'y'", "score * 2")]))
