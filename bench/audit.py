"""Audit: (a) replay speed in journal entries per second over long complaints whose handle/track
loop is taken many times; (b) the time to verify 10,000 instances.

(a) Each long instance is driven through the facade (SQLite, fixed clock), then its journal is
replayed with `engine.audit.replay.replay` a few times; the median is printed.

(b) A few real complaints are made through the facade, one per path (unfounded and finished;
founded, handled and finished; waiting at tracking; just started). The 10,000 instances are
clones of their rows — instance, task and candidate rows, journal — with every id renewed and
each journal's hash chain recomputed with `engine.audit.journal.compute_hash`, so each clone is a
real instance that replays and verifies. (Making 10,000 through the facade would take longer
than the verification being measured.) They are verified with `Engine.verify`, split over
worker processes, each with its own engine; the verdicts are counted (all should be ok).

Sizes (environment): ZHIDU_BENCH_AUDIT_INSTANCES (10000), ZHIDU_BENCH_AUDIT_LOOPS (60 loops per
long instance), ZHIDU_BENCH_AUDIT_VERIFY (all of them verified by default; fewer, spread evenly, and the time for all is projected
from their rate unless it is set to the instance count), ZHIDU_BENCH_AUDIT_WORKERS (the CPU
count); ZHIDU_BENCH_QUICK=1 for a quick run (1,000 instances, 300 verified, 15 loops).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert, select

from bench.common import FORMS, PROCESSES, cheap_organisation, env_int, median, temporary_zhidu

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
INTAKE = {"customer_name": "张三", "contact": "13800000000", "channel": "phone", "category": "billing",
          "severity": "high", "description": "重复扣费"}
RECORD = {"details": "客户两次被扣费", "customer_expectation": "退款", "customer_calmed": True}
DECIDE = {"responsible_department": "data-analysis", "remedy": "核对账单并退款", "resolve_by": "2026-12-05"}
FEEDBACK = {"feedback": "已退款", "feedback_channel": "phone", "customer_satisfied": True, "satisfaction": 4}
REVIEW = {"root_cause": "重复提交", "improvement_measures": [
    {"measure": "幂等校验", "owner_department": "data-analysis", "due_date": "2026-12-20"}]}


def _quick() -> bool:
    return os.environ.get("ZHIDU_BENCH_QUICK", "") not in ("", "0")


def _complete(engine: Any, instance_id: str, element: str, user: str, data: dict) -> None:
    task = next(t for t in engine.show(instance_id).active_tasks if t.name == element)
    engine.complete_task(task.id, user, data)


def _complaint(engine: Any, path: str, loops: int = 0) -> str:
    """A complaint driven along `path`: started, tracking, unfounded, handled or looped."""
    instance_id = engine.start("complaint_handling", "cs_staff1", INTAKE).id
    if path == "started":
        return instance_id
    _complete(engine, instance_id, "Task_Record", "cs_staff1", RECORD)
    _complete(engine, instance_id, "Task_Verify", "cs_staff2", {"findings": "属实", "founded": path != "unfounded"})
    if path != "unfounded":
        _complete(engine, instance_id, "Task_Decide", "cs_manager", DECIDE)
        _complete(engine, instance_id, "Task_Handle", "da_staff1", {"actions_taken": "退款", "handled_on": "2026-11-30"})
        if path == "tracking":
            return instance_id
        for attempt in range(loops):
            _complete(engine, instance_id, "Task_Track", "cs_staff1", {"resolved": False, "progress_note": f"第{attempt}次"})
            _complete(engine, instance_id, "Task_Handle", "da_staff1", {"actions_taken": f"第{attempt}次",
                                                                         "handled_on": "2026-11-30"})
        _complete(engine, instance_id, "Task_Track", "cs_staff2", {"resolved": True, "progress_note": "解决"})
    _complete(engine, instance_id, "Task_Feedback", "cs_staff1", FEEDBACK)
    _complete(engine, instance_id, "Task_Review", "cs_manager", REVIEW)
    return instance_id


def _bundles():
    from engine.definitions.bundles import load_catalog

    return load_catalog(PROCESSES, FORMS, only={"complaint_handling"})


def _fixed(zhidu: Any) -> Any:
    from engine.clock import FixedClock
    from engine.runtime import Engine

    return Engine(zhidu.engine.uow_factory, FixedClock(T0))


def replay_speed(loops: int, instances: int = 3, runs: int = 3) -> None:
    """Entries per second replaying long looped complaints."""
    from engine.definitions.bundles import ProcessBundle
    from engine.audit.replay import replay

    with temporary_zhidu(_bundles(), cheap_organisation()) as zhidu:
        engine = _fixed(zhidu)
        began = time.perf_counter()
        ids = [_complaint(engine, "looped", loops) for _ in range(instances)]
        made = time.perf_counter() - began
        rates, per_command, cpu_rates, cpu_per_command, sizes = [], [], [], [], []
        for instance_id in ids:
            entries = engine.history(instance_id)
            with engine.uow_factory() as uow:
                version = uow.versions.by_hash(uow.instances.get(instance_id).version_hash)
            compiled = engine.cache.get(ProcessBundle(version.entry, version.files))
            commands = sum(1 for e in entries if e.kind in ("started", "completed", "timer_fired"))
            for _ in range(runs):
                start, cpu = time.perf_counter(), time.process_time()
                replay(compiled, entries)
                seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
                rates.append(len(entries) / seconds)
                per_command.append(seconds / commands)
                cpu_rates.append(len(entries) / max(cpu, 1e-9))
                cpu_per_command.append(cpu / commands)
            sizes.append(len(entries))
    print(f"   replay: {instances} complaints with the handle/track loop taken {loops} times "
          f"({median(sizes):.0f} journal entries each; made in {made:.1f} s; load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)", flush=True)
    # The CPU time alone shows what the code costs when other processes share the machine.
    print(f"   replay speed: median {median(rates):,.0f} entries/s, {median(per_command) * 1000:.2f} ms per command; "
          f"CPU time alone: median {median(cpu_rates):,.0f} entries/s, {median(cpu_per_command) * 1000:.2f} ms "
          f"per command", flush=True)


def _rows(db: Any, instance_id: str) -> dict[str, list[dict[str, Any]]]:
    from storage.models import InstanceRow, JournalRow, TaskCandidateRow, TaskRow

    with db.connect() as connection:
        tasks = [dict(r) for r in connection.execute(select(TaskRow.__table__).where(
            TaskRow.instance_id == instance_id)).mappings()]
        return {
            "instances": [dict(connection.execute(select(InstanceRow.__table__).where(
                InstanceRow.id == instance_id)).mappings().one())],
            "tasks": tasks,
            "task_candidates": [dict(r) for r in connection.execute(select(TaskCandidateRow.__table__).where(
                TaskCandidateRow.task_id.in_([t["id"] for t in tasks]))).mappings()],
            "journal": [{k: v for k, v in r.items() if k != "id"} for r in connection.execute(
                select(JournalRow.__table__).where(JournalRow.instance_id == instance_id)
                .order_by(JournalRow.seq)).mappings()],
        }


def _renewed(rows: dict[str, list[dict[str, Any]]], ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    """A clone of one instance's rows: every id renewed, the journal chain and head recomputed."""
    from engine.clock import as_utc
    from engine.audit.journal import GENESIS, JournalEntry, compute_hash

    mapping = {old: str(uuid.uuid4()) for old in ids}

    def swap(value: Any) -> Any:
        if isinstance(value, str):
            return UUID_TEXT.sub(lambda m: mapping.get(m.group(0), m.group(0)), value)
        if isinstance(value, (dict, list)):
            return json.loads(swap(json.dumps(value, ensure_ascii=False)))
        return value

    clone = {table: [{k: swap(v) for k, v in row.items()} for row in found] for table, found in rows.items()}
    previous = GENESIS
    for row in clone["journal"]:
        draft = JournalEntry(row["instance_id"], row["seq"], row["kind"], row["actor"], as_utc(row["at"]),
                             row["payload"], previous)
        row["prev_hash"], row["entry_hash"] = previous, compute_hash(draft)
        previous = row["entry_hash"]
    clone["instances"][0]["journal_hash"] = previous
    return clone


