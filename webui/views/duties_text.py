"""Chinese and English for separation of duties (issue 16.5): a refusal as the history tells it,
and the editor panel's rules; merged into the interface messages (as comments_text.py does).

The refusal a person meets when acting comes worded from the engine (`DutiesSeparated.text`);
the history words the journal's ``refused`` entries here, from their payload."""

from __future__ import annotations

from typing import Any, Mapping

from webui.i18n import MESSAGES, bilingual, translate

DUTY_MESSAGES: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "kind.refused": ("被职责分离规则拒绝", "was refused by separation of duties"),
    "duties.action.claim": ("认领", "Claiming it"),
    "duties.action.complete": ("提交", "Submitting it"),
    "duties.action.reassign": ("转派给{person}", "Giving it to {person}"),
    "duties.refused.notBy": ("{action}被拒绝：这项任务与{person}本人有关，须由他人办理",
                             "{action} was refused: this task concerns {person}, so someone else must do it"),
    "duties.refused.notSameAs": ("{action}被拒绝：{person}办理过本案的“{step}”步骤，此步骤须由他人办理",
                                 "{action} was refused: {person} handled this case's '{step}' step, so someone "
                                 "else must do this one"),
    "duties.refused.behalf": ("（代{name}办理）", " (standing in for {name})"),
    "duties.detail": ("职责分离", "Separation of duties"),
    "duties.team_note": ("职责分离：不得由{names}办理", "Separation of duties: not to be done by {names}"),
    "duties.separator": ("、", ", "),
    "duties.task_excluded": ("按职责分离规则，这项任务须由他人办理。",
                             "Under separation of duties, someone else must do this task."),
}

MESSAGES.update(DUTY_MESSAGES)


def refusal_text(payload: Mapping[str, Any], people: Mapping[str, str], elements: Mapping[str, str],
                 lang: str) -> str:
    """A ``refused`` journal entry in words: what was tried, and the rule that refused it.

    `people`: username -> name; `elements`: BPMN id -> its (bilingual) name."""
    person = str(payload.get("person") or "")
    person_name = people.get(person, person)
    action = translate(f"duties.action.{payload.get('action') or 'claim'}", lang, person=person_name)
    rule = "notSameAs" if payload.get("rule") == "notSameAs" else "notBy"
    step = str(payload.get("step") or "")
    text = translate(f"duties.refused.{rule}", lang, action=action, person=person_name,
                     step=bilingual(elements.get(step, step), lang))
    behalf = payload.get("on_behalf_of")
    if behalf:
        text += translate("duties.refused.behalf", lang, name=people.get(behalf, behalf))
    return text
