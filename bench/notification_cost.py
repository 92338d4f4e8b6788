"""What notifications cost a command: complaints start to finish with them on, and with the
engine's notify calls replaced by no-ops, alternated in one run (issue 15: under 10 % more).

Uses the complaint bench's main path (bench/complaint_throughput.py) on SQLite; prints the
median milliseconds per command each way over the repeats and the ratio. ZHIDU_BENCH_INSTANCES
(default 30) and ZHIDU_BENCH_REPEATS (default 3) set the size.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator
from unittest import mock

from bench.common import env_int, median
from bench.complaint_throughput import STEPS, zhidu_run


@contextmanager
def notifications_off() -> Iterator[None]:
    """The runner's and the task commands' notify calls do nothing."""
    with mock.patch("engine.commands.runner.notify_all", lambda *args, **kwargs: None), \
            mock.patch("engine.commands.tasks.notify", lambda *args, **kwargs: None):
        yield


def main() -> dict[str, float]:
    n, repeats = env_int("ZHIDU_BENCH_INSTANCES", 30), env_int("ZHIDU_BENCH_REPEATS", 3)
    commands = n * (len(STEPS) + 1)
    on, off = [], []
    for _ in range(repeats):  # alternated, so both see the same machine
        on.append(zhidu_run(n) / commands * 1000)
        with notifications_off():
            off.append(zhidu_run(n) / commands * 1000)
    figures = {"on": median(on), "off": median(off)}
    print(f"   {n} complaints x {repeats}: {figures['on']:.2f} ms per command with notifications, "
          f"{figures['off']:.2f} ms without; ratio {figures['on'] / figures['off']:.3f} (goal: under 1.10)")
    return figures


if __name__ == "__main__":
    main()
