"""Moving a running instance onto a newer version of its procedure, when that is safe.

Safe means: every task that is alive (ready, waiting, started) exists in the new version and
is unchanged there apart from its connections; every task the pruned state still holds has a
spec in the new version; the forms of open tasks accept what the old ones did; and the open
tasks are still offered to the same people. SpiffWorkflow's spec diff aligns the tasks
(`SpiffWorkflow.bpmn.util.diff`); only ready tasks are re-predicted, so a waiting timer keeps
its due time. Both the live command and replay go through `migrate_state`, so replay
reproduces a migration exactly.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.util.task import TaskState

from engine.clock import Clock, SystemClock
from engine.audit.confidential import version_rules
from engine.definitions.diff import CONNECTION_FIELDS, describe_elements
from engine.errors import MigrationRefused
from engine.spiff.execution import Execution, StepResult
from engine.definitions.forms import FormDefinition
from engine.spiff.specs import CompiledVersion
from engine.spiff.state import spec_registry
from engine.spiff.stored import every_task_entry


def blockers(old: CompiledVersion, new: CompiledVersion, state: dict[str, Any],
             open_tasks: dict[str, tuple[str, ...]] | None = None) -> list[str]:
    """Why the instance with `state` cannot move from `old` to `new`; empty when it can.

    `open_tasks` maps open task ids to their candidates, to check they stay offered alike.
    """
    if old.content_hash == new.content_hash:
        return ["the instance is already on this version"]
    reasons = _spec_reasons(old, new, state) + declassified(old, new)
    if reasons:
        return reasons
    try:
        result = migrate_state(old, new, state, SystemClock())
    except MigrationRefused as err:
        return err.reasons
    except Exception as err:  # whatever SpiffWorkflow trips on here, the answer is "not safe"
        return [f"SpiffWorkflow cannot move this instance: {type(err).__name__}: {err}"]
    offered = {t.id: t.candidates for t in result.ready_tasks}
    for task_id, candidates in (open_tasks or {}).items():
        if task_id not in offered:
            reasons.append(f"open task {task_id[:8]} would no longer be waiting")
        elif tuple(offered[task_id]) != tuple(candidates):
            reasons.append(f"open task {task_id[:8]} would be offered to {', '.join(offered[task_id])} "
                           f"instead of {', '.join(candidates)}")
    return reasons


def migrate_state(old: CompiledVersion, new: CompiledVersion, state: dict[str, Any], clock: Clock) -> StepResult:
    """Load `state` with the old spec, move it to the new spec and report the result.

    Raises:
        MigrationRefused: a subprocess the instance is inside no longer exists.
    """
    execution = Execution(old, clock, state)
    move_workflow(execution.workflow, new)
    execution.compiled = new
    return execution.result()


def move_workflow(workflow: Any, new: CompiledVersion) -> None:
    """Put a loaded workflow onto `new`'s specs, the way SpiffWorkflow's spec diff does it
    (`SpiffWorkflow.bpmn.util.diff`); only ready tasks are re-predicted.

    Raises:
        MigrationRefused: a subprocess the instance is inside no longer exists.
    """
    top, subprocesses = diff_workflow(spec_registry(), workflow, new.spec, new.subprocess_specs)
    migrate_workflow(top, workflow, new.spec, reset_mask=TaskState.READY)
    for sub_id, sub_diff in subprocesses.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is None or sub.spec.name not in new.subprocess_specs:
            raise MigrationRefused([f"subprocess {sub.spec.name} that the instance is inside was removed"])
        migrate_workflow(sub_diff, sub, new.subprocess_specs[sub.spec.name], reset_mask=TaskState.READY)
    _use_subprocess_specs(workflow, new.subprocess_specs)


def _use_subprocess_specs(workflow: Any, subprocess_specs: dict[str, Any]) -> None:
    """Give the top workflow the new version's subprocess specs, which subprocesses it starts from
    now on are built from. SpiffWorkflow 3.2's `migrate_workflow` replaces each workflow's `spec`
    but not this table; it is the public `BpmnWorkflow.subprocess_specs` attribute, which
    SpiffWorkflow's constructor and its example application's loader set the same way."""
    workflow.subprocess_specs = dict(subprocess_specs)


def _spec_reasons(old: CompiledVersion, new: CompiledVersion, state: dict[str, Any]) -> list[str]:
    old_specs, new_specs = _all_specs(old), _all_specs(new)
    before = describe_elements(old.bundle.files.get(old.bundle.entry.bpmn, ""))
    after = describe_elements(new.bundle.files.get(new.bundle.entry.bpmn, ""))
    reasons = []
    for task in every_task_entry(state):
        name, alive = task.element, task.live
        label = _label(before, name)
        if name not in new_specs:
            reasons.append(f"{label}, where the instance is now, was removed" if alive else
                           f"{label}, which the instance has just passed, was removed")
            continue
        if not alive:
            continue
        if type(old_specs.get(name)) is not type(new_specs[name]):
            reasons.append(f"{label}, where the instance is now, changed its type")
        changed = sorted(k for k in set(before.get(name, {})) | set(after.get(name, {}))
                         if k not in CONNECTION_FIELDS and before.get(name, {}).get(k) != after.get(name, {}).get(k))
        if changed:
            reasons.append(f"{label}, where the instance is now, changed: {', '.join(changed)}")
        info = old.user_tasks.get(name)
        if info is not None and info.form_key:
            reason = form_incompatibility(old.forms.get(info.form_key), new.forms.get(info.form_key))
            if reason:
                reasons.append(f"the form {info.form_key} of open task {label} {reason}")
    return sorted(set(reasons))


def declassified(old: CompiledVersion, new: CompiledVersion) -> list[str]:
    """Fields whose values would be shown to more people on `new` than on `old` (R7.1.1).

    Confidentiality never shrinks for data already captured: the rules of an instance's current
    version are the ones its pages, CLI and exports apply, so a migration must not let a
    process owner declassify a field. Refusing each such step keeps the current version at least
    as strict as every version the instance lived on.
    """
    before, after = version_rules(old), version_rules(new)
    reasons = []
    for name, cleared in sorted(before.items()):
        if name not in after:
            reasons.append(f"the field {name} is confidential on the instance's version but not on the new one: "
                           f"its values would be shown to everyone")
        elif after[name] - cleared:
            reasons.append(f"the field {name} would be shown to {', '.join(sorted(after[name] - cleared))}, "
                           f"who may not read it on the instance's version")
    return reasons


def form_incompatibility(old: FormDefinition | None, new: FormDefinition | None) -> str | None:
    """Why data entered against `old` may not fit `new` (None when it fits)."""
    if new is None:
        return "no longer exists" if old is not None else None
    if old is None:
        return None
    old_props, new_props = old.schema.get("properties", {}), new.schema.get("properties", {})
    for name in sorted(set(new.schema.get("required", [])) - set(old.schema.get("required", []))):
        return f"now requires {name}, which the old form did not"
    for name, prop in sorted(old_props.items()):
        if name not in new_props:
            return f"no longer has the field {name}"
        if new_props[name].get("type") != prop.get("type"):
            return f"changed the type of {name}"
    return None


def _all_specs(compiled: CompiledVersion) -> dict[str, Any]:
    specs = dict(compiled.spec.task_specs)
    for sub in compiled.subprocess_specs.values():
        specs.update(sub.task_specs)
    return specs


def _label(elements: dict[str, dict[str, Any]], name: str) -> str:
    found = elements.get(name)
    return f"'{found['name']}' ({name})" if found and found.get("name") else name

