"""What a load-test run shows, and its checks: Locust's figures per request kind, then
`zhidu verify --all`, then the ledger of what Locust was told against what the database holds.

The checks (each must hold for the run to pass):
- Locust counted no error (an unexpected status, a form sent back, a completion not confirmed);
- `zhidu verify --all --json` says ok for every instance;
- completions: every task Locust saw completed ("Task submitted.") has exactly one `completed`
  journal entry and its task row is completed, and the journal has no completion Locust did
  not see (none lost, none doubled, none unaccounted for);
- starts: every instance Locust started is in the database, and there is no other.
Conflicts (a task someone else claimed or finished first, so nothing changed) are counted apart.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from bench import summary

KINDS = ("inbox", "task page", "claim", "complete", "start list", "start form", "start", "instance page",
         "my requests", "sign-in page", "sign in")


@dataclass(frozen=True)
class Run:
    database: str
    url: str
    directory: Path
    env: dict[str, str]
    elapsed: float
    locust_code: int
    load_before: str
    load_after: str


@dataclass(frozen=True)
class Ledger:
    """What Locust's users were told: completed task ids, started instance ids, conflicts by kind."""

    completed: Counter
    started: Counter
    conflicts: Counter

    @classmethod
    def read(cls, file: Path) -> "Ledger":
        completed, started, conflicts = Counter(), Counter(), Counter()
        lines = file.read_text(encoding="utf-8").splitlines() if file.is_file() else []
        for line in lines:
            kind, key, detail = line.split("\t")
            if kind == "completed":
                completed[key] += 1
            elif kind == "started":
                started[key] += 1
            else:
                conflicts[key] += 1
        return cls(completed, started, conflicts)


def report(run: Run) -> bool:
    """Print the run's figures and checks, hand the headline figures to the summary; True if all passed."""
    stats = read_stats(run.directory / "locust_stats.csv")
    if "Aggregated" not in stats:
        tail = (run.directory / "locust.log").read_text(errors="replace")[-2000:]
        print(f"   Locust produced no statistics (exit {run.locust_code}):\n{tail}", flush=True)
        return False
    total = stats["Aggregated"]
    print_stats(stats, run)
    errors = int(total["Failure Count"])
    for row in read_failures(run.directory / "locust_failures.csv"):
        print(f"   error: {row['Occurrences']} x {row['Method']} {row['Name']}: {row['Error'][:200]}")
    ledger = Ledger.read(run.directory / "ledger.tsv")
    verdict = verify(run)
    completions, starts = check_completions(run.url, ledger), check_starts(run.url, ledger)
    conflicts = ", ".join(f"{n} {kind}" for kind, n in sorted(ledger.conflicts.items())) or "none"
    print(f"   conflicts (someone else was first; nothing changed): {conflicts}")
    print(f"   verify --all: {verdict}")
    print(f"   completions: {completions[1]}")
    print(f"   starts: {starts[1]}")
    print(f"   machine load (/proc/loadavg) before: {run.load_before}; after: {run.load_after}", flush=True)
    hand_over(run.database, stats, errors, verdict, completions[0] and starts[0])
    return errors == 0 and verdict.startswith("ok") and completions[0] and starts[0]


def read_stats(file: Path) -> dict[str, dict[str, str]]:
    if not file.is_file():
        return {}
    with open(file, encoding="utf-8", newline="") as stream:
        return {row["Name"]: row for row in csv.DictReader(stream)}


