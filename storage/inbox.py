"""The inbox reads: open tasks offered to or claimed by a person (and by those they stand in for),
paged, counted and narrowed by procedure or text; and the open tasks of departments."""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from engine.records import TaskRecord, TextMatch, UserRecord
from storage.models import TaskCandidateRow, TaskRow
from storage.task_rows import task_record


def page(session: Session, username: str, roles: tuple[str, ...], process_key: str | None, sort: str,
         offset: int, limit: int | None, match: TextMatch | None = None,
         standing_in: tuple[UserRecord, ...] = ()) -> list[TaskRecord]:
    """One page of `username`'s inbox, by due time (`sort` "due") or by creation ("created")."""
    query = _inbox_query(username, roles, process_key, match, standing_in)
    if sort == "created":
        query = query.order_by(TaskRow.created_at, TaskRow.id)
    else:
        query = query.order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
    query = query.offset(offset).limit(limit) if limit is not None else query
    return [task_record(r) for r in session.scalars(query)]


def count(session: Session, username: str, roles: tuple[str, ...], process_key: str | None = None,
          match: TextMatch | None = None, standing_in: tuple[UserRecord, ...] = ()) -> int:
    """How many tasks `page` would list without paging."""
    inner = _inbox_query(username, roles, process_key, match, standing_in).with_only_columns(TaskRow.id).subquery()
    return session.scalar(select(func.count()).select_from(inner)) or 0


def processes(session: Session, username: str, roles: tuple[str, ...],
              standing_in: tuple[UserRecord, ...] = ()) -> list[str]:
    """The procedures the inbox holds tasks of, sorted by key."""
    inner = _inbox_query(username, roles, None, None, standing_in).with_only_columns(TaskRow.process_key).subquery()
    return list(session.scalars(select(inner.c.process_key).distinct().order_by(inner.c.process_key)))


def open_in_departments(session: Session, departments: list[str], match: TextMatch | None = None) -> list[TaskRecord]:
    """The open tasks of `departments`, by due time."""
    query = _matching(select(TaskRow).where(TaskRow.status == "open", TaskRow.department.in_(departments)), match) \
        .order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.created_at, TaskRow.id)
    return [task_record(r) for r in session.scalars(query)]


def _inbox_query(username: str, roles: tuple[str, ...], process_key: str | None,
                 match: TextMatch | None = None, standing_in: tuple[UserRecord, ...] = ()):
    # A substitute's inbox holds the absent people's too: an indexed IN for each person.
    # Separation of duties leaves out what excludes the reader, and what reaches a
    # substitute only through an absent person it excludes (engine/permissions.py).
    names = [username, *(u.username for u in standing_in)]
    offered = or_(TaskRow.id.in_(_offered_to(username, roles)), *(
        and_(TaskRow.id.in_(_offered_to(a.username, a.roles)), _not_excluded(a.username)) for a in standing_in))
    claimed = TaskRow.claimed_by.in_(names) if standing_in else TaskRow.claimed_by == username
    query = _matching(select(TaskRow).where(TaskRow.status == "open", or_(
        claimed, and_(TaskRow.claimed_by.is_(None), offered)), _not_excluded(username)), match)
    return query.where(TaskRow.process_key == process_key) if process_key else query


def _offered_to(username: str, roles: tuple[str, ...]):
    """The ids of open tasks offered to `username` by name or by one of `roles` (indexed)."""
    mine = [f"user:{username}", *(f"role:{r}" for r in roles)]
    return select(TaskCandidateRow.task_id).where(TaskCandidateRow.candidate.in_(list(dict.fromkeys(mine))))


def _not_excluded(username: str):
    """Separation of duties does not keep `username` from the task: a test on the rows the
    indexed conditions chose (most have no one excluded)."""
    return or_(TaskRow.excluded_names.is_(None),
               TaskRow.excluded_names.not_like(f"%|{_escaped(username)}|%", escape="\\"))


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _matching(query, match: TextMatch | None):
    """`query` narrowed to tasks whose title or subject contains the text, or whose procedure's
    name matched; it runs on the rows the indexed inbox conditions already chose."""
    if match is None or not match.text.strip():
        return query
    found = TaskRow.search_text.contains(match.text.strip().lower(), autoescape=True)
    return query.where(or_(found, TaskRow.process_key.in_(match.process_keys)) if match.process_keys else found)
