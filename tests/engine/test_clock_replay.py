"""With a clock that moves while a command runs (the system clock), a task's due time was
computed a moment after the journal's time, so replay — which runs the command at the
journal's time — computed another due time and the instance did not verify. The engine now
holds its clock still for the length of each command (engine.clock.CommandClock)."""

from __future__ import annotations

from datetime import timedelta

from engine.definitions.bundles import load_catalog
from engine.runtime import Engine
from tests.conftest import FORMS, PROCESSES, T0, organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork

INTAKE = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "快递三次未送达"}


class TickingClock:
    """Moves one millisecond every time it is read, as the system clock does between reads."""

    def __init__(self) -> None:
        self.at = T0

    def now(self):
        self.at += timedelta(milliseconds=1)
        return self.at


def test_an_instance_with_a_due_task_verifies_under_a_moving_clock():
    engine = Engine(lambda: FakeUnitOfWork(store), TickingClock())
    store = FakeStore()
    engine.deploy(load_catalog(PROCESSES, FORMS, only={"complaint_handling"}), actor="tests")
    engine.load_organisation(organisation())
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert engine.verify(instance.id).status == "ok"
