"""Cost per step over a long loop (DESIGN decision 4: cost per step stays flat).

The loop fixture (tests/fixtures/loop.bpmn): user task `Work`, script task `Count`
(`count = count + 1`), gateway back to `Work` while `count < limit`. Started with
limit=1000, `Work` is completed 1,000 times.

- zhidu: through the facade over SQLite. Time per step is one `complete_task` command
  (load, run, prune, write state + tasks + journal, commit); size is the bytes of the
  instance's `state` column as stored.
- plain SpiffWorkflow 3.2: in memory, with a persistence layer's round trip each step:
  deserialize the JSON of the previous step, complete `Work`, do_engine_steps, serialize
  (BpmnWorkflowSerializer with the Spiff config; the spec is inside the serialization, as
  the library does by default). Plain Spiff is expected to stall silently at iteration ~251
  (`TaskIterator(max_depth=1000)`): after a step there is no READY task and the workflow is
  not completed. The bench detects that and stops; it never hangs.

Figures are medians of a window of 5 steps around iterations 10, 100 and 1,000, and the
median over ZHIDU_BENCH_LOOP_REPEATS runs (default 3). ZHIDU_BENCH_LOOP_LIMIT changes 1,000.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import FIXTURES, cheap_organisation, env_int, kb, median, ms, temporary_zhidu

WORKER = "worker1"
WINDOW = 5


def checkpoints(limit: int) -> tuple[int, ...]:
    return tuple(sorted({n for n in (10, 100, 1000) if n < limit} | {limit}))


def window(n: int, limit: int) -> range:
    """WINDOW iterations around `n`, kept inside 1..limit (so @1000 is 996..1000)."""
    start = max(1, min(n - WINDOW // 2, limit - WINDOW + 1))
    return range(start, start + WINDOW)


def loop_bundle() -> Any:
    from engine.definitions.bundles import CatalogEntry, ProcessBundle

    entry = CatalogEntry(key="loop", process_id="loop", bpmn="loop.bpmn", name={"zh": "循环", "en": "loop"},
                         starters=(), owner_role="process-owner")
    return ProcessBundle(entry, {
        "loop.bpmn": (FIXTURES / "loop.bpmn").read_text(encoding="utf-8"),
        "forms/loop_step.yaml": (FIXTURES / "loop_step.yaml").read_text(encoding="utf-8"),
    })


# -- zhidu ---------------------------------------------------------------------------------------
def zhidu_loop(limit: int, sizes_at: set[int]) -> dict[str, Any]:
    """Per-iteration seconds (index 1..limit), stored state bytes at `sizes_at`, outcome."""
    organisation = cheap_organisation(extra_roles=("worker",), extra_users=((WORKER, ("worker",)),))
    with temporary_zhidu([loop_bundle()], organisation) as zhidu:
        engine = zhidu.engine
        view = engine.start("loop", WORKER, {"count": 0, "limit": limit})
        times: dict[int, float] = {}
        cpu: dict[int, float] = {}  # CPU seconds: less swayed than wall time when others load the machine
        sizes: dict[int, int] = {}
        for iteration in range(1, limit + 1):
            if view.status != "running" or len(view.active_tasks) != 1:
                return {"times": times, "sizes": sizes, "stopped": iteration,
                        "why": f"status {view.status}, {len(view.active_tasks)} open tasks, {view.incident}"}
            task_id = view.active_tasks[0].id
            start, cpu_start = time.perf_counter(), time.process_time()
            view = engine.complete_task(task_id, WORKER, {"note": f"step {iteration}"})
            times[iteration] = time.perf_counter() - start
            cpu[iteration] = time.process_time() - cpu_start
            if iteration in sizes_at or iteration == limit - 1:
                sizes[iteration] = zhidu.stored_state_bytes(view.id)
        return {"times": times, "cpu": cpu, "sizes": sizes, "stopped": None, "status": view.status,
                "count": view.data.get("count")}


# -- plain SpiffWorkflow -------------------------------------------------------------------------
def plain_loop(limit: int, sizes_at: set[int]) -> dict[str, Any]:
    from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
    from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
    from SpiffWorkflow.util.task import TaskState

    parser = SpiffBpmnParser()
    parser.add_bpmn_str((FIXTURES / "loop.bpmn").read_bytes(), filename="loop.bpmn")
    serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
    workflow = BpmnWorkflow(parser.get_spec("loop"), parser.get_subprocess_specs("loop"))
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update({"count": 0, "limit": limit})
    workflow.do_engine_steps()
    stored = serializer.serialize_json(workflow)
    times: dict[int, float] = {}
    engine_times: dict[int, float] = {}
    sizes: dict[int, int] = {}
    for iteration in range(1, limit + 1):
        start = time.perf_counter()
        workflow = serializer.deserialize_json(stored)
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            return {"times": times, "engine_times": engine_times, "sizes": sizes,
                    "stopped": iteration, **_stall_facts(workflow)}
        engine_start = time.perf_counter()
        task = ready[0]
        task.data.update({"note": f"step {iteration}"})
        task.run()
        workflow.do_engine_steps()
        engine_times[iteration] = time.perf_counter() - engine_start
        stored = serializer.serialize_json(workflow)
        times[iteration] = time.perf_counter() - start
        sizes[iteration] = len(stored.encode("utf-8"))  # every step: shows the growth up to a stall
    return {"times": times, "engine_times": engine_times, "sizes": sizes, "stopped": None,
            "status": "completed" if workflow.is_completed() else "running"}


def _stall_facts(workflow: Any) -> dict[str, Any]:
    """What a workflow with no READY user task really holds, read from its flat task map
    (which, unlike the library's depth-limited iterator, sees every task)."""
    from SpiffWorkflow.util.task import TaskState

    tasks = list(workflow.tasks.values())
    unfinished = [t for t in tasks if t.state & TaskState.NOT_FINISHED_MASK]
    end_ran = any(t.task_spec.bpmn_id == "EndEvent_1" and t.state == TaskState.COMPLETED for t in tasks)
    live = [f"{t.task_spec.bpmn_id} {TaskState.get_name(t.state)} at depth {t.depth}"
            for t in unfinished if t.state & (TaskState.READY | TaskState.WAITING | TaskState.STARTED)]
    return {"is_completed": workflow.is_completed(), "end_ran": end_ran, "unfinished": len(unfinished),
            "live": live, "count": workflow.last_task.data.get("count") if workflow.last_task else None}


# -- reporting -----------------------------------------------------------------------------------
def step_time(runs: list[dict[str, Any]], n: int, limit: int, key: str = "times") -> float:
    """Median over runs of the median of the window around iteration `n` (NaN if not reached)."""
    per_run = []
    for run in runs:
        samples = [run[key][i] for i in window(n, limit) if i in run[key]]
        if len(samples) == WINDOW:
            per_run.append(median(samples))
    return median(per_run)


def first_stop(runs: list[dict[str, Any]]) -> int | None:
    stops = [r["stopped"] for r in runs if r["stopped"] is not None]
    return min(stops) if stops else None


def describe_times(runs: list[dict[str, Any]], points: tuple[int, ...], limit: int, key: str = "times") -> str:
    stopped = first_stop(runs)
    return "/".join(f"stalled at {stopped}" if stopped is not None and n >= stopped
                    else ms(step_time(runs, n, limit, key)) for n in points)


def describe_sizes(run: dict[str, Any], points: tuple[int, ...]) -> str:
    stopped = run["stopped"]
    return "/".join(f"stalled at {stopped}" if stopped is not None and n >= stopped else kb(run["sizes"][n])
                    for n in points)


def main() -> dict[str, Any]:
    limit = env_int("ZHIDU_BENCH_LOOP_LIMIT", 1000)
    repeats = max(1, env_int("ZHIDU_BENCH_LOOP_REPEATS", 3))
    points = checkpoints(limit)
    sizes_at = set(points)
    zhidu_runs, plain_runs = [], []
    for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
        zhidu_runs.append(zhidu_loop(limit, sizes_at))
        plain_runs.append(plain_loop(limit, sizes_at))
    labels = "/".join(f"@{n}" for n in points)
    z, p = zhidu_runs[0], plain_runs[0]
    print(f"loop: {limit} iterations of Work -> Count -> gateway; per step the median of a {WINDOW}-step "
          f"window, then the median of {repeats} runs")
    print(f"loop step ms {labels}: zhidu {describe_times(zhidu_runs, points, limit)}; "
          f"plain {describe_times(plain_runs, points, limit)}")
    print(f"loop state size {labels}: zhidu {describe_sizes(z, points)}; plain {describe_sizes(p, points)}")
    if first_stop(zhidu_runs) is None and limit >= 300:
        # The machine is noisy; wide bands say more about flatness than 5-step windows.
        bands = [(1, 100), (limit // 2 - 49, limit // 2 + 50), (limit - 99, limit)]
        def band(key: str, a: int, b: int) -> str:
            return ms(median([median([r[key][i] for i in range(a, b + 1)]) for r in zhidu_runs]))

        print("loop: zhidu step ms over whole bands, wall (cpu): " + ", ".join(
            f"{a}-{b}: {band('times', a, b)} ({band('cpu', a, b)})" for a, b in bands))
    if first_stop(zhidu_runs) is None:
        last_running = z["sizes"].get(limit - 1)
        print(f"loop: zhidu reached {limit} iterations and ended {z['status']} with count={z['count']}; "
              f"state @{limit} is the completed instance's, @{limit - 1} (running) it was "
              f"{kb(last_running) if last_running else 'n/a'}")
    else:
        stopped = next(r for r in zhidu_runs if r["stopped"] is not None)
        print(f"loop: zhidu STOPPED at iteration {stopped['stopped']}: {stopped['why']}")
    print(f"loop: plain engine-only ms, no serializer {labels}: "
          f"{describe_times(plain_runs, points, limit, 'engine_times')} "
          f"(plain step ms above include deserialize + serialize)")
    stop = first_stop(plain_runs)
    if stop is not None:
        facts = next(r for r in plain_runs if r["stopped"] == stop)
        print(f"loop: plain SpiffWorkflow stalled at iteration {stop} in "
              f"{sum(1 for r in plain_runs if r['stopped'] is not None)}/{repeats} runs: no READY task after "
              f"{stop - 1} iterations (count={facts['count']}), end event ran: {facts['end_ran']}, "
              f"is_completed() says {facts['is_completed']}; {facts['unfinished']} unfinished tasks lie beyond "
              f"the iterator's depth limit, live: {', '.join(facts['live']) or 'none'}")
        last = stop - 1
        if last >= WINDOW:
            print(f"loop: plain just before the stall @{last}: "
                  f"{ms(step_time(plain_runs, last, last))} ms/step "
                  f"({ms(step_time(plain_runs, last, last, 'engine_times'))} engine-only), "
                  f"serialized state {kb(facts['sizes'][last])}")
    else:
        print(f"loop: plain SpiffWorkflow reached {limit} iterations ({p['status']})")
    return {"zhidu": zhidu_runs, "plain": plain_runs}


if __name__ == "__main__":
    main()
