"""Run the betsy BPMN conformance suite (shared/conformance/betsy) through zhidu's engine.

Engine-free adapter: it only uses zhidu's public engine pieces (compile_bundle, Execution, a
FixedClock) and changes nothing on disk. Per model it translates, in memory:

- script placeholders into sandbox scripts that call adapter helpers (`betsy_log` and the
  like). Tokens go to a side channel, as betsy's own log file does, rather than to process
  data: parallel branches each carry a copy of the data, and a join keeps only one of them,
  so a trace kept in data would lose tokens through no fault of the model;
- Java/JUEL conditions (`${...}`, `x.contains("a")`, `!`, `&&`, `||`, `true`/`false`) into
  Python expressions; ISO timer text is left alone (the sandbox passes it through).

A case runs on a FixedClock: `delay_ms` is spent by advancing the clock in one-second steps and
firing due timers; user tasks would be completed with empty data; messages and signals that a
workflow throws outside itself are handed to the other process of the case (`ParallelProcess`).
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bench.betsy_translate import executable_processes, started_by_events, translate_model
from engine.clock import FixedClock
from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.errors import DefinitionInvalid
from engine.spiff.execution import Execution
from engine.spiff.specs import CompiledVersion, compile_bundle

SUITE = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "betsy"
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)
PARALLEL_PROCESS = "ParallelProcess"
TICK = timedelta(seconds=1)
CASE_TIMEOUT_S = 20  # a case that takes longer is stopped and counted as a runtime failure

ERROR_TOKENS = ("ERROR_deployment", "ERROR_runtime")


# ---- running -------------------------------------------------------------------------------

@dataclass
class Recorder:
    """The side channel betsy's log file stands for."""

    clock: FixedClock
    trace: list[str] = field(default_factory=list)
    marker: bool = False
    data_read: list[Any] = field(default_factory=list)
    stamps: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)

    def functions(self) -> dict[str, Any]:
        return {"betsy_log": self.trace.append, "betsy_marker": self._marker, "betsy_read": self.data_read.append,
                "betsy_wait": lambda: self.clock.advance(timedelta(seconds=10)), "betsy_stamp": self._stamp,
                "betsy_throw": self._throw}

    def _marker(self) -> None:
        self.marker = True

    def _stamp(self, which: int) -> None:
        began = self.clock.now()
        self.clock.advance(timedelta(seconds=10))
        self.stamps[str(which)] = (began, self.clock.now())

    @staticmethod
    def _throw(code: str) -> None:
        raise RuntimeError(f"BPMN error {code}")

    def tokens(self, expected: list[str]) -> list[str]:
        tokens = list(self.trace)
        if "MARKER_exists" in expected and self.marker:
            tokens.append("MARKER_exists")
        if "DATA_correct" in expected and self.data_read and all(v == "String" for v in self.data_read):
            tokens.append("DATA_correct")
        if "EXECUTION_parallel" in expected and len(self.stamps) == 2:
            (a0, a1), (b0, b1) = self.stamps.values()
            if a0 < b1 and b0 < a1:
                tokens.append("EXECUTION_parallel")
        return tokens


@dataclass
class CaseResult:
    test: str
    category: str
    number: int
    expected: list[str]
    tokens: list[str]
    deployed: bool
    problems: list[tuple[str | None, str]] = field(default_factory=list)  # deployment problems: (element, reason)
    incident: dict[str, Any] | None = None

    @property
    def passed(self) -> bool:
        return _normalise(self.tokens, self.expected) == sorted(self.expected)

    @property
    def silently_wrong(self) -> bool:
        """Deployed, did not fail, yet produced other tokens than betsy expects."""
        return self.deployed and not self.passed and "ERROR_deployment" not in self.expected

    @property
    def refused_naming_element(self) -> bool:
        return not self.deployed and bool(self.problems) and all(element for element, _reason in self.problems)

    @property
    def failed_as_expected(self) -> bool:
        return self.incident is not None and any(t in ("ERROR", "ERROR_runtime") for t in self.expected)


def _normalise(tokens: list[str], expected: list[str]) -> list[str]:
    if "ERROR" in expected:
        tokens = ["ERROR" if t in ERROR_TOKENS else t for t in tokens]
    return sorted(tokens)


class _Timeout(Exception):
    pass