def read_failures(file: Path) -> list[dict[str, str]]:
    if not file.is_file():
        return []
    with open(file, encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def print_stats(stats: dict[str, dict[str, str]], run: Run) -> None:
    """requests/s overall, then per kind: count, errors, p50/p95/p99 (Locust's approximated ms)."""
    total = stats["Aggregated"]
    print(f"   {int(total['Request Count']):,} requests in {run.elapsed:.0f} s = {float(total['Requests/s']):.1f} "
          f"requests/s, {int(total['Failure Count'])} errors (Locust exit {run.locust_code})")
    print(f"   {'request kind':<15} {'count':>7} {'errors':>6} {'req/s':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    names = [k for k in KINDS if k in stats] + sorted(k for k in stats if k not in KINDS and k != "Aggregated")
    for name in names + ["Aggregated"]:
        row = stats[name]
        print(f"   {name if name != 'Aggregated' else 'all':<15} {int(row['Request Count']):>7,} "
              f"{int(row['Failure Count']):>6} {float(row['Requests/s']):>6.1f} {row['50%']:>7} {row['95%']:>7} "
              f"{row['99%']:>7}")


def verify(run: Run) -> str:
    """`zhidu verify --all --json` over the run's database: 'ok (N instances)' or what failed."""
    done = subprocess.run([sys.executable, "-m", "cli", "verify", "--all", "--json"], cwd=run.directory,
                          env=run.env, capture_output=True, text=True)
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        return f"FAILED (exit {done.returncode}): {done.stderr[-300:]}"
    if done.returncode == 0 and "verdicts" in result:  # exit 0: every verdict is sound
        redacted = f", {result['redacted']} redacted" if result.get("redacted") else ""
        return f"ok ({result['total']} verdicts: {result['ok']} ok{redacted})"
    bad = [v for v in result.get("verdicts", []) if v.get("verdict") not in ("ok", "redacted")]
    return f"FAILED (exit {done.returncode}): {len(bad)} not ok, e.g. {bad[:2] or result}"


def _journal(url: str):
    from storage.database import make_engine

    return make_engine(url)


def check_completions(url: str, ledger: Ledger) -> tuple[bool, str]:
    """Locust's confirmed completions against the journal's `completed` entries and the task rows."""
    from storage.models import JournalRow, TaskRow

    db = _journal(url)
    try:
        with db.connect() as connection:
            payloads = connection.execute(select(JournalRow.payload).where(JournalRow.kind == "completed")).scalars()
            journal = Counter(p["task_id"] for p in payloads)
            done = set(connection.execute(select(TaskRow.id).where(TaskRow.status == "completed")).scalars())
    finally:
        db.dispose()
    seen = set(ledger.completed)
    lost = sorted(seen - set(journal))
    doubled = sorted(k for k, n in journal.items() if n > 1) + sorted(k for k, n in ledger.completed.items() if n > 1)
    unseen = sorted(set(journal) - seen)
    rows_not_done = sorted(seen - done)
    ok = not (lost or doubled or unseen or rows_not_done)
    text = (f"{sum(ledger.completed.values()):,} confirmed to Locust, {sum(journal.values()):,} in the journal: "
            f"{len(lost)} lost, {len(doubled)} doubled, {len(unseen)} in the journal but not confirmed, "
            f"{len(rows_not_done)} task rows not completed")
    return ok, text if ok else f"{text}  FAILED e.g. {(lost + doubled + unseen + rows_not_done)[:3]}"


def check_starts(url: str, ledger: Ledger) -> tuple[bool, str]:
    """Every instance Locust started exists, and no other does."""
    from storage.models import InstanceRow

    db = _journal(url)
    try:
        with db.connect() as connection:
            stored = set(connection.execute(select(InstanceRow.id)).scalars())
            count = connection.execute(select(func.count()).select_from(InstanceRow)).scalar_one()
    finally:
        db.dispose()
    seen = set(ledger.started)
    ok = seen == stored and all(n == 1 for n in ledger.started.values())
    return ok, (f"{len(seen):,} started by Locust, {count:,} instances in the database"
                + ("" if ok else f"  FAILED: {len(seen - stored)} missing, {len(stored - seen)} unexplained"))


def hand_over(database: str, stats: dict[str, dict[str, str]], errors: int, verdict: str, ledger_ok: bool) -> None:
    """The run's headline figures for the summary table."""
    label = f"Locust {database}"
    total = stats["Aggregated"]
    summary.record(f"{label}: requests/s", float(total["Requests/s"]), "req/s")
    for kind in ("complete", "inbox", "task page"):
        if kind in stats:
            row = stats[kind]
            p50 = float(row["50%"])
            summary.record(f"{label}: {kind} p50/p95/p99", f"{row['50%']}/{row['95%']}/{row['99%']} ms", "",
                           ms_per_piece=p50)
    summary.record(f"{label}: errors", float(errors), "", 0)
    summary.record(f"{label}: verify --all after the load", "ok" if verdict.startswith("ok") else "FAILED", "", "ok")
    summary.record(f"{label}: completions lost or doubled", "none" if ledger_ok else "SOME", "", "none")
