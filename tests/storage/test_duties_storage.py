"""Separation of duties through real storage (SQLite and PostgreSQL): the inbox query leaves a
task out for whom its rules exclude — and for a substitute reaching it only through them —
the rows keep the rules' reasons, and migration 0016 matches the model."""

from __future__ import annotations

import pytest

from engine.errors import DutiesSeparated
from engine.runtime import Engine
from storage.database import migrate, uow_factory
from tests.conftest import open_db, organisation
from tests.fixtures.duties.bundles import four_eyes

NOTE = {"note": "ok"}


@pytest.fixture
def db(db_url):
    database = open_db(db_url)
    migrate(database)
    return database


@pytest.fixture
def zhidu(db, clock) -> Engine:
    engine = Engine(uow_factory(db), clock)
    engine.deploy([four_eyes()], actor="tests")
    engine.load_organisation(organisation())
    return engine


def step(zhidu: Engine, instance_id: str, element: str):
    return next(t for t in zhidu.show(instance_id).active_tasks if t.name == element)


def names(zhidu: Engine, user: str) -> set[str]:
    return {t.name for t in zhidu.inbox_page(user).tasks}


def test_the_inbox_leaves_out_what_separation_of_duties_keeps_from_the_reader(zhidu):
    instance_id = zhidu.start("four_eyes", "cs_staff2", {"concerns": "cs_staff1"}).id
    draft = step(zhidu, instance_id, "Draft")
    zhidu.claim(draft.id, "cs_staff1")
    assert names(zhidu, "cs_staff1") == {"Draft"} and zhidu.inbox_count("cs_staff1") == 1
    assert names(zhidu, "cs_staff2") == {"Check"}
    zhidu.complete_task(draft.id, "cs_staff1", NOTE)
    zhidu.complete_task(step(zhidu, instance_id, "Check").id, "cs_staff2", NOTE)
    approve = step(zhidu, instance_id, "Approve")
    assert {e for e in approve.excluded} == {"cs_staff1"}  # the one it concerns and the drafter are one
    assert names(zhidu, "cs_staff1") == set() and zhidu.inbox_page("cs_staff1").procedures == ()
    assert names(zhidu, "cs_staff2") == {"Approve"}
    with pytest.raises(DutiesSeparated):
        zhidu.claim(approve.id, "cs_staff1")
    assert [e.kind for e in zhidu.history(instance_id)][-1] == "refused"
    assert zhidu.verify(instance_id).status == "ok"


def test_a_substitute_does_not_see_what_reaches_them_only_through_an_excluded_person(zhidu):
    instance_id = zhidu.start("four_eyes", "cs_staff2", {"concerns": "cs_staff1"}).id
    zhidu.claim(step(zhidu, instance_id, "Draft").id, "cs_staff1")
    zhidu.record_absence("cs_staff1", "2026-11-27", "2026-11-30", "mk_staff1", "cs_staff1")
    assert names(zhidu, "mk_staff1") == {"Draft"}  # held by whom they stand in for; Check is kept from them
    zhidu.record_absence("cs_staff2", "2026-11-27", "2026-11-30", "da_staff1", "cs_staff2")
    assert names(zhidu, "da_staff1") == {"Check"}


def test_migration_0016_creates_what_the_model_describes(db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from storage.models import Base

    with db.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in differences if "excluded" in repr(d)] == []


def test_the_notice_of_a_task_offered_leaves_out_whom_its_rules_exclude(zhidu):
    instance_id = zhidu.start("four_eyes", "cs_staff2", {"concerns": "cs_staff1"}).id
    for element, user in (("Check", "cs_staff2"), ("Draft", "cs_manager")):
        zhidu.complete_task(step(zhidu, instance_id, element).id, user, NOTE)
    approve = step(zhidu, instance_id, "Approve")

    def told(user: str) -> set[str]:
        return {n.task_id for n in zhidu.notifications(user).entries if n.kind == "task_offered"}
    assert approve.id in told("cs_staff2") and approve.id not in told("cs_staff1")
