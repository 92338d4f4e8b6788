"""Every procedure in the catalog walked along random paths through the `zhidu` command line
(issue 16), by a walker that knows no procedure (tests/cli/walker.py): it reads the catalog,
the people, inboxes and form schemas from the CLI's own `--json` output.

In-process walks call the console script's `main` (a process costs over a second a command
here), on a system clock held at 20:00 and then at 03:00 UTC and moved only when timers are
fired; one whole walk goes through a real `.venv/bin/zhidu` process to prove the installed
console script. Every procedure must reach its end on some seed (one that loops may still be
running after MAX_STEPS), no walk may fail, and `zhidu verify --all` must find every journal
sound.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

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
# next day at the first), so day boundaries in dates and timers fall differently. Every procedure
# is walked once at each hour with its own seed: optional fields left empty at the first, filled
# at random at the second. Fired timers move the clock by whole days, so the hour stays.
HOURS = {20: (1, 0.0), 3: (2, 0.5)}    # UTC hour -> (seed, how often optional fields are filled)
FIRST_DAY = datetime(2026, 11, 30, tzinfo=timezone.utc)
RETRIES = 4   # more seeds for a procedure that neither walk took to its end within MAX_STEPS
ZHIDU = ROOT / ".venv" / "bin" / "zhidu"


class HeldClock:
    """The system clock as the CLI's commands see it: still, until the walker fires timers."""

    def __init__(self, now: datetime):
        self.now = now

    def move_to(self, moment: datetime) -> None:
        self.now = max(self.now, moment)

    def move_to_hour(self, hour: int) -> None:
        """On to the next time it is `hour`:00 UTC."""
        moment = self.now.replace(hour=hour, minute=0, second=0, microsecond=0)
        self.now = moment if moment > self.now else moment + timedelta(days=1)


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
    """`zhidu verify --all` finds every journal sound: the walked instances' (each walk checked
    at every step that its instance had not failed) and those schedules started meanwhile."""
    code, result = cli("verify", "--all")
    unsound = [v for v in result["verdicts"] if v["verdict"] != "ok"]
    assert code == 0 and unsound == [] and result["ok"] == result["total"], unsound[:2]
    assert set(walked) <= {v["instance_id"] for v in result["verdicts"]}


@pytest.fixture
def held_clock(monkeypatch) -> HeldClock:
    clock = HeldClock(FIRST_DAY)
    monkeypatch.setattr(wiring, "SystemClock", lambda zone=None: FixedClock(clock.now, zone))
    return clock


@dataclass
class Walks:
    """The walks of one test: each instance walked, how each ended, and each failure."""

    cli: Any
    published: Published
    clock: HeldClock
    folder: Path
    instances: list[str] = field(default_factory=list)
    ended: dict[str, list[str]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)

    def walk(self, key: str, seed: int, optional_rate: float) -> str:
        """Walk `key` once; its final status, or "failed" (kept in `failures`)."""
        walk = CliWalk(self.cli, self.published, key, seed, optional_rate, self.folder, on_clock=self.clock.move_to)
        try:
            instance_id, status = walk.run()
        except WalkFailed as err:
            self.failures[f"{key} (seed {seed}, {self.clock.now:%H:%M}Z)"] = str(err)
            status = "failed"
        else:
            self.instances.append(instance_id)
        self.ended.setdefault(key, []).append(status)
        return status

    def unfinished(self) -> list[str]:
        """Procedures that no walk took to their end (a failed one is reported as such)."""
        return [k for k, ends in self.ended.items() if "completed" not in ends and "failed" not in ends]


def test_every_procedure_walks_to_its_end_through_the_cli(database, held_clock, built_once, capsys, tmp_path):
    """Each procedure the CLI lists, at 20:00 then at 03:00 UTC, with more seeds for those that
    loop; no walk refused or failed, each procedure ended at least once, every journal sound."""
    cli = in_process(capsys)
    published = deploy(cli)
    walks = Walks(cli, published, held_clock, tmp_path)
    for hour, (seed, optional_rate) in HOURS.items():
        held_clock.move_to_hour(hour)
        for key in published.processes:
            walks.walk(key, seed, optional_rate)
    for key in walks.unfinished():
        for retry in range(1, RETRIES + 1):
            if walks.walk(key, 10 * retry, 0.5) == "completed":
                break
    assert walks.failures == {}, "\n".join(f"{k}: {v}" for k, v in walks.failures.items())
    assert walks.unfinished() == [], f"no seed reached the end within {MAX_STEPS} steps"
    verified(cli, walks.instances)


SUBPROCESS_KEY = "suggestion_box"  # no timer, no time in its scripts: the same walk at any hour


def test_a_whole_walk_through_the_installed_console_script(database, capsys, tmp_path):
    """One procedure, walked with every command (start, inboxes, claim, complete, fire-timers,
    verify, show) a real `zhidu` process; the walk and the data are the seed's, the clock is
    the machine's: so the procedure walked is one whose path no clock can change (no timer event,
    no script reading the time); the in-process walk above takes every procedure at fixed hours."""
    published = deploy(in_process(capsys))  # set-up, not the walk (a process costs over a second here)
    key = SUBPROCESS_KEY
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
