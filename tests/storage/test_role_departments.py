"""Roles store their department and manager flag; databases from before 0010 are back-filled once."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import JSON, column, insert, select, table

from engine.records import Role
from storage.database import MIGRATIONS, migrate, uow_factory
from tests.conftest import open_db

DEPARTMENTS = table("departments", column("key"), column("name", JSON))
ROLES = table("roles", column("key"), column("name", JSON))


def _upgrade(db, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def test_upgrading_back_fills_roles_from_the_old_naming_convention(db_url):
    db = open_db(db_url)
    _upgrade(db, "0009")
    with db.begin() as conn:
        conn.execute(insert(DEPARTMENTS), [{"key": k, "name": {}} for k in ("marketing", "customer-service")])
        conn.execute(insert(ROLES), [{"key": k, "name": {"en": k}} for k in (
            "director", "marketing-manager", "marketing-staff", "customer-service-staff", "auditor",
            "legal-manager", "legal-staff")])
    _upgrade(db, "head")
    roles = {r.key: (r.department, r.manager) for r in _roles(db)}
    assert roles == {
        "director": (None, True), "marketing-manager": ("marketing", True), "marketing-staff": ("marketing", False),
        "customer-service-staff": ("customer-service", False), "auditor": (None, False),
        # no department "legal": managing every department would be more than it ever had
        "legal-manager": (None, False), "legal-staff": (None, False)}


def test_roles_keep_their_department_and_manager_flag_through_storage(db_url):
    db = open_db(db_url)
    migrate(db)
    uow = uow_factory(db)
    with uow() as work:
        work.users.upsert_role(Role("sales-staff", {"en": "Sales staff"}))
        work.users.upsert_role(Role("director", {"en": "Director"}, None, True))
        work.commit()
    with uow() as work:  # an upsert changes both fields of an existing role
        work.users.upsert_role(Role("sales-staff", {"en": "Sales lead"}, "sales", True))
        work.commit()
    assert _roles(db) == [Role("director", {"en": "Director"}, None, True),
                          Role("sales-staff", {"en": "Sales lead"}, "sales", True)]


def test_migration_0010_creates_what_the_models_describe(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    db = open_db(db_url)
    migrate(db)
    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "'roles'" in repr(d)] == []


def _roles(db) -> list[Role]:
    with uow_factory(db)() as work:
        return work.users.roles()
