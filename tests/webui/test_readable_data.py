"""People read words, not data structures: the data formatter and every page that shows data."""

from __future__ import annotations

import html as html_lib
import random
import re
from datetime import date, timedelta, timezone

import pytest

from engine.definitions import load_catalog
from engine.views import FormView
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

STAFF = ("cs_staff1", "mk_staff1", "da_staff1", "pm_staff1", "da_staff2", "cs_staff2")
PATTERNS = {r"^[0-9]{4}(-(0[1-9]|1[0-2])|-Q[1-4])?$": "2026-Q4", r"^NDA-[0-9]{4}-[0-9]{3,6}$": "NDA-2026-0042"}
MAX_TASKS = 40


class Generated:
    """Data a person might enter, from a form's JSON Schema (required fields always, optional
    ones half the time); usernames come from the demo organisation."""

    def __init__(self, seed: int, users=()):
        self.rng = random.Random(seed)
        self.users = [u for u in users if u.active]

    def object(self, schema: dict) -> dict:
        required = set(schema.get("required", []))
        data = {n: self.value(n, p) for n, p in (schema.get("properties") or {}).items()
                if n in required or self.rng.random() < 0.5}
        branch = schema.get("then") if "if" in schema else None
        for name in (branch or {}).get("required", []):  # conditional fields: filled, as people would
            data.setdefault(name, self.value(name, (schema.get("properties") or {}).get(name, {})))
        return data

    def value(self, name: str, prop: dict):
        kind = prop.get("type")
        if "const" in prop:
            return prop["const"]
        if "enum" in prop:
            return self.rng.choice(prop["enum"])
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind in ("integer", "number"):
            low, high = prop.get("minimum", 1), prop.get("maximum", 100)
            return self.rng.randint(int(low), int(high))
        if kind == "array":
            items = prop.get("items") or {}
            count = max(prop.get("minItems", 1), 1)
            if "enum" in items:
                return sorted(set(self.rng.sample(items["enum"], min(count, len(items["enum"])))), key=items["enum"].index)
            return [self.object(items) if items.get("type") == "object" else self.value(name, items) for _ in range(count)]
        if kind == "object":
            return self.object(prop)
        return self.text(name, prop)

    def text(self, name: str, prop: dict) -> str:
        if prop.get("format") == "date":
            return (date(2026, 12, 1) + timedelta(days=self.rng.randint(0, 30))).isoformat()
        if prop.get("format") == "date-time":
            return "2026-12-01T09:30:00+08:00"
        if prop.get("format") == "user" and self.users:
            roles = set(prop.get("x-role") or ())
            return self.rng.choice([u.username for u in self.users if not roles or roles & set(u.roles)])
        if prop.get("pattern") in PATTERNS:
            return PATTERNS[prop["pattern"]]
        if prop.get("pattern") or name in ("participants",):
            return ", ".join(self.rng.sample(STAFF, 2)) if name == "participants" else self.rng.choice(STAFF)
        return self.rng.choice(("核实情况", "跟进客户", "方案已定", "数据复盘"))[: prop.get("maxLength", 40)]


def visible_text(page: str) -> str:
    """What a person reads of a page's main content: no scripts, templates, tags or attributes."""
    main = page[page.index("<main"):page.index("</main>")]
    main = re.sub(r"<(script|template|style)\b.*?</\1>", " ", main, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", main))


def around(text: str, word: str) -> str:
    at = re.search(rf"\b{word}\b", text).start()
    return " ".join(text[max(0, at - 60):at + 60].split())


def data_keys(value, keys: set[str]) -> set[str]:
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
    users = [u for u in engine.users() if u.active]
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
    reader, gen = Reader(app, engine), Generated(sum(map(ord, key)), engine.users())
    process = next(p for p in engine.processes() if p.key == key)
    starter = next(u.username for u in engine.users() if u.active and set(u.roles) & set(process.starters or ("x",)))
    instance = engine.start(key, starter, gen.object(process.start_form.schema) if process.start_form else {})
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
        engine.complete_task(task.id, who, gen.object(form.schema) if form else {})
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
