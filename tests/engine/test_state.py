"""Stored state stays small and the engine keeps running past where plain SpiffWorkflow stalls."""

from __future__ import annotations

import json

from engine.definitions.bundles import CatalogEntry, ProcessBundle
from engine.spiff.execution import Execution
from engine.spiff.specs import compile_bundle
from tests.conftest import FIXTURES


def loop_version():
    entry = CatalogEntry("loop", "loop", "loop.bpmn", {"zh": "循环", "en": "loop"}, (), "process-owner")
    return compile_bundle(ProcessBundle(entry, {
        "loop.bpmn": (FIXTURES / "loop.bpmn").read_text(encoding="utf-8"),
        "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text(encoding="utf-8")}))


def test_loop_runs_past_iteration_251_with_bounded_state(clock):
    compiled = loop_version()
    result = Execution(compiled, clock).start({"count": 0, "limit": 300})
    sizes = []
    for _ in range(300):
        assert result.status == "running" and len(result.ready_tasks) == 1
        state = json.loads(json.dumps(result.state))  # the stored form, as storage would hold it
        result = Execution(compiled, clock, state).complete(result.ready_tasks[0].id, {"note": "x"})
        sizes.append(len(result.state["tasks"]))
    assert result.status == "completed"
    assert result.data["count"] == 300
    assert max(sizes) <= 12, max(sizes)
    assert "spec" not in result.state and "subprocess_specs" not in result.state


def test_state_round_trip_keeps_task_ids_and_data(clock):
    compiled = loop_version()
    first = Execution(compiled, clock).start({"count": 0, "limit": 5})
    again = Execution(compiled, clock, first.state)
    assert [t.id for t in again.result().ready_tasks] == [t.id for t in first.ready_tasks]
    assert again.result().data == first.data


def automatic_loop_version():
    import re

    text = re.sub(r'<bpmn:userTask id="Work" name="Work">.*?</bpmn:userTask>',
                  '<bpmn:scriptTask id="Work" name="Work"><bpmn:incoming>F2</bpmn:incoming>'
                  '<bpmn:outgoing>F3</bpmn:outgoing><bpmn:script>note = count</bpmn:script></bpmn:scriptTask>',
                  (FIXTURES / "loop.bpmn").read_text(encoding="utf-8"), flags=re.S)
    entry = CatalogEntry("autoloop", "loop", "loop.bpmn", {"zh": "循环", "en": "loop"}, (), "process-owner")
    return compile_bundle(ProcessBundle(entry, {"loop.bpmn": text}))


def test_a_wait_free_loop_of_400_iterations_runs_to_its_real_end(clock):
    # Plain SpiffWorkflow hides the next task at depth 1,000 and reports such an instance completed at 250.
    result = Execution(automatic_loop_version(), clock).start({"count": 0, "limit": 400})
    assert result.status == "completed" and result.incident is None
    assert result.data["count"] == 400


def test_an_endless_loop_stops_with_an_incident(clock):
    result = Execution(automatic_loop_version(), clock).start({"count": 0, "limit": 10**9})
    assert result.status == "failed"
    assert result.incident["element"] in {"Join", "Work", "Count", "Again"}
    assert "endless loop" in result.incident["message"]


def test_a_three_way_join_fires_when_branches_finish_in_separate_commands(clock):
    import itertools

    entry = CatalogEntry("parallel3", "parallel3", "parallel3.bpmn", {"zh": "并行", "en": "parallel"}, (),
                         "process-owner")
    compiled = compile_bundle(ProcessBundle(entry, {
        "parallel3.bpmn": (FIXTURES / "parallel3.bpmn").read_text(encoding="utf-8"),
        "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text(encoding="utf-8")}))
    for order in itertools.permutations(["TaskA", "TaskB", "TaskC"]):
        result = Execution(compiled, clock).start({})
        for element in order:
            assert result.status == "running", order
            task = next(t for t in result.ready_tasks if t.spec_name == element)
            state = json.loads(json.dumps(result.state))
            result = Execution(compiled, clock, state).complete(task.id, {"note": element})
        assert result.status == "completed", order
