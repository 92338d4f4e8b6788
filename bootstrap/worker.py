"""The worker's loop: in-process with `zhidu serve`, or alone as `zhidu worker`.

Each pass fires due timers, starts scheduled procedures and delivers due webhooks from the
outbox (decision 15). Each step is guarded on its own, so a receiver that is down never stops
the timers, nor a bad instance the webhooks.
"""

from __future__ import annotations

import logging
import threading

from bootstrap.wiring import build
from engine.runtime import Engine

log = logging.getLogger("zhidu.worker")
WEBHOOKS_PER_PASS = 100


def run_worker(interval: float, once: bool = False, stop: threading.Event | None = None) -> None:
    """Poll for due timers and webhooks every `interval` seconds until `stop` is set (or once)."""
    stop = stop or threading.Event()
    engine = build().engine
    while not stop.is_set():
        work_once(engine)
        if once:
            return
        stop.wait(interval)


def work_once(engine: Engine) -> None:
    """One pass: timers and schedules, then webhooks; a failure is logged, never raised."""
    try:
        fired = len(engine.fire_due_timers()) + len(engine.start_due_schedules())
        if fired:
            log.info("fired timers of %d instance(s)", fired)
    except Exception:  # the worker must outlive any one bad instance
        log.exception("timer pass failed")
    try:
        sent = engine.deliver_webhooks(WEBHOOKS_PER_PASS)
        if sent.delivered or sent.retrying or sent.failed:
            log.info("webhooks: %s", sent.to_dict())
    except Exception:  # nor any one database hiccup while delivering
        log.exception("webhook pass failed")
