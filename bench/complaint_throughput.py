"""Complaint handling throughput: N instances start to finish on the main path, through zhidu
(facade over SQLite: forms validated, tasks assigned and stored, journal written, one
transaction per command) and on plain SpiffWorkflow in memory (no storage at all).

The main path: intake -> record -> verify (founded) -> decide -> handle -> track (resolved)
-> feedback -> review -> closed. Each task is completed by a user of the role it is offered
to. Run as `python -m bench.complaint_throughput [N]` or set ZHIDU_BENCH_INSTANCES (default
50) and ZHIDU_BENCH_REPEATS (default 3); the figures printed are medians over the repeats.
"""

from __future__ import annotations

import copy
import sys
import time
from typing import Any

from bench import summary
from bench.common import PROCESSES, cheap_organisation, env_int, median, temporary_zhidu

PROCESS_KEY = "complaint_handling"
PLAIN_BATCHES = 3

START_USER = "cs_staff1"
START_DATA = {
    "customer_name": "张先生", "contact": "13800000000", "channel": "phone", "category": "service",
    "description": "客服电话多次无人接听 The hotline did not answer several times", "severity": "medium",
}
# Task (BPMN id) -> (who completes it, the form data). Task_Handle goes to the staff of the
# department decided in Task_Decide (marketing here).
STEPS: dict[str, tuple[str, dict[str, Any]]] = {
    "Task_Record": ("cs_staff1", {"details": "客户三次来电未接通", "customer_expectation": "回电道歉",
                                  "customer_calmed": True}),
    "Task_Verify": ("cs_staff1", {"findings": "热线排班有空档", "founded": True}),
    "Task_Decide": ("cs_manager", {"responsible_department": "marketing", "remedy": "调整排班并回电致歉",
                                   "resolve_by": "2026-12-31"}),
    "Task_Handle": ("mk_staff1", {"actions_taken": "已调整排班，已回电", "handled_on": "2026-12-01"}),
    "Task_Track": ("cs_staff1", {"resolved": True, "progress_note": "客户确认已解决"}),
    "Task_Feedback": ("cs_staff1", {"feedback": "已致歉并说明改进", "feedback_channel": "phone",
                                    "customer_satisfied": True, "satisfaction": 5}),
    "Task_Review": ("cs_manager", {"root_cause": "排班规则缺少午间覆盖",
                                   "improvement_measures": [{"measure": "午间增加一名值班",
                                                             "owner_department": "customer-service",
                                                             "due_date": "2026-12-15"}],
                                   "lessons": "排班需覆盖全天"}),
}


# -- zhidu ---------------------------------------------------------------------------------------
def zhidu_instance(engine: Any) -> None:
    """One complaint start to finish through the facade; each task's user completes it.

    The open task is taken from the view the previous command returned (what the web UI
    redirects to), not from an inbox query, so only commands are measured.
    """
    view = engine.start(PROCESS_KEY, START_USER, copy.deepcopy(START_DATA))
    steps = 0
    while view.status == "running":
        if len(view.active_tasks) != 1:
            raise RuntimeError(f"expected one open task, found {[t.name for t in view.active_tasks]}")
        task = view.active_tasks[0]
        user, data = STEPS[task.name]
        view = engine.complete_task(task.id, user, copy.deepcopy(data))
        steps += 1
    if view.status != "completed" or steps != len(STEPS):
        raise RuntimeError(f"complaint ended {view.status} after {steps} tasks: {view.incident}")


def zhidu_run(n: int) -> float:
    """Seconds for `n` complaints on a fresh database (one untimed warm-up instance first)."""
    from bootstrap.wiring import bundles_from_paths

    bundles = [b for b in bundles_from_paths([str(PROCESSES)]) if b.key == PROCESS_KEY]
    with temporary_zhidu(bundles, cheap_organisation()) as zhidu:
        zhidu_instance(zhidu.engine)  # compiles the spec into the cache, warms SQLAlchemy
        start = time.perf_counter()
        for _ in range(n):
            zhidu_instance(zhidu.engine)
        return time.perf_counter() - start


