"""The inbox as SQL text (storage/inbox_sql.py) through real storage: its columns are the model's,
migrations 0017 and 0018 give the index it reads (0018 filling offered_to for the open tasks
before it, and going back down), SQLite reads that index instead of the task rows to count, search
and merge a page instead of sorting the inbox, and a unit of work counts its own writes."""

from __future__ import annotations

import sqlite3

from storage.database import MIGRATIONS, uow_factory
from storage.inbox_sql import TASK_COLUMNS, InboxSql
from storage.models import TaskRow
from tests.conftest import make_zhidu, open_db

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}
STAFF = ("customer-service-staff",)


def test_the_columns_it_selects_are_the_models():
    assert TASK_COLUMNS == tuple(c.name for c in TaskRow.__table__.columns)


def test_migrations_0017_and_0018_create_what_the_model_describes(db_url, clock):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    make_zhidu(db_url, clock)
    with open_db(db_url).connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "ix_tasks_inbox" in repr(d) or "offered_to" in repr(d)] == []


def test_migration_0018_fills_offered_to_for_open_tasks_and_goes_back_down(db_url, clock):
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import inspect, text

    zhidu = make_zhidu(db_url, clock)
    task_id = zhidu.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with open_db(db_url).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")
        assert "offered_to" not in {c["name"] for c in inspect(connection).get_columns("tasks")}
        command.upgrade(config, "head")
        offered = connection.execute(text("SELECT offered_to FROM tasks WHERE id = :id"), {"id": task_id}).scalar()
    assert offered == "|role:customer-service-staff|"
    assert zhidu.inbox_count("cs_staff2") == 1 and zhidu.inbox_count("mk_staff1") == 0


def test_sqlite_reads_the_index_and_merges_a_page_in_due_order(sqlite_url, clock):
    zhidu = make_zhidu(sqlite_url, clock)
    zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    inbox = InboxSql("cs_staff1", STAFF, (("mk_staff1", ("marketing-staff",)),), "complaint_handling")
    connection = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"))
    try:
        def plan(sql: str) -> str:
            return "\n".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {sql}", inbox.params))
        counted, paged = plan(inbox.groups()), plan(inbox.page("due", 0, 50))
        assert "COVERING INDEX ix_tasks_inbox" in counted and "SCAN t" not in counted
        assert "MERGE (UNION ALL)" in paged and paged.count("ix_tasks_inbox") == 4
        searched = InboxSql("cs_staff1", STAFF, search="张三")
        found = "\n".join(row[3] for row in connection.execute(f"EXPLAIN QUERY PLAN {searched.groups()}",
                                                                 searched.params))
        assert "COVERING INDEX ix_tasks_inbox" in found and "SCAN t" not in found  # the text is in the index
        assert len(connection.execute(inbox.page("due", 0, 50), inbox.params).fetchall()) == 1
    finally:
        connection.close()


def test_a_unit_of_work_counts_its_own_writes(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    task_id = zhidu.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
    with uow_factory(open_db(db_url))() as uow:
        assert uow.tasks.inbox_count("cs_staff2", STAFF) == 1
        assert list(uow.tasks.inbox_groups("cs_staff2", STAFF)) == ["complaint_handling"]
        task = uow.tasks.get(task_id)
        task.claimed_by = "cs_staff1"
        uow.tasks.save(task)
        assert uow.tasks.inbox_count("cs_staff2", STAFF) == 0
        assert list(uow.tasks.inbox_groups("cs_staff2", STAFF)) == []
        assert uow.tasks.inbox_count("cs_staff1", STAFF, "complaint_handling") == 1
