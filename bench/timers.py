"""Timer worker: (a) one pass over a large table with few instances due, on SQLite and on
PostgreSQL; (b) timers fired per second on PostgreSQL with 1, 2 and 4 worker processes.

The process is tests/fixtures/timers/timer_boundary.bpmn: a user task with an interrupting
one-hour boundary timer, whose firing cancels the task, opens an escalation task and journals
it. One instance is started through the facade; the others are clones of its rows:
- due instances are full clones (instance row, task and candidate rows, journal with its hash
  chain recomputed, every SpiffWorkflow task id renewed), so firing them is real work;
- idle instances (the haystack) are instance rows only, waking in 30 days, inserted with one
  INSERT ... SELECT; no pass ever loads them.

Sizes (environment): ZHIDU_BENCH_TIMER_INSTANCES (100000 running), ZHIDU_BENCH_TIMER_DUE (1000
due among them), ZHIDU_BENCH_TIMER_RATE_DUE (400 due per throughput run); PostgreSQL from
ZHIDU_BENCH_POSTGRES (default the local `test` database; a throw-away schema is used).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import shutil
import tempfile
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator

from sqlalchemy import String, cast, create_engine, insert, literal, select, text

from bench import summary
from bench.common import FIXTURES, cheap_organisation, env_int

KEY = "timer_boundary"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
NOW = T0 + timedelta(hours=1)  # the boundary timer (PT1H) of an instance started at T0 is due
IDLE_WAKE = T0 + timedelta(days=30)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
POSTGRES = os.environ.get("ZHIDU_BENCH_POSTGRES") or "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _bundle():
    from engine.definitions.bundles import load_catalog

    return load_catalog(FIXTURES / "timers", FIXTURES / "timers" / "forms", only={KEY})


@contextmanager
def database(kind: str) -> Iterator[str]:
    """A migrated, empty zhidu database: a temporary SQLite file or a throw-away PostgreSQL schema."""
    if kind == "sqlite":
        directory = tempfile.mkdtemp(prefix="zhidu-bench-timers-")
        try:
            yield f"sqlite:///{directory}/zhidu.db"
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return
    schema = f"bench_timers_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES, connect_args={"connect_timeout": 3})
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield f"{POSTGRES}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def build(url: str, now: datetime):
    """An engine over `url` at the fixed time `now`, and its SQLAlchemy engine (the worker's kind)."""
    from engine.clock import FixedClock
    from engine.runtime import Engine
    from storage.database import make_engine, uow_factory

    db = make_engine(url, background=True)
    return Engine(uow_factory(db), FixedClock(now)), db


class Template:
    """The rows of one real instance, to clone."""

    def __init__(self, url: str):
        from storage.database import migrate
        from storage.models import InstanceRow, JournalRow, TaskCandidateRow, TaskRow

        engine, db = build(url, T0)
        migrate(db)
        engine.deploy(_bundle(), actor="bench")
        engine.load_organisation(cheap_organisation())
        self.instance_id = engine.start(KEY, "cs_staff1").id
        self.tables = {"instances": InstanceRow.__table__, "tasks": TaskRow.__table__,
                       "task_candidates": TaskCandidateRow.__table__, "journal": JournalRow.__table__}
        with db.connect() as connection:
            self.instance = dict(connection.execute(select(InstanceRow.__table__).where(
                InstanceRow.id == self.instance_id)).mappings().one())
            self.tasks = [dict(r) for r in connection.execute(select(TaskRow.__table__).where(
                TaskRow.instance_id == self.instance_id)).mappings()]
            task_ids = [t["id"] for t in self.tasks]
            self.candidates = [dict(r) for r in connection.execute(select(TaskCandidateRow.__table__).where(
                TaskCandidateRow.task_id.in_(task_ids))).mappings()]
            self.journal = [dict(r) for r in connection.execute(select(JournalRow.__table__).where(
                JournalRow.instance_id == self.instance_id).order_by(JournalRow.seq)).mappings()]
        self.ids = sorted(set(UUID_TEXT.findall(json.dumps(
            [self.instance, self.tasks, self.candidates, self.journal], default=str))))
        db.dispose()

    def due_clones(self, count: int) -> dict[str, list[dict[str, Any]]]:
        """Rows of `count` full clones, every id renewed and each journal chain recomputed."""
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in self.tables}
        for _ in range(count):
            mapping = {old: str(uuid.uuid4()) for old in self.ids}
            journal = _rechain([_renew(r, mapping, drop="id") for r in self.journal])  # its id is autoincrement
            instance = _renew(self.instance, mapping)
            if journal:
                instance["journal_seq"], instance["journal_hash"] = journal[-1]["seq"], journal[-1]["entry_hash"]
            rows["instances"].append(instance)
            rows["tasks"] += [_renew(r, mapping) for r in self.tasks]
            rows["task_candidates"] += [_renew(r, mapping) for r in self.candidates]
            rows["journal"] += journal
        return rows

    def insert_due(self, url: str, count: int) -> float:
        """Insert `count` due clones; returns the seconds taken."""
        began = time.perf_counter()
        rows = self.due_clones(count)
        db = _plain_engine(url)
        with db.begin() as connection:
            for name in ("instances", "tasks", "task_candidates", "journal"):
                for chunk in range(0, len(rows[name]), 2000):
                    connection.execute(insert(self.tables[name]), rows[name][chunk:chunk + 2000])
        db.dispose()
        return time.perf_counter() - began

    def insert_idle(self, url: str, count: int) -> float:
        """Insert `count` instance rows that wake in 30 days, in one INSERT ... SELECT."""
        began = time.perf_counter()
        table = self.tables["instances"]
        numbers = select(literal(1).label("n")).cte("numbers", recursive=True)
        numbers = numbers.union_all(select(numbers.c.n + 1).where(numbers.c.n < count))
        source = table.alias("template")
        columns = [c.name for c in table.columns]
        values = []
        for name in columns:
            if name == "id":
                values.append((literal("idle-") + cast(numbers.c.n, String)).label("id"))
            elif name == "next_wake_at":
                values.append(literal(IDLE_WAKE, table.c.next_wake_at.type).label(name))
            else:
                values.append(source.c[name])
        query = select(*values).select_from(numbers).join(source, source.c.id == self.instance_id)
        db = _plain_engine(url)
        with db.begin() as connection:
            connection.execute(insert(table).from_select(columns, query))
        db.dispose()
        return time.perf_counter() - began


