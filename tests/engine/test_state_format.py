"""The stored state is versioned like SpiffWorkflow's serializer: today's format loads as it is,
a registered migration brings an older one up, and a format nobody registered is refused."""

from __future__ import annotations

import copy
import json

import pytest

from engine.errors import StateFormatUnknown
from engine.spiff import stored
from engine.spiff.execution import Execution
from engine.spiff.stored import STATE_FORMAT, live_elements, task_entries, upgraded
from tests.engine.test_state import loop_version


@pytest.fixture
def waiting(clock):
    """A loop instance waiting at its user task: (compiled version, stored state, result)."""
    compiled = loop_version()
    result = Execution(compiled, clock).start({"count": 0, "limit": 3})
    return compiled, json.loads(json.dumps(result.state)), result


def test_the_writer_writes_the_newest_format_and_it_loads_unchanged(waiting, clock):
    compiled, state, result = waiting
    assert state["format"] == STATE_FORMAT == "zhidu-state/1"
    assert upgraded(state) == state and upgraded(state) is not state
    again = Execution(compiled, clock, state).result()
    assert again.state == state
    assert [t.id for t in again.ready_tasks] == [t.id for t in result.ready_tasks]


def test_a_format_nobody_registered_is_refused_naming_it(waiting, clock):
    compiled, state, _ = waiting
    newer = {**state, "format": "zhidu-state/99"}
    with pytest.raises(StateFormatUnknown, match="zhidu-state/99") as caught:
        Execution(compiled, clock, newer)
    assert caught.value.found == "zhidu-state/99" and caught.value.code == "state_format_unknown"
    with pytest.raises(StateFormatUnknown, match="None"):
        live_elements({key: value for key, value in state.items() if key != "format"})


def _from_format_0(state: dict) -> str:
    """The fake format 0 named a task's spec "element"; format 1 calls it "task_spec"."""
    for task in state["tasks"].values():
        task["task_spec"] = task.pop("element")
    return STATE_FORMAT


def as_format_0(state: dict) -> dict:
    old = copy.deepcopy(state)
    old["format"] = "zhidu-state/0"
    for task in old["tasks"].values():
        task["element"] = task.pop("task_spec")
    return old


def test_a_registered_migration_brings_an_older_state_up_on_load(waiting, clock, monkeypatch):
    compiled, state, result = waiting
    old = as_format_0(state)
    with pytest.raises(StateFormatUnknown, match="zhidu-state/0"):
        upgraded(old)
    monkeypatch.setitem(stored.MIGRATIONS, "zhidu-state/0", _from_format_0)
    assert upgraded(old) == state
    assert old["format"] == "zhidu-state/0" and "element" in next(iter(old["tasks"].values()))  # not touched
    assert live_elements(old) == live_elements(state) == ["Work"]
    assert task_entries(old) == task_entries(state)
    loaded = Execution(compiled, clock, old).result()
    assert loaded.state == state and [t.id for t in loaded.ready_tasks] == [t.id for t in result.ready_tasks]


def test_migrations_run_in_order_and_a_cycle_among_them_is_refused(waiting, monkeypatch):
    _, state, _ = waiting
    older = {**as_format_0(state), "format": "zhidu-state/0-beta"}
    monkeypatch.setitem(stored.MIGRATIONS, "zhidu-state/0-beta", lambda s: "zhidu-state/0")
    monkeypatch.setitem(stored.MIGRATIONS, "zhidu-state/0", _from_format_0)
    assert upgraded(older) == state
    monkeypatch.setitem(stored.MIGRATIONS, "zhidu-state/0", lambda s: "zhidu-state/0-beta")
    with pytest.raises(StateFormatUnknown, match="0-beta"):
        upgraded(older)


def test_live_elements_are_the_waiting_ready_and_started_tasks_of_the_top_workflow(waiting):
    _, state, _ = waiting
    assert live_elements(state) == ["Work"]
    live = [t for t in task_entries(state) if t.live]
    assert [t.element for t in live] == ["Work"] and live[0].state == 16  # READY
    assert {t.element for t in task_entries(state) if not t.live} >= {"Join", "Count", "Again"}  # done, predicted


def _subprocess_version():
    from engine.spiff.specs import compile_bundle
    from tests.fixtures.timers.bundles import timer_bundle

    return compile_bundle(timer_bundle("timer_event_subprocess"))


