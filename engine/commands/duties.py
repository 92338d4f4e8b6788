"""Separation of duties at run time (R1.3.4, R1.3.2; the rules: engine/spiff/duties.py).

Each open task row keeps who may not do it (`TaskRecord.excluded`): the names its ``notBy``
gave when it was entered, and whoever did or holds a step it must be done apart from. The row
is what inboxes filter on and what `Permissions` asks, so every command that changes who did
or holds a step refreshes the rows of the steps paired with it, in its own unit of work; and
claim, complete and reassign recompute the task's own exclusions from the instance's rows
first, so two parallel steps are never done by one person. A refusal is journaled (a
``refused`` note in the instance's chain, passed over by replay) and raised as
`DutiesSeparated`, worded in Chinese and English.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

from engine.errors import DutiesSeparated
from engine.ports import UnitOfWork
from engine.records import Exclusion, TaskRecord
from engine.spiff.duties import NOT_BY, NOT_SAME_AS, apart_in, element_of
from engine.spiff.specs import CompiledVersion

REFUSED = "refused"  # the journal kind of a refusal


def excluded_on_entry(not_by: Iterable[str], step: str, pairs: dict[str, frozenset[str]],
                      rows: Iterable[TaskRecord], own_id: str = "") -> tuple[Exclusion, ...]:
    """Who may not do a task of `step`: its ``notBy`` names, then whoever completed, or holds
    now, a step paired with it (`pairs`, engine/spiff/duties.py `apart`) among `rows`."""
    found = {name: Exclusion(name, NOT_BY) for name in not_by}
    others = pairs.get(element_of(step), frozenset())
    for row in rows:
        if row.id == own_id or element_of(row.spec_name) not in others:
            continue
        person = row.completed_by if row.status == "completed" else row.claimed_by if row.status == "open" else None
        if person and person not in found:
            found[person] = Exclusion(person, NOT_SAME_AS, row.spec_name)
    return tuple(found.values())


def current(uow: UnitOfWork, compiled: CompiledVersion, task: TaskRecord) -> list[TaskRecord]:
    """Bring `task`'s exclusions up to date from its instance's rows (when its step is paired
    with another); returns the rows read (none when nothing needed them)."""
    pairs = apart_in(compiled)
    if element_of(task.spec_name) not in pairs:
        return []
    rows = uow.tasks.for_instance(task.instance_id)
    not_by = [e.username for e in task.excluded if e.rule == NOT_BY]
    task.excluded = excluded_on_entry(not_by, task.spec_name, pairs, rows, task.id)
    return rows


def refresh_paired(uow: UnitOfWork, compiled: CompiledVersion, changed: TaskRecord,
                   rows: list[TaskRecord] | None = None) -> None:
    """After a command changed who did or holds `changed`, update the open tasks of the same
    instance paired with its step: a write per row that changed, and a read of the instance's
    rows unless `rows` (read earlier in the command) are given; nothing for a step paired with
    none."""
    pairs = apart_in(compiled)
    if element_of(changed.spec_name) not in pairs:
        return
    rows = [changed if r.id == changed.id else r for r in rows or uow.tasks.for_instance(changed.instance_id)]
    for row in rows:
        if row.status != "open" or row.id == changed.id \
                or element_of(changed.spec_name) not in pairs.get(element_of(row.spec_name), ()):
            continue
        not_by = [e.username for e in row.excluded if e.rule == NOT_BY]
        fresh = excluded_on_entry(not_by, row.spec_name, pairs, rows, row.id)
        if fresh != row.excluded:
            row.excluded = fresh
            uow.tasks.save(row)


def refusal_payload(task: TaskRecord, action: str, exclusion: Exclusion, behalf: str | None) -> dict[str, Any]:
    """The ``refused`` journal entry's payload: the task, what was tried, the rule and whom it
    excludes (the actor, the absent person they stand in for, or a reassignment's target)."""
    payload = {"task_id": task.id, "element": task.spec_name, "action": action, "rule": exclusion.rule,
               "person": exclusion.username}
    if exclusion.step:
        payload["step"] = exclusion.step
    if behalf:
        payload["on_behalf_of"] = behalf
    return payload


def refusal(compiled: CompiledVersion, task: TaskRecord, exclusion: Exclusion, rows: list[TaskRecord],
            who: str, name_of: Callable[[str], str]) -> DutiesSeparated:
    """The error a refused person reads. `who`: "self" (the actor is excluded), "behalf" (the
    absent person they stand in for is) or "target" (a manager tried to give the task to the
    excluded person)."""
    step_title = None
    texts = {}
    holds = False
    if exclusion.rule == NOT_SAME_AS and exclusion.step:
        info = compiled.user_tasks.get(exclusion.step)
        step_title = info.name if info is not None else exclusion.step
        holds = not any(r.spec_name == exclusion.step and r.completed_by == exclusion.username
                        and r.status == "completed" for r in rows)
    name = name_of(exclusion.username)
    for lang in ("zh", "en"):
        words = {"name": name, "task": title_in(task.title, lang),
                 "step": title_in(step_title, lang) if step_title else ""}
        texts[lang] = _template(exclusion.rule, who, holds, lang).format(**words)
    return DutiesSeparated(texts, exclusion.rule, exclusion.username, exclusion.step, step_title)


# (rule, who) -> (zh, en); {name}: the excluded person, {task}: this task, {step}: the other step
_TEMPLATES = {
    (NOT_BY, "self"): ("这项任务与您本人有关，须由他人办理。",
                       "This task concerns you, so someone else must do it."),
    (NOT_BY, "behalf"): ("您代{name}办理事务，而这项任务与{name}本人有关，须由他人办理。",
                         "You stand in for {name}, whom this task concerns, so someone else must do it."),
    (NOT_BY, "target"): ("不能转派给{name}：这项任务与其本人有关，须由他人办理。",
                         "This task cannot be given to {name}: it concerns them, so someone else must do it."),
    (NOT_SAME_AS, "self"): ("您{did}本案的“{step}”步骤，“{task}”须由他人办理。",
                            "You {did} this case's '{step}' step, so '{task}' must be done by someone else."),
    (NOT_SAME_AS, "behalf"): ("您代{name}办理事务，而{name}{did}本案的“{step}”步骤，“{task}”须由他人办理。",
                              "You stand in for {name}, who {did_3} this case's '{step}' step, so '{task}' "
                              "must be done by someone else."),
    (NOT_SAME_AS, "target"): ("不能转派给{name}：其{did}本案的“{step}”步骤，“{task}”须由他人办理。",
                              "This task cannot be given to {name}: they {did} this case's '{step}' step, so "
                              "'{task}' must be done by someone else."),
}
_DID = {("zh", False): "办理了", ("zh", True): "正在办理", ("en", False): "handled", ("en", True): "are handling"}
_DID_3 = {False: "handled", True: "is handling"}


def _template(rule: str, who: str, holds: bool, lang: str) -> str:
    zh, en = _TEMPLATES[(rule, who)]
    text = zh if lang == "zh" else en
    return text.replace("{did}", _DID[(lang, holds)]).replace("{did_3}", _DID_3[holds])


# '调查核实 Investigate and verify' -> its Chinese or English half (as webui/i18n.py `bilingual`)
_SPLIT = re.compile(r"^([^A-Za-z]*[\u3000-\u9fff\uff00-\uffef][^A-Za-z]*?)\s*([A-Za-z].*)$", re.S)


def title_in(title: str | None, lang: str) -> str:
    """A bilingual BPMN name's half in `lang`; the whole name when it does not split."""
    match = _SPLIT.match((title or "").strip())
    if not match:
        return title or ""
    return match.group(1).strip() if lang == "zh" else match.group(2).strip()
