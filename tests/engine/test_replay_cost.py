"""What replay leaves out to be quick changes nothing it compares: a replaying execution's result
is the live command's but for what only the live command stores; JSON round trips replay skips
give what the round trip gives; a state loads as SpiffWorkflow's own restore loads it."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from engine.spiff.plain_data import as_json, copied
from engine.spiff.execution import Execution
from engine.spiff.specs import compile_bundle
from tests.engine.test_state import loop_version
from tests.fixtures.timers.bundles import timer_bundle

SHOWING_NOTE = """key: timer_step
title: {zh: 计时步骤, en: Timer step}
schema:
  type: object
  properties:
    note: {type: string, maxLength: 200}
ui:
  fields:
    note: {label: {zh: 备注, en: Note}, widget: text}
  show: [note]
"""


def _boundary_version():
    """A user task with a one-hour timer on its boundary, whose form shows `note` read-only."""
    bundle = timer_bundle("timer_boundary")
    return compile_bundle(replace(bundle, files={**bundle.files, "forms/timer_step.yaml": SHOWING_NOTE}))


def test_a_replaying_execution_gives_the_live_result_without_what_only_the_live_command_stores(clock):
    compiled = _boundary_version()
    live = Execution(compiled, clock).start({"note": "x"})
    replayed = Execution(compiled, clock, replaying=True).start({"note": "x"})
    assert live.next_wake_at == clock.now() + timedelta(hours=1) and replayed.next_wake_at is None
    assert [t.context for t in live.ready_tasks] == [{"note": "x"}]
    assert [t.context for t in replayed.ready_tasks] == [{}]
    assert [replace(t, id="", context={}) for t in replayed.ready_tasks] == \
        [replace(t, id="", context={}) for t in live.ready_tasks]
    assert (replayed.status, replayed.data, replayed.incident) == (live.status, live.data, live.incident)
    assert [kind for kind, _ in replayed.outcomes] == [kind for kind, _ in live.outcomes]
    state = json.loads(json.dumps(live.state))
    work = live.ready_tasks[0].id
    again_live = Execution(compiled, clock, state).complete(work, {"note": "y"})
    again = Execution(compiled, clock, state, replaying=True).complete(work, {"note": "y"})
    assert again.state == again_live.state and again.outcomes == again_live.outcomes
    assert again.data == again_live.data and again.status == again_live.status


@pytest.mark.parametrize("value", [
    {"a": [1, 2.5, "三", None, True, {"b": []}], "c": {}},
    [],
    "text",
    {"when": datetime(2026, 11, 27, 9, tzinfo=timezone.utc)},
    {"pair": (1, 2)},
    {7: "int key", "x": {True: 1}},
    {"nan": math.nan, "inf": [math.inf]},
    {"sub": type("Text", (str,), {})("t")},
])
def test_as_json_is_the_json_round_trip(value):
    found = as_json(value, default=str)
    expected = json.loads(json.dumps(value, default=str))
    assert json.dumps(found, sort_keys=True, default=repr) == json.dumps(expected, sort_keys=True, default=repr)
    assert type(found) is type(expected)


def test_as_json_gives_plain_data_back_as_it_is_and_anything_else_a_round_trip():
    plain = {"a": [1, {"b": "c"}], "d": 0.5}
    assert as_json(plain) is plain
    tupled = {"a": [1, {"b": (1, 2)}]}
    assert as_json(tupled) == {"a": [1, {"b": [1, 2]}]} and as_json(tupled) is not tupled
    with pytest.raises(TypeError):
        as_json({"when": datetime(2026, 1, 1)})  # as json.dumps refuses it, without a default
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError):  # the round trip says what is wrong
        as_json(cycle)


def _spiffs_own_load(state: dict, compiled):
    """The workflow SpiffWorkflow's own top-workflow converter restores from `state`."""
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow

    from engine.spiff import state as state_module
    from engine.spiff.stored import serialized_form

    config = state_module.serializer_config()
    config[BpmnWorkflow] = BpmnWorkflowConverter
    theirs = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))
    return theirs.from_dict(serialized_form(state, compiled.spec, compiled.subprocess_specs))


