"""The inbox reads: open tasks offered to or claimed by a person (and by those they stand in for),
paged, counted and narrowed by procedure or text; and the open tasks of departments.

What an inbox is lives in storage/inbox_sql.py as SQL text, which `zhidu tasks` also runs without
SQLAlchemy; here it runs on the unit of work's session."""

from __future__ import annotations

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from engine.records import TaskRecord, TextMatch, UserRecord
from storage.core import connection
from storage.inbox_sql import TASK_COLUMNS, InboxSql
from storage.models import TaskRow
from storage.task_rows import task_record

# The page's columns, typed as the model's (UTC instants, JSON), for the rows to convert as ORM rows do.
_TYPED = tuple(TaskRow.__table__.c[name] for name in TASK_COLUMNS)


def page(session: Session, username: str, roles: tuple[str, ...], process_key: str | None, sort: str,
         offset: int, limit: int | None, match: TextMatch | None = None,
         standing_in: tuple[UserRecord, ...] = ()) -> list[TaskRecord]:
    """One page of `username`'s inbox, by due time (`sort` "due") or by creation ("created")."""
    sql = _inbox(username, roles, process_key, match, standing_in)
    rows = connection(session).execute(text(sql.page(sort, offset, limit)).columns(*_TYPED), sql.params)
    return [task_record(r) for r in rows]


def count(session: Session, username: str, roles: tuple[str, ...], process_key: str | None = None,
          match: TextMatch | None = None, standing_in: tuple[UserRecord, ...] = ()) -> int:
    """How many tasks `page` would list without paging."""
    tally = groups(session, username, roles, standing_in, match)
    return tally.get(process_key, (0, 0))[1] if process_key else sum(found for _, found in tally.values())


def groups(session: Session, username: str, roles: tuple[str, ...], standing_in: tuple[UserRecord, ...] = (),
           match: TextMatch | None = None) -> dict[str, tuple[int, int]]:
    """Each procedure the inbox holds tasks of, in key order: how many, and how many of them
    `match` finds (all of them without a match)."""
    sql = _inbox(username, roles, None, match, standing_in)
    rows = connection(session).execute(text(sql.groups()), sql.params)
    return {key: (int(tasks), int(found)) for key, tasks, found in rows}  # PostgreSQL's sums are numeric


def open_in_departments(session: Session, departments: list[str], match: TextMatch | None = None) -> list[TaskRecord]:
    """The open tasks of `departments`, by due time."""
    query = _matching(select(TaskRow).where(TaskRow.status == "open", TaskRow.department.in_(departments)), match) \
        .order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
    return [task_record(r) for r in session.scalars(query)]


def _inbox(username: str, roles: tuple[str, ...], process_key: str | None, match: TextMatch | None,
           standing_in: tuple[UserRecord, ...]) -> InboxSql:
    search = match.text.strip().lower() if match is not None and match.text.strip() else None
    return InboxSql(username, roles, tuple((a.username, a.roles) for a in standing_in), process_key,
                    search, match.process_keys if search is not None else ())


def _matching(query, match: TextMatch | None):
    """`query` narrowed to tasks whose title or subject contains the text, or whose procedure's
    name matched; it runs on the rows the indexed inbox conditions already chose."""
    if match is None or not match.text.strip():
        return query
    found = TaskRow.search_text.contains(match.text.strip().lower(), autoescape=True)
    return query.where(or_(found, TaskRow.process_key.in_(match.process_keys)) if match.process_keys else found)
