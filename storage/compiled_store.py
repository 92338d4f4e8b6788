"""The folder where compiled versions are kept between processes (engine/spiff/spec_cache.py).

It is the server's own data folder: beside the SQLite file (`compiled/`), else var/compiled, or
`ZHIDU_CACHE_DIR`. The folder is made private (0700), entries are written whole (a temporary file
renamed over the old one, 0600), and an entry that is not a regular file of this user's, or that
others may write to, is not read. The entries' HMAC is what makes them trusted; this is a second
fence, and every failure here only costs a compile.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from engine.spiff.spec_cache import ENTRY_NAME

MAX_ENTRY_BYTES = 64 * 1024 * 1024  # far past any version; a larger file is not ours


def compiled_dir(database_url: str) -> Path | None:
    """Where compiled versions of the database at `database_url` are kept: `ZHIDU_CACHE_DIR`, else
    `compiled/` beside a SQLite file, else var/compiled; None for an in-memory database."""
    given = os.environ.get("ZHIDU_CACHE_DIR")
    if given:
        return Path(given)
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[-1] if "///" in database_url else ""
        if not path or path == ":memory:" or "mode=memory" in database_url:
            return None
        return Path(path.split("?", 1)[0]).parent / "compiled"
    return Path("var") / "compiled"


class CompiledFolder:
    """Entries as files named by the entry's name, in one private folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def read(self, name: str) -> bytes | None:
        """The entry's bytes; None when missing, not ours, writable by others or unreadable."""
        if not ENTRY_NAME.match(name):
            return None
        try:
            fd = os.open(self.root / name, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        with os.fdopen(fd, "rb") as file:
            try:
                info = os.fstat(file.fileno())
                if not _private(info) or info.st_size > MAX_ENTRY_BYTES:
                    return None
                return file.read()
            except OSError:
                return None

    def write(self, name: str, data: bytes) -> None:
        """Keep the entry, replacing the same version's entries of other code; never raises."""
        if not ENTRY_NAME.match(name):
            return
        try:
            self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not _private(os.stat(self.root), folder=True):
                return  # someone else's, or open to others: do not write into it
            import tempfile  # here: reading, what most processes do, needs none of it

            fd, draft = tempfile.mkstemp(dir=self.root, prefix=".draft-")  # 0600
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                os.replace(draft, self.root / name)
            except OSError:
                Path(draft).unlink(missing_ok=True)
                return
            kind, code = name[:-17], name[-16:]  # the version's hash (and .checked), the code's fingerprint
            for stale in self.root.glob(f"{kind}-*"):  # compiled (or checked) by code that is gone
                if stale.name[-16:] != code:
                    stale.unlink(missing_ok=True)
        except OSError:
            return


def _private(info: os.stat_result, folder: bool = False) -> bool:
    """A regular file (or a folder) of this user's that no one else may write to."""
    kind = stat.S_ISDIR(info.st_mode) if folder else stat.S_ISREG(info.st_mode)
    return kind and info.st_uid == os.getuid() and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
