"""The wall time of one `zhidu` command-line call, as a person types it: `zhidu tasks --as
cs_staff1 --json` against a SQLite database with the demo organisation and a few open tasks.

Each call is a fresh `python -m cli` process (interpreter start, imports, database, query, JSON
out); the median over ZHIDU_BENCH_CLI_CALLS calls (default 15) is printed beside the time of a
bare `python -c pass`, the floor no command can go under, and of the call's imports alone
(`-X importtime` of the same command, summed), so what is left is the command's own work.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import summary
from bench.common import ROOT, env_int, median

COMMAND = ["tasks", "--as", "cs_staff1", "--json"]
INTAKE = ('{"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "category": "service", '
          '"severity": "high", "description": "快递三次未送达"}')


def _run(argv: list[str], directory: Path, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess]:
    began = time.perf_counter()
    done = subprocess.run(argv, cwd=directory, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[2:])} failed: {done.stderr[-500:] or done.stdout[-500:]}")
    return seconds, done


def _import_seconds(directory: Path, env: dict[str, str]) -> float:
    """The cumulative import time of the command's top-level imports (python -X importtime)."""
    _, done = _run([sys.executable, "-X", "importtime", "-m", "cli", *COMMAND], directory, env)
    total = 0
    for line in done.stderr.splitlines():
        found = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if found and not found.group(2).startswith(" "):  # top-level: its time includes its children
            total += int(found.group(1))
    return total / 1e6


def main() -> None:
    calls = max(3, env_int("ZHIDU_BENCH_CLI_CALLS", 15))
    directory = Path(tempfile.mkdtemp(prefix="zhidu-bench-cli-"))
    env = {**os.environ, "ZHIDU_DATABASE_URL": f"sqlite:///{directory / 'zhidu.db'}", "ZHIDU_HOME": str(ROOT)}
    zhidu = [sys.executable, "-m", "cli"]
    try:
        _run(zhidu + ["init", "--demo", "--json"], directory, env)
        for _ in range(3):
            _run(zhidu + ["start", "complaint_handling", "--as", "cs_staff1", "--data", INTAKE], directory, env)
        _run(zhidu + COMMAND, directory, env)  # warm: compiled versions, the OS's file cache
        times = [_run(zhidu + COMMAND, directory, env)[0] for _ in range(calls)]
        floor = median([_run([sys.executable, "-c", "pass"], directory, env)[0] for _ in range(5)])
        imports = median([_import_seconds(directory, env) for _ in range(3)])
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    call_ms = median(times) * 1000
    print(f"   zhidu {' '.join(COMMAND)}: median {call_ms:.0f} ms wall over {calls} calls "
          f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}); a bare `python -c pass` {floor * 1000:.0f} ms; "
          f"the command's imports {imports * 1000:.0f} ms; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs", flush=True)
    summary.record("CLI call (zhidu tasks --as cs_staff1 --json)", call_ms, "ms", 300, ms_per_piece=call_ms)


if __name__ == "__main__":
    main()
