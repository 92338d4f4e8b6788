"""A command the database refuses because another got there first is ConcurrentUpdate (nothing
changed, try again), never a server error: the same task row entered by two commands that ran
from one state at once, a deadlock, a serialization failure (storage/uow.py `lost_a_race`)."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from engine.errors import ConcurrentUpdate
from storage.uow import lost_a_race
from tests.conftest import make_zhidu
from tests.storage.test_storage import INTAKE


def test_a_task_row_entered_twice_is_a_lost_race_and_changes_nothing(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    instance = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    with zhidu.run.unit() as uow:
        task = uow.tasks.open_for_instance(instance.id)[0]
    twin = dataclasses.replace(task, title="entered by the command that lost")
    with pytest.raises(ConcurrentUpdate):
        with zhidu.run.unit() as uow:
            uow.tasks.add(twin)
            uow.commit()
    with zhidu.run.unit() as uow:
        assert [t.title for t in uow.tasks.for_instance(instance.id)] == [task.title]


class _Orig(Exception):
    def __init__(self, sqlstate: str | None, text: str = ""):
        super().__init__(text)
        self.sqlstate = sqlstate


@pytest.mark.parametrize("sqlstate, race", [("23505", True), ("40P01", True), ("40001", True),
                                            ("23503", False), ("42P01", False), ("57014", False)])
def test_postgresql_states_that_are_races(sqlstate, race):
    assert lost_a_race(OperationalError("statement", {}, _Orig(sqlstate))) is race


def test_on_sqlite_only_a_unique_key_is_a_race():
    assert lost_a_race(IntegrityError("s", {}, _Orig(None, "UNIQUE constraint failed: tasks.id")))
    assert not lost_a_race(IntegrityError("s", {}, _Orig(None, "FOREIGN KEY constraint failed")))
    assert not lost_a_race(OperationalError("s", {}, _Orig(None, "no such table: tasks")))
