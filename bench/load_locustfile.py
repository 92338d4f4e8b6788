"""Locust users for `bench/load_test.py`: demo people working through the web UI.

Each simulated user signs in as a demo user (the roster below, in the order Locust creates
users) and then, with a think time between actions, works its inbox (opens a task, claims it,
fills in and submits its form), starts complaints, inquiries and suggestions, and opens the
pages of its requests. Forms are filled from the page itself: every field the form shows gets a
valid value (bench/load_forms.py), and the CSRF token comes from the page, as a browser sends them.

A completion counts as done only when the inbox it redirects to says so ("Task submitted."); a
task someone else took or finished first ("stale": the page says so and nothing changed) is a
conflict, not an error. So is a task page (or a submission) refused with 403 once the task has
left the user's inbox: someone else finished it a moment earlier and the case went on to other
people, so the user may no longer see it (zhidu answers 403 there rather than "already done"). Done completions, starts and conflicts are appended to the ledger file
(ZHIDU_LOAD_LEDGER) that the load test compares with the database afterwards.

Only the standard library, Locust and bench/load_forms.py (pure) are imported: Locust patches the
standard library with gevent before this file is loaded. Settings come from the environment: ZHIDU_LOAD_PASSWORD,
ZHIDU_LOAD_LEDGER, ZHIDU_LOAD_SEED, ZHIDU_LOAD_WAIT ("min,max" seconds of think time),
ZHIDU_LOAD_ACTIONS (each user stops after that many actions and the run ends when all have;
0, the default, runs until Locust's time is up). One user with a set number of actions does
the same requests in every run (a seeded choice over a database only it changes).
"""

from __future__ import annotations

import itertools
import os
import random
from urllib.parse import urlsplit

import gevent
from locust import FastHttpUser, between, task
from locust.exception import StopUser

from bench.load_forms import CSRF, INSTANCE_LINK, PROCEDURES, STALE, SUBMITTED, TASK_LINK, fill, form_fields

PASSWORD = os.environ.get("ZHIDU_LOAD_PASSWORD", "")
LEDGER = os.environ.get("ZHIDU_LOAD_LEDGER", "")
SEED = os.environ.get("ZHIDU_LOAD_SEED", "17")
WAIT = tuple(float(s) for s in os.environ.get("ZHIDU_LOAD_WAIT", "0.5,1.5").split(","))
ACTIONS = int(os.environ.get("ZHIDU_LOAD_ACTIONS") or 0)

# The people, in the order Locust starts users: the first few already carry a complaint from
# intake to review (staff, their manager, a handling department); 20 users cover every role the
# three procedures offer tasks to, customer service more than once (it takes most steps).
ROSTER = ("cs_staff1", "cs_manager", "mk_staff1", "cs_staff2", "da_staff1", "pm_staff1", "mk_manager",
          "director", "da_manager", "pm_manager", "cs_staff1", "cs_staff2", "mk_staff2", "da_staff2",
          "pm_staff2", "cs_manager", "cs_staff1", "cs_staff2", "mk_staff1", "da_staff1")
_roster, _finished = itertools.count(), itertools.count(1)
random.seed(SEED)  # Locust picks each next action and think time with the global generator


