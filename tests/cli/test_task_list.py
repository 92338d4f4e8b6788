"""`zhidu tasks` from the rows and the cached forms (bootstrap/task_list.py) answers exactly as
the engine facade, for every person, and leaves every other case to the facade."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys

import pytest

from bootstrap import task_list
from bootstrap.wiring import build, bundles_from_paths, demo_organisation, initialise
from cli.main import main
from engine.clock import FixedClock
from engine.errors import DefinitionInvalid, ZhiduError
from engine.permissions import OPERATOR_NAME
from tests.conftest import ROOT, T0
from tests.fixtures.duties.bundles import four_eyes
from tests.schema_values import SchemaValues

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A database with an instance of every procedure someone may start (data from its start
    form's schema), two complaints of which one is claimed, a task whose rules keep someone out
    (tests/fixtures/duties); the cache filled by the facade."""
    folder = tmp_path_factory.mktemp("tasks")
    patch = pytest.MonkeyPatch()
    patch.setenv("ZHIDU_DATABASE_URL", f"sqlite:///{folder / 'zhidu.db'}")
    patch.setenv("ZHIDU_HOME", str(ROOT))
    patch.delenv("ZHIDU_CACHE_DIR", raising=False)
    services = initialise()
    services.engine.deploy([*bundles_from_paths([]), four_eyes()], actor="test")
    services.engine.load_organisation(demo_organisation())
    engine = build(clock=FixedClock(T0)).engine
    users = engine.users()
    started = [engine.start("complaint_handling", "cs_staff1", INTAKE).id for _ in range(2)]
    record = next(t for t in engine.show(started[0]).active_tasks if t.name == "Task_Record")
    engine.claim(record.id, "cs_staff1")
    started.append(engine.start("four_eyes", "cs_staff2", {"concerns": "cs_staff1"}).id)
    for element, user in (("Draft", "cs_staff1"), ("Check", "cs_staff2")):  # Approve then excludes cs_staff1
        engine.complete_task(next(t.id for t in engine.show(started[-1]).active_tasks if t.name == element),
                             user, {"note": "ok"})
    rng = random.Random(7)

    def pick_user(name: str, prop: dict) -> str | None:
        return rng.choice([u.username for u in users]) if prop.get("format") == "user" else None

    for process in engine.processes():
        starter = next((u.username for u in users if set(u.roles) & set(process.starters)), None)
        schema = process.start_form.schema if process.start_form else {"type": "object"}
        data = SchemaValues(rng.randrange(99), 1.0, pick_user).form(schema)
        try:
            started.append(engine.start(process.key, starter, data).id)
        except ZhiduError:
            pass  # a value the schema alone cannot make right; enough others start
    assert len(started) >= 8
    facade = build()
    for user in users:  # the facade compiles each version once and keeps it for the next process
        facade.engine.tasks_for(user.username)
    facade.db.dispose()
    yield folder, [u.username for u in users]
    services.db.dispose()
    patch.undo()


def test_every_persons_list_is_the_facades(site):
    _, usernames = site
    engine = build().engine
    compared = []
    for username in usernames:
        quick = task_list.tasks_for(username)
        assert quick is not None, username
        assert quick == [t.to_dict() for t in engine.tasks_for(username)], username
        compared += quick
    assert len(compared) >= 8 and any(t["form"] for t in task_list.tasks_for("cs_staff1"))
    # what the lists held: tasks offered by role and by name, claimed ones, and ones whose rules
    # keep someone out (each left out of that person's list, as the facade leaves it out)
    assert any(c.startswith("user:") for t in compared for c in t["candidates"])
    assert any(c.startswith("role:") for t in compared for c in t["candidates"])
    assert any(t["claimed_by"] for t in compared) and any(t["excluded"] for t in compared)


@pytest.mark.parametrize("as_json", [True, False])
def test_the_printed_list_is_the_same_from_cache_or_facade(site, capsys, as_json):
    folder, _ = site
    flag = ["--json"] if as_json else []
    assert main(["tasks", "--as", "cs_staff1", *flag]) == 0
    quick = capsys.readouterr().out
    kept = folder / "kept"
    shutil.copytree(folder / "compiled", kept)
    shutil.rmtree(folder / "compiled")
    try:
        assert task_list.tasks_for("cs_staff1") is None  # nothing cached: the facade answers
        assert main(["tasks", "--as", "cs_staff1", *flag]) == 0
        assert capsys.readouterr().out == quick
    finally:
        shutil.rmtree(folder / "compiled", ignore_errors=True)
        shutil.copytree(kept, folder / "compiled")
        shutil.rmtree(kept)
    assert "claimed by cs_staff1" in quick or '"claimed_by": "cs_staff1"' in quick


def test_an_unknown_deactivated_or_operator_user_is_left_to_the_facade(site, capsys):
    assert task_list.tasks_for("nobody") is None
    assert task_list.tasks_for(OPERATOR_NAME) is None
    assert main(["tasks", "--as", "nobody", "--json"]) == 1
    assert "nobody" in json.loads(capsys.readouterr().out)["message"]
    engine = build().engine
    engine.deactivate_user("pm_staff2", actor=OPERATOR_NAME)
    try:
        assert task_list.tasks_for("pm_staff2") is None
        assert main(["tasks", "--as", "pm_staff2", "--json"]) == 1
        assert "deactivated" in json.loads(capsys.readouterr().out)["message"]
    finally:
        engine.reactivate_user("pm_staff2", actor=OPERATOR_NAME)