def _tree(workflow) -> list[tuple]:
    """Every task of a workflow and its subprocesses as the serializer and the engine see it."""
    workflows = [workflow, *workflow.subprocesses.values()]
    return [(str(w.task_tree.id), str(w.last_task.id) if w.last_task else None,
             [(str(t.id), str(t.parent.id) if t.parent else None, [str(c.id) for c in t.children],
               t.state, t.task_spec.name, t.data, t.internal_data, t.triggered, t.last_state_change)
              for t in w.tasks.values()])
            for w in workflows] + [sorted(str(i) for i in workflow.event_manager.tasks)]


def _subprocess_state(clock) -> tuple:
    from engine.spiff.specs import compile_bundle as compile_

    compiled = compile_(timer_bundle("timer_event_subprocess"))
    started = Execution(compiled, clock).start({"note": "x"})
    clock.advance(timedelta(minutes=31))
    nudged, _ = Execution(compiled, clock, json.loads(json.dumps(started.state))).fire_timers()
    state = json.loads(json.dumps(nudged.state))
    assert state["subprocesses"], "the event subprocess is running"
    return compiled, state


def test_a_state_loads_as_spiffworkflows_own_converter_restores_it(clock):
    from engine.spiff.state import dump_state, load_state

    for compiled, state in [_subprocess_state(clock), _waiting_loop(clock), _boundary_waiting(clock)]:
        ours = load_state(state, compiled.spec, compiled.subprocess_specs, None)
        assert _tree(ours) == _tree(_spiffs_own_load(state, compiled))
        assert dump_state(ours) == state


def test_a_state_whose_links_name_a_missing_task_loads_as_spiffworkflow_loads_it(clock):
    from engine.spiff.state import load_state

    compiled, state = _waiting_loop(clock)
    task = next(t for t in state["tasks"].values() if t["children"])
    task["children"].append("00000000-0000-4000-8000-000000000001")
    ours = load_state(state, compiled.spec, compiled.subprocess_specs, None)
    theirs = _spiffs_own_load(state, compiled)
    links = [(str(t.id), t.parent.id if t.parent else None, len(t.children)) for t in ours.tasks.values()]
    assert links == [(str(t.id), t.parent.id if t.parent else None, len(t.children)) for t in theirs.tasks.values()]


def _waiting_loop(clock) -> tuple:
    compiled = loop_version()
    result = Execution(compiled, clock).start({"count": 0, "limit": 3})
    result = Execution(compiled, clock, json.loads(json.dumps(result.state))).complete(
        result.ready_tasks[0].id, {"note": "x"})
    return compiled, json.loads(json.dumps(result.state))


def _boundary_waiting(clock) -> tuple:
    compiled = _boundary_version()
    return compiled, json.loads(json.dumps(Execution(compiled, clock).start({"note": "x"}).state))


def test_plain_data_converts_as_spiffworkflows_registry_does_with_a_plain_type_registered():
    from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry

    from engine.spiff.state import PlainDataRegistry

    ours, theirs = PlainDataRegistry(), DefaultRegistry()
    for registry in (ours, theirs):
        registry.register(int, lambda v: {"value": str(v)}, lambda v: int(v["value"]), "whole")
    data = {"n": 3, "list": [4, "x", True], "inside": {"n": 5, "helper": print}, "s": "x", "helper": len}
    assert ours.convert(ours.clean(data)) == theirs.convert(theirs.clean(data))
    assert ours.convert(data)["n"] == {"value": "3", "typename": "whole"}


