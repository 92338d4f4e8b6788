"""`make bench`'s closing table: goals met or not, and the ratio to plain SpiffWorkflow."""

from __future__ import annotations

import pytest

from bench import summary


@pytest.fixture(autouse=True)
def _empty():
    summary.reset()
    yield
    summary.reset()


def row(name: str) -> str:
    return next(line for line in summary.table().splitlines() if line.startswith(name))


def test_each_figure_is_judged_against_its_goal_and_compared_with_a_plain_command():
    summary.record_plain_command(0.5)
    summary.record("per command", 4.0, "ms", 3, ms_per_piece=4.0)
    summary.record("replay", 6000.0, "entries/s", 5000, higher_is_better=True, ms_per_piece=0.25)
    summary.record("verify", "ok", "", "ok")
    summary.record("requests/s", 31.5, "req/s")
    assert row("per command").split() == ["per", "command", "4", "ms", "<=", "3", "ms", "NO", "0.125"]
    assert row("replay").split()[-2:] == ["yes", "2.000"]
    assert row("verify").split() == ["verify", "ok", "ok", "yes"]
    assert row("requests/s").split() == ["requests/s", "31.5", "req/s"]
    assert "(0.500 ms)" in summary.table().splitlines()[-1]


def test_without_a_plain_command_in_the_run_there_is_no_ratio():
    summary.record("per command", 2.0, "ms", 3, ms_per_piece=2.0)
    assert row("per command").split()[-1] == "yes"
    assert "not measured" in summary.table()


def test_the_replay_figure_is_read_from_bench_audit_s_output():
    summary.read_output("audit", "   replay speed: median 3,389 entries/s, 0.41 ms per command\n")
    [figure] = summary.figures()
    assert (figure.value, figure.ms_per_piece, figure.met()) == (3389.0, 0.41, "NO")
    summary.reset()
    summary.read_output("audit", "nothing of the kind")
    assert summary.figures()[0].met() == "?"
