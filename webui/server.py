"""Serving the web app with waitress, with the timer worker in a background thread."""

from __future__ import annotations

import logging
import threading

from bootstrap.worker import run_worker


def serve(host: str, port: int, worker: bool = True) -> None:
    """Serve the web app with waitress; with `worker`, fire timers in a background thread."""
    from waitress import serve as waitress_serve

    from webui.app import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # SpiffWorkflow logs every task state change at INFO: the journal records what matters.
    logging.getLogger("spiff").setLevel(logging.WARNING)
    app = create_app()
    if worker:
        threading.Thread(target=run_worker, args=(5.0,), daemon=True, name="zhidu-timers").start()
    print(f"zhidu serving on http://{host}:{port}/  (timer worker {'on' if worker else 'off'})", flush=True)
    waitress_serve(app, host=host, port=port, threads=8, ident="zhidu")