def test_a_command_leaves_the_state_it_was_loaded_from_unchanged(clock):
    # Loading copies only what SpiffWorkflow's deserializer alters or keeps (engine/spiff/stored.py
    # `_consumable`); a library change that kept more of the dict it was given fails here.
    from datetime import timedelta

    compiled = _subprocess_version()
    started = Execution(compiled, clock).start({"note": "x"})
    clock.advance(timedelta(minutes=31))
    nudged, _ = Execution(compiled, clock, json.loads(json.dumps(started.state))).fire_timers()
    state = json.loads(json.dumps(nudged.state))
    assert state["subprocesses"], "the event subprocess is running"
    state["correlations"] = {"case": {"ref": "A-1"}}
    before = copy.deepcopy(state)
    execution = Execution(compiled, clock, state)
    execution.workflow.correlations["case"]["ref"] = "changed"
    work = next(t for t in nudged.ready_tasks if t.spec_name == "Work")
    done = execution.complete(work.id, {"note": "done"})
    assert done.status in ("running", "completed")
    assert state == before


def test_the_stored_state_is_spiffworkflows_own_serialization_without_the_spec(clock):
    # The dump leaves the spec out instead of building a copy of it to throw away; everything else
    # must be what SpiffWorkflow's own converter writes.
    from datetime import timedelta

    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
    from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from engine.spiff import state as state_module

    compiled = _subprocess_version()
    started = Execution(compiled, clock).start({"note": "x"})
    clock.advance(timedelta(minutes=31))
    execution = Execution(compiled, clock, json.loads(json.dumps(started.state)))
    execution.fire_timers()
    config = state_module.serializer_config()
    config[BpmnWorkflow] = BpmnWorkflowConverter  # SpiffWorkflow's own converter and registry, spec included
    plain = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    assert type(plain.registry) is DefaultRegistry
    full = plain.to_dict(execution.workflow)
    assert "spec" in full and "subprocess_specs" in full
    expected = stored.stored_form(full, state_module.join_spec_names(execution.workflow))
    assert state_module.dump_state(execution.workflow) == expected
    assert "spec" not in expected and expected["subprocesses"]


def test_plain_data_converts_and_restores_as_spiffworkflows_registry_does():
    import math
    from collections import OrderedDict
    from datetime import datetime, timedelta, timezone
    from decimal import Decimal
    from uuid import UUID

    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry

    from engine.spiff import state as state_module

    class Text(str):
        pass

    ours = state_module._serializer().registry
    theirs = BpmnWorkflowSerializer.configure(state_module.serializer_config(), DefaultRegistry())
    data = {"text": "张三", "n": 3, "big": 2 ** 80, "x": 0.5, "nan": math.nan, "yes": True, "none": None,
            "nested": {"list": [1, "a", {"deep": [None, False]}], "tuple": (1, "b"), "set": {3}},
            "when": datetime(2026, 11, 27, 9, tzinfo=timezone.utc), "span": timedelta(days=2),
            "id": UUID(int=7), "money": Decimal("1.5"), "ordered": OrderedDict(a=1, b=print),
            "sub": Text("t"), "helper": print, "module": math, "inside": {"helper": len, "module": json},
            7: "int key"}
    mine, spiffs = ours.convert(data), theirs.convert(theirs.clean(data))
    assert json.dumps(mine, default=repr, sort_keys=False) == json.dumps(spiffs, default=repr, sort_keys=False)
    assert type(mine["nested"]["tuple"]) is tuple and type(mine["ordered"]) is type(spiffs["ordered"])
    assert "helper" not in mine and "helper" not in mine["inside"] and "module" not in mine["inside"]
    stored = json.loads(json.dumps(spiffs, default=repr))
    stored["typed"] = {"typename": "datetime", "value": "2026-11-27T09:00:00+00:00"}
    stored["listed"] = [1, {"typename": "timedelta", "days": 1, "seconds": 0}, ["x", None, 2.5]]
    back, spiffs_back = ours.restore(stored), theirs.restore(stored)
    assert back == spiffs_back and back is not stored and back["nested"] is not stored["nested"]
    assert back["typed"] == datetime(2026, 11, 27, 9, tzinfo=timezone.utc) and back["listed"][1] == timedelta(days=1)