def test_cleaning_a_map_is_left_to_its_conversion():
    from engine.spiff.state import PlainDataRegistry

    registry = PlainDataRegistry()
    data = {"n": 1, "helper": print, "inside": {"helper": print}}
    assert registry.clean(data) is data and registry.convert(registry.clean(data)) == {"n": 1, "inside": {}}


def test_copied_is_a_deep_copy():
    when = datetime(2026, 11, 27, 9, tzinfo=timezone.utc)
    data = {"a": [1, {"b": ["c"]}], "pair": ([1], 2), "when": when, "x": 0.5, 7: None}
    found = copied(data)
    assert found == data and found["a"] is not data["a"] and found["a"][1]["b"] is not data["a"][1]["b"]
    assert found["pair"][0] is not data["pair"][0] and found["when"] == when
    cycle: list = []
    cycle.append(cycle)
    again = copied(cycle)
    assert again is not cycle and again[0] is again


def test_a_state_filing_a_task_under_another_id_loads_as_spiffworkflow_loads_it(clock):
    from engine.spiff.state import load_state

    compiled, state = _waiting_loop(clock)
    key = next(k for k, t in state["tasks"].items() if not t["children"] and t["parent"])
    other = "00000000-0000-4000-8000-000000000002"
    state["tasks"] = {other if k == key else k: t for k, t in state["tasks"].items()}
    ours = load_state(state, compiled.spec, compiled.subprocess_specs, None)
    theirs = _spiffs_own_load(state, compiled)
    assert [(str(k), str(t.id)) for k, t in ours.tasks.items()] == [(str(k), str(t.id)) for k, t in theirs.tasks.items()]


@pytest.mark.parametrize("expression, context, external", [
    ("flag == True", {"flag": True}, None),
    ("flag == True", {"flag": 1}, None),
    ("dept + '-staff'", {"dept": "data-analysis"}, None),
    ("due", {"due": "2026-12-05"}, None),
    ("n", {"n": 1}, None),
    ("n", {"n": True}, None),
    ("-x", {"x": 0.0}, None),
    ("-x", {"x": -0.0}, None),
    ("when", {"when": datetime(2026, 1, 1, 9, tzinfo=timezone.utc)}, None),
    ("when", {"when": datetime(2026, 1, 1, 17, tzinfo=timezone(timedelta(hours=8)))}, None),
    ("shade", {}, {"shade": "external"}),
    ("shade", {"shade": "data"}, {"shade": "external"}),
    ("1 + 1", {}, None),
    ("PT24H", {}, None),
])
def test_the_replay_environment_gives_what_the_sandbox_gives(clock, expression, context, external):
    from engine.spiff.replay_environment import ReplayEnvironment
    from engine.spiff.script_environment import SandboxEnvironment

    sandbox, replaying = SandboxEnvironment(clock), ReplayEnvironment(clock)
    expected = sandbox.evaluate(expression, dict(context), external)
    for _ in range(2):  # the second time from what it remembers, where it remembers
        found = replaying.evaluate(expression, dict(context), external)
        assert found == expected and type(found) is type(expected) and repr(found) == repr(expected)


def test_the_replay_environment_remembers_values_but_not_errors(clock, monkeypatch):
    from engine.spiff import replay_environment
    from engine.spiff.script_environment import SandboxEnvironment

    calls = []
    evaluate = SandboxEnvironment.evaluate
    monkeypatch.setattr(SandboxEnvironment, "evaluate", lambda self, *args: calls.append(args) or evaluate(self, *args))
    replaying = replay_environment.ReplayEnvironment(clock)
    assert [replaying.evaluate("gate_a == 3", {"gate_a": 3}) for _ in range(3)] == [True] * 3
    assert len(calls) == 1
    assert replaying.evaluate("gate_a == 3", {"gate_a": 4}) is False and len(calls) == 2
    for _ in range(2):
        with pytest.raises(Exception):
            replaying.evaluate("gate_b + 1", {"gate_b": "text"})
    assert len(calls) == 4
