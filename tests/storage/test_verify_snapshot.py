"""Verify reads the instance row, its journal and its task rows at one moment, though the database
does not hold them still: on SQLite (pysqlite begins a transaction only at the first write) and
on PostgreSQL (read committed) each read sees whatever was committed last. A command that
commits between two of verify's reads must not make a sound instance look tampered or diverged,
and an entry appended behind the engine's back must still be found. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from sqlalchemy import insert, select

from engine.audit.journal import JournalEntry, compute_hash
from engine.commands.evidence import verify_bundle
from engine.errors import ConcurrentUpdate
from engine.runtime import Engine
from storage.models import JournalRow
from tests.conftest import make_zhidu
from tests.storage.test_tampering import Complaint, handled


class Interleaved:
    """A unit-of-work factory whose units run `command` right after the `after`-th read of
    `read` ("instances.get", "journal.for_instance" or "tasks.for_instance"), once each time."""

    def __init__(self, factory: Callable[[], Any], read: str, command: Callable[[], None], after: int = 1,
                 times: int = 1):
        self.factory, self.read, self.command, self.after, self.times = factory, read, command, after, times
        self.seen = 0

    def __call__(self) -> "_Unit":
        return _Unit(self.factory(), self)

    def observed(self, read: str) -> None:
        if read != self.read:
            return
        self.seen += 1
        if self.times and self.seen >= self.after:
            self.times -= 1
            self.command()  # commits in its own unit of work, between this read and the next


class _Unit:
    def __init__(self, inner: Any, owner: Interleaved):
        self._inner, self._owner = inner, owner

    def __enter__(self) -> "_Unit":
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: object) -> Any:
        return self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        found = getattr(self._inner, name)
        return _Repository(found, name, self._owner) if name in ("instances", "journal", "tasks") else found


class _Repository:
    def __init__(self, inner: Any, name: str, owner: Interleaved):
        self._inner, self._name, self._owner = inner, name, owner

    def __getattr__(self, method: str) -> Any:
        found = getattr(self._inner, method)
        if method not in ("get", "for_instance"):
            return found

        def read(*args: Any, **kwargs: Any) -> Any:
            answer = found(*args, **kwargs)
            self._owner.observed(f"{self._name}.{method}")
            return answer
        return read


@pytest.fixture
def tracking(db_url, clock) -> Complaint:
    """A complaint waiting at tracking, verified ok."""
    c = handled(make_zhidu(db_url, clock), db_url)
    assert c.zhidu.verify(c.id).status == "ok"
    return c


def claim_tracking(c: Complaint) -> Callable[[], None]:
    return lambda: c.zhidu.claim(c.task("Task_Track").id, "cs_staff1")


def interleaving(c: Complaint, read: str, command: Callable[[], None], after: int = 1, times: int = 1) -> Engine:
    return Engine(Interleaved(c.zhidu.uow_factory, read, command, after, times), c.zhidu.clock.inner)


@pytest.mark.parametrize("read", ["instances.get", "journal.for_instance"])
def test_a_command_committed_between_verifys_reads_leaves_the_instance_ok(tracking, read):
    # After the row (or the journal) is read, a claim commits: the row's head, the journal and the
    # task rows were then read at different moments; verify must not take that for tampering.
    engine = interleaving(tracking, read, claim_tracking(tracking))
    found = engine.verify(tracking.id)
    assert (found.status, found.field, found.reason) == ("ok", None, "journal intact; replay matches")
    assert tracking.entries()[-1].kind == "claimed"  # the claim did commit meanwhile
    assert tracking.zhidu.verify(tracking.id).status == "ok"


def test_verify_all_sees_each_instance_at_one_moment(tracking):
    engine = interleaving(tracking, "instances.get", claim_tracking(tracking))
    assert {v.status for v in engine.verify_all()} == {"ok"}


@pytest.mark.parametrize("read", ["instances.get", "journal.for_instance"])
def test_an_export_taken_while_a_command_commits_verifies_offline(tracking, read):
    engine = interleaving(tracking, read, claim_tracking(tracking))
    bundle = engine.export([tracking.id])
    assert [v.status for v in verify_bundle(bundle)] == ["ok"]


def test_the_auditors_page_shows_the_status_and_open_tasks_of_the_timeline_it_shows(tracking):
    # A claim commits right after the row is read: the timeline (the journal) then ends with the
    # claim, and the open task shown must be claimed too, as of the same moment, not as of the
    # row read a moment before.
    engine = interleaving(tracking, "instances.get", claim_tracking(tracking))
    page = engine.audit_read("auditor", tracking.id)
    assert page.entries[-1].kind == "claimed"
    assert [(t.name, t.claimed_by) for t in page.instance.active_tasks] == [("Task_Track", "cs_staff1")]
    assert page.instance.revision == tracking.zhidu.show(tracking.id).revision


def test_an_entry_appended_behind_the_engines_back_is_still_tampered(tracking):
    # A forger appends a well-chained entry and leaves the row alone: the row did not move while
    # verify read, so the entry past its head is not a later command's and is reported.
    last = tracking.entries()[-1]
    forged = JournalEntry(tracking.id, last.seq + 1, "claimed", "cs_staff1", last.at,
                          {"task_id": tracking.task("Task_Track").id, "element": "Task_Track"}, last.entry_hash)
    tracking.sql(insert(JournalRow).values(instance_id=tracking.id, seq=forged.seq, kind=forged.kind,
                                           actor=forged.actor, at=forged.at, payload=forged.payload,
                                           prev_hash=forged.prev_hash, entry_hash=compute_hash(forged)))
    found = tracking.zhidu.verify(tracking.id)
    assert (found.status, found.field, found.entry) == ("tampered", "journal_head", last.seq + 1)
    with tracking.db.connect() as connection:
        assert connection.execute(select(JournalRow.seq).where(JournalRow.instance_id == tracking.id)
                                  .order_by(JournalRow.seq.desc())).first()[0] == last.seq + 1


def test_an_instance_that_never_holds_still_is_reported_busy_not_tampered(tracking):
    # A command commits between every pair of reads: verify gives up with ConcurrentUpdate (the
    # edges say "try again") rather than a verdict about a moment it never saw.
    flip = {"claimed": False}

    def claim_or_release() -> None:
        task = tracking.task("Task_Track")
        (tracking.zhidu.release if flip["claimed"] else tracking.zhidu.claim)(task.id, "cs_staff1")
        flip["claimed"] = not flip["claimed"]

    engine = interleaving(tracking, "journal.for_instance", claim_or_release, times=1000)
    with pytest.raises(ConcurrentUpdate):
        engine.verify(tracking.id)
    assert tracking.zhidu.verify(tracking.id).status == "ok"
