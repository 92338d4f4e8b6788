"""Separation of duties (issue 16.5, R1.3.4 / R1.3.2) on the engine alone, with the fixture
procedure tests/fixtures/duties: Draft and Check run in parallel and must be done by different
people (Check names Draft in notSameAs); Approve may not be done by the person the case
concerns (notBy) nor by who drafted. The excluded are never offered the task; claim, complete
and reassign are refused in plain words and journaled; a substitute gets no way round it;
verify catches a journal rewritten so that an excluded person completed a step."""

from __future__ import annotations

import pytest

from engine.audit.journal import GENESIS, JournalEntry, compute_hash
from engine.errors import DefinitionInvalid, DutiesSeparated, PermissionDenied
from engine.runtime import Engine
from tests.conftest import organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork
from tests.fixtures.duties.bundles import four_eyes, four_eyes_text

NOTE = {"note": "ok"}


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def zhidu(store, clock) -> Engine:
    engine = Engine(lambda: FakeUnitOfWork(store), clock)
    engine.deploy([four_eyes()], actor="tests")
    engine.load_organisation(organisation())
    return engine


def start(zhidu: Engine, concerns: str = "cs_staff1") -> str:
    return zhidu.start("four_eyes", "cs_staff2", {"concerns": concerns}).id


def step(zhidu: Engine, instance_id: str, element: str):
    return next(t for t in zhidu.show(instance_id).active_tasks if t.name == element)


def do(zhidu: Engine, instance_id: str, element: str, user: str) -> None:
    task = step(zhidu, instance_id, element)
    zhidu.claim(task.id, user)
    zhidu.complete_task(task.id, user, NOTE)


def inbox(zhidu: Engine, user: str) -> set[str]:
    return {t.name for t in zhidu.inbox_page(user).tasks}


def refusals(store: FakeStore, instance_id: str) -> list[JournalEntry]:
    return [e for e in store.journal if e.instance_id == instance_id and e.kind == "refused"]


def at_approval(zhidu: Engine, concerns: str = "cs_staff1") -> str:
    """Drafted by the manager and checked by cs_staff2: Approve is open."""
    instance_id = start(zhidu, concerns)
    do(zhidu, instance_id, "Draft", "cs_manager")
    do(zhidu, instance_id, "Check", "cs_staff2")
    return instance_id


# -- notBy ------------------------------------------------------------------------------------
def test_the_person_a_task_concerns_is_not_offered_it_and_is_refused_in_plain_words(zhidu, store):
    instance_id = at_approval(zhidu)
    approve = step(zhidu, instance_id, "Approve")
    assert set(approve.excluded) == {"cs_staff1", "cs_manager"}
    assert "Approve" not in inbox(zhidu, "cs_staff1") and "Approve" in inbox(zhidu, "cs_staff2")
    assert zhidu.inbox_count("cs_staff1") == 0
    assert zhidu.task(approve.id, "cs_manager").actions == {"reassign"}  # the drafter manages the department
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.claim(approve.id, "cs_staff1")
    assert isinstance(caught.value, PermissionDenied)
    assert caught.value.text("zh") == "这项任务与您本人有关，须由他人办理。"
    assert caught.value.text("en") == "This task concerns you, so someone else must do it."
    assert step(zhidu, instance_id, "Approve").claimed_by is None
    [refused] = refusals(store, instance_id)
    assert (refused.actor, refused.payload["action"], refused.payload["rule"], refused.payload["person"]) == (
        "cs_staff1", "claim", "notBy", "cs_staff1")
    assert zhidu.verify(instance_id).status == "ok"


def test_completing_without_claiming_is_refused_too_and_each_refusal_is_journaled(zhidu, store):
    instance_id = at_approval(zhidu)
    approve = step(zhidu, instance_id, "Approve")
    for _ in range(2):
        with pytest.raises(DutiesSeparated):
            zhidu.complete_task(approve.id, "cs_staff1", NOTE)
    assert [e.payload["action"] for e in refusals(store, instance_id)] == ["complete", "complete"]
    assert zhidu.show(instance_id).status == "running"
    zhidu.complete_task(approve.id, "cs_staff2", NOTE)
    assert zhidu.show(instance_id).status == "completed"
    assert zhidu.verify(instance_id).status == "ok"


def test_the_task_entered_entry_records_whom_notby_names(zhidu, store):
    instance_id = at_approval(zhidu)
    entered = next(e for e in store.journal if e.instance_id == instance_id and e.kind == "task_entered"
                   and e.payload["element"] == "Approve")
    assert entered.payload["not_by"] == ["cs_staff1"]
    draft = next(e for e in store.journal if e.instance_id == instance_id and e.kind == "task_entered"
                 and e.payload["element"] == "Draft")
    assert "not_by" not in draft.payload


