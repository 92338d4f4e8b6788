"""The folder file store: content-addressed, written atomically, never a path outside its root."""

from __future__ import annotations

import threading

import pytest

from engine.files import file_status, sha256_of
from storage.files import FolderFiles, files_dir


def test_a_file_is_kept_under_its_hash_in_a_fan_out_folder(tmp_path):
    files = FolderFiles(tmp_path / "files")
    digest = files.put(b"%PDF-1.4 evidence")
    assert digest == sha256_of(b"%PDF-1.4 evidence")
    assert (tmp_path / "files" / digest[:2] / digest[2:]).read_bytes() == b"%PDF-1.4 evidence"
    assert files.get(digest) == b"%PDF-1.4 evidence" and files.exists(digest)
    assert files.put(b"%PDF-1.4 evidence") == digest  # the same content is stored once
    assert [p.name for p in (tmp_path / "files" / digest[:2]).iterdir()] == [digest[2:]]


def test_unknown_or_malformed_names_read_as_nothing(tmp_path):
    files = FolderFiles(tmp_path)
    (tmp_path / "secret").write_text("x")
    assert files.get("0" * 64) is None and not files.exists("0" * 64)
    assert files.get("../secret") is None and not files.exists("../secret")
    with pytest.raises(ValueError):
        files.path("../secret")


def test_an_altered_or_removed_file_shows(tmp_path):
    files = FolderFiles(tmp_path)
    digest = files.put(b"original")
    ref = {"sha256": digest, "name": "a.txt", "size": 8, "type": "text/plain"}
    assert file_status(files, ref) == "ok"
    files.path(digest).write_bytes(b"0riginal")
    assert file_status(files, ref) == "altered"
    files.path(digest).unlink()
    assert file_status(files, ref) == "missing"


def test_writers_of_the_same_content_at_once_leave_one_whole_file_and_no_drafts(tmp_path):
    files, content = FolderFiles(tmp_path), b"x" * 1_000_000
    threads = [threading.Thread(target=files.put, args=(content,)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    digest = sha256_of(content)
    assert files.get(digest) == content
    assert [p.name for p in files.path(digest).parent.iterdir()] == [digest[2:]]


def test_the_folder_comes_from_zhidu_files_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("ZHIDU_FILES_DIR", raising=False)
    assert str(files_dir()) == "var/files"
    monkeypatch.setenv("ZHIDU_FILES_DIR", str(tmp_path / "evidence"))
    assert files_dir() == tmp_path / "evidence"
