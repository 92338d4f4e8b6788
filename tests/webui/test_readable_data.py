"""People read words, not data structures: the data formatter and every page that shows data."""

from __future__ import annotations

from datetime import timezone

from engine.views import FormView
from webui.views.data_display import DataDisplay

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
