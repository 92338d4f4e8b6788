"""Completing a task over the REST API beside completing it through the web form, in one run.

Both go through the Flask test client against one SQLite database with the demo organisation:
each round starts a complaint (outside the timing), then times one completion of its first task
— `POST /api/v1/tasks/{id}/complete` with a bearer token, and `POST /tasks/{id}` with the
signed-in form, posted as a browser does from the task page it opened before (the page's hidden
fields: the CSRF token and the form reference; the page is read outside the timing) — and
prints p50/p95 per way and their ratio. ZHIDU_BENCH_ROUNDS sets the rounds.

The engine command (`Engine.complete_task`) is timed inside each request too, so each way also
prints what the web layer adds around it (request time minus command time, per request): sign-in
or token check, CSRF, the pre-read of the form, the session cookie, the redirect or the JSON.
A browser follows the web form's redirect to the inbox, which shows and so removes the
"completed" message; the bench drops it from the session outside the timing instead, or each
round's cookie would carry every earlier round's message (50 on average over 100 rounds).
"""

from __future__ import annotations

import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from werkzeug.security import generate_password_hash

from bench import summary
from bench.common import FORMS, PROCESSES, env_int
from bootstrap.wiring import DEMO_PASSWORD, initialise
from engine.definitions.bundles import load_catalog
from engine.definitions.organisation import parse_organisation
from webui.app import create_app

INTAKE = {"customer_name": "王女士", "contact": "13800000000", "channel": "phone", "category": "service",
          "severity": "high", "description": "快递三次未送达"}
RECORD = {"details": "已安抚", "customer_calmed": True}
FORM = {"details": "已安抚", "customer_calmed": "true"}
HIDDEN = {name: re.compile(rf'name="{name}" value="([^"]+)"') for name in ("csrf_token", "form_ref")}


def main() -> None:
    rounds = env_int("ZHIDU_BENCH_ROUNDS", 200)
    directory = Path(tempfile.mkdtemp(prefix="zhidu-bench-api-"))
    try:
        engine = _engine(directory)
        app = create_app({"SECRET_KEY": "bench", "ENGINE": engine})
        _, secret = engine.create_token("cs_staff1", "bench")
        api, web = app.test_client(), app.test_client()
        _sign_in(web, "cs_staff1")
        headers = {"Authorization": f"Bearer {secret}"}
        command = _CommandTimer(engine)
        timings: dict[str, list[float]] = {"api": [], "web": []}
        layer: dict[str, list[float]] = {"api": [], "web": []}
        for index in range(rounds * 2):
            way = "api" if index % 2 == 0 else "web"  # interleaved: both see the same database growth
            task_id = engine.start("complaint_handling", "cs_staff1", INTAKE).active_tasks[0].id
            form = _page_form(web, task_id) if way == "web" else {}
            command.last = 0.0
            began = time.perf_counter()
            if way == "api":
                response = api.post(f"/api/v1/tasks/{task_id}/complete", json=RECORD, headers=headers)
            else:
                response = web.post(f"/tasks/{task_id}", data={**FORM, **form})
            elapsed = (time.perf_counter() - began) * 1000
            assert response.status_code in (200, 302, 303), (way, response.status_code, response.get_data()[:300])
            timings[way].append(elapsed)
            layer[way].append(elapsed - command.last)
            if way == "web":
                _read_messages(web)
        for way, values in timings.items():
            print(f"   {way:3s} task completion: p50 {statistics.median(values):.2f} ms, "
                  f"p95 {_p95(values):.2f} ms over {len(values)} completions; web layer around the command: "
                  f"p50 {statistics.median(layer[way]):.2f} ms, p95 {_p95(layer[way]):.2f} ms")
        web_ms, api_ms = statistics.median(timings["web"]), statistics.median(timings["api"])
        summary.record("HTTP task completion p50 (web form, SQLite)", web_ms, "ms", 8, ms_per_piece=web_ms)
        summary.record("HTTP task completion p50 (REST API, SQLite)", api_ms, "ms", 8, ms_per_piece=api_ms)
        summary.record("web layer around a completion p50 (web form)", statistics.median(layer["web"]), "ms")
        summary.record("web layer around a completion p50 (REST API)", statistics.median(layer["api"]), "ms")
        print(f"   api/web ratio at p50: {api_ms / web_ms:.2f}")
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _engine(directory: Path):
    services = initialise(f"sqlite:///{directory / 'zhidu.db'}")
    engine = services.engine
    engine.deploy(load_catalog(PROCESSES, FORMS, only={"complaint_handling"}), actor="bench")
    organisation = PROCESSES / "organisation.yaml"
    engine.load_organisation(parse_organisation(
        organisation.read_text(encoding="utf-8"), str(organisation),
        lambda p: generate_password_hash(p, method="pbkdf2:sha256:1000"), DEMO_PASSWORD))
    return engine


class _CommandTimer:
    """Wraps the engine's `complete_task` so the bench knows how long the command itself took
    (`last`, ms) inside the request that called it."""

    def __init__(self, engine):
        self.last, self._complete = 0.0, engine.complete_task
        engine.complete_task = self

    def __call__(self, *args, **kwargs):
        began = time.perf_counter()
        try:
            return self._complete(*args, **kwargs)
        finally:
            self.last = (time.perf_counter() - began) * 1000


def _page_form(client, task_id: str) -> dict[str, str]:
    """The hidden fields of the task page's form, as the browser sends them back."""
    page = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    return {name: HIDDEN[name].search(page).group(1) for name in HIDDEN}


def _read_messages(client) -> None:
    """What the redirect's inbox does for a browser: show the flashed messages, which empties them."""
    with client.session_transaction() as session:
        session.pop("_flashes", None)


def _sign_in(client, username: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = HIDDEN["csrf_token"].search(page).group(1)
    client.post("/sign-in", data={"username": username, "password": DEMO_PASSWORD, "csrf_token": token})


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]


if __name__ == "__main__":
    main()
