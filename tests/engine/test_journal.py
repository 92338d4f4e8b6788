"""The hash chain notices edited, deleted and reordered entries."""

from __future__ import annotations

import dataclasses

from engine.audit.journal import GENESIS, JournalWriter, data_changes, verify_chain
from tests.conftest import T0


def chain(n=4):
    writer = JournalWriter("i-1", 0, GENESIS, T0, "alice")
    for i in range(n):
        writer.add("completed", {"step": i})
    return writer.entries


def test_an_untouched_chain_verifies():
    assert verify_chain(chain()) is None


def test_edited_payload_is_caught_at_that_entry():
    entries = chain()
    entries[2] = dataclasses.replace(entries[2], payload={"step": 99})
    assert verify_chain(entries) == 3


def test_deleted_and_reordered_entries_are_caught():
    entries = chain()
    assert verify_chain(entries[:1] + entries[2:]) == 3
    assert verify_chain([entries[1], entries[0], *entries[2:]]) == 2


def test_data_changes_lists_before_and_after():
    assert data_changes({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "b": {"before": 2, "after": 3}, "c": {"before": None, "after": 4}}
