"""Absences through real storage (SQLite and PostgreSQL): a substitute's inbox is the absent
person's too while the absence lasts, and migration 0015 matches the model."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.definitions.bundles import load_catalog
from engine.runtime import Engine
from storage.database import migrate, uow_factory
from tests.conftest import FORMS, PROCESSES, open_db, organisation
from tests.engine.test_runtime import INTAKE


@pytest.fixture
def db(db_url):
    database = open_db(db_url)
    migrate(database)
    return database


@pytest.fixture
def zhidu(db, clock) -> Engine:
    clock.zone = ZoneInfo("Asia/Shanghai")
    engine = Engine(uow_factory(db), clock)
    engine.deploy(load_catalog(PROCESSES, FORMS), actor="tests")
    engine.load_organisation(organisation())
    return engine


def test_the_substitutes_inbox_holds_the_absent_persons_tasks_while_the_absence_lasts(zhidu, clock):
    first = zhidu.start("complaint_handling", "cs_staff2", INTAKE).active_tasks[0]
    second = zhidu.start("complaint_handling", "cs_staff2", INTAKE).active_tasks[0]
    zhidu.claim(second.id, "cs_staff1")
    absence = zhidu.record_absence("cs_staff1", "2026-11-27", "2026-11-28", "mk_staff1", "cs_staff1")
    page = zhidu.inbox_page("mk_staff1")
    assert {t.id for t in page.tasks} == {first.id, second.id} and page.total == 2
    assert page.on_behalf_of == {first.id: "cs_staff1", second.id: "cs_staff1"}
    assert page.procedures == ("complaint_handling",)
    assert zhidu.navigation("mk_staff1").inbox == 2
    assert [a.id for a in zhidu.absences("cs_manager").team] == [absence.id]
    clock.advance(timedelta(days=2))  # 2026-11-29 17:00 in Shanghai: over
    assert zhidu.inbox_page("mk_staff1").tasks == () and zhidu.absences("cs_manager").team == ()
    assert zhidu.absences("cs_staff1").mine[0].status == "over"


def test_overlaps_are_found_by_the_database_and_an_ended_absence_frees_its_days(zhidu):
    from engine.errors import FormInvalid
    made = zhidu.record_absence("cs_staff1", "2026-11-27", "2026-11-30", "mk_staff1", "cs_staff1")
    with pytest.raises(FormInvalid):
        zhidu.record_absence("cs_staff1", "2026-11-30", "2026-12-01", "cs_staff2", "cs_staff1")
    zhidu.end_absence(made.id, "cs_staff1")
    assert zhidu.record_absence("cs_staff1", "2026-11-27", "2026-12-01", "cs_staff2", "cs_staff1").status == "current"


def test_migration_0015_creates_what_the_model_describes(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "absences" in repr(d)] == []
