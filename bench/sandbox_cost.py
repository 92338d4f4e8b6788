"""What the script sandbox costs per script: plain exec, the restricted runner in process, and
the worker pool zhidu uses (engine/spiff/script_environment.py says why), in the same run.

`python -m bench sandbox_cost`; ZHIDU_BENCH_SANDBOX_RUNS sets the runs per figure (default 2000).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable

from bench.common import env_int, median

# Shaped like the shipped models' scripts and gateway conditions (processes/*.bpmn).
SCRIPT = ("inquiry_record = {'channel': channel, 'topic': topic, 'department': department "
          "if handling == 'transfer' else 'customer-service', 'resolved': resolved, "
          "'answered_at': now().isoformat()}\nscore_total = sum([s['score'] for s in scores])")
EXPRESSION = "severity == 'high' and amount > 10000"
DATA = {"channel": "phone", "topic": "billing", "department": "data-analysis", "handling": "transfer",
        "resolved": True, "severity": "high", "amount": 20000,
        "scores": [{"name": f"item {i}", "score": i} for i in range(10)]}
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)


def per_run_us(run: Callable[[], Any], runs: int) -> float:
    """Median µs of one call, over `runs` calls in batches of ten (after a warm-up)."""
    for _ in range(20):
        run()
    samples = []
    for _ in range(max(1, runs // 10)):
        began = time.perf_counter()
        for _ in range(10):
            run()
        samples.append((time.perf_counter() - began) / 10 * 1e6)
    return median(samples)


def contenders() -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """(script run, expression run) for each way of running a script."""
    from engine.clock import FixedClock
    from engine.spiff.script_environment import SandboxEnvironment
    from engine.sandbox.runner import ScriptRunner

    plain_globals = {"now": lambda: NOW}
    plain_script, plain_expression = compile(SCRIPT, "<plain>", "exec"), compile(EXPRESSION, "<plain>", "eval")
    runner = ScriptRunner({"now": lambda: NOW})
    sandbox = SandboxEnvironment(FixedClock(NOW))
    return {
        "plain exec (no sandbox)": (lambda: exec(plain_script, {**plain_globals, **DATA}),
                                    lambda: eval(plain_expression, {**plain_globals, **DATA})),
        "restricted, in process": (lambda: runner.execute(SCRIPT, dict(DATA)),
                                   lambda: runner.evaluate(EXPRESSION, DATA)),
        "sandbox worker (zhidu)": (lambda: sandbox.execute(SCRIPT, dict(DATA)),
                                   lambda: sandbox.evaluate(EXPRESSION, DATA)),
    }


def main() -> None:
    runs = env_int("ZHIDU_BENCH_SANDBOX_RUNS", 2000)
    figures = {name: (per_run_us(script, runs), per_run_us(expression, runs))
               for name, (script, expression) in contenders().items()}
    plain_script, plain_expression = figures["plain exec (no sandbox)"]
    print(f"median µs per run over {runs} runs (ratio to plain exec in this run)")
    print(f"  {'':<26} {'script':>18} {'expression':>20}")
    for name, (script, expression) in figures.items():
        print(f"  {name:<26} {script:>9.1f} µs {script / plain_script:>6.0f}x "
              f"{expression:>9.1f} µs {expression / plain_expression:>6.0f}x")
