"""Verify reads the stored state through engine/spiff/stored.py: a state whose format marker was
altered (or that a newer zhidu wrote) is a divergence at `state.format`, not a crash."""

from __future__ import annotations

from dataclasses import replace

from engine.definitions.bundles import load_catalog
from engine.runtime import Engine
from engine.spiff.stored import STATE_FORMAT
from tests.conftest import FORMS, PROCESSES, organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork
from tests.engine.test_clock_replay import INTAKE


def test_a_stored_state_in_an_unknown_format_diverges_at_its_format(clock):
    store = FakeStore()
    engine = Engine(lambda: FakeUnitOfWork(store), clock)
    engine.deploy(load_catalog(PROCESSES, FORMS, only={"complaint_handling"}), actor="tests")
    engine.load_organisation(organisation())
    instance = engine.start("complaint_handling", "cs_staff1", INTAKE)
    assert engine.verify(instance.id).status == "ok"
    record = store.instances[instance.id]
    store.instances[instance.id] = replace(record, state={**record.state, "format": "zhidu-state/99"})
    found = engine.verify(instance.id)
    assert (found.status, found.field) == ("diverged", "state.format")
    assert (found.recorded, found.replayed) == ("zhidu-state/99", STATE_FORMAT)
