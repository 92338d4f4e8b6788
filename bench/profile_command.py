"""Where a command's time goes: the complaint's main path (bench.complaint_throughput) through the
facade on SQLite, per command and by part of the stack.

    python -m bench.profile_command [INSTANCES]      (or ZHIDU_PROFILE_INSTANCES, default 30)

1. Per command (no profiler running): the median wall time of each command of the path (start,
   then each task's completion) and the SQL statements it sends, counted by SQLAlchemy's
   `before_cursor_execute` event and split into SELECT / INSERT / UPDATE / DELETE.
2. By part (cProfile over the same path): each function's own time goes to its group —
   SQLAlchemy, the database driver (its C calls), SpiffWorkflow, the script sandbox (its pool and
   RestrictedPython), journal/hash (engine/audit), form validation (jsonschema), the zhidu engine
   (engine/, storage/, bootstrap/). Time in the standard library or a builtin is handed to whoever
   called it, in proportion to the calls' cumulative time, up to the first caller in a group (so
   json.dumps inside the journal counts as journal/hash); what reaches no group is "other".
   cProfile slows Python code more than C calls: the split is a guide, the ms of part 1 are true.
"""

from __future__ import annotations

import copy
import cProfile
import pstats
import sys
import time
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import event

from bench.common import PROCESSES, cheap_organisation, env_int, median, temporary_zhidu
from bench.complaint_throughput import PROCESS_KEY, START_DATA, START_USER, STEPS, zhidu_instance

# (group, path fragments of a function's file) in the order they are tried; a builtin is matched by name.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SQLAlchemy", ("/sqlalchemy/",)),
    ("database driver", ("/sqlite3/", "/psycopg/")),
    ("SpiffWorkflow", ("/SpiffWorkflow/",)),
    ("sandbox", ("/engine/sandbox/", "/RestrictedPython/")),
    ("journal/hash", ("/engine/audit/",)),
    ("form validation", ("/jsonschema/", "/referencing/", "/rpds/", "/jsonschema_specifications/")),
    ("zhidu engine", ("/engine/", "/storage/", "/bootstrap/")),
)
DRIVER_BUILTINS = ("sqlite3.", "psycopg")
OTHER = "other"


class StatementCounter:
    """Counts the statements sent through a SQLAlchemy engine, by their first word."""

    def __init__(self, db: Any):
        self.counts: Counter = Counter()
        event.listen(db, "before_cursor_execute", self._count)

    def _count(self, _conn, _cursor, statement: str, *_args) -> None:
        self.counts[statement.lstrip().split(None, 1)[0].upper()] += 1

    def take(self) -> Counter:
        counts, self.counts = self.counts, Counter()
        return counts


def timed_instance(engine: Any, counter: StatementCounter, into: dict[str, list[tuple[float, Counter]]]) -> None:
    """One complaint on the main path, each command timed and its statements counted."""
    counter.take()
    began = time.perf_counter()
    view = engine.start(PROCESS_KEY, START_USER, copy.deepcopy(START_DATA))
    into["start"].append((time.perf_counter() - began, counter.take()))
    while view.status == "running":
        task = view.active_tasks[0]
        user, data = STEPS[task.name]
        began = time.perf_counter()
        view = engine.complete_task(task.id, user, copy.deepcopy(data))
        into[f"complete {task.name}"].append((time.perf_counter() - began, counter.take()))


def print_commands(runs: dict[str, list[tuple[float, Counter]]], instances: int) -> None:
    print(f"per command, median of {instances} complaints (no profiler): ms, SQL statements "
          "(mean select/insert/update/delete)")
    all_ms, all_statements = [], []
    for name, samples in runs.items():
        statements = [sum(c.values()) for _, c in samples]
        kinds = Counter()
        for _, counts in samples:
            kinds.update(counts)
        split = "/".join(f"{kinds[k] / len(samples):.0f}" for k in ("SELECT", "INSERT", "UPDATE", "DELETE"))
        seconds = median([s for s, _ in samples])
        print(f"   {name:<24} {seconds * 1000:6.2f} ms  {median(statements):4.0f} statements ({split})")
        all_ms += [s for s, _ in samples]
        all_statements += statements
    mean_ms, mean_statements = sum(all_ms) / len(all_ms) * 1000, sum(all_statements) / len(all_statements)
    print(f"   {'every command':<24} {median(all_ms) * 1000:6.2f} ms  {median(all_statements):4.0f} statements "
          f"(mean {mean_ms:.2f} ms, {mean_statements:.1f} statements)")