def test_a_version_whose_stored_files_were_altered_is_left_to_the_facade(site, capsys):
    from sqlalchemy import text

    services = build()
    with services.db.begin() as connection:
        digest = connection.execute(text("SELECT version_hash FROM instances "
                                         "WHERE process_key = 'complaint_handling'")).scalars().first()
        files = json.loads(connection.execute(text("SELECT files FROM process_versions WHERE content_hash = :h"),
                                              {"h": digest}).scalar())
        name = next(n for n in files if n.endswith(".bpmn"))
        altered = {**files, name: files[name].replace("PT24H", "PT240H")}
        connection.execute(text("UPDATE process_versions SET files = :f WHERE content_hash = :h"),
                           {"f": json.dumps(altered), "h": digest})
    try:
        assert task_list.tasks_for("cs_staff1") is None
        with pytest.raises(DefinitionInvalid):
            build().engine.tasks_for("cs_staff1")
        assert main(["tasks", "--as", "cs_staff1", "--json"]) == 1
        assert "altered" in capsys.readouterr().out
    finally:
        with services.db.begin() as connection:
            connection.execute(text("UPDATE process_versions SET files = :f WHERE content_hash = :h"),
                               {"f": json.dumps(files), "h": digest})
        services.db.dispose()


def test_a_database_without_the_schema_is_left_to_the_facade(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZHIDU_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert task_list.tasks_for("cs_staff1") is None
    assert main(["tasks", "--as", "cs_staff1"]) == 1
    assert "zhidu init" in capsys.readouterr().err


def test_it_reads_the_configuration_where_the_wiring_does(site):
    from bootstrap import wiring
    from storage import database

    assert task_list.DEFAULT_URL == database.DEFAULT_URL
    assert task_list.FINGERPRINT_KEY_FILE == wiring.FINGERPRINT_KEY_FILE
    assert task_list._installation_key() == wiring.fingerprint_key()


def test_a_listing_imports_neither_sqlalchemy_nor_the_engine(site, capsys):
    assert task_list.tasks_for("cs_staff1") is not None  # the versions' files are checked and marked
    assert main(["tasks", "--as", "cs_staff1", "--json"]) == 0
    printed = capsys.readouterr().out
    heavy = ("sqlalchemy", "SpiffWorkflow", "yaml", "lxml", "jsonschema", "bootstrap.wiring", "engine.errors",
             "engine.views", "engine.permissions", "engine.definitions.bundles", "pickle", "dataclasses")
    probe = ("import sys\nfrom cli.main import main\ncode = main(['tasks', '--as', 'cs_staff1', '--json'])\n"
             f"sys.stderr.write(repr(sorted(m for m in {heavy!r} if m in sys.modules)))\nsys.exit(code)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "[]")
    assert done.stdout == printed


def test_a_mark_of_checked_files_that_is_not_ours_is_checked_again(site):
    folder, usernames = site
    assert all(task_list.tasks_for(username) is not None for username in usernames)
    marks = sorted((folder / "compiled").glob("*.checked-*"))
    assert marks
    kept = {mark: mark.read_bytes() for mark in marks}
    for mark in marks:
        mark.write_bytes(b"zhidu-checked-files 1\n" + b"0" * 64)
    engine = build().engine
    for username in usernames:
        assert task_list.tasks_for(username) == [t.to_dict() for t in engine.tasks_for(username)], username
    assert {mark: mark.read_bytes() for mark in marks} == kept  # checked again, and marked again


@pytest.mark.postgres
def test_on_postgresql_the_list_is_the_facades_too(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("ZHIDU_DATABASE_URL", postgres_url)
    monkeypatch.setenv("ZHIDU_HOME", str(ROOT))
    monkeypatch.setenv("ZHIDU_CACHE_DIR", str(tmp_path / "compiled"))
    services, clocked = initialise(), build(clock=FixedClock(T0))
    try:
        services.engine.deploy([*bundles_from_paths([]), four_eyes()], actor="test")
        services.engine.load_organisation(demo_organisation())
        engine = clocked.engine
        first, _ = (engine.start("complaint_handling", "cs_staff1", INTAKE) for _ in range(2))
        engine.claim(first.active_tasks[0].id, "cs_staff2")
        checked = engine.start("four_eyes", "cs_staff2", {"concerns": "cs_staff1"}).id
        for element, user in (("Draft", "cs_staff1"), ("Check", "cs_staff2")):
            engine.complete_task(next(t.id for t in engine.show(checked).active_tasks if t.name == element),
                                 user, {"note": "ok"})
        people = ("cs_staff1", "cs_staff2", "cs_manager", "da_staff1")
        facade = {username: [t.to_dict() for t in engine.tasks_for(username)] for username in people}
        assert facade["cs_staff1"] and any(t["excluded"] for t in facade["cs_staff2"])
        for username in people:
            assert task_list.tasks_for(username) == facade[username], username
    finally:
        services.db.dispose()
        clocked.db.dispose()
