"""How the load test's users read a task page that is no longer theirs (bench/load_locustfile.py):
a 403 or a "done already" once the task has left their inbox is a conflict, counted in the
ledger; a 403 on a task still in their inbox stays an error.

Locust patches the standard library with gevent when it is imported, so the users run in a
child process here, against a scripted client (no server)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

TASK = "0b6c1f9e-3f4a-4d2e-9a57-1c2d3e4f5a6b"
INBOX_WITH = f'<a href="/tasks/{TASK}">处理</a>'
DONE = "This task has already been completed or cancelled."

SCRIPT = r"""
import json, sys
import bench.load_locustfile as users

class Response:
    def __init__(self, status, text="", location=""):
        self.status_code, self.text, self.headers, self.outcome = status, text, {"Location": location}, None
    def success(self): self.outcome = "success"
    def failure(self, message): self.outcome = "failure: " + message
    def __enter__(self): return self
    def __exit__(self, *exc):
        if self.outcome is None: self.outcome = "failure" if self.status_code >= 400 else "success"
        outcomes.append((self.name, self.outcome))

class Client:
    def __init__(self, script): self.script = script
    def get(self, path, name, catch_response=True, allow_redirects=True):
        response = Response(*self.script[path].pop(0)); response.name = name; return response

outcomes = []
case = json.loads(sys.argv[1])
users.LEDGER = case["ledger"]
user = users.Employee.__new__(users.Employee)
user.client = Client({path: [tuple(r) for r in responses] for path, responses in case["script"].items()})
page = user.task_page(case["task"])
print(json.dumps({"page": page, "outcomes": outcomes}))
"""


def run(tmp_path, script: dict) -> tuple[dict, list[str]]:
    ledger = tmp_path / "ledger.tsv"
    case = {"task": TASK, "ledger": str(ledger), "script": script}
    done = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(case)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1]), ledger.read_text().splitlines() if ledger.exists() else []


@pytest.mark.parametrize("answer", [[403, "forbidden"], [302, "", "/"]], ids=["403", "sent back: done"])
def test_a_task_finished_by_someone_else_is_a_conflict(tmp_path, answer):
    result, ledger = run(tmp_path, {f"/tasks/{TASK}": [answer], "/": [[200, f"<p>{DONE}</p>"]]})
    assert result["page"] == ""
    assert ("task page", "success") in [tuple(o) for o in result["outcomes"]]
    assert ledger == [f"conflict\ttask page\t{TASK}"]


def test_a_403_on_a_task_still_in_the_inbox_is_an_error(tmp_path):
    result, ledger = run(tmp_path, {f"/tasks/{TASK}": [[403, "forbidden"]], "/": [[200, INBOX_WITH]]})
    assert ("task page", "failure: task page: 403") in [tuple(o) for o in result["outcomes"]]
    assert ledger == []


def test_an_open_task_page_is_read(tmp_path):
    result, ledger = run(tmp_path, {f"/tasks/{TASK}": [[200, '<form id="task-form"></form>']]})
    assert result["page"] == '<form id="task-form"></form>' and ledger == []
