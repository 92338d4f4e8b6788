"""`zhidu fire-timers --now` and `zhidu retry` from the command line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from engine.definitions.organisation import parse_organisation
from tests.conftest import ROOT
from tests.webui.support import cheap_hash
from cli.main import main
from bootstrap import wiring
from bootstrap.wiring import DEMO_PASSWORD, initialise
from engine.clock import FixedClock

TIMER_FIXTURES = str(ROOT / "tests" / "fixtures" / "timers")


# The CLI's commands read the system clock; here it stands still at an evening and an early-morning
# hour (UTC; Asia/Shanghai is the next day for the first), so no test depends on when it runs.
MOMENTS = [datetime(2026, 11, 30, 20, 0, tzinfo=timezone.utc), datetime(2026, 12, 1, 3, 0, tzinfo=timezone.utc)]


@pytest.fixture(params=MOMENTS, ids=["20:00Z", "03:00Z"])
def cli(request, tmp_path, monkeypatch, capsys):
    """`zhidu ARGS` in-process against a fresh database with the timer fixtures deployed, on a
    system clock held at `request.param`; `cli.at(delta)` is that moment plus `delta`, as --now."""
    now = request.param
    monkeypatch.setattr(wiring, "SystemClock", lambda zone=None: FixedClock(now, zone))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("ZHIDU_DATABASE_URL", url)
    monkeypatch.setenv("ZHIDU_HOME", str(ROOT))

    def run(*args: str, as_json: bool = True):
        code = main([*args, *(["--json"] if as_json else [])])
        captured = capsys.readouterr()
        if not as_json:
            return code, captured.out, captured.err
        return code, json.loads(captured.out) if captured.out.strip() else None

    services = initialise(url)  # the demo users, hashed cheaply: `init --demo` spends seconds on scrypt
    file = ROOT / "processes" / "organisation.yaml"
    services.engine.load_organisation(parse_organisation(file.read_text(encoding="utf-8"), str(file),
                                                         hash_password=cheap_hash, default_password=DEMO_PASSWORD))
    services.db.dispose()
    code, deployed = run("deploy", TIMER_FIXTURES, "--as", "owner")
    assert code == 0, deployed
    run.at = lambda delta: (now + delta).isoformat()
    return run


def test_fire_timers_prints_what_it_fired_as_one_json_document(cli):
    code, instance = cli("start", "timer_boundary", "--as", "cs_staff1")
    assert code == 0 and instance["status"] == "running"
    code, early = cli("fire-timers", "--now", cli.at(timedelta(minutes=30)))
    assert code == 0 and early["fired"] == [] and early["started"] == []

    code, done = cli("fire-timers", "--now", cli.at(timedelta(hours=1, minutes=1)))
    assert code == 0
    assert done["fired"] == [{"instance_id": instance["id"], "process_key": "timer_boundary",
                              "elements": ["AnswerLate"], "status": "running"}]
    assert datetime.fromisoformat(done["now"]).tzinfo is not None
    code, shown = cli("show", instance["id"])
    assert [t["name"] for t in shown["active_tasks"]] == ["Escalate"]
    code, again = cli("fire-timers", "--now", cli.at(timedelta(hours=2)))
    assert again["fired"] == []


def test_fire_timers_starts_scheduled_procedures_once_per_due_time(cli):
    code, result = cli("fire-timers", "--now", cli.at(timedelta(days=3, minutes=1)))
    assert code == 0 and len(result["started"]) == len(set(result["started"])) == 3
    code, again = cli("fire-timers", "--now", cli.at(timedelta(days=3, minutes=1)))
    assert again["started"] == []


def test_fire_timers_without_json_prints_lines(cli):
    code, out, err = cli("fire-timers", "--now", cli.at(timedelta(hours=1)), as_json=False)
    assert code == 0 and out.strip() and err == ""


@pytest.mark.parametrize("bad", ["tomorrow", "2026-13-01T09:00:00", ""])
def test_bad_now_is_one_line_and_exit_1(cli, bad):
    code, out, err = cli("fire-timers", "--now", bad, as_json=False)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and "--now" in err
    code, document = cli("fire-timers", "--now", bad)
    assert code == 1 and document["error"] == "invalid_input" and "--now" in document["message"]


def test_retry_from_the_command_line(cli):
    code, instance = cli("start", "timer_broken", "--as", "cs_staff1")
    code, result = cli("fire-timers", "--now", cli.at(timedelta(hours=1, minutes=1)))
    assert result["fired"][0]["status"] == "failed"
    code, refused = cli("retry", instance["id"], "--as", "cs_staff1", "--data", '{"undefined_variable": "PT1H"}')
    assert code == 1 and refused["error"] == "permission_denied"
    code, retried = cli("retry", instance["id"], "--as", "admin", "--data", '{"undefined_variable": "PT1H"}')
    assert code == 0 and retried["status"] == "running" and retried["incident"] is None
