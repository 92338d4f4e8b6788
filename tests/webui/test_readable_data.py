"""People read words, not data structures: the data formatter and every page that shows data."""

from __future__ import annotations

import html as html_lib
import random
import re
from datetime import timezone

import pytest

from engine.definitions.bundles import load_catalog
from engine.views import FormView
from engine.files import is_reference
from tests.schema_values import SchemaValues
from tests.webui.conftest import Auth
from tests.webui.support import FORMS, PROCESSES, build_services
from webui.app import create_app
from webui.views.data_display import DataDisplay, humanise

FORM = FormView("f", {"type": "object", "properties": {
    "category": {"type": "string", "enum": ["billing", "other"]},
    "urgent": {"type": "boolean"},
    "sessions": {"type": "array", "items": {"type": "object", "properties": {
        "topic": {"type": "string"}, "held_on": {"type": "string", "format": "date"}}}},
    "tags": {"type": "array", "items": {"type": "string", "enum": ["a", "b"]}},
}}, {"zh": "表", "en": "Form"}, {"order": ["category", "urgent", "sessions", "tags"], "fields": {
    "category": {"label": {"zh": "分类", "en": "Category"},
                 "options": {"billing": {"zh": "费用", "en": "Billing"}, "other": {"zh": "其他", "en": "Other"}}},
    "urgent": {"label": {"zh": "紧急", "en": "Urgent"}},
    "sessions": {"label": {"zh": "课程", "en": "Sessions"}, "columns": {
        "topic": {"label": {"zh": "主题", "en": "Topic"}}, "held_on": {"label": {"zh": "日期", "en": "Date"}}}},
    "tags": {"label": {"zh": "标签", "en": "Tags"}, "options": {"a": {"zh": "甲", "en": "A"}, "b": {"zh": "乙", "en": "B"}}},
}})
PEOPLE = {"da_staff1": "赵磊"}


def test_values_read_as_words_in_both_languages():
    data = {"category": "billing", "urgent": True, "tags": ["a", "b"], "started_by": "da_staff1",
            "sessions": [{"topic": "入门", "held_on": "2026-12-31"}], "note": None,
            "at": "2026-11-29T20:00:00+00:00", "extra": {"owner": "da_staff1", "done": False}}
    zh = {r.key: r for r in DataDisplay([FORM], "zh", PEOPLE, "Asia/Shanghai").rows(data)}
    assert [r for r in zh][:4] == ["category", "urgent", "sessions", "tags"]
    assert (zh["category"].label, zh["category"].value.text) == ("分类", "费用")
    assert zh["urgent"].value.text == "是" and zh["tags"].value.text == "甲，乙"
    assert (zh["started_by"].label, zh["started_by"].value.text) == ("发起人", "赵磊")
    assert zh["note"].value.text == "—"
    assert zh["at"].value.text == "2026-11-30 04:00"
    table = zh["sessions"].value
    assert table.kind == "table" and table.columns == ("主题", "日期")
    assert [c.text for c in table.cells[0]] == ["入门", "2026-12-31"]
    nested = zh["extra"].value
    assert nested.kind == "fields" and [(f.label, f.value.text) for f in nested.fields] == [("Owner", "赵磊"), ("Done", "否")]
    en = {r.key: r for r in DataDisplay([FORM], "en", PEOPLE, timezone.utc).rows(data)}
    assert (en["urgent"].value.text, en["started_by"].label, en["at"].value.text) == ("Yes", "Started by", "2026-11-29 20:00")
    assert en["sessions"].value.plain("en") == "Topic: 入门, Date: 2026-12-31"


def test_rows_of_given_keys_keep_their_order_and_skip_missing():
    display = DataDisplay([FORM], "en")
    assert [r.key for r in display.rows({"urgent": False, "category": "other"}, ["urgent", "gone", "category"])] == \
        ["urgent", "category"]


# -- every procedure, walked at engine level with data generated from its schemas -----------

MAX_TASKS = 40


def generated(seed: int, users, files=None) -> SchemaValues:
    """Data a person might enter, from the forms' schemas (tests/schema_values.py); person
    fields name active users with the field's role, as the form's picker offers them."""
    rng = random.Random(seed)
    people = [u for u in users if u.active]

    def pick(name: str, prop: dict):
        if prop.get("format") != "user":
            return None
        wanted = prop.get("x-role")
        roles = {wanted} if isinstance(wanted, str) else set(wanted or ())
        return rng.choice([u.username for u in people if not roles or roles & set(u.roles)])
    return SchemaValues(seed, 0.5, pick, files)


