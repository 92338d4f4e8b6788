"""The inbox side of the facade: a person's tasks and a manager's department, paged, filtered
and searched with indexed queries that stay cheap at any inbox size."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.commands.runner import Runner
from engine.definitions.bundles import CatalogEntry
from engine.queries.reading import light_task_view, user_view
from engine.records import TaskRecord, TextMatch, UserRecord
from engine.views import TaskView, UserView


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox: the tasks, how many match, how many in all, and the procedures."""

    tasks: tuple[TaskView, ...]
    total: int
    total_all: int
    page: int
    pages: int
    procedures: tuple[str, ...]
    on_behalf_of: dict[str, str] = field(default_factory=dict)  # task id -> the absent person it is there for
    names: dict[str, dict[str, str]] = field(default_factory=dict)  # each procedure's name ({zh, en}), by key


class InboxQueries:
    """Each method one unit of work through the runner; never writes."""

    def __init__(self, run: Runner):
        self.run = run

    def inbox_page(self, username: str, process_key: str | None = None, sort: str = "due",
                   page: int = 1, page_size: int = 50, search: str = "") -> InboxPage:
        """One page of `username`'s inbox, with counts; queries stay indexed at any inbox size.
        `search` keeps tasks whose title or subject contains it or whose procedure's name does.

        Raises:
            UserNotFound.
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            absent = tuple(uow.absences.standing_in(user.username, self.run.clock.now()))
            entries = uow.versions.latest_entries()  # the procedures' names, and what a search finds by them
            match = _text_match(entries, search)
            groups = uow.tasks.inbox_groups(user.username, user.roles, absent, match)
            total_all = sum(n for n, _ in groups.values())
            found = {key: n for key, (_, n) in groups.items()}  # what the search finds: all without one
            total = found.get(process_key, 0) if process_key else sum(found.values())
            pages = max(1, -(-total // page_size))
            page = min(max(1, page), pages)
            tasks = uow.tasks.inbox_page(user.username, user.roles, process_key or None, sort,
                                         (page - 1) * page_size, page_size, match, absent) if total else []
            procedures = list(groups)
        keys = {*procedures, *(t.process_key for t in tasks)}
        names = {e.key: dict(e.name) for e in entries if e.key in keys}
        behalf = {t.id: name for t in tasks if (name := on_behalf(user, absent, t))}
        return InboxPage(tuple(light_task_view(t) for t in tasks), total, total_all, page, pages, tuple(procedures),
                         behalf, names)

    def inbox_count(self, username: str) -> int:
        """How many tasks are in `username`'s inbox. Raises: UserNotFound."""
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            absent = tuple(uow.absences.standing_in(user.username, self.run.clock.now()))
            return uow.tasks.inbox_count(user.username, user.roles, standing_in=absent)

    def department_tasks(self, username: str, search: str = "") -> list[TaskView]:
        """Open tasks, claimed or not, of the departments `username` manages (every department
        for whoever manages them all); empty for someone who manages none. Forms are not loaded.
        `search` filters as in `inbox_page`.

        Raises:
            UserNotFound.
        """
        with self.run.unit() as uow:
            user = self.run.actor(uow, username)
            departments = self.run.permissions(uow).inbox_departments(user)
            match = _text_match(uow.versions.latest_entries(), search) if (search or "").strip() else None
            tasks = uow.tasks.open_in_departments(departments, match) if departments else []
        return [light_task_view(t) for t in tasks]

    def receivers(self, actor: str, task_ids: list[str]) -> dict[str, list[UserView]]:
        """For each of the tasks `actor` may reassign, the active users it may be given to (its
        candidates and the managers of its department); tasks they may not reassign, or that do
        not exist, are left out.

        Raises:
            UserNotFound, PermissionDenied (deactivated).
        """
        with self.run.unit() as uow:
            user, may = self.run.actor(uow, actor), self.run.permissions(uow)
            tasks = [t for t in (uow.tasks.get(i) for i in dict.fromkeys(task_ids))
                     if t is not None and may.may_reassign(user, t)]
            people = [u for u in uow.users.all() if u.active] if tasks else []
        return {t.id: [user_view(u) for u in people if may.may_receive(u, t)] for t in tasks}


def on_behalf(user: UserRecord, absent: tuple[UserRecord, ...], task: TaskRecord) -> str | None:
    """The absent person an inbox task is there for: who holds it, or (unclaimed, and not offered
    to `user` themselves) the first absent person it is offered to."""
    if task.claimed_by is not None:
        return task.claimed_by if task.claimed_by != user.username else None
    offered = set(task.candidates)

    def mine(person: UserRecord) -> bool:
        return f"user:{person.username}" in offered or any(f"role:{r}" in offered for r in person.roles)
    return None if mine(user) else next((a.username for a in absent if mine(a)), None)


def _text_match(entries: list[CatalogEntry], search: str) -> TextMatch | None:
    """A search over task titles and subjects, and the procedures (of the latest catalog
    `entries`) whose names contain it."""
    text = (search or "").strip().lower()
    if not text:
        return None
    keys = tuple(e.key for e in entries if text in e.key.lower() or any(text in n.lower() for n in e.name.values()))
    return TextMatch(text[:200], keys)
