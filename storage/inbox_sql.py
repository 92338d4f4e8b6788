"""What an inbox is, as SQL text: the one definition that storage/inbox.py runs through SQLAlchemy
(`text()`) and `zhidu tasks` runs through the standard library's sqlite3 (bootstrap/task_list.py),
so a command-line call need not import SQLAlchemy. Plain SQL with `:name` parameters, which both
accept; it imports nothing.

A person's inbox: the open tasks they claimed, and the unclaimed ones offered to them by name or
by one of their roles — less those separation of duties keeps them from. A substitute's inbox also
holds what the absent people it stands in for claimed or are offered, less what reaches it only
through an absent person it excludes (engine/permissions.py).

Every condition reads the columns of one partial index over open tasks (ix_tasks_inbox, migration
0017), and whether a task is offered to someone is a probe of task_candidates' primary key; a
page sorted by due time merges index ranges that are already in that order (claimed or offered,
due time or none), so the first pages of an inbox of ten thousand tasks read about as many index
entries as they show. Counting reads every task of the inbox once, with one probe each.
"""

from __future__ import annotations

# The columns of `tasks`, in the model's order (storage/models.py; a test holds them equal).
TASK_COLUMNS = ("id", "instance_id", "process_key", "spec_name", "title", "lane", "form_key", "candidates",
                "status", "claimed_by", "department", "created_at", "due_at", "completed_at", "completed_by",
                "submitted", "context", "subject", "search_text", "excluded", "excluded_names")
# By due time: soonest first, none last (as `due_at IS NULL, due_at`, but in the index's order).
_ORDERS = {"due": ("due_at NULLS LAST", "created_at", "id"), "created": ("created_at", "id")}


class InboxSql:
    """The statements of one inbox question; `params` holds the values their names stand for."""

    def __init__(self, username: str, roles: tuple[str, ...] | list[str],
                 standing_in: tuple[tuple[str, tuple[str, ...]], ...] = (), process_key: str | None = None,
                 search: str | None = None, search_keys: tuple[str, ...] = ()):
        """`standing_in`: (username, roles) of each absent person `username` stands in for;
        `search`: text a task's title or subject must contain (lower-case), unless its procedure
        is one of `search_keys`."""
        self.params: dict[str, object] = {}
        names = [username, *(name for name, _ in standing_in)]
        claimed = (f"t.claimed_by IN ({self._list(names)})" if standing_in
                   else f"t.claimed_by = {self._value(username)}")
        offered = " OR ".join([self._offered(username, roles), *(
            f"({self._offered(name, their_roles)} AND {self._not_excluding(name)})"
            for name, their_roles in standing_in)])
        narrowed = [self._not_excluding(username)]
        if process_key:
            narrowed.append(f"t.process_key = {self._value(process_key)}")
        if search is not None:
            narrowed.append(self._matching(search, search_keys))
        also = " AND ".join(narrowed)
        self._claimed, self._offered_to = f"{claimed} AND {also}", f"t.claimed_by IS NULL AND ({offered}) AND {also}"

    def where(self) -> str:
        """The condition on `tasks t` that keeps the inbox's tasks."""
        return f"t.status = 'open' AND (({self._claimed}) OR ({self._offered_to}))"

    def page(self, sort: str, offset: int = 0, limit: int | None = None) -> str:
        """Every column of the inbox's tasks (TASK_COLUMNS), by due time (`sort` "due": soonest
        first, none last) or by creation ("created"), from `offset`, at most `limit`."""
        order = _ORDERS["created" if sort == "created" else "due"]
        ids = self._ordered_ids(order)
        if limit is not None:
            ids += f" LIMIT {self._value(int(limit))} OFFSET {self._value(max(0, int(offset)))}"
        columns = ", ".join(f"t.{c}" for c in TASK_COLUMNS)
        return (f"SELECT {columns} FROM ({ids}) AS chosen JOIN tasks t ON t.id = chosen.id "
                f"ORDER BY {', '.join(f't.{key}' for key in order)}")

    def groups(self) -> str:
        """(process_key, how many tasks) for each procedure the inbox holds tasks of."""
        return (f"SELECT t.process_key, count(*) FROM tasks t WHERE {self.where()} "
                "GROUP BY t.process_key ORDER BY t.process_key")

    def _ordered_ids(self, order: tuple[str, ...]) -> str:
        if order == _ORDERS["created"]:  # no index holds this order: the inbox is sorted
            return f"SELECT t.id, t.created_at FROM tasks t WHERE {self.where()} ORDER BY {', '.join(order)}"
        # Four disjoint ranges of the index, each already in due order: merged, not sorted.
        arms = [f"SELECT t.id, t.due_at, t.created_at FROM tasks t WHERE t.status = 'open' AND {part} "
                f"AND t.due_at IS {due}NULL" for part in (self._offered_to, self._claimed) for due in ("NOT ", "")]
        return f"{' UNION ALL '.join(arms)} ORDER BY {', '.join(order)}"

    def _offered(self, username: str, roles: tuple[str, ...] | list[str]) -> str:
        mine = list(dict.fromkeys([f"user:{username}", *(f"role:{r}" for r in roles)]))
        return ("EXISTS (SELECT 1 FROM task_candidates c WHERE c.task_id = t.id "
                f"AND c.candidate IN ({self._list(mine)}))")

    def _not_excluding(self, username: str) -> str:
        """Separation of duties does not keep `username` from the task (most tasks exclude nobody)."""
        pattern = self._value(f"%|{_escaped(username)}|%")
        return f"(t.excluded_names IS NULL OR t.excluded_names NOT LIKE {pattern} ESCAPE '\\')"

    def _matching(self, search: str, keys: tuple[str, ...]) -> str:
        found = f"t.search_text LIKE {self._value(f'%{_escaped(search)}%')} ESCAPE '\\'"
        return f"({found} OR t.process_key IN ({self._list(keys)}))" if keys else found

    def _value(self, value: object) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return f":{name}"

    def _list(self, values: list[str] | tuple[str, ...]) -> str:
        return ", ".join(self._value(v) for v in values)


def _escaped(text: str) -> str:
    """`text` matched literally by LIKE ... ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
