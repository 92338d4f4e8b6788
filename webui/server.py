"""Serving the web app: waitress in one process (the default), or gunicorn with several
processes (`zhidu serve --workers N`, issue 17) — with the timer worker beside it.

In one process the timer worker is a background thread. With several web processes it is one
child process (`zhidu worker`), so timers fire once however many web processes there are;
more `zhidu worker` processes may run anywhere on PostgreSQL.

Either way each request writes one access-log line on standard output in the same format
(webui/access_log.py), and SpiffWorkflow's loggers are held at WARNING: they log every task's
state change at INFO, and the journal records what matters.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from typing import Any

from bootstrap.worker import run_worker
from webui.access_log import ACCESS_LOG_FORMAT, AccessLog


def serve(host: str, port: int, worker: bool = True, processes: int = 1) -> None:
    """Serve the web app; with `worker`, fire timers beside it (see the module's docstring)."""
    from webui.app import create_app, session_key

    _quiet_logs()
    if processes > 1:
        session_key()  # made once here, before the web processes could race to make their own
        _serve_processes(host, port, processes, worker)
        return
    from waitress import serve as waitress_serve

    app = create_app()
    if worker:
        threading.Thread(target=run_worker, args=(5.0,), daemon=True, name="zhidu-timers").start()
    print(f"zhidu serving on http://{host}:{port}/  (timer worker {'on' if worker else 'off'})", flush=True)
    waitress_serve(AccessLog(app), host=host, port=port, threads=8, ident="zhidu")


def _quiet_logs() -> None:
    """zhidu's own messages at INFO; SpiffWorkflow's (every task state change) only from WARNING."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)


def _serve_processes(host: str, port: int, processes: int, worker: bool) -> None:
    """gunicorn with `processes` web processes, each building its own app and engine."""
    from gunicorn.app.base import BaseApplication

    from webui.app import create_app

    class Gunicorn(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            _quiet_logs()
            return create_app()

    options = {"bind": f"{host}:{port}", "workers": processes, "worker_class": "gthread", "threads": 4,
               "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT, "proc_name": "zhidu"}
    timers = subprocess.Popen([sys.executable, "-m", "cli", "worker"]) if worker else None
    print(f"zhidu serving on http://{host}:{port}/ with {processes} processes "
          f"(timer worker {'on' if worker else 'off'})", flush=True)
    try:
        Gunicorn().run()
    finally:
        if timers is not None:
            timers.terminate()
            timers.wait(10)