# -- plain SpiffWorkflow -------------------------------------------------------------------------
def plain_specs() -> tuple[Any, dict[str, Any]]:
    """The complaint process parsed by SpiffBpmnParser, from an in-memory copy of the BPMN.

    The boundary timer's `<timeDuration>PT24H</timeDuration>` is plain ISO text, which zhidu's
    sandbox passes through but plain SpiffWorkflow evaluates as Python (NameError: PT24H).
    The copy given to plain Spiff therefore QUOTES it ('PT24H'); nothing else is changed and
    the default script engine is used.
    """
    from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser

    xml = (PROCESSES / "complaint_handling.bpmn").read_text(encoding="utf-8")
    quoted = xml.replace("<bpmn:timeDuration>PT24H</bpmn:timeDuration>",
                         "<bpmn:timeDuration>'PT24H'</bpmn:timeDuration>")
    if quoted == xml:
        raise RuntimeError("complaint_handling.bpmn no longer has the PT24H timer this bench quotes")
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(quoted.encode("utf-8"), filename="complaint_handling.bpmn")
    return parser.get_spec(PROCESS_KEY), parser.get_subprocess_specs(PROCESS_KEY)


def plain_instance(spec: Any, subprocess_specs: dict[str, Any]) -> None:
    """The same workload on plain SpiffWorkflow: start data, then each READY user task."""
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.util.task import TaskState

    workflow = BpmnWorkflow(spec, subprocess_specs)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(copy.deepcopy(START_DATA))
    workflow.do_engine_steps()
    steps = 0
    while not workflow.is_completed():
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if len(ready) != 1:
            raise RuntimeError(f"plain Spiff: expected one READY user task, found {len(ready)}")
        task = ready[0]
        task.data.update(copy.deepcopy(STEPS[task.task_spec.bpmn_id][1]))
        task.run()
        workflow.do_engine_steps()
        steps += 1
    if steps != len(STEPS):
        raise RuntimeError(f"plain Spiff completed after {steps} tasks, expected {len(STEPS)}")


def plain_run(n: int, spec: Any, subprocess_specs: dict[str, Any]) -> float:
    plain_instance(spec, subprocess_specs)  # warm-up
    start = time.perf_counter()
    for _ in range(n):
        plain_instance(spec, subprocess_specs)
    return time.perf_counter() - start


# -- entry point ---------------------------------------------------------------------------------
def main(n: int | None = None) -> dict[str, float]:
    n = n or env_int("ZHIDU_BENCH_INSTANCES", 50)
    repeats = max(1, env_int("ZHIDU_BENCH_REPEATS", 3))
    spec, subprocess_specs = plain_specs()
    zhidu_rates, plain_rates = [], []
    for _ in range(repeats):  # interleaved, so drift in machine load hits both alike
        zhidu_rates.append(n / zhidu_run(n))
        # A plain batch takes ~0.1 s, so one noisy moment swings it: run it PLAIN_BATCHES times.
        for _ in range(PLAIN_BATCHES):
            plain_rates.append(n / plain_run(n, spec, subprocess_specs))
    zhidu_rate, plain_rate = median(zhidu_rates), median(plain_rates)
    commands = 1 + len(STEPS)
    print(f"complaint: {n} instances x {commands} commands (main path), median of {len(zhidu_rates)} zhidu runs "
          f"and {len(plain_rates)} plain runs")
    print(f"complaint: zhidu {zhidu_rate:.1f} inst/s, plain SpiffWorkflow {plain_rate:.1f} inst/s, "
          f"ratio {zhidu_rate / plain_rate:.3f}")
    print(f"complaint: per command zhidu {1000 / (zhidu_rate * commands):.1f} ms, "
          f"plain {1000 / (plain_rate * commands):.2f} ms "
          f"(zhidu runs: {', '.join(f'{r:.1f}' for r in zhidu_rates)} inst/s; "
          f"plain runs: {', '.join(f'{r:.1f}' for r in plain_rates)} inst/s)")
    zhidu_ms, plain_ms = 1000 / (zhidu_rate * commands), 1000 / (plain_rate * commands)
    summary.record_plain_command(plain_ms)
    summary.record("complaint: ms per command (SQLite)", zhidu_ms, "ms", 3, ms_per_piece=zhidu_ms)
    return {"zhidu_inst_per_s": zhidu_rate, "plain_inst_per_s": plain_rate, "ratio": zhidu_rate / plain_rate}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else None)
