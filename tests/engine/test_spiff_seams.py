"""SpiffWorkflow only behind its adapter (issue 13.4): engine/spiff/ alone imports it, reaches no
`_private` member of its objects, overrides none in subclasses, and customises it at its seams."""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from pathlib import Path

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask

from engine.definitions.bundles import CatalogEntry, ProcessBundle, load_catalog
from engine.spiff.execution import Execution
from engine.spiff.specs import compile_bundle
from engine.spiff.timer_events import ClockedCycle
from tests.conftest import FIXTURES, FORMS, PROCESSES

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = ROOT / "engine" / "spiff"


def engine_modules() -> list[Path]:
    return sorted((ROOT / "engine").rglob("*.py"))


def test_only_the_adapter_imports_spiffworkflow():
    outside = []
    for path in engine_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(name.split(".")[0] == "SpiffWorkflow" for name in names) and ADAPTER not in path.parents:
                outside.append(str(path.relative_to(ROOT)))
    assert outside == []


def test_the_adapter_reaches_no_private_member_of_another_object():
    found = []
    for path in sorted(ADAPTER.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and re.match(r"_[a-z]", node.attr) and not (
                    isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert found == []


def test_no_adapter_class_overrides_a_private_member_of_spiffworkflow():
    overridden = []
    for path in sorted(ADAPTER.glob("*.py")):
        module = importlib.import_module(f"engine.spiff.{path.stem}")
        for cls in (c for _, c in inspect.getmembers(module, inspect.isclass) if c.__module__ == module.__name__):
            library = [base for base in cls.__mro__ if base.__module__.startswith("SpiffWorkflow")]
            for name in vars(cls):
                if re.match(r"_[a-z]", name) and any(name in vars(base) for base in library):
                    overridden.append(f"{cls.__name__}.{name}")
    assert overridden == []


def test_cycle_timers_add_their_next_children_through_spiffworkflows_own_update_task():
    # ClockedCycle changes only when a cycle is due (`cycle_complete`, on the engine clock);
    # SpiffWorkflow's update_task asks it and adds the children (see test_timers' cycle tests).
    assert ClockedCycle.update_task is CycleTimerEventDefinition.update_task
    assert ClockedCycle.cycle_complete is not CycleTimerEventDefinition.cycle_complete


def test_only_stored_py_indexes_serialized_task_dicts():
    readers = set()
    for path in engine_modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            key = node.slice if isinstance(node, ast.Subscript) else \
                node.args[0] if isinstance(node, ast.Call) and node.args and \
                isinstance(node.func, ast.Attribute) and node.func.attr == "get" else None
            if isinstance(key, ast.Constant) and key.value == "task_spec":
                readers.add(str(path.relative_to(ROOT)))
    assert readers == {"engine/spiff/stored.py"}


def test_every_loop_and_multi_instance_child_is_linked_to_its_merge_when_parsed():
    linked = 0
    for bundle in load_catalog(PROCESSES, FORMS):
        compiled = compile_bundle(bundle)
        for spec in (compiled.spec, *compiled.subprocess_specs.values()):
            for task_spec in spec.task_specs.values():
                if isinstance(task_spec, LoopTask):
                    assert spec.task_specs[task_spec.task_spec].completed_event.is_connected(task_spec.merge_child)
                    linked += 1
    assert linked >= 4  # the shipped procedures hold several (training, appraisal, meetings, ...)


def sequential_twice() -> ProcessBundle:
    """loop.bpmn with its user task done twice, one after the other, and the outer loop once."""
    text = (FIXTURES / "loop.bpmn").read_text(encoding="utf-8").replace(
        "<bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing>\n    </bpmn:userTask>",
        "<bpmn:incoming>F2</bpmn:incoming><bpmn:outgoing>F3</bpmn:outgoing><bpmn:multiInstanceLoopCharacteristics "
        'isSequential="true"><bpmn:loopCardinality>2</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics>'
        "\n    </bpmn:userTask>")
    assert "loopCardinality" in text
    entry = CatalogEntry("twice", "loop", "loop.bpmn", {"zh": "两次", "en": "twice"}, (), "process-owner")
    return ProcessBundle(entry, {"loop.bpmn": text,
                                 "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text(encoding="utf-8")})


def test_a_version_compiled_afresh_merges_the_children_of_a_loop_begun_elsewhere(clock):
    # As after a restart: every command compiles the version anew and loads the stored state.
    result = Execution(compile_bundle(sequential_twice()), clock).start({"count": 0, "limit": 1})
    for note in ("first", "second"):
        assert result.status == "running" and [t.spec_name for t in result.ready_tasks] == ["Work [child]"]
        state = json.loads(json.dumps(result.state))
        result = Execution(compile_bundle(sequential_twice()), clock, state).complete(
            result.ready_tasks[0].id, {"note": note})
    assert result.status == "completed" and result.data["count"] == 1
