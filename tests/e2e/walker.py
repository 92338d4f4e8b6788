"""A generic browser walker: drives one procedure from its start page to its end in Chromium,
as the people each task is offered to, with data generated from the published form schemas.

It knows no procedure. It reads the catalog (who may start, the start form), asks the engine
only who each open task is offered to (as a person would know from their inbox), and does
everything else as a person does: sign in, open the inbox, open the task, claim it, fill in
each field through the control the page shows for it, submit. A field with no control, a
control that cannot take a valid value, or a form the server refuses fails the walk naming
procedure, task and field.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Any

from engine.definitions.form_validation import ROLE_KEYWORD
from engine.errors import PermissionDenied
from engine.runtime import Engine
from engine.views import FormView, TaskView
from tests.e2e.conftest import sign_in
from tests.schema_values import SAMPLE_FILES, SchemaValues

MAX_TASKS = 80


class WalkFailed(AssertionError):
    """The walk could not go on; the message names procedure, task and field."""


@dataclass
class Walk:
    """One walk through one procedure in the browser."""

    engine: Engine
    browser: Any
    base: str
    key: str
    seed: int
    optional_rate: float = 0.5
    lang: str = "zh-CN"
    viewport: dict[str, int] = field(default_factory=lambda: {"width": 1360, "height": 900})
    pages: dict[str, Any] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)
    managing: set[str] = field(default_factory=set)  # managers who stepped in where duties kept all out

    def run(self) -> str:
        """Start the procedure and complete every task until it ends; returns the instance id."""
        try:
            instance_id = self.start()
            for _ in range(MAX_TASKS):
                view = self.engine.show(instance_id)
                if view.incident:
                    raise WalkFailed(f"{self.key}: incident after {self.steps[-1:]}: {view.incident}")
                if view.status != "running":
                    assert view.status == "completed", f"{self.key} ended {view.status}"
                    return instance_id
                if not view.active_tasks:
                    raise WalkFailed(f"{self.key}: running with no open task after {self.steps[-1:]}")
                self.complete(view.active_tasks[0])
            raise WalkFailed(f"{self.key}: not finished after {MAX_TASKS} tasks: {self.steps}")
        finally:
            for page in self.pages.values():
                page.context.close()

    def page_of(self, username: str):
        """A signed-in page of `username` (one browser context each, kept for the walk)."""
        if username not in self.pages:
            context = self.browser.new_context(viewport=self.viewport, locale=self.lang)
            page = context.new_page()
            page.set_default_timeout(15000)
            sign_in(page, self.base, username)
            self.pages[username] = page
        return self.pages[username]

    def start(self) -> str:
        process = next(p for p in self.engine.processes() if p.key == self.key)
        starter = self.someone_with(process.starters, f"{self.key}: nobody may start it")
        page = self.page_of(starter)
        page.goto(f"{self.base}/start")
        page.click(f"a[href$='/start/{self.key}']")
        page.wait_for_selector("#start-form")
        self.fill(page, "#start-form", process.start_form, "start form")
        self.submit(page, "#start-form", "start form")
        match = re.search(r"/instances/([0-9a-f-]{36})", page.url)
        if not match:
            raise WalkFailed(f"{self.key}: starting did not open the instance page ({page.url}): {visible_error(page)}")
        self.steps.append(f"start as {starter}")
        return match.group(1)

    def complete(self, task: TaskView) -> None:
        user = self.performer(task)
        page = self.page_of(user)
        if user in self.managing:  # offered to nobody separation of duties lets do it: a manager steps in
            page.goto(f"{self.base}/tasks/{task.id}")
        else:
            page.goto(f"{self.base}/")
            link = page.locator(f"a[href$='/tasks/{task.id}']")
            if link.count() == 0:
                raise WalkFailed(f"{self.key}: task {task.name} is not in the inbox of {user}")
            link.first.click()
        page.wait_for_selector("#task-title")
        claim = page.locator("form[action$='/claim'] button")
        if claim.count():
            claim.first.click()
            page.wait_for_selector("#task-form")
        self.fill(page, "#task-form", task.form, task.name)
        self.submit(page, "#task-form", task.name)
        self.steps.append(f"{task.name} as {user}")

    def performer(self, task: TaskView) -> str:
        """Someone whose inbox holds `task`: the named person, else a holder of an offered role."""
        people = [c.removeprefix("user:") for c in task.candidates if c.startswith("user:")]
        roles = [c.removeprefix("role:") for c in task.candidates if c.startswith("role:")]
        offered = people or [u.username for u in self.engine.users() if set(u.roles) & set(roles)]
        for username in offered:
            if username not in task.excluded and any(t.id == task.id for t in self.engine.tasks_for(username)):
                return username
        if offered and set(offered) <= set(task.excluded):  # separation of duties keeps them all out
            manager = self.manager_for(task)
            if manager is not None:
                self.managing.add(manager)
                return manager
        raise WalkFailed(f"{self.key}: task {task.name} is offered to {task.candidates} and nobody "
                         f"can act on it (a person named in the data who does not exist?)")

    def manager_for(self, task: TaskView) -> str | None:
        """A manager who may do a task its rules keep from everyone it is offered to."""
        for user in self.engine.users():
            if user.active and user.username not in task.excluded:
                try:
                    if "complete" in self.engine.task(task.id, user.username).actions:
                        return user.username
                except PermissionDenied:
                    continue
        return None

    def someone_with(self, roles: tuple[str, ...], failure: str) -> str:
        holders = sorted(u.username for u in self.engine.users() if u.active and set(u.roles) & set(roles))
        if not holders:
            raise WalkFailed(failure)
        return holders[self.seed % len(holders)]

    def fill(self, page, form: str, definition: FormView | None, step: str) -> None:
        if definition is None:
            return
        rng = random.Random(self.seed * 7919 + len(self.steps))
        values = SchemaValues(rng.randrange(10**9), self.optional_rate, pick=lambda name, prop: self.pick_person(rng, prop))
        data = values.form(definition.schema)
        for name, prop in definition.schema.get("properties", {}).items():
            scope = page.locator(f"{form} [data-field='{name}']")
            if scope.count() == 0:
                raise WalkFailed(f"{self.key}: {step}: field {name} has no control on the page")
            try:
                put_value(scope.first, name, prop, data.get(name))
            except WalkFailed as err:
                raise WalkFailed(f"{self.key}: {step}: {err}") from None

    def pick_person(self, rng: random.Random, prop: dict[str, Any]) -> str | None:
        """For a person field (`format: user`), someone its picker offers: an active user with
        the field's role, if it names one. The form's `x-distinct` keeps them apart."""
        if prop.get("format") != "user":
            return None
        wanted = prop.get(ROLE_KEYWORD)
        roles = {wanted} if isinstance(wanted, str) else set(wanted or [])
        people = sorted(u.username for u in self.engine.users() if u.active and (not roles or roles & set(u.roles)))
        return rng.choice(people) if people else None

    def submit(self, page, form: str, step: str) -> None:
        page.click(f"{form} button[type=submit]")
        page.wait_for_load_state()
        if page.locator("#error-message").count():
            raise WalkFailed(f"{self.key}: {step}: the server answered {visible_error(page)}")
        errors = page.locator("#form-errors")
        if errors.count():
            fields = page.locator(".zd-field:has(.field-error)").evaluate_all(
                "fs => fs.map(f => f.dataset.field + ': ' + f.querySelector('.field-error').innerText)")
            raise WalkFailed(f"{self.key}: {step}: the form was refused: {errors.inner_text()} {fields}")


def put_value(scope, name: str, prop: dict[str, Any], value: Any) -> None:
    """Set the control(s) of one field to `value` as a person would (click, choose, type)."""
    if value is None:
        return
    if prop.get("format") == "attachment":
        return put_file(scope, name, value)
    if prop.get("type") == "array" and prop.get("items", {}).get("type") == "object":
        return put_rows(scope, name, prop["items"], value)
    return put_control(scope, name, prop, value)


def put_file(scope, name: str, value: dict[str, Any]) -> None:
    """Choose the sample file the generated reference names (tests/schema_values.py) in the
    field's file input, as a person picks one from their computer."""
    inputs = scope.locator(f"input[type=file][name='{name}']")
    if inputs.count() == 0:
        raise WalkFailed(f"field {name} shows no file input")
    filename, content = SAMPLE_FILES[value["type"]]
    inputs.first.set_input_files(files=[{"name": filename, "mimeType": value["type"], "buffer": content}])


