"""What an inbox is, as SQL text: the one definition that storage/inbox.py runs through SQLAlchemy
(`text()`) and `zhidu tasks` runs through the standard library's sqlite3 (bootstrap/task_list.py),
so a command-line call need not import SQLAlchemy. Plain SQL with `:name` parameters, which both
accept; it imports nothing but `re`.

A person's inbox: the open tasks they claimed, and the unclaimed ones offered to them by name or
by one of their roles — less those separation of duties keeps them from. A substitute's inbox also
holds what the absent people it stands in for claimed or are offered, less what reaches it only
through an absent person it excludes (engine/permissions.py).

Every condition reads the columns of one partial index over open tasks (ix_tasks_inbox, migrations
0017 and 0018): who claimed a task, its due time, whom it excludes, whom it is offered to
(offered_to, written by `offered_to` below) and its search text. Only a task offered to someone
offered_to cannot name plainly is looked up in task_candidates. A page sorted by due time merges
index ranges that are already in that order (claimed or offered, due time or none), each read no
further than the page, so the first pages of an inbox of ten thousand tasks read about as many
index entries as they show; counting reads each task's index entry once.
"""

from __future__ import annotations

import re

# The columns of `tasks`, in the model's order (storage/models.py; a test holds them equal).
TASK_COLUMNS = ("id", "instance_id", "process_key", "spec_name", "title", "lane", "form_key", "candidates",
                "status", "claimed_by", "department", "created_at", "due_at", "completed_at", "completed_by",
                "submitted", "context", "subject", "search_text", "excluded", "excluded_names", "offered_to")
# A candidate offered_to cannot hold as it is: ASCII capitals (SQLite's LIKE ignores their case) or
# the separator.
_UNPLAIN = re.compile(r"[A-Z|]")
_OFFERED_TO_BYTES = 200  # beside search_text, within what a PostgreSQL index entry may hold
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
        kept = [self._not_excluding(username)]
        if process_key:
            kept.append(f"t.process_key = {self._value(process_key)}")
        self._found = self._matching(search, search_keys) if search is not None else None
        self._whole = _ranges(claimed, offered, kept)  # (claimed, offered): the inbox, searched or not
        self._chosen = _ranges(claimed, offered, [*kept, self._found] if self._found else kept)  # what it finds

    def where(self) -> str:
        """The condition on `tasks t` that keeps the inbox's tasks (those the search finds)."""
        claimed, offered = self._chosen
        return f"t.status = 'open' AND (({claimed}) OR ({offered}))"

    def page(self, sort: str, offset: int = 0, limit: int | None = None) -> str:
        """Every column of the inbox's tasks the search finds (TASK_COLUMNS), by due time (`sort`
        "due": soonest first, none last) or by creation ("created"), from `offset`, at most `limit`."""
        order = _ORDERS["created" if sort == "created" else "due"]
        if limit is None:
            ids = self._ordered_ids(order, None)
        else:
            offset, limit = max(0, int(offset)), int(limit)
            ids = (f"{self._ordered_ids(order, self._value(offset + limit))} "
                   f"LIMIT {self._value(limit)} OFFSET {self._value(offset)}")
        columns = ", ".join(f"t.{c}" for c in TASK_COLUMNS)
        return (f"SELECT {columns} FROM ({ids}) AS chosen JOIN tasks t ON t.id = chosen.id "
                f"ORDER BY {', '.join(f't.{key}' for key in order)}")

    def groups(self) -> str:
        """(process_key, how many tasks, how many of them the search finds: all without one) for
        each procedure the inbox holds tasks of, in key order: one pass counts both. Claimed and
        offered tasks are counted apart, each range of the index read on its own."""
        found = f"CASE WHEN {self._found} THEN 1 ELSE 0 END" if self._found else "1"
        arms = " UNION ALL ".join(f"SELECT t.process_key, count(*) AS tasks, sum({found}) AS found FROM tasks t "
                                  f"WHERE t.status = 'open' AND {part} GROUP BY t.process_key" for part in self._whole)
        return (f"SELECT process_key, sum(tasks), sum(found) FROM ({arms}) AS inbox "
                "GROUP BY process_key ORDER BY process_key")

    def _ordered_ids(self, order: tuple[str, ...], first: str | None) -> str:
        """The ids of the tasks the search finds, in `order`; with `first` (a parameter's name),
        only as many of each range as the first `first` of them can need."""
        if order == _ORDERS["created"]:  # no index holds this order: the inbox is sorted
            return f"SELECT t.id, t.created_at FROM tasks t WHERE {self.where()} ORDER BY {', '.join(order)}"
        # Four disjoint ranges of the index, each already in due order, merged. Each reads no further
        # than the page: an offered range (claimed_by IS NULL) is ordered by claimed_by first, which
        # changes nothing, for PostgreSQL to see the index's own order and stop early.
        (claimed, offered), arms = self._chosen, []
        for n, (part, lead, due) in enumerate(((offered, "t.claimed_by, ", "NOT NULL"), (claimed, "", "NOT NULL"),
                                               (offered, "t.claimed_by, ", "NULL"), (claimed, "", "NULL"))):
            arm = (f"SELECT t.id, t.due_at, t.created_at FROM tasks t "
                   f"WHERE t.status = 'open' AND {part} AND t.due_at IS {due}")
            if first is not None:
                arm = f"SELECT * FROM ({arm} ORDER BY {lead}t.due_at, t.created_at, t.id LIMIT {first}) AS range{n}"
            arms.append(arm)
        return f"{' UNION ALL '.join(arms)} ORDER BY {', '.join(order)}"

    def _offered(self, username: str, roles: tuple[str, ...] | list[str]) -> str:
        """The task is offered to `username` by name or by one of `roles`: read in the index's
        offered_to (`offered_to` below), and looked up in task_candidates only where offered_to
        says "*" (someone it could not name plainly) or was never written."""
        mine = list(dict.fromkeys([f"user:{username}", *(f"role:{r}" for r in roles)]))
        named = [f"t.offered_to LIKE {self._value(f'%|{_escaped(c)}|%')} ESCAPE '\\'"
                 for c in mine if not _UNPLAIN.search(c)]
        # One probe by the task's id, its few candidates then compared (the CAST keeps SQLite from
        # probing once per name of `mine`).
        probed = ("(t.offered_to IS NULL OR t.offered_to LIKE '%|*|%') AND EXISTS (SELECT 1 FROM task_candidates c "
                  f"WHERE c.task_id = t.id AND CAST(c.candidate AS TEXT) IN ({self._list(mine)}))")
        return f"({' OR '.join([*named, f'({probed})'])})"

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


def _ranges(claimed: str, offered: str, conditions: list[str]) -> tuple[str, str]:
    """The claimed and the offered tasks with `conditions`, which read the index's own columns
    before anything looks at a task's candidates."""
    also = " AND ".join(conditions)
    return f"{claimed} AND {also}", f"t.claimed_by IS NULL AND {also} AND ({offered})"


def offered_to(candidates: tuple[str, ...] | list[str]) -> str:
    """A task's candidates as its row's offered_to: '|role:a|user:b|', read by LIKE from the index.
    Those it cannot hold as they are are written '*' (as is a list too long for the index), and
    the inbox looks them up in task_candidates."""
    plain = [c for c in candidates if not _UNPLAIN.search(c)]
    text = "|" + "|".join(plain if len(plain) == len(candidates) else [*plain, "*"]) + "|"
    return text if len(text.encode()) <= _OFFERED_TO_BYTES else "|*|"


def _escaped(text: str) -> str:
    """`text` matched literally by LIKE ... ESCAPE '\\'."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
