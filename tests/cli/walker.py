"""A generic walker through the `zhidu` command line: it knows no procedure, only what the CLI
publishes — the catalog (`zhidu processes --json`: who may start, the start form's schema), the
people (`zhidu users --json`), each person's inbox (`zhidu tasks --as USER --json`, with each
task's form schema) and an instance's state as the commands print it.

It starts a procedure as someone allowed to, then completes open tasks one by one as one of the
people whose inbox holds the task (so whatever keeps a task out of someone's inbox — separation
of duties, absences — is respected as a person meets it), with data generated from the form's
schema (tests/schema_values.py) and files attached with `--file` (start and complete). When the
instance waits with no open task, it fires timers with `zhidu fire-timers --now` a long wait
after the instance last moved; now and then it leaves tasks that have a due time lying past it,
so the timers watching them (reminders, escalations, deadlines) fire too. The walk fails, naming
procedure, step and the CLI's answer, on any refusal or incident; it ends when the instance
does, or after MAX_STEPS for procedures that loop.
"""

from __future__ import annotations

import json
import math
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from engine.definitions.form_validation import ROLE_KEYWORD
from tests.schema_values import SAMPLE_FILES, SchemaValues

Cli = Callable[..., tuple[int, Any]]   # `zhidu ARGS --json` -> (exit code, the JSON document)
MAX_STEPS = 40          # the optional walker's bound: loops back (revise, remind) may go on
LONG_WAIT = timedelta(days=40)  # past any timer the procedures set (the longest is P1M)
CLAIMS = 0.3            # how often a task is claimed before it is completed (completing claims it too)
WAITS = 3               # a timer set from a date in the data may lie beyond one long wait
OVERDUE = 0.3           # how often tasks that have a due time are left lying past it


class WalkFailed(AssertionError):
    """The walk could not go on; the message names procedure, step and what the CLI said."""


@dataclass(frozen=True)
class Published:
    """What the CLI publishes for everyone: the deployed procedures and the people."""

    processes: dict[str, dict[str, Any]]
    users: list[dict[str, Any]]

    @classmethod
    def read(cls, cli: Cli) -> Published:
        return cls({p["key"]: p for p in answer(cli, "processes")}, answer(cli, "users"))

    def holders(self, roles: set[str]) -> list[str]:
        """Active users holding any of `roles`, by username."""
        return sorted(u["username"] for u in self.users if u["active"] and roles & set(u["roles"]))


def answer(cli: Cli, *args: str) -> Any:
    """The JSON document of a command that must succeed."""
    code, document = cli(*args)
    if code != 0:
        raise WalkFailed(f"`zhidu {' '.join(args)}` failed: {document}")
    return document


