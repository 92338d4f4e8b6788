"""The folder of compiled versions (storage/compiled_store.py): private, written whole, and
read only when what is there can be ours."""

from __future__ import annotations

import os
import stat

import pytest

from storage.compiled_store import CompiledFolder, compiled_dir

NAME = "a" * 64 + "-" + "b" * 16


def test_entries_are_written_private_and_read_back(tmp_path):
    folder = CompiledFolder(tmp_path / "compiled")
    folder.write(NAME, b"entry")
    assert folder.read(NAME) == b"entry"
    assert stat.S_IMODE(os.stat(tmp_path / "compiled").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "compiled" / NAME).st_mode) == 0o600
    assert [p.name for p in (tmp_path / "compiled").iterdir()] == [NAME]  # no draft left behind


def test_a_new_entry_of_a_version_replaces_those_of_other_code(tmp_path):
    folder = CompiledFolder(tmp_path)
    other_code, other_version = "a" * 64 + "-" + "c" * 16, "d" * 64 + "-" + "c" * 16
    folder.write(other_code, b"old")
    folder.write(other_version, b"other")
    folder.write(NAME, b"new")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([NAME, other_version])


@pytest.mark.parametrize("name", ["../" + NAME[3:], NAME.upper(), NAME + ".x", "a" * 64])
def test_only_entry_names_are_read_or_written(tmp_path, name):
    folder = CompiledFolder(tmp_path / "c")
    folder.write(name, b"x")
    assert folder.read(name) is None and not (tmp_path / "c").exists()


def test_a_file_others_may_write_to_or_a_link_is_not_read(tmp_path):
    folder = CompiledFolder(tmp_path)
    folder.write(NAME, b"entry")
    os.chmod(tmp_path / NAME, 0o620)
    assert folder.read(NAME) is None
    os.chmod(tmp_path / NAME, 0o600)
    linked = "e" * 64 + "-" + "b" * 16
    os.symlink(tmp_path / NAME, tmp_path / linked)
    assert folder.read(NAME) == b"entry" and folder.read(linked) is None


def test_a_folder_others_may_write_to_is_not_written_into(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    CompiledFolder(shared).write(NAME, b"entry")
    assert list(shared.iterdir()) == []


def test_a_folder_that_cannot_be_made_costs_only_a_compile(tmp_path):
    (tmp_path / "file").write_text("not a folder")
    folder = CompiledFolder(tmp_path / "file" / "compiled")
    folder.write(NAME, b"entry")  # no error
    assert folder.read(NAME) is None


def test_the_folder_is_beside_the_sqlite_file_else_var_or_chosen(monkeypatch, tmp_path):
    monkeypatch.delenv("ZHIDU_CACHE_DIR", raising=False)
    assert compiled_dir(f"sqlite:///{tmp_path}/zhidu.db") == tmp_path / "compiled"
    assert str(compiled_dir("sqlite:///var/zhidu.db")) == "var/compiled"
    assert str(compiled_dir("postgresql://zhidu@db/zhidu")) == "var/compiled"
    assert compiled_dir("sqlite://") is None and compiled_dir("sqlite:///:memory:") is None
    monkeypatch.setenv("ZHIDU_CACHE_DIR", str(tmp_path / "mine"))
    assert compiled_dir("postgresql://zhidu@db/zhidu") == tmp_path / "mine"


def test_a_versions_checked_mark_lives_beside_its_entry_and_is_replaced_as_it_is(tmp_path):
    folder, mark = CompiledFolder(tmp_path), "a" * 64 + ".checked-" + "b" * 16
    folder.write(NAME, b"entry")
    folder.write("a" * 64 + ".checked-" + "c" * 16, b"mark of other code")
    folder.write(mark, b"mark")
    assert (folder.read(NAME), folder.read(mark)) == (b"entry", b"mark")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([NAME, mark])