def _plain_engine(url: str):
    from storage.database import make_engine

    return make_engine(url)


def _renew(row: dict[str, Any], mapping: dict[str, str], drop: str | None = None) -> dict[str, Any]:
    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return UUID_TEXT.sub(lambda m: mapping.get(m.group(0), m.group(0)), value)
        if isinstance(value, (dict, list)):
            return json.loads(swap(json.dumps(value)))
        return value
    return {name: swap(value) for name, value in row.items() if name != drop}


def _rechain(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from engine.clock import as_utc
    from engine.audit.journal import GENESIS, JournalEntry, compute_hash

    previous = GENESIS
    for row in rows:
        draft = JournalEntry(row["instance_id"], row["seq"], row["kind"], row["actor"], as_utc(row["at"]),
                             row["payload"], previous)
        row["prev_hash"], row["entry_hash"] = previous, compute_hash(draft)
        previous = row["entry_hash"]
    return rows


def one_pass(url: str, due: int) -> tuple[float, int, float, list[str]]:
    """(seconds for a pass that fires `due` instances, how many fired, seconds for an empty pass,
    replay verdicts of a few fired clones)."""
    engine, db = _warm(*build(url, NOW))
    began = time.perf_counter()
    fired = engine.fire_due_timers(limit=due * 2 + 10)
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    assert engine.fire_due_timers() == []
    empty = time.perf_counter() - began
    verdicts = [engine.verify(f.instance_id).status for f in fired[-3:]]
    db.dispose()
    return seconds, len(fired), empty, verdicts


def _warm(engine: Any, db: Any) -> tuple[Any, Any]:
    """Parse the BPMN and open a connection: start-up costs, not per-pass costs."""
    engine.cache.get(_bundle()[0])
    with db.connect():
        pass
    return engine, db


def _worker(url: str, barrier: Any, results: Any) -> None:
    engine, db = _warm(*build(url, NOW))
    barrier.wait()
    began = time.time()
    fired = len(engine.fire_due_timers(limit=10 ** 6))
    results.put((began, time.time(), fired))
    db.dispose()


def fire_rate(url: str, workers: int) -> tuple[int, float, list[int]]:
    """Run `workers` processes at once over the due instances: (fired, seconds, fired per worker)."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(workers), context.Queue()
    processes = [context.Process(target=_worker, args=(url, barrier, results)) for _ in range(workers)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=600) for _ in processes]
    for process in processes:
        process.join(60)
    began, ended = min(o[0] for o in outcomes), max(o[1] for o in outcomes)
    return sum(o[2] for o in outcomes), ended - began, [o[2] for o in outcomes]


def main() -> None:
    total, due = env_int("ZHIDU_BENCH_TIMER_INSTANCES", 100_000), env_int("ZHIDU_BENCH_TIMER_DUE", 1000)
    rate_due = env_int("ZHIDU_BENCH_TIMER_RATE_DUE", 400)
    print(f"timer worker, process {KEY} (boundary timer cancels a task, opens another, journals it)")
    print(f"(a) one worker pass, {total:,} running instances of which {due:,} are due")
    for kind in ("sqlite", "postgresql"):
        with database(kind) as url:
            template = Template(url)
            setup = template.insert_idle(url, total - due) + template.insert_due(url, due - 1)
            seconds, fired, empty, verdicts = one_pass(url, due)
            per_fired = seconds / max(fired, 1) * 1000
            summary.record(f"timer pass, {kind}: ms per fired instance", per_fired, "ms",
                           10 if kind == "postgresql" else None, ms_per_piece=per_fired)
            print(f"    {kind:<10}  pass fired {fired:,} in {seconds:6.2f} s  ({seconds / max(fired, 1) * 1000:5.1f} ms"
                  f" per instance, {fired / seconds:6.0f}/s); a pass with nothing due: {empty * 1000:.1f} ms"
                  f"   [set-up {setup:.1f} s; replay of 3 fired clones: {', '.join(verdicts)}]", flush=True)
            if kind == "postgresql":
                print(f"(b) PostgreSQL, worker PROCESSES at once (each its own engine), {rate_due:,} due per run,"
                      f" {total:,} rows in the table")
                for workers in (1, 2, 4):
                    template.insert_due(url, rate_due)
                    fired, seconds, shares = fire_rate(url, workers)
                    print(f"    {workers} worker(s): {fired:,} fired in {seconds:6.2f} s = {fired / seconds:6.0f} timers/s"
                          f"   (per worker: {', '.join(str(s) for s in shares)})", flush=True)


if __name__ == "__main__":
    main()
