"""The load test (bench/load_test.py): the values its users type are valid for every field of the
procedures they work on, its ledger check catches a lost, doubled or unexplained completion, and
a short run on SQLite passes its own checks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter

import pytest
from werkzeug.datastructures import MultiDict

from bench.load_forms import PROCEDURES, VALUES
from bench.load_report import Ledger, check_completions, check_starts
from engine.definitions.bundles import load_catalog
from engine.definitions.forms import parse_form
from engine.views import FormView
from tests.conftest import FORMS, PROCESSES, ROOT
from webui.views.form_values import read_submission

INTAKE = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "快递三次未送达"}


def forms_of_the_load() -> list:
    """Every start and task form of the procedures the load test's users work on."""
    found = {}
    for bundle in load_catalog(PROCESSES, FORMS, only=set(PROCEDURES)):
        for name, text in bundle.files.items():
            if name.startswith("forms/"):
                found[name] = parse_form(text, name)
    return sorted(found.values(), key=lambda form: form.key)


def field_names(form) -> list[str]:
    """The names the page's controls carry (a table's columns as name[0].column); no attachments."""
    names = []
    for name, prop in form.schema.get("properties", {}).items():
        if prop.get("format") == "attachment":
            continue
        if prop.get("type") == "array" and (prop.get("items") or {}).get("type") == "object":
            names += [f"{name}[0].{column}" for column in prop["items"].get("properties", {})]
        else:
            names.append(name)
    return names


@pytest.mark.parametrize("form", forms_of_the_load(), ids=lambda form: form.key)
def test_every_value_the_users_may_type_is_valid_for_the_form(form):
    names = field_names(form)
    assert names and not [n for n in names if n not in VALUES], "the load test's users cannot fill these fields"
    view = FormView(form.key, form.schema, form.title, form.ui)
    for varied in names:  # each value of each field, the others at their first value
        for value in VALUES[varied]:
            sent = MultiDict({n: (value if n == varied else VALUES[n][0]) for n in names})
            data, _ = read_submission(view, sent)
            assert form.validate(data) == data, (varied, value)


def completed_record_task(zhidu) -> tuple[str, str]:
    instance = zhidu.start("complaint_handling", "cs_staff1", INTAKE)
    task = instance.active_tasks[0]
    zhidu.claim(task.id, "cs_staff1")
    zhidu.complete_task(task.id, "cs_staff1", {"details": "已安抚", "customer_calmed": True})
    return instance.id, task.id


def test_the_ledger_check_holds_only_when_locust_and_the_journal_agree(zhidu, sqlite_url):
    instance_id, task_id = completed_record_task(zhidu)
    agreeing = Ledger(Counter({task_id: 1}), Counter({instance_id: 1}), Counter())
    assert check_completions(sqlite_url, agreeing)[0] and check_starts(sqlite_url, agreeing)[0]
    for completed in (Counter(), Counter({task_id: 2}), Counter({task_id: 1, "made-up-task": 1})):
        ledger = Ledger(completed, Counter({instance_id: 1}), Counter())
        ok, text = check_completions(sqlite_url, ledger)
        assert not ok and "FAILED" in text, completed
    assert not check_starts(sqlite_url, Ledger(Counter({task_id: 1}), Counter(), Counter()))[0]


def test_one_user_for_twelve_actions_on_sqlite_passes_every_check(tmp_path):
    """One user and a set number of actions: the same seeded requests every run, whatever the clock."""
    env = {**os.environ, "ZHIDU_LOAD_WAIT": "0.01,0.02", "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "bench.load_test", "--databases", "sqlite", "--users", "1",
                           "--actions", "12", "--seconds", "600"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    out = done.stdout
    assert done.returncode == 0, out[-3000:] + done.stderr[-3000:]
    assert ", 0 errors" in out and "verify --all: ok" in out
    completions = re.search(r"completions: (\d+) confirmed to Locust, (\d+) in the journal: 0 lost, 0 doubled, "
                            r"0 in the journal but not confirmed, 0 task rows not completed", out)
    starts = re.search(r"starts: (\d+) started by Locust, (\d+) instances in the database", out)
    assert completions and starts, out
    assert int(completions[1]) == int(completions[2]) > 0 and int(starts[1]) == int(starts[2]) > 0
