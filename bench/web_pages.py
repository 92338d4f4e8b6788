"""Server time of the web UI's busiest pages over a large database.

A SQLite file gets 10,000 open complaint tasks offered to customer-service staff and 100,000
finished instances (each with one completed task row), inserted directly through SQLAlchemy;
then the Flask test client times the inbox and a task page, median over repeated requests, with
the process's CPU time beside the wall time: on a machine others share, the wall time of a request
grows with the load average (printed), its CPU time much less.
Sizes can be lowered with ZHIDU_BENCH_OPEN_TASKS and ZHIDU_BENCH_FINISHED.
"""

from __future__ import annotations

import copy
import os
import shutil
import statistics
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import insert
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from bench import summary
from bench.common import FORMS, PROCESSES, env_int
from engine.definitions.bundles import load_catalog
from engine.definitions.organisation import parse_organisation
from storage.models import InstanceRow, TaskCandidateRow, TaskRow
from webui.app import create_app
from bootstrap.wiring import DEMO_PASSWORD, initialise

INTAKE = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "快递三次未送达"}
BATCH = 10_000
REPEATS = 15


def main() -> None:
    """Build the database, time the pages, print the figures."""
    open_tasks, finished = env_int("ZHIDU_BENCH_OPEN_TASKS", 10_000), env_int("ZHIDU_BENCH_FINISHED", 100_000)
    directory = Path(tempfile.mkdtemp(prefix="zhidu-bench-web-"))
    try:
        services = initialise(f"sqlite:///{directory / 'zhidu.db'}")
        engine = services.engine
        engine.deploy(load_catalog(PROCESSES, FORMS), actor="bench")
        organisation = PROCESSES / "organisation.yaml"
        engine.load_organisation(parse_organisation(
            organisation.read_text(encoding="utf-8"), str(organisation),
            lambda p: generate_password_hash(p, method="pbkdf2:sha256:1000"), DEMO_PASSWORD))
        sample = engine.start("complaint_handling", "cs_staff1", INTAKE)
        began = time.perf_counter()
        _fill(services.db, engine.show(sample.id), open_tasks - 1, finished)
        print(f"   database: {open_tasks:,} open tasks, {finished:,} finished instances "
              f"(inserted in {time.perf_counter() - began:.1f} s)", flush=True)
        app = create_app({"SECRET_KEY": "bench", "ENGINE": engine})
        client = app.test_client()
        _sign_in(client, "cs_staff1")
        for label, url in (("inbox (first page of 50)", "/"), ("inbox, page 100", "/?page=100"),
                           ("inbox, search a subject", "/?q=%E7%8E%8B%E5%A5%B3%E5%A3%AB"),
                           ("inbox, search, no match", "/?q=nobody"),
                           ("task page", f"/tasks/{sample.active_tasks[0].id}")):
            times, cpu = _time(client, url)
            if url == "/":
                inbox_ms = statistics.median(times) * 1000
                summary.record(f"inbox, {open_tasks:,} open / {finished:,} finished", inbox_ms, "ms", 30,
                               ms_per_piece=inbox_ms)
            print(f"   {label:<26} median {statistics.median(times) * 1000:7.1f} ms  "
                  f"(min {min(times) * 1000:.1f}, max {max(times) * 1000:.1f}, n={len(times)}; "
                  f"CPU median {statistics.median(cpu) * 1000:.1f} ms)", flush=True)
        print(f"   load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", flush=True)
        services.db.dispose()
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _fill(db, sample, open_tasks: int, finished: int) -> None:
    """Clone the sample instance: `open_tasks` running ones with an open task each, and
    `finished` completed ones with a completed task each."""
    with Session(db) as session:
        row = session.get(InstanceRow, sample.id)
        task = session.get(TaskRow, sample.active_tasks[0].id)
        base_instance = {c.name: getattr(row, c.name) for c in InstanceRow.__table__.columns}
        base_task = {c.name: getattr(task, c.name) for c in TaskRow.__table__.columns}
    start = base_instance["started_at"]
    for offset in range(0, open_tasks + finished, BATCH):
        instances, tasks, candidates = [], [], []
        for n in range(offset, min(offset + BATCH, open_tasks + finished)):
            done = n >= open_tasks
            instance_id, task_id = str(uuid.uuid4()), str(uuid.uuid4())
            moment = start - timedelta(minutes=n)
            instances.append({**base_instance, "id": instance_id, "started_at": moment, "updated_at": moment,
                              "status": "completed" if done else "running", "next_wake_at": None,
                              "state": {} if done else base_instance["state"], "data": copy.copy(INTAKE),
                              "current_step": None if done else base_instance["current_step"]})
            tasks.append({**base_task, "id": task_id, "instance_id": instance_id, "created_at": moment,
                          "due_at": moment + timedelta(days=1 + n % 5) if not done else None,
                          "status": "completed" if done else "open",
                          "completed_at": moment if done else None, "completed_by": "cs_staff2" if done else None,
                          "claimed_by": "cs_staff2" if done else None})
            if not done:
                candidates.append({"task_id": task_id, "candidate": "role:customer-service-staff"})
        with Session(db) as session, session.begin():
            session.execute(insert(InstanceRow), instances)
            session.execute(insert(TaskRow), tasks)
            if candidates:
                session.execute(insert(TaskCandidateRow), candidates)


def _sign_in(client, username: str) -> None:
    with client.session_transaction() as session:
        session["csrf"] = "bench"
    response = client.post("/sign-in", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": "bench"})
    assert response.status_code == 302, "sign-in failed"


def _time(client, url: str) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of each of REPEATS requests for `url`."""
    client.get(url)  # warm the spec cache and SQLite's page cache
    times, cpu = [], []
    for _ in range(REPEATS):
        began, began_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
    return times, cpu


if __name__ == "__main__":
    main()
