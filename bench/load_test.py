"""Load test (issue 17): demo people working through the web UI under Locust, on PostgreSQL with
several web processes and timer workers, and on SQLite with one process, one after the other.

For each database: a fresh database (PostgreSQL: `zhidu_load`, dropped and created again;
SQLite: a file in a temporary folder), `zhidu init --demo`, the servers —

    PostgreSQL: zhidu serve --workers 4 --no-worker   plus 2 x  zhidu worker
    SQLite:     zhidu serve                           (waitress, the timer worker in-process)

— then Locust, headless and bounded (bench/load_locustfile.py: inbox, task pages, claims,
completions, starts, instance pages), then the servers stop and the checks run:
`zhidu verify --all --json` must be ok, and every completion Locust was told of must be in the
journal exactly once, and nothing else (bench/load_report.py). Figures go to the summary.

    python -m bench.load_test [--databases postgresql,sqlite] [--users 20] [--seconds 300]

or, as part of `make bench`, the environment: ZHIDU_LOAD_DATABASES, ZHIDU_LOAD_USERS,
ZHIDU_LOAD_SECONDS, ZHIDU_LOAD_WEB_PROCESSES (4), ZHIDU_LOAD_WORKERS (2), ZHIDU_LOAD_WAIT (think
time "min,max" s), ZHIDU_LOAD_POSTGRES (the server, default postgres@127.0.0.1:5432). A short
smoke run: `python -m bench.load_test --databases sqlite --users 3 --seconds 15`; with --actions N
each user stops after N actions and the run ends when all have (--seconds stays the limit).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import load_report
from bench.common import ROOT, env_int

LOCUSTFILE = Path(__file__).with_name("load_locustfile.py")
POSTGRES = os.environ.get("ZHIDU_LOAD_POSTGRES") or "postgresql+psycopg://postgres@127.0.0.1:5432/zhidu_load"


@dataclass(frozen=True)
class Plan:
    """What one run does; `web_processes`/`workers` apply to PostgreSQL (SQLite runs one process)."""

    databases: tuple[str, ...]
    users: int
    seconds: int
    web_processes: int
    workers: int
    actions: int = 0


def plan_from(argv: list[str]) -> Plan:
    """Flags first, then the environment, then issue 17's size (20 users, 5 minutes, 4 + 2)."""
    parser = argparse.ArgumentParser(prog="python -m bench.load_test", description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default=os.environ.get("ZHIDU_LOAD_DATABASES") or "postgresql,sqlite")
    parser.add_argument("--users", type=int, default=env_int("ZHIDU_LOAD_USERS", 20))
    parser.add_argument("--seconds", type=int, default=env_int("ZHIDU_LOAD_SECONDS", 300))
    parser.add_argument("--web-processes", type=int, default=env_int("ZHIDU_LOAD_WEB_PROCESSES", 4))
    parser.add_argument("--workers", type=int, default=env_int("ZHIDU_LOAD_WORKERS", 2))
    parser.add_argument("--actions", type=int, default=env_int("ZHIDU_LOAD_ACTIONS", 0),
                        help="each user stops after this many actions (the run ends sooner); 0: none")
    args = parser.parse_args(argv)
    databases = tuple(d.strip() for d in args.databases.split(",") if d.strip())
    unknown = set(databases) - {"postgresql", "sqlite"}
    if unknown or not databases:
        parser.error(f"--databases takes postgresql and/or sqlite, not {', '.join(sorted(unknown)) or 'nothing'}")
    if args.users < 1 or args.seconds < 1:
        parser.error("--users and --seconds must be at least 1")
    return Plan(databases, args.users, args.seconds, args.web_processes, args.workers, args.actions)


def main(argv: list[str] | None = None) -> int:
    """Run the plan on each database; raises (for `make bench`) or returns 1 when a check failed."""
    plan = plan_from(argv or [])
    failed = [database for database in plan.databases if not run_one(plan, database)]
    if failed and argv is None:
        raise RuntimeError(f"load test checks failed on {', '.join(failed)}")
    return 1 if failed else 0