# -- notSameAs --------------------------------------------------------------------------------
def test_who_did_a_step_may_not_do_the_one_declared_apart_from_it(zhidu):
    instance_id = at_approval(zhidu)
    approve = step(zhidu, instance_id, "Approve")
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.claim(approve.id, "cs_manager")  # a manager of the department, but the drafter
    assert caught.value.text("en") == ("You handled this case's 'Draft the letter' step, so 'Approve the letter' "
                                       "must be done by someone else.")
    assert caught.value.text("zh") == "您办理了本案的“起草”步骤，“批准”须由他人办理。"
    assert (caught.value.rule, caught.value.step) == ("notSameAs", "Draft")


def test_parallel_steps_are_never_held_or_done_by_one_person_whichever_comes_first(zhidu):
    instance_id = start(zhidu)
    draft, check = step(zhidu, instance_id, "Draft"), step(zhidu, instance_id, "Check")
    assert inbox(zhidu, "cs_staff1") == {"Draft", "Check"}
    zhidu.claim(draft.id, "cs_staff1")
    assert inbox(zhidu, "cs_staff1") == {"Draft"}
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.claim(check.id, "cs_staff1")
    assert "You are handling this case's 'Draft the letter' step" in caught.value.text("en")
    assert "您正在办理本案的“起草”步骤" in caught.value.text("zh")
    zhidu.release(draft.id, "cs_staff1")
    assert inbox(zhidu, "cs_staff1") == {"Draft", "Check"}
    zhidu.claim(check.id, "cs_staff1")  # the other way round: Draft names nothing, yet is kept apart
    with pytest.raises(DutiesSeparated):
        zhidu.complete_task(draft.id, "cs_staff1", NOTE)
    zhidu.complete_task(check.id, "cs_staff1", NOTE)
    assert "Draft" not in inbox(zhidu, "cs_staff1")
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.claim(draft.id, "cs_staff1")
    assert "You handled this case's 'Check the figures' step" in caught.value.text("en")
    do(zhidu, instance_id, "Draft", "cs_staff2")
    assert zhidu.verify(instance_id).status == "ok"


def test_a_step_done_without_a_claim_still_keeps_its_doer_from_the_parallel_one(zhidu):
    instance_id = start(zhidu)
    zhidu.complete_task(step(zhidu, instance_id, "Draft").id, "cs_staff2", NOTE)
    check = step(zhidu, instance_id, "Check")
    assert check.excluded == ("cs_staff2",) and "Check" not in inbox(zhidu, "cs_staff2")


# -- reassign ---------------------------------------------------------------------------------
def test_a_manager_cannot_give_the_task_to_an_excluded_person_nor_sees_them_offered(zhidu, store):
    instance_id = at_approval(zhidu)
    approve = step(zhidu, instance_id, "Approve")
    receivers = {u.username for u in zhidu.receivers("director", [approve.id])[approve.id]}
    assert "cs_staff2" in receivers and not receivers & {"cs_staff1", "cs_manager"}
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.reassign(approve.id, "director", "cs_staff1")
    assert caught.value.text("zh") == "不能转派给杨丽：这项任务与其本人有关，须由他人办理。"
    assert caught.value.text("en") == "This task cannot be given to 杨丽: it concerns them, so someone else must do it."
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.reassign(approve.id, "director", "cs_manager")
    assert "they handled this case's 'Draft the letter' step" in caught.value.text("en")
    assert [(e.actor, e.payload["action"], e.payload["person"]) for e in refusals(store, instance_id)] == [
        ("director", "reassign", "cs_staff1"), ("director", "reassign", "cs_manager")]
    assert step(zhidu, instance_id, "Approve").claimed_by is None
    zhidu.reassign(approve.id, "director", "cs_staff2")
    assert zhidu.verify(instance_id).status == "ok"


def test_reassigning_a_parallel_step_to_who_holds_the_other_is_refused(zhidu):
    instance_id = start(zhidu)
    zhidu.claim(step(zhidu, instance_id, "Draft").id, "cs_staff1")
    with pytest.raises(DutiesSeparated):
        zhidu.reassign(step(zhidu, instance_id, "Check").id, "cs_manager", "cs_staff1")