class Employee(FastHttpUser):
    """One demo person at their browser."""

    wait_time = between(*WAIT)
    default_headers = {"Accept-Language": "en"}

    def on_start(self) -> None:
        number = next(_roster)
        self.username = ROSTER[number % len(ROSTER)]
        self.rng, self.actions = random.Random(f"{SEED}-{number}"), 0
        page = self.page("/sign-in", "sign-in page")
        with self.client.post("/sign-in", name="sign in", allow_redirects=False, catch_response=True,
                              data={"username": self.username, "password": PASSWORD,
                                    "csrf_token": self.csrf(page)}) as response:
            if response.status_code != 302:
                response.failure(f"{self.username} could not sign in ({response.status_code})")

    # -- what people do -----------------------------------------------------------------------
    @task(6)
    def work_inbox(self) -> None:
        """Open the inbox, take a task from it, claim it if need be, fill in and submit its form."""
        self.pace()
        ids = sorted(set(TASK_LINK.findall(self.page("/", "inbox"))))
        if not ids:
            return
        task_id = self.rng.choice(ids)
        page = self.task_page(task_id)
        if f'action="/tasks/{task_id}/claim"' in page:
            if not self.claim(task_id, page):
                return
            page = self.task_page(task_id)
        controls = form_fields(page, "task-form")
        if controls is not None:
            self.submit(task_id, page, controls)

    @task(2)
    def start_one(self) -> None:
        """Start one of the procedures this person may start, then look at the new instance."""
        self.pace()
        listing = self.page("/start", "start list")
        keys = [key for key in PROCEDURES if f'href="/start/{key}"' in listing]
        if not keys:
            return
        key = self.rng.choice(keys)
        page = self.page(f"/start/{key}", "start form")
        data = {**self.filled(page, "start-form"), "csrf_token": self.csrf(page)}
        with self.client.post(f"/start/{key}", name="start", data=data, allow_redirects=False,
                              catch_response=True) as response:
            found = INSTANCE_LINK.search(f'href="{response.headers.get("Location", "")}"')
            if response.status_code != 302 or not found:
                response.failure(f"start {key}: {response.status_code}")
                return
        note("started", found.group(1), self.username)
        self.page(f"/instances/{found.group(1)}", "instance page")

    @task(2)
    def follow_requests(self) -> None:
        """Open my requests and one of them."""
        self.pace()
        ids = sorted(set(INSTANCE_LINK.findall(self.page("/requests", "my requests"))))
        if ids:
            self.page(f"/instances/{self.rng.choice(ids)}", "instance page")

    def pace(self) -> None:
        """Count an action; past ZHIDU_LOAD_ACTIONS the user stops, and the last one to stop ends the run."""
        self.actions += 1
        if ACTIONS and self.actions > ACTIONS:
            if next(_finished) >= self.environment.parsed_options.num_users:
                gevent.spawn(self.environment.runner.quit)
            raise StopUser()

    # -- steps -----------------------------------------------------------------------------------
    def claim(self, task_id: str, page: str) -> bool:
        """Claim the task; False when someone else was quicker (a conflict, not an error)."""
        with self.client.post(f"/tasks/{task_id}/claim", name="claim", allow_redirects=False, catch_response=True,
                              data={"csrf_token": self.csrf(page), "next": f"/tasks/{task_id}"}) as response:
            target = response.headers.get("Location", "")
            if response.status_code == 302 and target.endswith(f"/tasks/{task_id}"):
                return True
            if response.status_code == 302 and urlsplit(target).path == "/":  # back to the inbox: taken
                note("conflict", "claim", task_id)
                return False
            response.failure(f"claim: {response.status_code} -> {target}")
            return False

    def submit(self, task_id: str, page: str, controls: list[tuple[str, dict[str, str]]]) -> None:
        """Post the form; the inbox it leads to says whether it was done."""
        try:
            data = {**fill(controls, self.rng), "csrf_token": self.csrf(page)}
        except KeyError as err:
            self.environment.events.request.fire(request_type="FORM", name="fill form", response_time=0,
                                                 response_length=0, exception=KeyError(f"unknown field {err}"))
            return
        with self.client.post(f"/tasks/{task_id}", name="complete", data=data, allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code == 403 and self.moved_on(task_id, response, "complete"):
                return
            if response.status_code == 409:  # lost a race: nothing saved, the form comes back filled in
                response.success()
                note("conflict", "complete", task_id)
                return
            if response.status_code != 302:
                response.failure(f"complete: {response.status_code} {response.text[:200]!r}")
                return
        inbox = self.page("/", "inbox")
        if SUBMITTED in inbox:
            note("completed", task_id, self.username)
        elif any(text in inbox for text in STALE):
            note("conflict", "complete", task_id)
        else:
            self.environment.events.request.fire(request_type="CHECK", name="completion confirmed", response_time=0,
                                                 response_length=0, exception=RuntimeError("no confirmation shown"))

    def task_page(self, task_id: str) -> str:
        """GET a task's page ('' when there is nothing to do on it: a failure, or a conflict)."""
        with self.client.get(f"/tasks/{task_id}", name="task page", allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code == 200:
                return response.text or ""
            if response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path == "/":
                inbox = self.page("/", "inbox")  # why the task page sent the user back
                if any(text in inbox for text in STALE):
                    note("conflict", "task page", task_id)
                else:
                    response.failure("task page: sent back to the inbox without a reason")
                return ""
            if not (response.status_code == 403 and self.moved_on(task_id, response, "task page")):
                response.failure(f"task page: {response.status_code}")
            return ""

    def moved_on(self, task_id: str, response, kind: str) -> bool:
        """After a 403 on a task offered to this user a moment ago: True (a conflict, counted) if
        the task has left their inbox since, i.e. someone else finished it first."""
        if task_id in TASK_LINK.findall(self.page("/", "inbox")):
            return False
        response.success()
        note("conflict", kind, task_id)
        return True

    def page(self, path: str, name: str) -> str:
        """GET a page (the text, '' when it failed: a failure Locust counts)."""
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{name}: {response.status_code}")
                return ""
            return response.text or ""

    def filled(self, page: str, form_id: str) -> dict[str, str]:
        controls = form_fields(page, form_id) or []
        return fill(controls, self.rng)

    @staticmethod
    def csrf(page: str) -> str:
        found = CSRF.search(page)
        return found.group(1) if found else ""


def note(kind: str, key: str, detail: str) -> None:
    """Append one line to the ledger: started/completed/conflict, its id, who or what."""
    if LEDGER:
        with open(LEDGER, "a", encoding="utf-8") as ledger:
            ledger.write(f"{kind}\t{key}\t{detail}\n")