def group_of(function: tuple[str, int, str]) -> str | None:
    """The group of a profiled function, None for the standard library and unnamed builtins."""
    file, _, name = function
    if file == "~":
        return "database driver" if any(part in name for part in DRIVER_BUILTINS) else None
    path = file.replace("\\", "/")
    for group, fragments in GROUPS:
        if any(fragment in path for fragment in fragments):
            return group
    return None if ("/lib/python" in path and "site-packages" not in path) or path.startswith("<") else OTHER


def attribute(stats: dict) -> dict[str, float]:
    """Seconds of own time per group, the ungrouped handed up to their callers (see the docstring)."""
    shares: dict[tuple, dict[str, float]] = {}

    def share(function: tuple, depth: int = 0) -> dict[str, float]:
        """Fractions of `function`'s time per group, by its callers when it has no group itself."""
        if function in shares:
            return shares[function]
        group = group_of(function)
        if group is not None or depth > 40 or function not in stats:
            shares[function] = {group or OTHER: 1.0}
            return shares[function]
        shares[function] = {OTHER: 1.0}  # a cycle back here counts as other
        callers = stats[function][4]
        total = sum(timing[3] for timing in callers.values())
        if not callers or total <= 0:
            return shares[function]
        mix: dict[str, float] = defaultdict(float)
        for caller, timing in callers.items():
            for name, fraction in share(caller, depth + 1).items():
                mix[name] += fraction * timing[3] / total
        shares[function] = dict(mix)
        return shares[function]

    seconds: dict[str, float] = defaultdict(float)
    for function, (_, _, own, _, _) in stats.items():
        for name, fraction in share(function).items():
            seconds[name] += own * fraction
    return seconds


def print_groups(profile: cProfile.Profile, commands: int) -> None:
    stats = pstats.Stats(profile).stats
    seconds = attribute(stats)
    total = sum(seconds.values())
    print(f"where the time goes under cProfile ({commands} commands, {total / commands * 1000:.2f} ms per command "
          f"with the profiler's overhead):")
    order = [g for g, _ in GROUPS] + [OTHER]
    for group in sorted(order, key=lambda g: -seconds.get(g, 0.0)):
        part = seconds.get(group, 0.0)
        print(f"   {group:<16} {part / total * 100:5.1f} %  {part / commands * 1000:6.3f} ms per command")
    print("   the ten functions with the most own time:")
    top = sorted(stats.items(), key=lambda item: -item[1][2])[:10]
    for (file, line, name), (_, calls, own, _, _) in top:
        where = file.split("site-packages/")[-1].split("/work/main/")[-1]
        print(f"     {own / commands * 1000:6.3f} ms/command  {calls / commands:6.1f} calls/command  "
              f"{name}  ({where}:{line})")


def main(instances: int | None = None) -> None:
    from bootstrap.wiring import bundles_from_paths

    instances = instances or env_int("ZHIDU_PROFILE_INSTANCES", 30)
    bundles = [b for b in bundles_from_paths([str(PROCESSES)]) if b.key == PROCESS_KEY]
    with temporary_zhidu(bundles, cheap_organisation()) as zhidu:
        engine = zhidu.engine
        counter = StatementCounter(zhidu.services.db)
        for _ in range(3):
            zhidu_instance(engine)  # warm: the compiled spec, SQLAlchemy's statement caches, the sandbox pool
        runs: dict[str, list[tuple[float, Counter]]] = defaultdict(list)
        for _ in range(instances):
            timed_instance(engine, counter, runs)
        print_commands(runs, instances)
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(instances):
            zhidu_instance(engine)
        profile.disable()
        print_groups(profile, instances * (1 + len(STEPS)))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
