"""Attachments in a folder: the file store of engine/files.py on a local (or mounted) disk.

Each file is kept under its SHA-256 as `ab/cdef…` below the root (`ZHIDU_FILES_DIR`, default
var/files). A file is written to a temporary name in its final folder, flushed to disk and
renamed into place, so a reader never sees half a file and two processes storing the same
content at once both end with one whole copy. Stored files are never rewritten.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from engine.files import relative_path, sha256_of

DEFAULT_FILES_DIR = "var/files"


def files_dir() -> Path:
    """The folder of attachments: `ZHIDU_FILES_DIR`, else var/files."""
    return Path(os.environ.get("ZHIDU_FILES_DIR") or DEFAULT_FILES_DIR)


class FolderFiles:
    """Content-addressed files below `root`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        """Where the file of `sha256` lives (ValueError for anything but a SHA-256)."""
        return self.root / relative_path(sha256)

    def put(self, content: bytes) -> str:
        """Store `content` under its SHA-256 (written once; the same content again is a no-op)."""
        digest = sha256_of(content)
        target = self.path(digest)
        if target.is_file():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        draft = target.with_name(f".{target.name[:16]}.{os.getpid()}.{secrets.token_hex(4)}.part")
        try:
            with open(draft, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(draft, target)
        finally:
            draft.unlink(missing_ok=True)
        return digest

    def get(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def exists(self, sha256: str) -> bool:
        try:
            return self.path(sha256).is_file()
        except ValueError:
            return False
