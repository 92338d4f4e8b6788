"""Separate `zhidu` processes, as a person runs them: `zhidu tasks` imports no engine runtime,
a version compiled by one process is read by the next, and a corrupt entry is compiled again."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import ROOT

INTAKE = json.dumps({"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "service",
                     "severity": "high", "description": "服务态度差"}, ensure_ascii=False)
HEAVY = ("SpiffWorkflow", "RestrictedPython", "jsonschema", "alembic", "flask", "werkzeug", "engine.runtime",
         "engine.spiff.specs")
# Runs the CLI in a new interpreter; PRELUDE lines run first (e.g. to make compiling fail).
RUNNER = """
import json, sys
{prelude}
from cli.main import main
code = main(json.loads(sys.argv[1]))
print(json.dumps({{"code": code, "loaded": [m for m in {heavy!r} if m in sys.modules]}}), file=sys.stderr)
"""
NO_COMPILE = """
import engine.spiff.specs as specs
def refuse(bundle):
    raise SystemExit("compiled in this process: " + bundle.key)
specs.compile_bundle = refuse
"""
COUNT_COMPILES = """
import atexit, engine.spiff.specs as specs
compiled, original = [], specs.compile_bundle
specs.compile_bundle = lambda bundle: compiled.append(bundle.key) or original(bundle)
atexit.register(lambda: print("compiled:" + ",".join(compiled), file=sys.stderr))
"""


def zhidu(folder, *args: str, prelude: str = "") -> tuple[dict, str, str]:
    """`zhidu ARGS` in a new process in `folder`: (its report, stdout, stderr)."""
    env = {**os.environ, "ZHIDU_DATABASE_URL": f"sqlite:///{folder / 'zhidu.db'}", "ZHIDU_HOME": str(ROOT)}
    env.pop("ZHIDU_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", RUNNER.format(prelude=prelude, heavy=HEAVY), json.dumps(args)],
                          cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    report = next((json.loads(line) for line in done.stderr.splitlines() if line.startswith('{"code"')), None)
    assert report is not None, done.stderr[-2000:]
    return report, done.stdout, done.stderr


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A database with the demo organisation and one complaint, started by its own process."""
    found = tmp_path_factory.mktemp("processes")
    assert zhidu(found, "init", "--demo", "--json")[0]["code"] == 0
    report, out, _ = zhidu(found, "start", "complaint_handling", "--as", "cs_staff1", "--data", INTAKE, "--json")
    assert report["code"] == 0
    (found / "instance").write_text(json.loads(out)["id"])
    return found


def test_listing_tasks_imports_no_engine_runtime(folder):
    report, out, _ = zhidu(folder, "tasks", "--as", "cs_staff1", "--json")
    assert report == {"code": 0, "loaded": []}
    [task] = json.loads(out)
    assert task["name"] == "Task_Record" and task["form"]["key"] == "complaint_record"


def test_a_version_compiled_by_one_process_is_read_by_the_next(folder):
    instance = (folder / "instance").read_text()
    report, out, err = zhidu(folder, "show", instance, "--json", prelude=NO_COMPILE)
    assert report["code"] == 0, err[-2000:]
    assert json.loads(out)["active_tasks"][0]["form"]["key"] == "complaint_record"


def test_a_corrupt_entry_is_compiled_again_and_rewritten(folder):
    instance = (folder / "instance").read_text()
    digest = json.loads(zhidu(folder, "show", instance, "--json")[1])["version_hash"]
    [entry] = list((folder / "compiled").glob(f"{digest}-*"))
    data = entry.read_bytes()
    entry.write_bytes(data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:])
    report, out, err = zhidu(folder, "show", instance, "--json", prelude=COUNT_COMPILES)
    assert report["code"] == 0 and "compiled:complaint_handling\n" in err
    assert entry.read_bytes() != data[:-100] + bytes([data[-100] ^ 0xFF]) + data[-99:]
    assert zhidu(folder, "show", instance, "--json", prelude=NO_COMPILE)[0]["code"] == 0
    entry.write_bytes(b"garbage")
    report, out, _ = zhidu(folder, "tasks", "--as", "cs_staff1", "--json")  # the facade answers, and compiles
    assert report["code"] == 0 and json.loads(out)[0]["form"]["key"] == "complaint_record"
    assert entry.read_bytes().startswith(b"zhidu-compiled-version")
