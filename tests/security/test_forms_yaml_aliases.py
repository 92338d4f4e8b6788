"""Attack (issue 12, item 7): a YAML alias bomb in an owner-written definition.

A process owner posts 755 bytes of nested YAML aliases ("billion laughs") to the form preview, or
deploys them as a form, catalog or organisation file: PyYAML expands them into billions of nodes
and holds a server worker for as long as it takes (39 s measured). Definitions have no need for
anchors or aliases, so every loader of owner-written YAML refuses them at once with a message
saying what and where.
"""

from __future__ import annotations

import time

import pytest

from engine.definitions.bundles import load_catalog
from engine.errors import DefinitionInvalid
from engine.definitions.forms import parse_form
from engine.definitions.organisation import parse_organisation
from webui.views.owner_pages import form_preview

LAUGHS = "\n".join(
    ['key: bomb', 'title: {zh: 炸弹, en: Bomb}', 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    + ["schema: {type: object, properties: {x: {type: string}}}", "ui: {fields: {x: *a8}}"])


def test_the_bomb_is_small_and_would_expand():
    assert len(LAUGHS.encode()) < 800 and LAUGHS.count("*a") == 73  # 9 ** 9 strings once expanded


def test_the_form_preview_refuses_the_bomb_fast():
    began = time.monotonic()
    preview = form_preview(LAUGHS, "en")
    assert time.monotonic() - began < 1
    assert preview["fields"] == []
    assert "anchors (&a0) are not allowed" in preview["problems"][0]


def test_parsing_a_form_refuses_anchors_and_aliases():
    with pytest.raises(Exception, match="aliases|anchors"):
        parse_form(LAUGHS, "bomb.yaml")
    with pytest.raises(Exception, match=r"aliases \(\*x\)"):
        parse_form("key: f\nx: *x\n", "f.yaml")


def test_the_catalog_and_the_organisation_refuse_the_bomb(tmp_path):
    (tmp_path / "catalog.yaml").write_text(LAUGHS.replace("key: bomb", "processes: []"), encoding="utf-8")
    began = time.monotonic()
    with pytest.raises(DefinitionInvalid, match="not allowed"):
        load_catalog(tmp_path, tmp_path)
    with pytest.raises(DefinitionInvalid, match="not allowed"):
        parse_organisation(LAUGHS, "organisation.yaml")
    assert time.monotonic() - began < 1


def test_deep_nesting_is_refused_not_a_crash():
    with pytest.raises(Exception, match="nested more than"):
        parse_form("x: " + "[" * 5000 + "]" * 5000, "deep.yaml")
