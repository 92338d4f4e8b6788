"""Instance rows and instance records: one table row to one engine record and back."""

from __future__ import annotations

from engine.clock import as_utc
from engine.records import InstanceRecord
from storage.models import InstanceRow
from storage.task_rows import utc_or_none


def instance_columns(record: InstanceRecord) -> dict:
    return dict(id=record.id, process_key=record.process_key, version_hash=record.version_hash,
                version_number=record.version_number, status=record.status, state=record.state,
                data=record.data, started_by=record.started_by, started_at=record.started_at,
                updated_at=record.updated_at, next_wake_at=record.next_wake_at,
                current_step=record.current_step, incident=record.incident,
                journal_seq=record.journal_seq, journal_hash=record.journal_hash)


def instance_record(row: InstanceRow) -> InstanceRecord:
    return InstanceRecord(row.id, row.process_key, row.version_hash, row.version_number, row.status,
                          row.state, row.data, row.started_by, as_utc(row.started_at), as_utc(row.updated_at),
                          row.revision, utc_or_none(row.next_wake_at), row.current_step, row.incident,
                          row.journal_seq, row.journal_hash)
