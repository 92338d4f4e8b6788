"""The script sandbox: scripts and expressions run, dangerous ones are refused."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from engine.clock import FixedClock
from engine.spiff.script_environment import SandboxEnvironment, check_source, is_iso_timer_text


def test_scripts_update_task_data_and_drop_temporaries_only_if_deleted():
    env = SandboxEnvironment()
    data = {"scores": [3, 4, 5], "old": 1}
    env.execute("total = sum(scores)\nbest = max(scores)\ndel old", data)
    assert data == {"scores": [3, 4, 5], "total": 12, "best": 5}


def test_expressions_see_task_data_and_the_engine_clock():
    env = SandboxEnvironment(FixedClock(datetime(2026, 1, 2, tzinfo=timezone.utc)))
    assert env.evaluate("budget > 10000 and today().year == 2026", {"budget": 20000}) is True


@pytest.mark.parametrize("text", ["PT24H", "P1D", "R/P1M", "R3/PT10M", "2026-12-01T09:00:00+08:00"])
def test_iso_timer_text_passes_through(text):
    assert is_iso_timer_text(text)
    assert SandboxEnvironment().evaluate(text, {}) == text


@pytest.mark.parametrize("source", [
    "import os", "__import__('os')", "().__class__.__mro__", "open('/etc/passwd')", "x.__dict__",
])
def test_dangerous_code_is_refused(source):
    env = SandboxEnvironment()
    with pytest.raises((SyntaxError, NameError, ImportError)):
        env.execute(source, {"x": 1})


def test_check_source_explains_a_refusal():
    assert check_source("a + 1", "expression") is None
    assert "_" in check_source("a.__class__", "expression")
    assert check_source("PT24H", "expression") is None