class Suite:
    """The betsy tests, with compiled models cached per (file, process)."""

    def __init__(self, path: Path = SUITE):
        if not (path / "tests.json").is_file():
            raise FileNotFoundError(f"the betsy conformance suite is missing: expected {path / 'tests.json'} "
                                    "(shared/ sits beside the clone)")
        self.path = path
        self.tests: list[dict[str, Any]] = json.loads((path / "tests.json").read_text(encoding="utf-8"))
        self._compiled: dict[tuple[str, str], CompiledVersion | DefinitionInvalid] = {}
        self._texts: dict[str, str] = {}

    def model(self, rel: str) -> str:
        if rel not in self._texts:
            self._texts[rel] = translate_model((self.path / "bpmn" / rel).read_text(encoding="utf-8"))
        return self._texts[rel]

    def compiled(self, rel: str, process_id: str) -> CompiledVersion | DefinitionInvalid:
        key = (rel, process_id)
        if key not in self._compiled:
            name = Path(rel).name
            entry = CatalogEntry(key=process_id, process_id=process_id, bpmn=name,
                                 name={"en": process_id, "zh": process_id}, starters=(), owner_role="process-owner")
            try:
                self._compiled[key] = compile_bundle(ProcessBundle(entry, {name: self.model(rel)}))
            except DefinitionInvalid as err:
                self._compiled[key] = err
        return self._compiled[key]

    def main_process(self, test: dict[str, Any]) -> str:
        processes = executable_processes(self.model(test["bpmn"]))
        if test["name"] in processes:
            return test["name"]
        others = [p for p in processes if p != PARALLEL_PROCESS]
        return (others or processes or [test["name"]])[0]

    def run_all(self) -> list[CaseResult]:
        return [self.run_case(test, case) for test in self.tests for case in test["cases"]]

    def run_case(self, test: dict[str, Any], case: dict[str, Any]) -> CaseResult:
        result = CaseResult(test["name"], test["category"], case["number"], list(case["expected"]), [], True)
        compiled = self.compiled(test["bpmn"], self.main_process(test))
        if isinstance(compiled, DefinitionInvalid):
            result.deployed = False
            result.tokens = ["ERROR_deployment"]
            result.problems = [(p.element, p.reason) for p in compiled.problems]
            return result
        main_id = self.main_process(test)
        partners = [PARALLEL_PROCESS] if case.get("parallel_process") else []
        partners += [p for p in started_by_events(self.model(test["bpmn"])) if p != main_id and p not in partners]
        partner = []
        for process_id in partners:
            found = self.compiled(test["bpmn"], process_id)
            if isinstance(found, DefinitionInvalid):
                result.deployed = False
                result.tokens = ["ERROR_deployment"]
                result.problems = [(p.element, p.reason) for p in found.problems]
                return result
            partner.append(found)
        clock = FixedClock(EPOCH)
        recorder = Recorder(clock)
        previous = signal.signal(signal.SIGALRM, _on_alarm) if _can_alarm() else None
        if previous is not None or _can_alarm():
            signal.setitimer(signal.ITIMER_REAL, CASE_TIMEOUT_S)
        try:
            tokens, incident = _drive(compiled, partner, case, clock, recorder)
        except _Timeout:
            tokens, incident = recorder.tokens(result.expected), {"element": None, "message": "timed out"}
        except Exception as err:  # an engine crash is a runtime failure of the case, not of the suite
            tokens = recorder.tokens(result.expected)
            incident = {"element": None, "message": f"engine crashed: {type(err).__name__}: {err}", "crash": True}
        finally:
            if _can_alarm():
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous or signal.SIG_DFL)
        result.tokens, result.incident = tokens, incident
        if incident is not None:
            result.tokens.append("ERROR_runtime")
        return result


def _can_alarm() -> bool:
    import threading
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum: int, frame: Any) -> None:
    raise _Timeout()


def _drive(compiled: CompiledVersion, partners: list[CompiledVersion], case: dict[str, Any], clock: FixedClock,
           recorder: Recorder) -> tuple[list[str], dict[str, Any] | None]:
    functions = recorder.functions()
    data: dict[str, Any] = {"integerVariable": case.get("integerVariable", 0), "testCaseNumber": case["number"]}
    if case.get("input") is not None:
        data["test"] = case["input"]
    executions = []
    thrown_error = False
    incident = None
    delivered: set[int] = set()
    for partner in partners:  # started first: they wait for what the main process sends
        side = Execution(partner, clock, functions=functions)
        executions.append((side, side.start({})))
    main = Execution(compiled, clock, functions=functions)
    executions.append((main, main.start(data)))

    def settle() -> None:
        nonlocal thrown_error
        for _ in range(100):
            moved = False
            for execution, result in list(executions):
                for task in list(result.ready_tasks):
                    execution.complete(task.id, {})
                    moved = True
            events = []
            for execution, _result in executions:
                events += [(execution, e) for e in execution.workflow.get_events() if id(e) not in delivered]
            for source, event in events:
                kind = type(event.event_definition).__name__
                if kind == "ErrorEventDefinition" and source is main:
                    thrown_error = True
                    continue
                for execution, _result in executions:
                    if execution is not source and kind in ("MessageEventDefinition", "SignalEventDefinition"):
                        delivered.add(id(event))  # if nobody there catches it, it comes back: not again
                        execution.workflow.catch(event)
                        moved = True
            for index, (execution, _result) in enumerate(executions):
                executions[index] = (execution, execution.fire_timers()[0] if moved else execution.result())
            if not moved:
                return

    settle()
    deadline = EPOCH + timedelta(milliseconds=case.get("delay_ms") or 0)
    while clock.now() < deadline and not any(r.incident for _e, r in executions):
        clock.advance(min(TICK, deadline - clock.now()))
        for index, (execution, _result) in enumerate(executions):
            executions[index] = (execution, execution.fire_timers()[0])
        settle()
    for _execution, result in executions:
        if result.incident is not None:
            incident = result.incident
    tokens = recorder.tokens(case["expected"])
    if thrown_error:
        tokens.append("ERROR_thrownErrorEvent")
    return tokens, incident


# ---- summary -------------------------------------------------------------------------------

def tests_passed(results: list[CaseResult]) -> tuple[int, int]:
    by_test: dict[str, bool] = {}
    for r in results:
        by_test[r.test] = by_test.get(r.test, True) and r.passed
    return sum(by_test.values()), len(by_test)


def by_category(results: list[CaseResult]) -> dict[str, tuple[int, int, int, int]]:
    """category -> (tests passed, tests, cases passed, cases)."""
    out: dict[str, tuple[int, int, int, int]] = {}
    for category in sorted({r.category for r in results}):
        mine = [r for r in results if r.category == category]
        passed, total = tests_passed(mine)
        out[category] = (passed, total, sum(r.passed for r in mine), len(mine))
    return out


def describe(result: CaseResult) -> str:
    got = Counter(_normalise(result.tokens, result.expected))
    want = Counter(result.expected)
    why = f" incident at {result.incident.get('element')}: {result.incident.get('message')}" if result.incident else ""
    return (f"{result.test}#{result.number} ({result.category}): expected {sorted(want.elements())}, "
            f"got {sorted(got.elements())}{why}")
