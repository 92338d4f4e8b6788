"""The timer worker's loop: in-process with `zhidu serve`, or alone as `zhidu worker`."""

from __future__ import annotations

import logging
import threading

from bootstrap.wiring import build

log = logging.getLogger("zhidu.worker")


def run_worker(interval: float, once: bool = False, stop: threading.Event | None = None) -> None:
    """Poll for due timers every `interval` seconds until `stop` is set (or once)."""
    stop = stop or threading.Event()
    engine = build().engine
    while not stop.is_set():
        try:
            fired = len(engine.fire_due_timers()) + len(engine.start_due_schedules())
            if fired:
                log.info("fired timers of %d instance(s)", fired)
        except Exception:  # the worker must outlive any one bad instance
            log.exception("timer pass failed")
        if once:
            return
        stop.wait(interval)
