"""Comments on an instance against the in-memory fakes: kept in the instance's own chain, visible
to whoever may see the instance, mentions resolved to users (and notified), bad text refused."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.audit.journal import verify_chain
from engine.commands.comments import MAX_COMMENT
from engine.errors import FormInvalid, InstanceNotFound, PermissionDenied
from tests.engine.test_runtime import INTAKE, only_task


def heard_by(engine, username):
    """`username`'s notifications (the facade's `notifications`, while its part shares the name)."""
    ask = engine.notifications if callable(engine.notifications) else engine.notifications.notifications
    return ask(username).entries


@pytest.fixture
def case(fake_engine):
    return fake_engine.start("complaint_handling", "cs_staff1", INTAKE)


def test_a_comment_is_a_command_in_the_instances_chain_and_verify_stays_ok(fake_engine, case, clock, store):
    clock.advance(timedelta(minutes=5))
    made = fake_engine.comment(case.id, "cs_staff1", "  请 @cs_staff2 核实，@nobody 不是用户  ")
    assert (made.author, made.text, made.mentions) == ("cs_staff1", "请 @cs_staff2 核实，@nobody 不是用户", ("cs_staff2",))
    entries = [e for e in store.journal if e.instance_id == case.id]
    last = entries[-1]
    assert (last.kind, last.actor, last.at, last.seq) == ("commented", "cs_staff1", clock.now(), made.seq)
    assert last.payload == {"text": made.text, "mentions": ["cs_staff2"]}
    assert verify_chain(entries) is None
    assert store.instances[case.id].journal_seq == last.seq
    task = only_task(fake_engine, case.id)
    fake_engine.complete_task(task.id, "cs_staff2", {"details": "细节", "customer_calmed": True})
    assert fake_engine.verify(case.id).status == "ok"


def test_mentions_split_the_text_for_display_and_unknown_ones_stay_plain(fake_engine, case):
    made = fake_engine.comment(case.id, "cs_staff1", "@cs_staff2 see a@cs_manager.com and @nobody")
    assert made.parts == (("@cs_staff2", "cs_staff2"), (" see a@cs_manager.com and @nobody", None))


def test_comments_appear_on_the_instance_and_task_sheets_in_order(fake_engine, case):
    fake_engine.comment(case.id, "cs_staff1", "first")
    fake_engine.comment(case.id, "cs_manager", "second")
    sheet = fake_engine.instance_sheet(case.id, "cs_staff2")
    assert [(c.author, c.text) for c in sheet.comments] == [("cs_staff1", "first"), ("cs_manager", "second")]
    task = only_task(fake_engine, case.id)
    assert [c.text for c in fake_engine.task_sheet(task.id, "cs_staff2").comments] == ["first", "second"]


def test_only_those_who_may_see_the_instance_may_comment(fake_engine, case, store):
    before = list(store.journal)
    with pytest.raises(PermissionDenied):
        fake_engine.comment(case.id, "mk_staff1", "hello")
    with pytest.raises(InstanceNotFound):
        fake_engine.comment("no-such-instance", "cs_staff1", "hello")
    assert store.journal == before


@pytest.mark.parametrize("text, code", [("", "comment_blank"), ("  \n ", "comment_blank"),
                                        ("x" * (MAX_COMMENT + 1), "comment_too_long")])
def test_blank_or_overlong_text_is_refused_by_field_and_nothing_is_written(fake_engine, case, store, text, code):
    before = list(store.journal)
    with pytest.raises(FormInvalid) as refused:
        fake_engine.comment(case.id, "cs_staff1", text)
    assert [(e.field, e.code) for e in refused.value.field_errors] == [("text", code)]
    assert store.journal == before


def test_a_comment_of_the_longest_length_is_kept_whole(fake_engine, case):
    assert len(fake_engine.comment(case.id, "cs_staff1", "字" * MAX_COMMENT).text) == MAX_COMMENT


def test_the_mentioned_are_notified_only_if_they_may_see_the_instance(fake_engine, case):
    fake_engine.comment(case.id, "cs_staff1", "@cs_staff2 @mk_staff1 @cs_staff1 look")
    heard = [n for n in heard_by(fake_engine, "cs_staff2") if n.kind == "mentioned"]
    assert [(n.instance_id, n.payload["actor"], n.payload["text"]) for n in heard] == [
        (case.id, "cs_staff1", "@cs_staff2 @mk_staff1 @cs_staff1 look")]
    mentions = [n for n in heard_by(fake_engine, "cs_staff1") if n.kind == "mentioned"]
    assert mentions == []  # the author hears nothing of their own mention
    assert heard_by(fake_engine, "mk_staff1") == ()  # may not see the case: hears nothing of it
