"""Serving the web app, and the timer worker (in-process with `serve`, or alone as `zhidu worker`)."""

from __future__ import annotations

import logging
import threading

from webui.wiring import build

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


def serve(host: str, port: int, worker: bool = True) -> None:
    """Serve the web app with waitress; with `worker`, fire timers in a background thread."""
    from waitress import serve as waitress_serve

    from webui.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    app = create_app()
    if worker:
        threading.Thread(target=run_worker, args=(5.0,), daemon=True, name="zhidu-timers").start()
    print(f"zhidu serving on http://{host}:{port}/  (timer worker {'on' if worker else 'off'})", flush=True)
    waitress_serve(app, host=host, port=port, threads=8, ident="zhidu")
