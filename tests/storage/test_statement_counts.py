"""SQL statements per command over a real SQLite database with processes/ deployed and the
demo organisation, counted with SQLAlchemy's `before_cursor_execute` event.

Each ceiling is today's count plus a small margin: a change that adds queries to a command
(a repeated read, a query per task) fails here and says how many it now takes. When a change
removes statements, lower the ceiling with it (issue 13 item 5 aims for fewer).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import event

from tests.webui.support import INTAKE, build_services

RECORD = {"details": "细节", "customer_calmed": True}

# statements each command took when measured (issue 13), and the ceiling held now
MEASURED = {"start": 14, "claim": 9, "complete_task": 18, "inbox_page": 4}
MARGIN = 2


@pytest.fixture
def services(sqlite_url):
    built = build_services(sqlite_url)
    yield built
    built.db.dispose()


@contextmanager
def counting(db) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db, "before_cursor_execute", record)


def counts_of_one_task_journey(services) -> dict[str, int]:
    engine, counts = services.engine, {}
    with counting(services.db) as statements:
        instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    counts["start"] = len(statements)
    task_id = instance.active_tasks[0].id
    with counting(services.db) as statements:
        engine.claim(task_id, "cs_staff1")
    counts["claim"] = len(statements)
    with counting(services.db) as statements:
        engine.complete_task(task_id, "cs_staff1", RECORD)
    counts["complete_task"] = len(statements)
    with counting(services.db) as statements:
        page = engine.inbox_page("cs_staff2")
    counts["inbox_page"] = len(statements)
    assert page.tasks, "the verification task should be in a colleague's inbox"
    return counts


def test_each_command_stays_under_its_statement_ceiling(services):
    counts = counts_of_one_task_journey(services)
    print("SQL statements per command:", counts)
    over = {name: (n, MEASURED[name] + MARGIN) for name, n in counts.items() if n > MEASURED[name] + MARGIN}
    assert over == {}, f"statements (counted, ceiling): {over}"


def test_a_longer_history_does_not_cost_more_statements(services):
    """The second journey in the same database takes no more statements than the first:
    nothing per command grows with how much is already stored."""
    first = counts_of_one_task_journey(services)
    second = counts_of_one_task_journey(services)
    grown = {name: (first[name], second[name]) for name in first if second[name] > first[name]}
    assert grown == {}, f"statements (first journey, second journey): {grown}"
