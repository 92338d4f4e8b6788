"""The inbox side of the facade: a person's tasks and a manager's department, paged, filtered
and searched with indexed queries that stay cheap at any inbox size."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from engine.ports import UnitOfWork
from engine.queries.reading import light_task_view
from engine.records import TextMatch
from engine.views import TaskView


@dataclass(frozen=True)
class InboxPage:
    """One page of an inbox: the tasks, how many match, how many in all, and the procedures."""

    tasks: tuple[TaskView, ...]
    total: int
    total_all: int
    page: int
    pages: int
    procedures: tuple[str, ...]


class InboxQueries:
    """Mixed into the Engine facade; never writes."""

    uow_factory: Callable[[], UnitOfWork]

    def task_list(self, username: str) -> list[TaskView]:
        """Like `tasks_for`, without forms: one query, fit for inboxes of thousands of tasks.

        Raises:
            UserNotFound.
        """
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            return [light_task_view(t) for t in uow.tasks.inbox(user.username, user.roles)]

    def inbox_page(self, username: str, process_key: str | None = None, sort: str = "due",
                   page: int = 1, page_size: int = 50, search: str = "") -> InboxPage:
        """One page of `username`'s inbox, with counts; queries stay indexed at any inbox size.
        `search` keeps tasks whose title or subject contains it or whose procedure's name does.

        Raises:
            UserNotFound.
        """
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            match = self._text_match(uow, search)
            total = uow.tasks.inbox_count(user.username, user.roles, process_key or None, match)
            pages = max(1, -(-total // page_size))
            page = min(max(1, page), pages)
            tasks = uow.tasks.inbox_page(user.username, user.roles, process_key or None, sort,
                                         (page - 1) * page_size, page_size, match)
            filtered = process_key or match
            total_all = uow.tasks.inbox_count(user.username, user.roles) if filtered else total
            procedures = uow.tasks.inbox_processes(user.username, user.roles)
        return InboxPage(tuple(light_task_view(t) for t in tasks), total, total_all, page, pages, tuple(procedures))

    def inbox_count(self, username: str) -> int:
        """How many tasks are in `username`'s inbox. Raises: UserNotFound."""
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            return uow.tasks.inbox_count(user.username, user.roles)

    def department_tasks(self, username: str, search: str = "") -> list[TaskView]:
        """Open tasks, claimed or not, of the departments `username` manages (every department
        for the director); empty for someone who manages none. Forms are not loaded. `search`
        filters as in `inbox_page`.

        Raises:
            UserNotFound.
        """
        with self.uow_factory() as uow:
            user = self._user(uow, username)
            if "director" in user.roles:
                departments = {d.key for d in uow.users.departments()}
            else:
                departments = {r.removesuffix("-manager") for r in user.roles if r.endswith("-manager")}
            match = self._text_match(uow, search)
            tasks = uow.tasks.open_in_departments(sorted(departments), match) if departments else []
        return [light_task_view(t) for t in tasks]

    def _text_match(self, uow: UnitOfWork, search: str) -> TextMatch | None:
        """A search over task titles and subjects, and the procedures whose names contain it."""
        text = (search or "").strip().lower()
        if not text:
            return None
        keys = tuple(v.key for v in uow.versions.all_latest()
                     if text in v.key.lower() or any(text in n.lower() for n in v.entry.name.values()))
        return TextMatch(text[:200], keys)
