"""Stored state stays small and the engine keeps running past where plain SpiffWorkflow stalls."""

from __future__ import annotations

import json

from engine.definitions import CatalogEntry, ProcessBundle
from engine.execution import Execution
from engine.specs import compile_bundle
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
