"""`zhidu tasks` without the engine runtime or SQLAlchemy: a person's task list read from the task
rows and the forms of compiled versions cached across processes (engine/spiff/spec_cache.py).

A command-line call starts a new interpreter, and importing the engine (SpiffWorkflow, lxml,
jsonschema, the sandbox) or SQLAlchemy costs far more than the query. Listing tasks needs none of
it: the inbox is SQL text (storage/inbox_sql.py, the one definition storage/inbox.py runs too),
which a SQLite file answers through the standard library's sqlite3; the rows carry title,
candidates and subject; and a task's form is its version's, which the cache holds as plain JSON.
PostgreSQL is asked the same SQL through SQLAlchemy (a server's CLI call pays for it, not for the
engine). The answer is the JSON of `TaskView.to_dict()` for each task, as `zhidu tasks` prints.

Whenever that is not enough — the operator, an unknown or deactivated user, a version not compiled
yet or whose stored files no longer match its hash, a database without the schema, a value these
conversions do not know — this answers None and the caller asks the engine facade, which answers
or raises exactly as it always has (and compiles the version into the cache for the next call).
tests/cli/test_task_list.py holds the two answers equal.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Callable

from storage.inbox_sql import TASK_COLUMNS, InboxSql

if TYPE_CHECKING:
    from engine.spiff.spec_cache import CompiledVersions

Rows = Callable[[str, dict], list]  # (SQL with :name parameters, their values) -> rows as tuples

# As storage/database.py's and bootstrap/wiring.py's, which import SQLAlchemy and YAML to say it
# (tests/cli/test_task_list.py holds them equal).
DEFAULT_URL = "sqlite:///var/zhidu.db"
FINGERPRINT_KEY_FILE = "var/fingerprint_key"
_FIELDS = {name: i for i, name in enumerate(TASK_COLUMNS)}


class _NotEnough(Exception):
    """What the rows and the cache hold does not answer the question: ask the facade."""


def tasks_for(username: str) -> list[dict[str, Any]] | None:
    """What `[t.to_dict() for t in Engine.tasks_for(username)]` returns, or None when the facade
    must answer."""
    url = os.environ.get("ZHIDU_DATABASE_URL") or DEFAULT_URL
    versions = _compiled_versions(url)
    if versions is None:
        return None
    try:
        if url.startswith("sqlite:///") and "?" not in url:
            return _from_sqlite(url.removeprefix("sqlite:///"), versions, username)
        return _from_sqlalchemy(url, versions, username)
    except _NotEnough:
        return None


def _from_sqlite(path: str, versions: CompiledVersions, username: str) -> list[dict[str, Any]]:
    import sqlite3

    # mode=rw: never create a database that is not there (the facade says to run `zhidu init`).
    location = path.replace("%", "%25").replace("?", "%3f").replace("#", "%23")
    try:
        connection = sqlite3.connect(f"file:{location}?mode=rw", uri=True, timeout=30)
    except sqlite3.Error as err:
        raise _NotEnough from err
    try:
        return _task_list(lambda sql, params: connection.execute(sql, params).fetchall(), versions, username)
    except sqlite3.Error as err:  # no schema, or one older than these statements
        raise _NotEnough from err
    finally:
        connection.close()


def _from_sqlalchemy(url: str, versions: CompiledVersions, username: str) -> list[dict[str, Any]]:
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from storage.database import make_engine

    db = make_engine(url)
    try:
        with db.connect() as connection:
            return _task_list(lambda sql, params: [tuple(r) for r in connection.execute(text(sql), params)],
                              versions, username)
    except SQLAlchemyError as err:
        raise _NotEnough from err
    finally:
        db.dispose()


def _task_list(rows: Rows, versions: CompiledVersions, username: str) -> list[dict[str, Any]]:
    found = rows("SELECT roles, active FROM users WHERE username = :username", {"username": username})
    if not found or not found[0][1]:
        raise _NotEnough  # unknown or deactivated (or the operator, who is no row): the facade says so
    roles = _json(found[0][0])
    if not isinstance(roles, list):
        raise _NotEnough
    inbox = InboxSql(username, [str(r) for r in roles])
    tasks = rows(inbox.page("due"), inbox.params)
    pinned = _versions_of(rows, [t[_FIELDS["instance_id"]] for t in tasks if t[_FIELDS["form_key"]]])
    forms: dict[str, dict] = {}  # content hash -> its version's forms
    for digest in set(pinned.values()):
        forms[digest] = _forms_of(rows, versions, digest)
    return [_task_dict(t, forms.get(pinned.get(t[_FIELDS["instance_id"]], ""), {})) for t in tasks]


def _versions_of(rows: Rows, instance_ids: list[str]) -> dict[str, str]:
    """instance id -> the content hash of the version it is pinned to."""
    pinned: dict[str, str] = {}
    unique = list(dict.fromkeys(instance_ids))
    for start in range(0, len(unique), 500):  # under every driver's limit of parameters
        chunk = {f"i{n}": i for n, i in enumerate(unique[start:start + 500])}
        sql = f"SELECT id, version_hash FROM instances WHERE id IN ({', '.join(':' + k for k in chunk)})"
        pinned.update((i, digest) for i, digest in rows(sql, chunk))
    return pinned


def _forms_of(rows: Rows, versions: CompiledVersions, digest: str) -> dict[str, dict]:
    """The cached forms of the version with `digest`, once its stored files still hash to it (as
    the facade checks before it compiles): compared byte for byte with what was checked before,
    else checked now and marked for the next call."""
    found = rows("SELECT entry, files FROM process_versions WHERE content_hash = :digest", {"digest": digest})
    if not found:
        raise _NotEnough
    entry, files = found[0]
    stored = b"\0".join(_stored_text(v).encode() for v in (entry, files))
    if not versions.checked(digest, stored):
        from engine.definitions.bundles import CatalogEntry, ProcessBundle

        if ProcessBundle(CatalogEntry.from_dict(_json(entry)), dict(_json(files))).content_hash != digest:
            raise _NotEnough  # altered after deployment: the facade says so
        versions.mark_checked(digest, stored)
    forms = versions.forms(digest)
    if forms is None:
        raise _NotEnough
    return forms


def _task_dict(row: tuple, forms: dict[str, dict]) -> dict[str, Any]:
    """`TaskView.to_dict()` of a task row listed in an inbox (engine/views.py, its keys in order)."""
    def field(name: str) -> Any:
        return row[_FIELDS[name]]

    form = forms.get(field("form_key")) if field("form_key") else None
    excluded = _json(field("excluded")) or []
    return {
        "id": field("id"), "instance_id": field("instance_id"), "process_key": field("process_key"),
        "name": field("spec_name"), "title": field("title"), "candidates": list(_json(field("candidates"))),
        "claimed_by": field("claimed_by"), "due_at": _iso(field("due_at")), "created_at": _iso(field("created_at")),
        "status": field("status"), "lane": field("lane"), "subject": _json(field("subject")),
        "form": {"key": form["key"], "schema": form["schema"]} if form is not None else None, "actions": [],
        "excluded": [str(e["user"]) for e in excluded],
    }


def _json(value: Any) -> Any:
    """A JSON column's value: sqlite3 gives its text, PostgreSQL's driver the value."""
    return json.loads(value) if isinstance(value, str) else value


def _stored_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


def _iso(value: Any) -> str | None:
    """An instant as the facade writes it: UTC, ISO 8601 (SQLite holds UTC digits without an offset)."""
    if value is None:
        return None
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    except (TypeError, ValueError) as err:
        raise _NotEnough from err
    moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    return moment.isoformat()


def _compiled_versions(url: str) -> CompiledVersions | None:
    """bootstrap/wiring.py's `compiled_versions`, with the installation's key read as `fingerprint_key`
    reads it; None when there is no cache or no key yet (the facade makes one)."""
    from engine.spiff.spec_cache import CompiledVersions
    from storage.compiled_store import CompiledFolder, compiled_dir

    folder, key = compiled_dir(url), _installation_key()
    return CompiledVersions(CompiledFolder(folder), key) if folder is not None and key is not None else None


def _installation_key() -> bytes | None:
    given = os.environ.get("ZHIDU_FINGERPRINT_KEY")
    if given is not None:
        return given.strip().encode() if len(given.strip()) >= 32 else None  # too short: the facade says so
    try:
        with open(FINGERPRINT_KEY_FILE, encoding="utf-8") as file:
            key = file.read().strip()
    except OSError:
        return None
    return key.encode() or None
