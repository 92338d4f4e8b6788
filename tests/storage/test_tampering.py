"""Tests that try to cheat: a complaint is driven some way, then its rows are edited with SQL
behind the engine's back, and `verify` must say precisely what was done and where. Untouched
instances verify ok on every path; bundles verify with no database; the CLI agrees.
Run on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, update

from engine.commands.evidence import verify_bundle
from engine.runtime import Engine
from storage.models import InstanceRow, JournalRow, ProcessVersionRow, TaskRow
from tests.conftest import ROOT, make_zhidu, open_db
from bootstrap import wiring
from cli import commands as cli_commands, main as cli_module

from tests.processes.test_complaint_handling import DECIDE, FEEDBACK, HANDLE, INTAKE, RECORD, REVIEW

class Complaint:
    """One complaint instance and the SQL database under it."""

    def __init__(self, zhidu: Engine, url: str):
        self.zhidu, self.db = zhidu, open_db(url)
        self.id = zhidu.start("complaint_handling", "cs_staff1", INTAKE).id

    def task(self, element: str):
        return next(t for t in self.zhidu.show(self.id).active_tasks if t.name == element)

    def complete(self, element: str, user: str, data: dict) -> None:
        task = self.task(element)
        self.zhidu.claim(task.id, user)
        self.zhidu.complete_task(task.id, user, data)

    def entries(self) -> list:
        return self.zhidu.history(self.id)

    def seq_of(self, kind: str, element: str) -> int:
        return next(e.seq for e in self.entries() if e.kind == kind and e.payload.get("element") == element)

    def sql(self, statement) -> None:
        with self.db.begin() as connection:
            connection.execute(statement)


def verdict(c: Complaint):
    return c.zhidu.verify(c.id)


def handled(zhidu: Engine, url: str) -> Complaint:
    """Recorded, verified as founded, decided and handled; tracking is open."""
    c = Complaint(zhidu, url)
    c.complete("Task_Record", "cs_staff1", RECORD)
    c.complete("Task_Verify", "cs_staff2", {"findings": "属实", "founded": True})
    c.complete("Task_Decide", "cs_manager", DECIDE)
    c.complete("Task_Handle", "da_staff1", HANDLE)
    return c


@pytest.fixture
def complaint(db_url, clock) -> Complaint:
    c = handled(make_zhidu(db_url, clock), db_url)
    assert verdict(c).status == "ok"
    return c


def journal_row(c: Complaint, seq: int):
    return JournalRow.instance_id == c.id, JournalRow.seq == seq


def read(c: Complaint, column, *where):
    with c.db.connect() as connection:
        return connection.execute(select(column).where(*where)).scalar_one()


# -- the journal ------------------------------------------------------------------------------

def test_an_edited_payload_is_tampered_at_that_entry(complaint):
    seq = complaint.seq_of("completed", "Task_Decide")
    payload = read(complaint, JournalRow.payload, *journal_row(complaint, seq))
    payload["data"]["remedy"] = "不予处理"
    complaint.sql(update(JournalRow).where(*journal_row(complaint, seq)).values(payload=payload))
    found = verdict(complaint)
    assert (found.status, found.entry) == ("tampered", seq)


def test_an_edited_actor_is_tampered_at_that_entry(complaint):
    seq = complaint.seq_of("completed", "Task_Verify")
    complaint.sql(update(JournalRow).where(*journal_row(complaint, seq)).values(actor="cs_manager"))
    assert (verdict(complaint).status, verdict(complaint).entry) == ("tampered", seq)


def test_an_entry_deleted_in_the_middle_is_tampered_where_it_is_missing(complaint):
    seq = complaint.seq_of("task_left", "Task_Verify")
    complaint.sql(delete(JournalRow).where(*journal_row(complaint, seq)))
    found = verdict(complaint)
    assert (found.status, found.entry) == ("tampered", seq)
    assert "missing" in found.reason


def test_entries_deleted_from_the_end_are_tampered_at_the_journal_head(complaint):
    last = complaint.entries()[-1].seq
    complaint.sql(delete(JournalRow).where(JournalRow.instance_id == complaint.id, JournalRow.seq > last - 3))
    found = verdict(complaint)
    assert (found.status, found.field, found.entry) == ("tampered", "journal_head", last - 2)
    assert (found.recorded, found.replayed) == (last, last - 3)


def test_the_whole_journal_deleted_is_tampered(complaint):
    complaint.sql(delete(JournalRow).where(JournalRow.instance_id == complaint.id))
    found = verdict(complaint)
    assert (found.status, found.field, found.entry) == ("tampered", "journal_head", 1)


def test_two_entries_swapped_are_tampered_at_the_first_of_them(complaint):
    first, second = complaint.seq_of("completed", "Task_Record"), complaint.seq_of("completed", "Task_Verify")
    complaint.sql(update(JournalRow).where(*journal_row(complaint, first)).values(seq=-1))
    complaint.sql(update(JournalRow).where(*journal_row(complaint, second)).values(seq=first))
    complaint.sql(update(JournalRow).where(*journal_row(complaint, -1)).values(seq=second))
    found = verdict(complaint)
    assert (found.status, found.entry) == ("tampered", first)


def test_swapped_and_rechained_entries_no_longer_replay(complaint):
    """A forger who recomputes every hash after swapping two commands is caught by replay."""
    from engine.audit.journal import GENESIS, JournalEntry, compute_hash

    entries = complaint.entries()
    record, verify_ = complaint.seq_of("completed", "Task_Record"), complaint.seq_of("completed", "Task_Verify")
    by_seq = {e.seq: e for e in entries}
    order = [by_seq[verify_ if e.seq == record else record if e.seq == verify_ else e.seq] for e in entries]
    previous = GENESIS
    with complaint.db.begin() as connection:
        connection.execute(delete(JournalRow).where(JournalRow.instance_id == complaint.id))
        for seq, entry in enumerate(order, start=1):
            draft = JournalEntry(entry.instance_id, seq, entry.kind, entry.actor, entry.at, entry.payload, previous)
            previous = compute_hash(draft)
            connection.execute(JournalRow.__table__.insert().values(
                instance_id=entry.instance_id, seq=seq, kind=entry.kind, actor=entry.actor, at=entry.at,
                payload=entry.payload, prev_hash=draft.prev_hash, entry_hash=previous))
        connection.execute(update(InstanceRow).where(InstanceRow.id == complaint.id).values(journal_hash=previous))
    found = verdict(complaint)
    assert (found.status, found.entry) == ("diverged", record)
    assert found.field == "task_id"


# -- the stored rows --------------------------------------------------------------------------

def test_edited_task_data_in_the_stored_state_diverges_naming_the_element(complaint):
    state = read(complaint, InstanceRow.state, InstanceRow.id == complaint.id)
    tampered = copy.deepcopy(state)
    task = next(t for t in tampered["tasks"].values() if t["task_spec"] == "Task_Handle")
    task["data"]["actions_taken"] = "未处理"
    complaint.sql(update(InstanceRow).where(InstanceRow.id == complaint.id).values(state=tampered))
    found = verdict(complaint)
    assert (found.status, found.element) == ("diverged", "Task_Handle")
    assert found.field == "state.data.actions_taken"
    assert (found.recorded, found.replayed) == ("未处理", "已退款")


def test_edited_instance_data_diverges_naming_the_key(complaint):
    data = read(complaint, InstanceRow.data, InstanceRow.id == complaint.id)
    complaint.sql(update(InstanceRow).where(InstanceRow.id == complaint.id).values(data={**data, "remedy": "无"}))
    found = verdict(complaint)
    assert (found.status, found.field, found.recorded, found.replayed) == (
        "diverged", "data.remedy", "无", DECIDE["remedy"])


def test_an_edited_form_value_in_a_task_row_diverges_naming_the_task(complaint):
    task_id = next(e.payload["task_id"] for e in complaint.entries()
                   if e.kind == "completed" and e.payload.get("element") == "Task_Decide")
    submitted = read(complaint, TaskRow.submitted, TaskRow.id == task_id)
    complaint.sql(update(TaskRow).where(TaskRow.id == task_id).values(submitted={**submitted, "remedy": "无"}))
    found = verdict(complaint)
    assert (found.status, found.element, found.field) == ("diverged", "Task_Decide", "submitted.remedy")
    assert (found.recorded, found.replayed) == ("无", DECIDE["remedy"])


def test_a_task_row_completed_by_someone_else_diverges(complaint):
    task_id = next(e.payload["task_id"] for e in complaint.entries()
                   if e.kind == "completed" and e.payload.get("element") == "Task_Handle")
    complaint.sql(update(TaskRow).where(TaskRow.id == task_id).values(completed_by="director"))
    found = verdict(complaint)
    assert (found.status, found.element, found.field, found.recorded) == (
        "diverged", "Task_Handle", "completed_by", "director")


def test_edited_version_files_are_tampered(complaint):
    files = read(complaint, ProcessVersionRow.files, ProcessVersionRow.key == "complaint_handling")
    bpmn = next(name for name in files if name.endswith(".bpmn"))
    files = {**files, bpmn: files[bpmn].replace("PT24H", "PT240H")}
    complaint.sql(update(ProcessVersionRow).where(ProcessVersionRow.key == "complaint_handling").values(files=files))
    found = Engine(complaint.zhidu.uow_factory, complaint.zhidu.clock).verify(complaint.id)
    assert (found.status, found.field) == ("tampered", "version")


# -- untouched instances ----------------------------------------------------------------------

def drive(path: str, zhidu: Engine, url: str, clock) -> Complaint:
    if path == "escalated":
        c = Complaint(zhidu, url)
        clock.advance(timedelta(hours=25))
        assert [f.instance_id for f in zhidu.fire_due_timers()] == [c.id]
        c.complete("Task_Escalate", "cs_manager", {"action_taken": "致电客户", "notify_director": False})
        c.complete("Task_Record", "cs_staff1", RECORD)
        c.complete("Task_Verify", "cs_staff1", {"findings": "不属实", "founded": False})
    elif path == "unfounded":
        c = Complaint(zhidu, url)
        c.complete("Task_Record", "cs_staff1", RECORD)
        c.complete("Task_Verify", "cs_staff2", {"findings": "扣费正常", "founded": False})
    else:
        c = handled(zhidu, url)
        for attempt in range(2 if path == "looped" else 0):
            c.complete("Task_Track", "cs_staff1", {"resolved": False, "progress_note": f"第{attempt}次未解决"})
            c.complete("Task_Handle", "da_staff2", {**HANDLE, "actions_taken": f"第{attempt + 2}次"})
        c.complete("Task_Track", "cs_staff2", {"resolved": True, "progress_note": "客户确认到账"})
    c.complete("Task_Feedback", "cs_staff1", FEEDBACK)
    c.complete("Task_Review", "cs_manager", REVIEW)
    return c


@pytest.mark.parametrize("path", ["unfounded", "handled", "looped", "escalated"])
def test_every_path_of_an_untouched_complaint_verifies(path, db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    c = drive(path, zhidu, db_url, clock)
    assert zhidu.show(c.id).status == "completed"
    found = verdict(c)
    assert (found.status, found.entry) == ("ok", c.entries()[-1].seq), found
    steps = zhidu.step_through(c.id)
    assert steps[0]["kind"] == "started" and steps[-1]["active"] == []


def test_claims_releases_and_reassignments_verify(db_url, clock):
    zhidu = make_zhidu(db_url, clock)
    c = Complaint(zhidu, db_url)
    task = c.task("Task_Record")
    zhidu.claim(task.id, "cs_staff1")
    zhidu.release(task.id, "cs_staff1")
    zhidu.claim(task.id, "cs_staff2")
    zhidu.reassign(task.id, "cs_manager", "cs_staff1")
    assert verdict(c).status == "ok"
    zhidu.complete_task(task.id, "cs_staff1", RECORD)
    assert verdict(c).status == "ok"
    c.sql(update(TaskRow).where(TaskRow.id == task.id).values(claimed_by="cs_staff2"))
    found = verdict(c)
    assert (found.status, found.element, found.field) == ("diverged", "Task_Record", "claimed_by")


# -- bundles and the command line -------------------------------------------------------------

def test_an_exported_bundle_verifies_without_a_database_and_edits_are_caught(complaint):
    bundle = json.loads(json.dumps(complaint.zhidu.export([complaint.id])))
    assert [v.status for v in verify_bundle(bundle)] == ["ok"]

    edited = copy.deepcopy(bundle)
    entry = next(e for e in edited["instances"][0]["journal"] if e["kind"] == "completed")
    entry["payload"]["data"]["details" if "details" in entry["payload"]["data"] else "findings"] = "改过"
    [found] = verify_bundle(edited)
    assert (found.status, found.entry) == ("tampered", entry["seq"])

    edited = copy.deepcopy(bundle)
    [version] = edited["versions"].values()
    name = next(n for n in version["files"] if n.endswith(".bpmn"))
    version["files"][name] = version["files"][name].replace("PT24H", "PT240H")
    [found] = verify_bundle(edited)
    assert (found.status, found.field) == ("tampered", "version")


@pytest.fixture
def cli(db_url, complaint, monkeypatch, capsys):
    """`zhidu ARGS --json` in-process over the complaint's database: (exit code, JSON)."""
    monkeypatch.setenv("ZHIDU_DATABASE_URL", db_url)
    monkeypatch.setenv("ZHIDU_HOME", str(ROOT))
    built = []

    def build_and_keep(*args, **kwargs):  # so each command's connection pool is closed afterwards
        built.append(wiring.build(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(cli_commands, "build", build_and_keep)

    def run(*args: str):
        code = cli_module.main([*args, "--json"])
        return code, json.loads(capsys.readouterr().out)
    yield run
    for services in built:
        services.db.dispose()


def test_cli_verify_all_exits_1_and_lists_the_tampered_instance(cli, complaint, db_url):
    other = Complaint(complaint.zhidu, db_url)
    code, result = cli("verify", "--all")
    assert code == 0 and (result["ok"], result["total"]) == (2, 2)
    seq = complaint.seq_of("completed", "Task_Handle")
    complaint.sql(update(JournalRow).where(*journal_row(complaint, seq)).values(actor="director"))
    code, result = cli("verify", "--all")
    assert code == 1 and (result["ok"], result["total"]) == (1, 2)
    by_id = {v["instance_id"]: v for v in result["verdicts"]}
    assert (by_id[complaint.id]["verdict"], by_id[complaint.id]["entry"]) == ("tampered", seq)
    assert by_id[other.id]["verdict"] == "ok"


def test_cli_bundle_verifies_in_a_process_with_no_database(cli, complaint, tmp_path):
    bundle = tmp_path / "bundle.json"
    code, result = cli("export", complaint.id, "--out", str(bundle))
    assert code == 0 and result["instances"] == 1
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZHIDU_")}
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run([sys.executable, "-m", "cli", "verify", "--bundle", str(bundle), "--json"],
                         cwd=away, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["verdicts"][0]["verdict"] == "ok"
    assert list(away.iterdir()) == []  # no database file was made


def test_an_instance_run_on_the_wall_clock_verifies(db_url, clock):
    """Each command is one instant: the journal's time is the time the engine ran at, so due
    dates computed while running replay exactly (they differed by microseconds once)."""
    from engine.clock import SystemClock

    zhidu = make_zhidu(db_url, clock)
    live = Engine(zhidu.uow_factory, SystemClock())
    instance_id = live.start("complaint_handling", "cs_staff1", INTAKE).id
    task = live.show(instance_id).active_tasks[0]
    live.complete_task(task.id, "cs_staff1", RECORD)
    assert live.verify(instance_id).status == "ok", live.verify(instance_id)