def _insert_clones(db: Any, templates: list[dict[str, list[dict[str, Any]]]], count: int) -> None:
    from storage.models import InstanceRow, JournalRow, TaskCandidateRow, TaskRow

    tables = {"instances": InstanceRow.__table__, "tasks": TaskRow.__table__,
              "task_candidates": TaskCandidateRow.__table__, "journal": JournalRow.__table__}
    ids = [sorted(set(UUID_TEXT.findall(json.dumps(t, default=str)))) for t in templates]
    pending: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    for number in range(count):
        clone = _renewed(templates[number % len(templates)], ids[number % len(templates)])
        for name in tables:
            pending[name] += clone[name]
        if number % 1000 == 999 or number == count - 1:
            with db.begin() as connection:
                for name in tables:
                    if pending[name]:
                        connection.execute(insert(tables[name]), pending[name])
            pending = {name: [] for name in tables}


def _verify_share(url: str, share: int, shares: int, sample: int, results: Any) -> None:
    """One worker: its share of `sample` instances spread evenly over the table, timing each."""
    from engine.runtime import Engine
    from storage.database import make_engine, uow_factory

    db = make_engine(url)
    engine = Engine(uow_factory(db))
    with engine.uow_factory() as uow:
        every = uow.instances.ids_after("", 10**9)
    ids = every[::max(1, len(every) // sample)][:sample][share::shares]
    times, statuses = [], {}
    for instance_id in ids:
        began = time.perf_counter()
        verdict = engine.verify(instance_id)
        times.append(time.perf_counter() - began)
        statuses[verdict.status] = statuses.get(verdict.status, 0) + 1
    db.dispose()
    results.put((times, statuses))


def verify_many(count: int, sample: int, workers: int) -> None:
    """Store `count` instances (clones); verify `sample` of them with `workers` processes."""
    with temporary_zhidu(_bundles(), cheap_organisation()) as zhidu:
        engine = _fixed(zhidu)
        paths = ("started", "tracking", "unfounded", "handled")
        templates = [_rows(zhidu.services.db, _complaint(engine, path)) for path in paths]
        entries = [len(t["journal"]) for t in templates]
        began = time.perf_counter()
        _insert_clones(zhidu.services.db, templates, count - len(templates))
        cloned = time.perf_counter() - began
        context = multiprocessing.get_context("spawn")
        results = context.Queue()
        began = time.perf_counter()
        processes = [context.Process(target=_verify_share, args=(zhidu.services.url, n, workers, sample, results))
                     for n in range(workers)]
        for process in processes:
            process.start()
        outcomes = [results.get() for _ in processes]
        for process in processes:
            process.join()
        wall = time.perf_counter() - began
    times = [t for found, _ in outcomes for t in found]
    statuses: dict[str, int] = {}
    for _, found in outcomes:
        for status, n in found.items():
            statuses[status] = statuses.get(status, 0) + n
    rate = len(times) / wall
    print(f"   verify: {count:,} instances stored (clones of {len(paths)} real complaints with "
          f"{'/'.join(map(str, entries))} journal entries; cloned in {cloned:.1f} s); {len(times):,} of them "
          f"verified by {workers} worker process(es); verdicts {statuses}", flush=True)
    print(f"   verify time: median {median(times) * 1000:.1f} ms per instance; {rate:,.1f} instances/s; "
          f"{wall:.1f} s for {len(times):,}, so {count / rate:,.0f} s for all {count:,}"
          f"{'' if len(times) >= count else ' (projected: verification is per instance, linear)'}", flush=True)


def main() -> None:
    quick = _quick()
    loops = env_int("ZHIDU_BENCH_AUDIT_LOOPS", 15 if quick else 60)
    count = env_int("ZHIDU_BENCH_AUDIT_INSTANCES", 1000 if quick else 10000)
    sample = min(count, env_int("ZHIDU_BENCH_AUDIT_VERIFY", 300 if quick else count))
    workers = env_int("ZHIDU_BENCH_AUDIT_WORKERS", os.cpu_count() or 1)
    replay_speed(loops)
    verify_many(count, sample, workers)


if __name__ == "__main__":
    main()
