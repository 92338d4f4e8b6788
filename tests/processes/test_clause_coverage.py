"""Regulation coverage: which `process` clauses of clauses.md the deployed catalog implements.

A clause counts as covered when a catalog entry lists it under `clauses:` or a bpmn:documentation
of its process cites it. Every process clause must be covered (28 of 28 since issue 16), and the
baseline (covered_clauses.txt) names each, so losing one fails by name.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from engine.definitions.bundles import load_catalog
from engine.spiff.specs import compile_bundle

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLAUSES_MD = HERE.parents[2] / "shared" / "regulation" / "clauses.md"
BASELINE = HERE / "covered_clauses.txt"
CLAUSE_ID = re.compile(r"\bR\d+(?:\.\d+)+\b")
BPMN_DOCUMENTATION = "{http://www.omg.org/spec/BPMN/20100524/MODEL}documentation"


def regulation_clauses() -> dict[str, str]:
    """Clause id -> kind, from the tables of clauses.md (`R4.2.2–4` stands for three ids)."""
    if not CLAUSES_MD.is_file():
        pytest.fail(f"the regulation's clause list is missing: expected {CLAUSES_MD} "
                    "(shared/ must sit beside the repository clone)")
    kinds = {}
    for line in CLAUSES_MD.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not re.fullmatch(r"R\d+(\.\d+)+(–\d+)?", cells[0]):
            continue
        clause, kind = cells[0], cells[2]
        if "–" in clause:
            head, last = clause.split("–")
            stem, first = head.rsplit(".", 1)
            for n in range(int(first), int(last) + 1):
                kinds[f"{stem}.{n}"] = kind
        else:
            kinds[clause] = kind
    return kinds


def cited_clauses() -> dict[str, set[str]]:
    """Procedure key -> clause ids it cites (catalog plus documentation), for every deployable bundle."""
    cited = {}
    for bundle in load_catalog(ROOT / "processes", ROOT / "forms"):
        compile_bundle(bundle)  # only what deploys counts
        found = set(bundle.entry.clauses)
        root = etree.fromstring(bundle.files[bundle.entry.bpmn].encode("utf-8"))
        for doc in root.iter(BPMN_DOCUMENTATION):
            found |= set(CLAUSE_ID.findall(doc.text or ""))
        cited[bundle.key] = found
    return cited


def test_process_clause_coverage_never_shrinks():
    kinds = regulation_clauses()
    process_clauses = sorted(c for c, kind in kinds.items() if kind == "process")
    cited = cited_clauses()
    covered = {c for found in cited.values() for c in found}
    covered_process = [c for c in process_clauses if c in covered]
    missing = [c for c in process_clauses if c not in covered]
    print(f"\nclause coverage: {len(covered_process)}/{len(process_clauses)} process clauses")
    baseline = [line.split("#")[0].strip() for line in BASELINE.read_text(encoding="utf-8").splitlines()]
    lost = [c for c in baseline if c and c not in covered]
    assert lost == [], f"clauses no longer implemented by any deployed procedure: {lost}"
    assert missing == [], f"process clauses of the regulation no deployed procedure implements: {missing}"


def test_the_baseline_lists_every_process_clause():
    """The whole regulation runs: the baseline names every process clause of clauses.md, so a
    procedure that stops citing one fails the coverage test by name."""
    process_clauses = {c for c, kind in regulation_clauses().items() if kind == "process"}
    baseline = {line.split("#")[0].strip() for line in BASELINE.read_text(encoding="utf-8").splitlines()} - {""}
    assert sorted(process_clauses - baseline) == []


def test_every_cited_clause_exists():
    kinds = regulation_clauses()
    unknown = {key: sorted(c for c in found if c not in kinds) for key, found in cited_clauses().items()}
    assert {k: v for k, v in unknown.items() if v} == {}
