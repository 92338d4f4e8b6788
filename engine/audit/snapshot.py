"""One instance's evidence as of one moment: its row, its journal and its task rows.

Verify compares three things that a command writes in one transaction, but reads them one after
another, and the database does not hold them still in between: SQLite through pysqlite begins a
transaction only at the first write, and PostgreSQL at read committed gives each statement the
latest commit. A command committing between two reads made a sound instance look tampered (the
journal ran past the row's head) or diverged (a task row claimed by someone the journal read a
moment earlier did not yet name).

Reading only the entries up to the row's head would hide an entry appended behind the engine's
back, and would not help the task rows. Instead every command moves the row's revision in the
same transaction as its journal entries and task rows, so the row is read again after the rest:
unchanged, nothing committed in between and the three belong together — whatever then disagrees
was written around the engine; changed, the reads are taken again.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.audit.journal import JournalEntry
from engine.errors import ConcurrentUpdate
from engine.ports import UnitOfWork
from engine.records import InstanceRecord, TaskRecord

TRIES = 10  # reads are cheap next to a replay; an instance busier than this is told to try again


@dataclass(frozen=True)
class Evidence:
    """An instance's row, journal and task rows, read with no command committed in between."""

    record: InstanceRecord
    entries: list[JournalEntry]
    tasks: list[TaskRecord]


def read_evidence(uow: UnitOfWork, record: InstanceRecord) -> Evidence:
    """The journal and task rows of the instance `record` was just read from, and the row again
    if a command committed meanwhile.

    Raises:
        ConcurrentUpdate: commands kept committing on the instance between the reads.
    """
    for _ in range(TRIES):
        entries = uow.journal.for_instance(record.id)
        tasks = uow.tasks.for_instance(record.id)
        again = uow.instances.get(record.id)
        if again is None or _moment(again) == _moment(record):
            return Evidence(record, entries, tasks)
        record = again
    raise ConcurrentUpdate(f"instance {record.id} changed {TRIES} times while it was being read; try again")


def _moment(record: InstanceRecord) -> tuple[int, int, str]:
    return record.revision, record.journal_seq, record.journal_hash
