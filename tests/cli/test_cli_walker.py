"""Every procedure in the catalog walked along random paths through the `zhidu` command line
(issue 16), by a walker that knows no procedure (tests/cli/walker.py): it reads the catalog,
the people, inboxes and form schemas from the CLI's own `--json` output.

In-process runs call the console script's `main` (a subprocess costs half a second a command),
on a system clock held at 20:00 and at 03:00 UTC and moved only when timers are fired; one whole
walk goes through a real `.venv/bin/zhidu` subprocess to prove the installed console script.
At each hour every procedure must reach its end (one that loops may still be running after
MAX_STEPS; then further seeds are walked until one ends), none may fail, and `zhidu verify --all`
must find every journal sound.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from datetime import datetime, timezone

import pytest

from bootstrap import wiring
from bootstrap.wiring import DEMO_PASSWORD, initialise
from cli import main as cli_main
from cli.main import main
from engine.clock import FixedClock
from engine.definitions.bundles import load_catalog
from engine.definitions.organisation import parse_organisation
from storage.files import files_dir
from tests.cli.walker import MAX_STEPS, CliWalk, Published, WalkFailed, answer
from tests.conftest import FORMS, PROCESSES, ROOT
from tests.webui.support import cheap_hash

# The same evening and early-morning hours as tests/cli/test_cli_timers.py (Asia/Shanghai is the
# next day at the first): day boundaries in dates and timers fall differently.
MOMENTS = [datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc), datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)]
# Per hour, each procedure is walked with its own seed (optional fields left empty at the first
# hour, filled at random at the second); one that loops past MAX_STEPS gets up to RETRIES more.
PASSES = {MOMENTS[0]: (1, 0.0), MOMENTS[1]: (2, 0.5)}
RETRIES = 4
ZHIDU = ROOT / ".venv" / "bin" / "zhidu"


class HeldClock:
    """The system clock as the CLI's commands see it: still, until the walker fires timers."""

    def __init__(self, now: datetime):
        self.now = now

    def move_to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    """A fresh database with the demo people (hashed cheaply: `init --demo` spends seconds on
    scrypt) and nothing deployed; the CLI's environment points at it."""
    url = f"sqlite:///{tmp_path / 'walk.db'}"
    monkeypatch.setenv("ZHIDU_DATABASE_URL", url)
    monkeypatch.setenv("ZHIDU_HOME", str(ROOT))
    monkeypatch.setenv("ZHIDU_FINGERPRINT_KEY", "walker-" + "0" * 40)  # not the checkout's var/ key
    services = initialise(url)
    file = PROCESSES / "organisation.yaml"
    services.engine.load_organisation(parse_organisation(file.read_text(encoding="utf-8"), str(file),
                                                         hash_password=cheap_hash, default_password=DEMO_PASSWORD))
    services.db.dispose()
    return url


@pytest.fixture
def built_once(monkeypatch) -> None:
    """Build once what each in-process command rebuilds though nothing changes it during a test:
    the argument parser, and the organisation's time zone (each command parses all of
    processes/organisation.yaml for it) — half of an in-process command's time. Every command
    still runs through `main`; the subprocess walk goes without this."""
    monkeypatch.setattr(cli_main, "_parser", functools.cache(cli_main._parser))
    monkeypatch.setattr(wiring, "time_zone", functools.cache(wiring.time_zone))


def in_process(capsys):
    """`zhidu ARGS --json` through the console script's `main`, in this process."""
    def run(*args: str) -> tuple[int, object]:
        code = main([*args, "--json"])
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None
    return run


def as_subprocess(*args: str) -> tuple[int, object]:
    """`zhidu ARGS --json` as a real process of the installed console script."""
    done = subprocess.run([str(ZHIDU), *args, "--json"], capture_output=True, text=True, env=os.environ.copy(),
                          cwd=ROOT, timeout=60)
    assert done.stderr == "", done.stderr  # with --json everything, errors too, goes to stdout
    return done.returncode, json.loads(done.stdout) if done.stdout.strip() else None


