"""The `zhidu` command line: a complaint driven end to end, and every kind of bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from cli.main import main

INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "服务态度差"}


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """Run `zhidu ARGS --json` in-process against a fresh database; returns (exit code, JSON)."""
    monkeypatch.setenv("ZHIDU_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("ZHIDU_HOME", str(ROOT))

    def run(*args: str, as_json: bool = True):
        code = main([*args, *(["--json"] if as_json else [])])
        captured = capsys.readouterr()
        if not as_json:
            return code, captured.out, captured.err
        return code, json.loads(captured.out) if captured.out.strip() else None

    code, _ = run("init", "--demo")
    assert code == 0
    return run


def start(cli) -> str:
    code, instance = cli("start", "complaint_handling", "--as", "cs_staff1", "--data", json.dumps(INTAKE))
    assert code == 0, instance
    return instance["id"]


def task_of(cli, user: str, element: str) -> dict:
    code, tasks = cli("tasks", "--as", user)
    assert code == 0
    return next(t for t in tasks if t["name"] == element)


def test_catalog_and_users(cli):
    code, processes = cli("processes")
    [complaint] = [p for p in processes if p["key"] == "complaint_handling"]
    assert complaint["version"] == 1 and "customer-service-staff" in complaint["starters"]
    assert complaint["start_form"]["schema"]["required"]
    code, users = cli("users")
    by_name = {u["username"]: u for u in users}
    assert by_name["cs_manager"]["roles"] == ["customer-service-manager"]
    assert by_name["director"]["department"] is None


def test_complaint_end_to_end_through_the_cli(cli):
    instance_id = start(cli)
    steps = [
        ("cs_staff1", "Task_Record", {"details": "d", "customer_calmed": True}),
        ("cs_staff2", "Task_Verify", {"findings": "属实", "founded": True}),
        ("cs_manager", "Task_Decide", {"responsible_department": "project-management", "remedy": "r",
                                       "resolve_by": "2026-12-01"}),
        ("pm_staff1", "Task_Handle", {"actions_taken": "a", "handled_on": "2026-11-30"}),
        ("cs_staff1", "Task_Track", {"resolved": True, "progress_note": "ok"}),
        ("cs_staff1", "Task_Feedback", {"feedback": "f", "feedback_channel": "email", "customer_satisfied": True,
                                        "satisfaction": 5}),
        ("cs_manager", "Task_Review", {"root_cause": "c", "improvement_measures": [
            {"measure": "m", "owner_department": "customer-service", "due_date": "2026-12-31"}]}),
    ]
    for user, element, data in steps:
        task = task_of(cli, user, element)
        assert set(task) >= {"id", "instance_id", "process_key", "name", "title", "candidates", "claimed_by",
                             "due_at", "form"}
        assert task["form"]["schema"]["type"] == "object"
        assert cli("claim", task["id"], "--as", user)[1]["claimed_by"] == user
        code, shown = cli("complete", task["id"], "--as", user, "--data", json.dumps(data))
        assert code == 0, shown
    code, shown = cli("show", instance_id)
    assert shown["status"] == "completed" and shown["active_tasks"] == []
    code, history = cli("history", instance_id)
    assert history[0]["kind"] == "started" and history[-1]["kind"] == "instance_completed"
    assert all(len(e["hash"]) == 64 for e in history)


def test_release_gives_the_task_back(cli):
    start(cli)
    task = task_of(cli, "cs_staff1", "Task_Record")
    cli("claim", task["id"], "--as", "cs_staff1")
    assert [t["id"] for t in cli("tasks", "--as", "cs_staff2")[1]] == []
    assert cli("release", task["id"], "--as", "cs_staff1")[1]["claimed_by"] is None
    assert [t["id"] for t in cli("tasks", "--as", "cs_staff2")[1]] == [task["id"]]


@pytest.mark.parametrize("args, error, fragment", [
    (("tasks", "--as", "ghost"), "user_not_found", "ghost"),
    (("claim", "no-such-task", "--as", "cs_staff1"), "task_not_found", "no-such-task"),
    (("show", "no-such-instance"), "instance_not_found", "no-such-instance"),
    (("start", "complaint_handling", "--as", "cs_staff1", "--data", "{not json"), "invalid_input", "not valid JSON"),
    (("start", "complaint_handling", "--as", "cs_staff1", "--data", "[1, 2]"), "invalid_input", "JSON object"),
    (("start", "nope", "--as", "cs_staff1", "--data", "{}"), "process_not_found", "nope"),
    (("start", "complaint_handling", "--as", "da_staff1", "--data", json.dumps(INTAKE)), "permission_denied",
     "da_staff1"),
])
def test_bad_input_gets_a_clear_error_and_writes_nothing(cli, args, error, fragment):
    code, document = cli(*args)
    assert code == 1
    assert document["error"] == error and fragment in document["message"]
    code, text_out, text_err = cli(*args, as_json=False)
    assert code == 1 and text_out == "" and text_err.startswith("error: ") and text_err.count("\n") == 1
    assert "Traceback" not in text_err


def test_task_claimed_by_someone_else(cli):
    start(cli)
    task = task_of(cli, "cs_staff1", "Task_Record")
    cli("claim", task["id"], "--as", "cs_staff1")
    code, document = cli("complete", task["id"], "--as", "cs_staff2", "--data",
                         json.dumps({"details": "d", "customer_calmed": True}))
    assert code == 1 and document["error"] == "task_already_claimed" and "cs_staff1" in document["message"]
    code, document = cli("claim", task["id"], "--as", "cs_staff2")
    assert code == 1 and document["error"] == "task_already_claimed"


def test_data_failing_the_schema_lists_every_field(cli):
    instance_id = start(cli)
    task = task_of(cli, "cs_staff1", "Task_Record")
    before = cli("history", instance_id)[1]
    code, document = cli("complete", task["id"], "--as", "cs_staff1", "--data",
                         json.dumps({"customer_calmed": "maybe", "colour": "red"}))
    assert code == 1 and document["error"] == "form_invalid"
    assert {f["field"] for f in document["fields"]} == {"details", "customer_calmed", "colour"}
    assert cli("history", instance_id)[1] == before
    assert task_of(cli, "cs_staff1", "Task_Record")["claimed_by"] is None


def test_invalid_bpmn_names_file_element_and_reason(cli, tmp_path):
    bad = tmp_path / "broken.bpmn"
    text = (ROOT / "tests" / "fixtures" / "loop.bpmn").read_text(encoding="utf-8")
    bad.write_text(text.replace("count = count + 1", "import os"), encoding="utf-8")
    (tmp_path / "forms").mkdir()
    (tmp_path / "forms" / "loop_step.yaml").write_text(
        (ROOT / "tests" / "fixtures" / "loop_step.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, document = cli("deploy", str(bad))
    assert code == 1 and document["error"] == "definition_invalid"
    [problem] = document["problems"]
    assert problem["file"] == "broken.bpmn" and problem["element"] == "Count" and "import" in problem["reason"]
    unparsable = tmp_path / "unparsable.bpmn"
    unparsable.write_text("<bpmn:definitions", encoding="utf-8")
    code, document = cli("deploy", str(unparsable))
    assert code == 1 and document["problems"][0]["line"] == 1
    assert [p["key"] for p in cli("processes")[1]] == ["complaint_handling"] or \
        "loop" not in [p["key"] for p in cli("processes")[1]]


def test_commands_before_init_say_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZHIDU_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    assert main(["processes"]) == 1
    assert "zhidu init" in capsys.readouterr().err


def test_the_console_script_never_prints_a_traceback(tmp_path):
    env = {"ZHIDU_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "cli", "show", "abc"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr and result.stderr.startswith("error:")
