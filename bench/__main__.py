"""`python -m bench [name ...]`: run every benchmark module's `main()` (or only those named).

A listed module that does not exist yet is skipped with a note. A benchmark that crashes is
reported with its traceback, the others still run, and the exit status is 1. The run ends with
one summary table (bench/summary.py) of the figures the benchmarks handed over.
"""

from __future__ import annotations

import importlib
import io
import sys
import time
import traceback
from contextlib import redirect_stdout

from bench import summary

# Every benchmark, in the order `make bench` runs them.
MODULES = ("complaint_throughput", "notification_cost", "loop_steps", "web_pages", "api_completion", "timers",
           "audit", "conformance", "sandbox_cost", "cli_call", "load_test")


class Tee(io.TextIOBase):
    """Writes to the real stdout and keeps a copy, for summary.read_output."""

    def __init__(self, out):
        self.out, self.copy = out, io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.out.write(text)

    def flush(self) -> None:
        self.out.flush()


def run(names: tuple[str, ...]) -> int:
    failed = []
    started = time.perf_counter()
    for name in names:
        print(f"== bench.{name}", flush=True)
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as err:
            if err.name != f"bench.{name}":
                raise
            print(f"   (skipped: bench/{name}.py does not exist yet)", flush=True)
            continue
        began, tee = time.perf_counter(), Tee(sys.stdout)
        try:
            with redirect_stdout(tee):
                module.main()
        except Exception:  # a crashed benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
        summary.read_output(name, tee.copy.getvalue())
        print(f"   ({time.perf_counter() - began:.1f} s)", flush=True)
    print(f"== bench: {len(names)} listed, {len(failed)} failed{': ' + ', '.join(failed) if failed else ''}, "
          f"{time.perf_counter() - started:.1f} s in all")
    print("== summary\n" + summary.table(), flush=True)
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    unknown = [a for a in argv if a not in MODULES]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(MODULES)}", file=sys.stderr)
        return 2
    return run(tuple(argv) or MODULES)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