# -- substitutes ------------------------------------------------------------------------------
def test_a_substitute_gets_no_way_round_the_rule_of_whom_they_stand_in_for(zhidu, store):
    instance_id = at_approval(zhidu)
    approve = step(zhidu, instance_id, "Approve")
    zhidu.record_absence("cs_staff1", "2026-11-27", "2026-11-30", "mk_staff1", "cs_staff1")
    assert "Approve" not in inbox(zhidu, "mk_staff1")  # reached only through the person it concerns
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.claim(approve.id, "mk_staff1")
    assert caught.value.text("en") == "You stand in for 杨丽, whom this task concerns, so someone else must do it."
    assert refusals(store, instance_id)[-1].payload["on_behalf_of"] == "cs_staff1"


def test_an_excluded_person_stays_excluded_while_standing_in_for_someone_who_is_not(zhidu):
    instance_id = at_approval(zhidu)
    approve = step(zhidu, instance_id, "Approve")
    zhidu.record_absence("cs_staff2", "2026-11-27", "2026-11-30", "cs_staff1", "cs_staff2")
    assert "Approve" not in inbox(zhidu, "cs_staff1")
    with pytest.raises(DutiesSeparated) as caught:
        zhidu.complete_task(approve.id, "cs_staff1", NOTE)
    assert caught.value.text("en") == "This task concerns you, so someone else must do it."


def test_a_substitute_offered_the_task_in_their_own_right_may_still_do_it(zhidu):
    instance_id = at_approval(zhidu)
    zhidu.record_absence("cs_staff1", "2026-11-27", "2026-11-30", "cs_staff2", "cs_staff1")
    assert "Approve" in inbox(zhidu, "cs_staff2")
    do(zhidu, instance_id, "Approve", "cs_staff2")
    assert zhidu.verify(instance_id).status == "ok"


# -- deploy -----------------------------------------------------------------------------------
def refused(zhidu: Engine, old: str, new: str) -> list[str]:
    text = four_eyes_text()
    assert old in text
    with pytest.raises(DefinitionInvalid) as caught:
        zhidu.deploy([four_eyes(text.replace(old, new))], actor="tests")
    return [p.describe() for p in caught.value.problems]


def test_notsameas_must_name_another_user_task_of_the_process(zhidu):
    same = '<spiffworkflow:property name="notSameAs" value="Draft" />\n      </spiffworkflow:properties></bpmn:extensionElements>\n      <bpmn:incoming>F3'
    [problem] = refused(zhidu, same, same.replace('value="Draft"', 'value="Draft, Sign"'))
    assert problem.startswith("four_eyes.bpmn:") and "[Check]" in problem
    assert "notSameAs names 'Sign', which is not a user task of this process" in problem
    [problem] = refused(zhidu, same, same.replace('value="Draft"', 'value="Check"'))
    assert "[Check]" in problem and "notSameAs names this task itself ('Check')" in problem
    [problem] = refused(zhidu, same, same.replace('value="Draft"', 'value=" , "'))
    assert "notSameAs names no step" in problem
    [problem] = refused(zhidu, same, same.replace('value="Draft"', 'value="Split"'))
    assert "'Split', which is not a user task" in problem


def test_notby_must_be_an_expression_the_sandbox_accepts(zhidu):
    rule = '<spiffworkflow:property name="notBy" value="concerns" />'
    [problem] = refused(zhidu, rule, rule.replace('"concerns"', '"__import__(\'os\')"'))
    assert "[Approve]" in problem and "notBy: expression refused" in problem
    [problem] = refused(zhidu, rule, rule.replace('"concerns"', '"concerns +"'))
    assert "[Approve]" in problem and "notBy: expression refused" in problem
    [problem] = refused(zhidu, rule, rule.replace('"concerns"', '""'))
    assert "notBy is empty" in problem


def test_notby_may_name_several_people(zhidu):
    text = four_eyes_text().replace('name="notBy" value="concerns"', 'name="notBy" value="[concerns, \'cs_staff2\']"')
    zhidu.deploy([four_eyes(text)], actor="tests")
    instance_id = at_approval(zhidu, concerns="cs_staff1")
    assert set(step(zhidu, instance_id, "Approve").excluded) == {"cs_staff1", "cs_staff2", "cs_manager"}


# -- verify -----------------------------------------------------------------------------------
def rewrite(store: FakeStore, instance_id: str, change) -> None:
    """A forger who edits the journal and recomputes every hash, the instance's journal head and
    the task rows to match: only the rules can tell."""
    mine = sorted((e for e in store.journal if e.instance_id == instance_id), key=lambda e: e.seq)
    others = [e for e in store.journal if e.instance_id != instance_id]
    previous, forged = GENESIS, []
    for entry in mine:
        draft = change(entry)
        draft = JournalEntry(draft.instance_id, draft.seq, draft.kind, draft.actor, draft.at, draft.payload, previous)
        previous = compute_hash(draft)
        forged.append(JournalEntry(draft.instance_id, draft.seq, draft.kind, draft.actor, draft.at, draft.payload,
                                   draft.prev_hash, previous))
    store.journal = others + forged
    record = store.instances[instance_id]
    record.journal_seq, record.journal_hash = forged[-1].seq, forged[-1].entry_hash