def put_control(scope, name: str, prop: dict[str, Any], value: Any) -> None:
    """Fill the visible input(s) named `name` inside `scope`: boxes are ticked, options chosen,
    text typed. A select of people (no enum) takes one of the people it offers."""
    inputs = scope.locator(f"[name='{name}']:not([type=hidden])")
    if inputs.count() == 0:
        raise WalkFailed(f"field {name} shows no input")
    kind = inputs.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if kind in ("input:radio", "input:checkbox"):
        return put_choices(inputs, name, value)
    if kind.startswith("select"):
        return put_select(inputs.first, name, prop, value)
    inputs.first.fill(text_of(value))
    return None


def put_select(select, name: str, prop: dict[str, Any], value: Any) -> None:
    offered = [o for o in select.locator("option").evaluate_all("os => os.map(o => o.value)") if o]
    wanted = [text_of(v) for v in value] if isinstance(value, list) else [text_of(value)]
    if not prop.get("enum") and not prop.get("items", {}).get("enum") and offered:
        wanted = [w if w in offered else offered[(i + len(name)) % len(offered)] for i, w in enumerate(wanted)]
    missing = set(wanted) - set(offered)
    if missing:
        raise WalkFailed(f"field {name}: no option for {sorted(missing)} among {offered}")
    select.select_option(wanted if isinstance(value, list) else wanted[0])


