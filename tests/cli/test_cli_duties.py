"""Separation of duties on the command line (issue 16.5): a refused claim exits non-zero with
the rule in plain words (JSON: its code and both languages), and is journaled."""

from __future__ import annotations

import json

from tests.cli.test_cli import cli, task_of  # noqa: F401  (the fixture)
from tests.conftest import ROOT


def test_a_refused_claim_exits_non_zero_and_says_why(cli):
    code, _ = cli("deploy", str(ROOT / "tests" / "fixtures" / "duties"))
    assert code == 0
    code, instance = cli("start", "four_eyes", "--as", "cs_staff2", "--data", json.dumps({"concerns": "cs_staff1"}))
    assert code == 0, instance
    draft, check = task_of(cli, "cs_staff1", "Draft"), task_of(cli, "cs_staff1", "Check")
    assert cli("claim", draft["id"], "--as", "cs_staff1")[0] == 0
    code, out, err = cli("claim", check["id"], "--as", "cs_staff1", as_json=False)
    assert code != 0 and out == ""
    assert err.strip() == ("error: You are handling this case's 'Draft the letter' step, so 'Check the figures' "
                           "must be done by someone else.")
    code, document = cli("claim", check["id"], "--as", "cs_staff1")
    assert code != 0 and document["error"] == "separation_of_duties"
    assert document["texts"]["zh"] == "您正在办理本案的“起草”步骤，“核对”须由他人办理。"
    code, history = cli("history", instance["id"])
    assert [e["payload"]["action"] for e in history if e["kind"] == "refused"] == ["claim", "claim"]