def visible_text(page: str) -> str:
    """What a person reads of a page's main content: no scripts, templates, tags or attributes."""
    main = page[page.index("<main"):page.index("</main>")]
    main = re.sub(r"<(script|template|style)\b.*?</\1>", " ", main, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", main))


def around(text: str, word: str) -> str:
    at = re.search(rf"\b{word}\b", text).start()
    return " ".join(text[max(0, at - 60):at + 60].split())


def data_keys(value, keys: set[str]) -> set[str]:
    if is_reference(value):  # an attached file reads as its name and size, not as its keys
        return keys
    if isinstance(value, dict):
        for key, item in value.items():
            keys.add(key)
            data_keys(item, keys)
    elif isinstance(value, list):
        for item in value:
            data_keys(item, keys)
    return keys


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    services = build_services(f"sqlite:///{tmp_path_factory.mktemp('readable') / 'zhidu.db'}")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "ENGINE": services.engine})
    yield services.engine, app
    services.db.dispose()


class Reader:
    """Signs in as each user in turn and checks what they read."""

    def __init__(self, app, engine):
        self.app, self.engine = app, engine
        self.people = {u.username: u.name for u in engine.users()}

    def read(self, username: str, url: str, lang: str, keys: set[str]) -> str:
        client = self.app.test_client()
        auth = Auth(client)
        auth.sign_in(username)
        auth.post("/language", {"lang": lang, "next": "/"})
        response = client.get(url)
        assert response.status_code == 200, (url, username, response.status_code)
        text = visible_text(response.get_data(as_text=True))
        problems = [bad for bad in ("{'", "[{", "True", "False", "None", "[]", "{}") if bad in text]
        problems += [f"message key {m}" for m in re.findall(r"\b(?:kind|status|col|data|instance)\.[a-z_]+\b", text)]
        problems += [f"username {u}: {around(text, u)}" for u, name in self.people.items()
                     if name != u and "_" in u and re.search(rf"\b{u}\b", text)]
        problems += [f"key {k}: {around(text, k)}" for k in keys if "_" in k and re.search(rf"\b{k}\b", text)]
        assert not problems, f"{url} as {username} ({lang}) shows {problems}"
        return text


def assert_labelled(engine, instance_id: str, keys: set[str]) -> None:
    """Every key of the data has a label from a form, the catalog's data_fields or zhidu itself."""
    forms = engine.instance_forms(instance_id)
    display = DataDisplay(forms, "zh", data_fields=engine.data_fields(instance_id))
    columns = {c for f in forms for h in (f.ui.get("fields") or {}).values() for c, ch in (h.get("columns") or {}).items()
               if ch.get("label")}
    unlabelled = sorted(k for k in keys if k not in columns and display.label(k) == humanise(k))
    assert not unlabelled, f"{engine.show(instance_id).process_key}: no label for {unlabelled}"


def performer(engine, task) -> str | None:
    """Someone the task is offered to: a named person or a role holder, never one the task's
    separation of duties keeps out."""
    users = [u for u in engine.users() if u.active and u.username not in task.excluded]
    for candidate in task.candidates:
        kind, _, name = candidate.partition(":")
        if kind == "user" and any(u.username == name for u in users):
            return name
        if kind == "role":
            holders = [u.username for u in users if name in u.roles]
            if holders:
                return holders[0]
    return None


@pytest.mark.parametrize("key", [e.key for e in load_catalog(PROCESSES, FORMS)])
def test_every_page_with_data_reads_as_words(site, key):
    engine, app = site
    reader, gen = Reader(app, engine), generated(sum(map(ord, key)), engine.users(), engine.files)
    process = next(p for p in engine.processes() if p.key == key)
    starter = next(u.username for u in engine.users() if u.active and set(u.roles) & set(process.starters or ("x",)))
    instance = engine.start(key, starter, gen.form(process.start_form.schema) if process.start_form else {})
    seen: set[str] = set()
    for step in range(MAX_TASKS):
        view = engine.show(instance.id)
        ready = [(t, performer(engine, t)) for t in view.active_tasks]
        ready = [(t, who) for t, who in ready if who]
        if view.status != "running" or not ready:
            break
        task, who = ready[0]
        keys = data_keys(view.data, set())
        seen |= data_keys(engine.task_context(task.id, "director"), set())
        reader.read(who, f"/tasks/{task.id}", ("zh", "en")[step % 2], keys)
        form = engine.task(task.id).form
        engine.complete_task(task.id, who, gen.form(form.schema) if form else {})
    keys = data_keys(engine.show(instance.id).data, set())
    assert_labelled(engine, instance.id, seen | keys)
    for lang in ("zh", "en"):
        reader.read("director", f"/instances/{instance.id}", lang, keys)
    reader.read(starter, f"/instances/{instance.id}", "zh", keys)
    reader.read(starter, "/requests", "en", keys)


def test_a_lone_row_of_a_table_reads_with_the_table_columns_and_an_empty_list_as_a_dash():
    rows = {r.key: r for r in DataDisplay([FORM], "zh").rows({"session": {"topic": "入门"}, "evaluations": []})}
    assert [(f.label, f.value.text) for f in rows["session"].value.fields] == [("主题", "入门")]
    assert rows["evaluations"].value.text == "—"