def put_choices(boxes, name: str, value: Any) -> None:
    values = boxes.evaluate_all("bs => bs.map(b => b.value)")
    if isinstance(value, bool) and len(values) == 1:
        boxes.first.set_checked(value)  # one checkbox carries a yes/no
        return
    wanted = [text_of(v) for v in (value if isinstance(value, list) else [value])]
    missing = set(wanted) - set(values)
    if missing and all(isinstance(v, str) for v in value if isinstance(value, list)) and len(values) >= len(wanted):
        wanted = values[:len(wanted)]  # people: whoever the boxes offer
        missing = set()
    if missing:
        raise WalkFailed(f"field {name}: no choice for {sorted(missing)} among {values}")
    for index, option in enumerate(values):
        box = boxes.nth(index)
        if option in wanted:
            box.check()
        elif box.get_attribute("type") == "checkbox":
            box.uncheck()


def put_rows(scope, name: str, item: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    existing = scope.locator("tbody tr")
    while existing.count() > len(rows):
        existing.last.locator("[data-remove-row]").click()
    while existing.count() < len(rows):
        scope.locator("[data-add-row]").click()
    for index, row in enumerate(rows):
        line = existing.nth(index)
        for column, prop in item.get("properties", {}).items():
            cell = f"{line_name(line, column)}"
            if not cell:
                raise WalkFailed(f"table {name}: column {column} has no input")
            value = row.get(column)
            if value is None:
                line.locator(f"[name='{cell}']:not([type=hidden])").evaluate_all(
                    "es => es.forEach(e => { if (e.tagName === 'SELECT') e.selectedIndex = 0;"
                    " else if (e.type === 'checkbox' || e.type === 'radio') e.checked = false; else e.value = ''; })")
            else:
                put_control(line, cell, prop, value)


def line_name(line, column: str) -> str | None:
    """The input name of `column` in one table row (`rows[3].column`)."""
    names = line.locator(f"[name$='].{column}']").evaluate_all("es => es.map(e => e.name)")
    return names[0] if names else None


def visible_error(page) -> str:
    message = page.locator("#error-message")
    return message.first.inner_text() if message.count() else page.title()


def text_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
