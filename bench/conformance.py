"""betsy BPMN conformance of zhidu (shared/conformance/betsy), beside plain SpiffWorkflow's score.

`python -m bench.conformance [-v]`: -v lists every failing case, not only the silently wrong ones.
"""

from __future__ import annotations

import sys
import time

from bench.betsy_adapter import SUITE, Suite, by_category, describe, tests_passed

# From shared/conformance/betsy/README.md.
REFERENCE = (
    ("Camunda 7.1.0 (2014 run)", "44 / 70 tests (62.9 %)"),
    ("jBPM 6.0.1 (2014 run)", "44 / 70 tests (62.9 %)"),
    ("Activiti 5.16.3 (2014 run)", "39 / 70 tests (55.7 %)"),
    ("SpiffWorkflow 3.2.0, plain adapter", "85 / 136 tests (62.5 %), 142 / 210 cases"),
)


def main(argv: list[str] | None = None) -> None:
    verbose = "-v" in (argv if argv is not None else sys.argv[1:])
    started = time.perf_counter()
    results = Suite(SUITE).run_all()
    elapsed = time.perf_counter() - started
    passed, total = tests_passed(results)
    cases = sum(r.passed for r in results)
    print(f"zhidu on betsy: {passed} / {total} tests fully passed ({100 * passed / total:.1f} %), "
          f"{cases} / {len(results)} cases ({elapsed:.1f} s)")
    print(f"  {'category':<12} {'tests':>9} {'cases':>9}")
    for category, (tp, tt, cp, ct) in by_category(results).items():
        print(f"  {category:<12} {tp:>4} / {tt:<3} {cp:>4} / {ct:<3}")
    print("reference:")
    for engine, score in REFERENCE:
        print(f"  {engine:<38} {score}")
    refused = [r for r in results if not r.deployed]
    failed = [r for r in results if r.deployed and r.incident is not None]
    wrong = [r for r in results if r.silently_wrong]
    print(f"refused at deploy: {len(refused)} cases ({sum(r.passed for r in refused)} of them expected it); "
          f"runtime incidents: {len(failed)}")
    print(f"silently wrong (deployed, tokens differ, no deployment error expected): {len(wrong)}")
    for r in wrong:
        print(f"  {describe(r)}")
    if verbose:
        print("refused:")
        for r in refused:
            print(f"  {r.test}#{r.number}: " + "; ".join(f"{e or '(no element)'}: {why}" for e, why in r.problems)[:300])


if __name__ == "__main__":
    main()