def deploy(cli) -> Published:
    """Deploy processes/ through the CLI and read back what it publishes."""
    answer(cli, "deploy", "--as", "owner")
    published = Published.read(cli)
    assert sorted(published.processes) == sorted(b.key for b in load_catalog(PROCESSES, FORMS))
    return published


def verified(cli, walked: list[str]) -> None:
    """`zhidu verify --all` finds every journal sound, and no instance (walked or started by a
    schedule while timers were fired) has failed."""
    code, result = cli("verify", "--all")
    unsound = [v for v in result["verdicts"] if v["verdict"] != "ok"]
    assert code == 0 and unsound == [] and result["ok"] == result["total"], unsound[:2]
    instances = {v["instance_id"] for v in result["verdicts"]} - {"organisation"}
    assert set(walked) <= instances
    failed = [i for i in sorted(instances) if answer(cli, "show", i)["status"] == "failed"]
    assert failed == []


@pytest.fixture(params=MOMENTS, ids=["20:00Z", "03:00Z"])
def held_clock(request, monkeypatch) -> HeldClock:
    clock = HeldClock(request.param)
    monkeypatch.setattr(wiring, "SystemClock", lambda zone=None: FixedClock(clock.now, zone))
    return clock


def test_every_procedure_walks_to_its_end_through_the_cli(database, held_clock, built_once, capsys, tmp_path):
    cli = in_process(capsys)
    published = deploy(cli)
    first_seed, optional_rate = PASSES[held_clock.now]
    failures, unfinished, walked = {}, [], []
    for key in published.processes:
        for seed in range(first_seed, first_seed + 10 * (RETRIES + 1), 10):
            walk = CliWalk(cli, published, key, seed, optional_rate, tmp_path, on_clock=held_clock.move_to)
            try:
                instance_id, status = walk.run()
            except WalkFailed as err:
                failures[f"{key} (seed {seed})"] = str(err)
                break
            walked.append(instance_id)
            if status == "completed":
                break
        else:
            unfinished.append(key)
    assert failures == {}, "\n".join(f"{k}: {v}" for k, v in failures.items())
    assert unfinished == [], f"no seed reached the end within {MAX_STEPS} steps"
    verified(cli, walked)


def test_a_whole_walk_through_the_installed_console_script(database, capsys, tmp_path):
    """One procedure, walked with every command (start, inboxes, claim, complete, fire-timers,
    verify, show) a real `zhidu` process; the walk and the data are the seed's, the clock is
    the machine's (timers are fired relative to the instance's own times)."""
    published = deploy(in_process(capsys))  # set-up, not the walk (a process costs over a second here)
    key = sorted(published.processes)[0]
    instance_id, status = CliWalk(as_subprocess, published, key, 1, 0.0, tmp_path).run()
    assert status in ("completed", "running")
    verified(as_subprocess, [instance_id])


def test_start_takes_files_only_for_its_start_form_and_from_who_may_start_it(database, capsys, tmp_path):
    """`zhidu start --file` (the walker attaches a start form's files with it): a field that
    takes no file, someone who may not start the procedure, or no such procedure is refused
    with the CLI's one JSON error, and neither an instance nor a file is left behind."""
    cli = in_process(capsys)
    published = deploy(cli)
    key, process = next((k, p) for k, p in published.processes.items() if p["start_form"])
    starter = published.holders(set(process["starters"]))[0]
    outsider = next(u["username"] for u in published.users if not set(u["roles"]) & set(process["starters"]))
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4\n% scan\n")
    refusals = [(["start", key, "--as", starter, "--file", f"no_such_field={scan}"], "form_invalid"),
                (["start", key, "--as", outsider, "--file", f"evidence={scan}"], "permission_denied"),
                (["start", "no_such_procedure", "--as", starter, "--file", f"evidence={scan}"], "process_not_found")]
    for args, error in refusals:
        code, document = cli(*args, "--data", "{}")
        assert (code, document["error"]) == (1, error), document
    assert "no_such_field" in json.dumps(cli(*refusals[0][0])[1])
    assert answer(cli, "verify", "--all")["total"] == 0  # no instance
    assert not files_dir().exists() or not any(p.is_file() for p in files_dir().rglob("*"))
