"""Messages delivered to a waiting instance: the event-based gateway's message branch."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.errors import PermissionDenied, TaskNotReady
from tests.conftest import make_zhidu
from tests.fixtures.timers.bundles import all_bundles

STAFF = "cs_staff1"


@pytest.fixture
def engine(sqlite_url, clock):
    from engine.definitions.bundles import load_catalog
    from tests.conftest import FORMS, PROCESSES

    return make_zhidu(sqlite_url, clock, bundles=[*load_catalog(PROCESSES, FORMS), *all_bundles()])


def test_a_message_wins_the_race_and_the_timer_is_dropped(engine, clock):
    instance = engine.start("timer_race", STAFF).id
    with pytest.raises(TaskNotReady):
        engine.correlate_message(instance, "no-such-message", STAFF, {})
    with pytest.raises(PermissionDenied):
        engine.correlate_message(instance, "reply", "mk_staff1", {"text": "hi"})
    shown = engine.correlate_message(instance, "reply", STAFF, {"text": "收到"})
    assert [t.name for t in shown.active_tasks] == ["ReadReply"]
    clock.advance(timedelta(days=2))
    assert engine.fire_due_timers() == []
    assert [t.name for t in engine.show(instance).active_tasks] == ["ReadReply"]
    received = [e for e in engine.history(instance) if e.kind == "message_received"]
    assert len(received) == 1 and received[0].payload == {"name": "reply", "payload": {"text": "收到"}}
    assert engine.verify(instance).status == "ok"


def test_a_message_nobody_waits_for_changes_nothing(engine):
    instance = engine.start("timer_race", STAFF).id
    engine.correlate_message(instance, "reply", STAFF, {})
    entries = len(engine.history(instance))
    with pytest.raises(TaskNotReady):
        engine.correlate_message(instance, "reply", STAFF, {})
    assert len(engine.history(instance)) == entries