def test_verify_fails_when_the_journal_says_an_excluded_person_completed_a_step(zhidu, store):
    instance_id = at_approval(zhidu)
    do(zhidu, instance_id, "Approve", "cs_staff2")
    assert zhidu.verify(instance_id).status == "ok"
    approve = next(t for t in store.tasks.values() if t.instance_id == instance_id and t.spec_name == "Approve")

    def by_the_person_concerned(entry: JournalEntry) -> JournalEntry:
        if entry.kind in ("claimed", "completed") and entry.payload.get("task_id") == approve.id:
            return JournalEntry(entry.instance_id, entry.seq, entry.kind, "cs_staff1", entry.at, entry.payload)
        return entry
    rewrite(store, instance_id, by_the_person_concerned)
    approve.completed_by = approve.claimed_by = "cs_staff1"
    verdict = zhidu.verify(instance_id)
    assert (verdict.status, verdict.element, verdict.field, verdict.recorded) == (
        "diverged", "Approve", "separation_of_duties", "cs_staff1")
    assert "cs_staff1 completed Approve" in verdict.reason and "notBy" in verdict.reason


def test_verify_fails_when_one_person_is_recorded_doing_both_parallel_steps(zhidu, store):
    instance_id = start(zhidu)
    do(zhidu, instance_id, "Draft", "cs_staff1")
    do(zhidu, instance_id, "Check", "cs_staff2")
    check = next(t for t in store.tasks.values() if t.instance_id == instance_id and t.spec_name == "Check")

    def by_the_drafter(entry: JournalEntry) -> JournalEntry:
        if entry.kind in ("claimed", "completed") and entry.payload.get("task_id") == check.id:
            return JournalEntry(entry.instance_id, entry.seq, entry.kind, "cs_staff1", entry.at, entry.payload)
        return entry
    rewrite(store, instance_id, by_the_drafter)
    check.completed_by = check.claimed_by = "cs_staff1"
    verdict = zhidu.verify(instance_id)
    assert (verdict.status, verdict.element, verdict.recorded) == ("diverged", "Check", "cs_staff1")
    assert "completed Draft" in verdict.reason


def test_refusals_replay_cleanly_between_the_steps(zhidu, store):
    instance_id = start(zhidu)
    draft, check = step(zhidu, instance_id, "Draft"), step(zhidu, instance_id, "Check")
    zhidu.claim(draft.id, "cs_staff1")
    with pytest.raises(DutiesSeparated):
        zhidu.claim(check.id, "cs_staff1")
    zhidu.complete_task(draft.id, "cs_staff1", NOTE)
    with pytest.raises(DutiesSeparated):
        zhidu.complete_task(check.id, "cs_staff1", NOTE)
    assert len(refusals(store, instance_id)) == 2
    assert zhidu.verify(instance_id).status == "ok"


# -- notifications ----------------------------------------------------------------------------
def offered_tasks(zhidu: Engine, user: str) -> set[str]:
    return {n.task_id for n in zhidu.notifications(user).entries if n.kind == "task_offered"}


def test_nobody_is_told_a_task_is_offered_to_them_that_they_may_not_do(zhidu):
    instance_id = start(zhidu)
    do(zhidu, instance_id, "Check", "cs_staff2")
    do(zhidu, instance_id, "Draft", "cs_manager")  # whose run enters Approve: the actor hears of nothing
    approve = step(zhidu, instance_id, "Approve")
    assert approve.id in offered_tasks(zhidu, "cs_staff2")
    assert approve.id not in offered_tasks(zhidu, "cs_staff1")


def test_an_exported_bundle_keeps_the_rules_and_verifies_offline(zhidu):
    import json

    from engine.commands.evidence import verify_bundle

    instance_id = at_approval(zhidu)
    bundle = json.loads(json.dumps(zhidu.export([instance_id])))
    [item] = bundle["instances"]
    approve = next(t for t in item["tasks"] if t["spec_name"] == "Approve")
    assert {e["username"] for e in approve["excluded"]} == {"cs_staff1", "cs_manager"}
    assert [v.status for v in verify_bundle(bundle)] == ["ok"]
