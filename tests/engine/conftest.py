"""Engine tests run against in-memory fakes: no database, no Flask."""

from __future__ import annotations

import pytest

from engine.definitions.bundles import load_catalog
from engine.runtime import Engine
from tests.conftest import FORMS, PROCESSES, organisation
from tests.engine.fakes import FakeStore, FakeUnitOfWork


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def fake_engine(store, clock) -> Engine:
    engine = Engine(lambda: FakeUnitOfWork(store), clock)
    engine.deploy(load_catalog(PROCESSES, FORMS), actor="tests")
    engine.load_organisation(organisation())
    return engine