def run_one(plan: Plan, database: str) -> bool:
    """One database: set up, serve, load, stop, check, report. True when every check passed."""
    directory = Path(tempfile.mkdtemp(prefix=f"zhidu-load-{database}-"))
    try:
        with ExitStack() as stack:
            url = stack.enter_context(fresh_database(database, directory))
            env = {**os.environ, "ZHIDU_DATABASE_URL": url, "ZHIDU_HOME": str(ROOT)}
            zhidu(["init", "--demo", "--json"], directory, env)
            shape = (f"zhidu serve --workers {plan.web_processes} --no-worker + {plan.workers} x zhidu worker"
                     if database == "postgresql" else "zhidu serve (one process, worker in-process)")
            print(f"   {database}: {shape}; Locust {plan.users} users for {plan.seconds} s", flush=True)
            load_before = loadavg()
            with servers(database, plan, directory, env) as base_url:
                began = time.perf_counter()
                locust_code = run_locust(plan, base_url, directory)
                elapsed = time.perf_counter() - began
            load_after = loadavg()
            passed = load_report.report(load_report.Run(
                database=database, url=url, directory=directory, env=env, elapsed=elapsed,
                locust_code=locust_code, load_before=load_before, load_after=load_after))
            if not passed:
                print_server_errors(directory)
            return passed
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def print_server_errors(directory: Path, most: int = 3) -> None:
    """The servers' first tracebacks (their logs go with the run's directory): why a request failed."""
    for log in sorted(directory.glob("process*.log")):
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        starts = [i for i, line in enumerate(lines) if line.startswith("Traceback")][:most]
        for start in starts:
            end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()), start)
            print(f"   {log.name}:\n" + "\n".join("      " + line for line in lines[max(start - 1, 0):end + 1]))


@contextmanager
def fresh_database(database: str, directory: Path) -> Iterator[str]:
    """The URL of an empty database: a new SQLite file, or `zhidu_load` dropped and made again."""
    if database == "sqlite":
        yield f"sqlite:///{directory / 'zhidu.db'}"
        return
    target = make_url(POSTGRES)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT",
                          connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
        yield target.render_as_string(hide_password=False)
    finally:
        admin.dispose()  # the database stays after the run, to look into; the next run drops it


def zhidu(argv: list[str], directory: Path, env: dict[str, str],
          exit_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    """Run a `zhidu` command in `directory` (its var/ holds the keys every process shares)."""
    done = subprocess.run([sys.executable, "-m", "cli", *argv], cwd=directory, env=env, capture_output=True, text=True)
    if done.returncode not in exit_codes:
        raise RuntimeError(f"zhidu {' '.join(argv)} failed ({done.returncode}): {done.stderr[-800:]}")
    return done


@contextmanager
def servers(database: str, plan: Plan, directory: Path, env: dict[str, str]) -> Iterator[str]:
    """The web server (and, on PostgreSQL, the timer workers) until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port)]
    if database == "postgresql":
        command += ["--workers", str(plan.web_processes), "--no-worker"]
    workers = plan.workers if database == "postgresql" else 0
    commands = [command] + [[sys.executable, "-m", "cli", "worker"]] * workers
    processes = []
    try:
        for number, argv in enumerate(commands):
            log = open(directory / f"process{number}.log", "wb")
            processes.append(subprocess.Popen(argv, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT))
            log.close()
        wait_until_up(f"http://127.0.0.1:{port}/sign-in", processes[0])
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, limit: float = 60) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped with {process.returncode} before it answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {url} within {limit:.0f} s")


def run_locust(plan: Plan, base_url: str, directory: Path) -> int:
    """Locust, headless, for the plan's users and seconds; its CSVs and log land in `directory`.

    Users start at a tenth of their number per second; the figures count from when the last one
    has started (--reset-stats), so the sign-ins and each web process's first requests of the
    ramp are not in them. The ledger counts everything.
    """
    from bootstrap.wiring import DEMO_PASSWORD

    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))  # for bench.load_forms
    env = {**os.environ, "ZHIDU_LOAD_PASSWORD": DEMO_PASSWORD, "ZHIDU_LOAD_LEDGER": str(directory / "ledger.tsv"),
           "ZHIDU_LOAD_ACTIONS": str(plan.actions), "PYTHONPATH": path}
    command = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", base_url,
               "-u", str(plan.users), "-r", str(max(1, plan.users // 10)), "-t", f"{plan.seconds}s",
               "--reset-stats", "--stop-timeout", "30", "--csv", str(directory / "locust"), "--only-summary",
               "--loglevel", "WARNING"]
    with open(directory / "locust.log", "wb") as log:
        return subprocess.run(command, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT).returncode


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "n/a"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
