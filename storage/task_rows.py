"""Task rows and task records: one table row to one engine record and back."""

from __future__ import annotations

from datetime import datetime

from engine.clock import as_utc
from engine.records import Exclusion, TaskRecord
from storage.inbox_sql import offered_to
from storage.models import TaskRow


def utc_or_none(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None


def _search_text(task: TaskRecord) -> str:
    """Title and subjects, lower-case, at most 1,800 bytes: the inbox's index holds it beside
    offered_to, and a PostgreSQL index entry must fit in 2,704 bytes (migration 0018)."""
    text = "\n".join([task.title, *(task.subject or {}).values()]).lower()
    return text if len(text) <= 450 else text.encode()[:1800].decode(errors="ignore")


def task_columns(task: TaskRecord) -> dict:
    return dict(id=task.id, instance_id=task.instance_id, process_key=task.process_key, spec_name=task.spec_name,
                title=task.title, lane=task.lane, form_key=task.form_key, candidates=list(task.candidates),
                status=task.status, claimed_by=task.claimed_by, department=task.department,
                created_at=task.created_at, due_at=task.due_at, completed_at=task.completed_at,
                completed_by=task.completed_by, submitted=task.submitted, context=task.context,
                subject=task.subject, search_text=_search_text(task),
                excluded=[e.to_dict() for e in task.excluded] or None,
                excluded_names="|" + "|".join(e.username for e in task.excluded) + "|" if task.excluded else None,
                offered_to=offered_to(task.candidates))


def task_record(row: TaskRow) -> TaskRecord:
    return TaskRecord(row.id, row.instance_id, row.process_key, row.spec_name, row.title, row.lane, row.form_key,
                      tuple(row.candidates), as_utc(row.created_at), row.status, row.claimed_by, utc_or_none(row.due_at),
                      utc_or_none(row.completed_at), row.completed_by, row.department, row.submitted, row.context,
                      row.subject, tuple(Exclusion.from_dict(e) for e in row.excluded or ()))
