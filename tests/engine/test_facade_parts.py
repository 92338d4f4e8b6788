"""The facade hands each public method to one part (engine/runtime.py PARTS); nothing shadows it."""

from __future__ import annotations

from engine.runtime import PARTS, Engine
from tests.engine.fakes import FakeStore, FakeUnitOfWork


def test_every_listed_method_is_its_parts_own_method():
    store = FakeStore()
    engine = Engine(lambda: FakeUnitOfWork(store))
    wrong = {}
    for part, names in PARTS.items():
        for name in names:
            method = getattr(engine, name)
            if getattr(method, "__self__", None) is not getattr(engine, part):
                wrong[name] = part  # e.g. a part attribute with the method's name hides it
    assert wrong == {}


def test_no_method_is_listed_twice():
    names = [name for names in PARTS.values() for name in names]
    assert len(names) == len(set(names))
