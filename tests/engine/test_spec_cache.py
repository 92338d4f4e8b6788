"""Compiled versions kept across processes (engine/spiff/spec_cache.py): what is read back is
what compiling gives, object for object; anything not written by this installation for this
version and this code is compiled afresh, never unpickled."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from engine.definitions.bundles import ProcessBundle, load_catalog
from engine.errors import DefinitionInvalid
from engine.spiff import spec_cache
from engine.spiff.spec_cache import CompiledVersions, entry_name
from engine.spiff.specs import SpecCache, compile_bundle
from tests.conftest import FIXTURES, FORMS, PROCESSES

SECRET = b"k" * 32


class MemoryStore:
    """Entries in a dict, as the folder keeps them on disk."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}

    def read(self, name: str) -> bytes | None:
        return self.entries.get(name)

    def write(self, name: str, data: bytes) -> None:
        self.entries[name] = data


def never(bundle: ProcessBundle) -> Any:
    raise AssertionError(f"{bundle.key} was compiled, though a sound entry holds it")


def differences(a: Any, b: Any, path: str = "", seen: set | None = None) -> list[str]:
    """Where two object graphs differ in type or value (attributes, items, slots), by path."""
    seen = set() if seen is None else seen
    if (id(a), id(b)) in seen:
        return []
    seen.add((id(a), id(b)))
    if type(a) is not type(b):
        return [f"{path}: {type(a).__name__} != {type(b).__name__}"]
    if isinstance(a, (str, int, float, bool, bytes, type(None), set, frozenset)):
        return [] if a == b else [f"{path}: {a!r} != {b!r}"]
    if isinstance(a, (list, tuple)):
        if len(a) != len(b):
            return [f"{path}: {len(a)} items != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in differences(x, y, f"{path}[{i}]", seen)]
    if isinstance(a, dict):
        if list(a) != list(b):
            return [f"{path}: keys {sorted(map(str, set(a) ^ set(b)))} or their order differ"]
        return [d for k in a for d in differences(a[k], b[k], f"{path}.{k}", seen)]
    if hasattr(a, "__dict__"):
        return differences(vars(a), vars(b), path, seen)
    slots = [s for cls in type(a).__mro__ for s in getattr(cls, "__slots__", ())]
    if slots:
        return [d for s in slots for d in differences(getattr(a, s, None), getattr(b, s, None), f"{path}.{s}", seen)]
    return [] if a == b else [f"{path}: {type(a).__name__} values differ"]


@pytest.fixture(scope="module")
def bundles() -> list[ProcessBundle]:
    """Every procedure, and the test fixtures' timers, external tasks, duties and sandbox cases."""
    found = load_catalog(PROCESSES, FORMS)
    for name in ("timers", "external", "duties", "security"):
        found += [b for b in load_catalog(FIXTURES / name, FIXTURES / name / "forms") if _compiles(b)]
    return found


def _compiles(bundle: ProcessBundle) -> bool:
    try:
        compile_bundle(bundle)
    except DefinitionInvalid:
        return False  # a fixture of a refused model (timer_broken)
    return True


@pytest.fixture(scope="module")
def complaint(bundles) -> ProcessBundle:
    return next(b for b in bundles if b.key == "complaint_handling")


def test_every_procedure_reads_back_as_compiling_gives_it(bundles):
    assert len(bundles) >= 25
    store = MemoryStore()
    written = [CompiledVersions(store, SECRET).compile(b) for b in bundles]
    assert sorted(store.entries) == sorted(entry_name(b.content_hash) for b in bundles)
    for bundle, compiled in zip(bundles, written):
        read = CompiledVersions(store, SECRET, never).compile(bundle)  # as another process would
        assert read.bundle is bundle and read.spec is not compiled.spec
        for part in ("spec", "subprocess_specs", "forms", "user_tasks"):
            assert differences(getattr(compiled, part), getattr(read, part), part) == [], bundle.key


def test_the_spec_serializer_would_lose_what_zhidus_parser_builds(bundles):
    # Why entries are pickles: SpiffWorkflow 3.2's spec converter gives a DMN task back with the
    # library's engine instead of zhidu's hit-policy engine (engine/spiff/dmn.py).
    from engine.spiff.state import spec_registry

    registry = spec_registry()
    compiled = compile_bundle(next(b for b in bundles if b.key == "performance_appraisal"))
    restored = registry.restore(json.loads(json.dumps(registry.convert(compiled.spec))))
    assert registry.convert(restored) == registry.convert(compiled.spec)  # its own view: equal
    assert any("HitPolicyEngine != DMNEngine" in d for d in differences(compiled.spec, restored))


def test_the_forms_are_read_without_unpickling(complaint):
    store = MemoryStore()
    compiled = CompiledVersions(store, SECRET).compile(complaint)
    forms = CompiledVersions(store, SECRET, never).forms(complaint.content_hash)
    assert forms == {key: dataclasses.asdict(form) for key, form in compiled.forms.items()}
    assert CompiledVersions(MemoryStore(), SECRET).forms(complaint.content_hash) is None  # nothing cached
    assert CompiledVersions(store, SECRET).forms("../" + complaint.content_hash[3:]) is None


@pytest.mark.parametrize("damage", ["flip a byte of the specs", "truncate", "empty", "another format",
                                    "another installation's key", "another version's entry"])
def test_an_entry_that_is_not_sound_is_compiled_afresh_and_rewritten(bundles, complaint, damage):
    store = MemoryStore()
    CompiledVersions(store, SECRET).compile(complaint)
    name = entry_name(complaint.content_hash)
    good = store.entries[name]
    if damage == "flip a byte of the specs":
        store.entries[name] = good[:-40] + bytes([good[-40] ^ 1]) + good[-39:]
    elif damage == "truncate":
        store.entries[name] = good[: len(good) // 2]
    elif damage == "empty":
        store.entries[name] = b""
    elif damage == "another format":
        store.entries[name] = good.replace(spec_cache.MAGIC, b"zhidu-compiled-version 0", 1)
    elif damage == "another installation's key":
        other = MemoryStore()
        CompiledVersions(other, b"o" * 32).compile(complaint)
        store.entries[name] = other.entries[name]
    else:  # a sound entry of another version, put under this one's name
        training = next(b for b in bundles if b.key == "training")
        CompiledVersions(store, SECRET).compile(training)
        store.entries[name] = store.entries[entry_name(training.content_hash)]
    compiled_now = []

    def counted(bundle: ProcessBundle) -> Any:
        compiled_now.append(bundle.key)
        return compile_bundle(bundle)

    versions = CompiledVersions(store, SECRET, counted)
    assert versions.forms(complaint.content_hash) is None
    assert versions.compile(complaint).bundle.key == "complaint_handling" and compiled_now == ["complaint_handling"]
    assert CompiledVersions(store, SECRET, never).compile(complaint).spec.name == complaint.entry.process_id


def test_other_code_gets_its_own_entries(complaint, monkeypatch):
    store = MemoryStore()
    CompiledVersions(store, SECRET).compile(complaint)
    monkeypatch.setattr(spec_cache, "code_fingerprint", lambda: "0" * 16)
    compiled_now = []
    CompiledVersions(store, SECRET, lambda b: compiled_now.append(b) or compile_bundle(b)).compile(complaint)
    assert compiled_now and len(store.entries) == 2


def test_without_the_engines_sources_to_fingerprint_nothing_is_cached(complaint, monkeypatch):
    monkeypatch.setattr(spec_cache, "code_fingerprint", lambda: "")
    store = MemoryStore()
    assert CompiledVersions(store, SECRET).compile(complaint).bundle is complaint
    assert store.entries == {} and CompiledVersions(store, SECRET).forms(complaint.content_hash) is None


def test_forms_json_does_not_give_back_exactly_are_left_to_the_engine(complaint, monkeypatch):
    compiled = compile_bundle(complaint)
    key = next(iter(compiled.forms))
    dated = dataclasses.replace(compiled.forms[key], schema={**compiled.forms[key].schema, "examples": (1, 2)})
    odd = dataclasses.replace(compiled, forms={**compiled.forms, key: dated})
    store = MemoryStore()
    CompiledVersions(store, SECRET, lambda b: odd).compile(complaint)
    assert CompiledVersions(store, SECRET).forms(complaint.content_hash) is None  # a tuple would come back a list
    assert CompiledVersions(store, SECRET, never).compile(complaint).forms[key].schema["examples"] == (1, 2)


def test_a_version_that_does_not_compile_writes_nothing(complaint):
    broken = ProcessBundle(complaint.entry, {**complaint.files, complaint.entry.bpmn: "<not xml"})
    store = MemoryStore()
    with pytest.raises(DefinitionInvalid):
        CompiledVersions(store, SECRET).compile(broken)
    assert store.entries == {}


def test_the_spec_cache_compiles_through_the_given_compiler_once_per_process(complaint):
    store = MemoryStore()
    cache = SpecCache(CompiledVersions(store, SECRET).compile)
    first = cache.pinned(complaint.content_hash, lambda: complaint)
    assert cache.get(complaint) is first and list(store.entries) == [entry_name(complaint.content_hash)]
    again = SpecCache(CompiledVersions(store, SECRET, never).compile).get(complaint)
    assert differences(first.spec, again.spec) == []