@dataclass
class CliWalk:
    """One walk of procedure `key` through the CLI with one seed.

    Args:
        cli: runs one command (in-process or as a subprocess).
        published: the catalog and people, as the CLI lists them.
        folder: where the walk writes the files it attaches.
        on_clock: told each moment timers were fired at (an in-process run moves its clock there).
    """

    cli: Cli
    published: Published
    key: str
    seed: int
    optional_rate: float
    folder: Path
    on_clock: Callable[[datetime], None] = lambda moment: None
    steps: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.key}/{self.seed}")
        self.values = SchemaValues(self.rng.randrange(10**9), self.optional_rate, pick=self.pick)
        self.taken: set[str] = set()
        self.lingered: set[str] = set()  # tasks left lying once already (each is let go overdue once)

    def run(self) -> tuple[str, str]:
        """Start and walk until the instance ends or MAX_STEPS; (instance id, final status)."""
        instance = self.start()
        for _ in range(MAX_STEPS):
            self.check(instance)
            if instance["status"] != "running":
                return instance["id"], instance["status"]
            if not instance["active_tasks"]:
                instance = answer(self.cli, "show", instance["id"])  # a command may print only what it opened
            if not instance["active_tasks"]:
                instance = self.wake(instance)
            elif (wait := self.overdue_wait(instance)) is not None:
                instance = self.linger(instance, wait)
            else:
                instance = self.complete(self.rng.choice(instance["active_tasks"]))
        self.check(instance)
        return instance["id"], instance["status"]

    def check(self, instance: dict[str, Any]) -> None:
        if instance.get("incident") or instance["status"] not in ("running", "completed"):
            raise WalkFailed(f"{self.key}: {instance['status']} after {self.steps[-3:]}: {instance.get('incident')}")

    def start(self) -> dict[str, Any]:
        """Start as one of the people the catalog allows (a refused starter, e.g. a manager of
        another department, makes way for the next)."""
        process = self.published.processes[self.key]
        starters = self.published.holders(set(process["starters"]))
        self.rng.shuffle(starters)
        refusals = []
        for starter in starters:
            schema = (process["start_form"] or {}).get("schema")
            data, files = self.form(schema, "start form")
            code, document = self.cli("start", self.key, "--as", starter, "--data", json.dumps(data),
                                      *_file_args(files))
            if code == 0:
                self.steps.append(f"started as {starter} with {data} {files}")
                return document
            if document.get("error") != "permission_denied":
                raise WalkFailed(f"{self.key}: starting as {starter} with {data} {files}: refused: {document}")
            refusals.append(f"{starter}: {document.get('message')}")
        raise WalkFailed(f"{self.key}: nobody in {process['starters']} could start it: {refusals}")

    def complete(self, task: dict[str, Any]) -> dict[str, Any]:
        """Complete `task` as someone whose inbox holds it, claiming it first on some steps."""
        user, offered = self.performer(task)
        data, files = self.form((offered.get("form") or {}).get("schema"), task["name"])
        step = f"{task['name']} as {user} with {data} {files}"
        self.steps.append(step)
        if self.rng.random() < CLAIMS:
            answer(self.cli, "claim", task["id"], "--as", user)
        code, document = self.cli("complete", task["id"], "--as", user, "--data", json.dumps(data),
                                  *_file_args(files))
        if code != 0:
            raise WalkFailed(f"{self.key}: {step}: refused: {document}")
        return document

    def performer(self, task: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """One of the people whose inbox holds `task`, with the task as their inbox shows it:
        those it names, else holders of the roles it is offered to, asked in the seed's order."""
        named = {c.removeprefix("user:") for c in task["candidates"] if c.startswith("user:")}
        roles = {c.removeprefix("role:") for c in task["candidates"] if c.startswith("role:")}
        people = sorted(named | set(self.published.holders(roles)))
        self.rng.shuffle(people)
        for person in people:
            mine = [t for t in answer(self.cli, "tasks", "--as", person) if t["id"] == task["id"]]
            if mine:
                return person, mine[0]
        raise WalkFailed(f"{self.key}: {task['name']} is offered to {task['candidates']}, in nobody's inbox "
                         f"(asked {people})")

    def wake(self, instance: dict[str, Any]) -> dict[str, Any]:
        """Fire timers a long wait after the instance last moved, until one of its own fires."""
        for _ in range(WAITS):
            moment, fired = self.fire(instance, LONG_WAIT)
            if fired:
                return answer(self.cli, "show", instance["id"])
            instance = {**instance, "updated_at": moment.isoformat()}
        raise WalkFailed(f"{self.key}: running with no open task and no timer after {self.steps[-3:]}")

    def overdue_wait(self, instance: dict[str, Any]) -> timedelta | None:
        """Now and then (OVERDUE), how long to leave the open tasks lying: whole days from when
        the instance last moved until past the first one's due time, and up to a week more."""
        dues = [datetime.fromisoformat(t["due_at"]) for t in instance["active_tasks"]
                if t["due_at"] and t["id"] not in self.lingered]
        if not dues or self.rng.random() >= OVERDUE:
            return None
        days = math.ceil((min(dues) - datetime.fromisoformat(instance["updated_at"])) / timedelta(days=1))
        return timedelta(days=max(days, 1) + self.rng.randint(0, 7))

    def linger(self, instance: dict[str, Any], wait: timedelta) -> dict[str, Any]:
        """Leave the open tasks lying for `wait`, as people sometimes do: the timers watching them
        (reminders, escalations, deadlines) that fall due meanwhile fire."""
        self.steps.append(f"left {[t['name'] for t in instance['active_tasks']]} lying {wait.days} days")
        self.lingered.update(t["id"] for t in instance["active_tasks"])
        self.fire(instance, wait)
        return answer(self.cli, "show", instance["id"])

    def fire(self, instance: dict[str, Any], wait: timedelta) -> tuple[datetime, list[str]]:
        """`zhidu fire-timers` `wait` after the instance last moved (whole days: the hour of day
        stays); the moment, and the elements of this instance that fired."""
        moment = datetime.fromisoformat(instance["updated_at"]) + wait
        fired = answer(self.cli, "fire-timers", "--now", moment.isoformat())
        self.on_clock(moment)
        mine = [e for f in fired["fired"] if f["instance_id"] == instance["id"] for e in f["elements"]]
        self.steps.append(f"timers fired at {moment.isoformat()}: {mine}")
        return moment, mine

    def form(self, schema: dict[str, Any] | None, step: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Data for a form and the files to attach (field -> path), generated from its schema."""
        if not schema:
            return {}, {}
        self.taken = set()
        data = self.values.form(schema)
        files = {}
        for name, prop in (schema.get("properties") or {}).items():
            if prop.get("format") == "attachment" and name in data:
                files[name] = self.sample_file(data.pop(name))
        if _nested_attachment(data):
            raise WalkFailed(f"{self.key}: {step}: a file inside a table; `--file` takes top-level fields")
        return data, files

    def sample_file(self, reference: dict[str, Any]) -> str:
        name, content = SAMPLE_FILES[reference["type"]]
        path = self.folder / name
        path.write_bytes(content)
        return str(path)

    def pick(self, name: str, prop: dict[str, Any]) -> str | None:
        """People for fields that name people, as a person fills them: a user field gets an
        active user holding its role (any role if none), a text field whose pattern takes
        usernames gets one or two; within one form each person once (nobody reviews themselves)."""
        wanted = prop.get(ROLE_KEYWORD)
        roles = {wanted} if isinstance(wanted, str) else set(wanted or ())
        everyone = {u["username"] for u in self.published.users if u["active"]}
        people = sorted((set(self.published.holders(roles)) if roles else everyone) - self.taken)
        if prop.get("format") == "user":
            chosen = [self.rng.choice(people)]
        elif prop.get("type", "string") == "string" and prop.get("pattern") and _takes_usernames(prop["pattern"]):
            chosen = self.rng.sample(people, self.rng.randint(1, 2))
        else:
            return None
        self.taken.update(chosen)
        return ", ".join(chosen)


def _file_args(files: dict[str, str]) -> list[str]:
    """`--file FIELD=PATH` for each file to attach."""
    return [arg for name, path in files.items() for arg in ("--file", f"{name}={path}")]


def _takes_usernames(pattern: str) -> bool:
    return re.fullmatch(pattern, "cs_staff1, mk_staff2") is not None


def _nested_attachment(value: Any) -> bool:
    """Whether generated data still holds a file reference (one inside a table's rows)."""
    if isinstance(value, dict):
        return {"sha256", "type"} <= set(value) or any(_nested_attachment(v) for v in value.values())
    if isinstance(value, list):
        return any(_nested_attachment(v) for v in value)
    return False
