"""Prebuilt statements sent straight through the database driver, in the session's transaction.

A Core statement built once is found in SQLAlchemy's compiled cache, but each execution still
costs SQLAlchemy about a tenth of a millisecond of Python (an execution context, the cache key,
its result machinery) — as much as SQLite takes to run it, and a command sends about a dozen.
`run` compiles a statement once per dialect and set of value names, keeps what SQLAlchemy would
do to each value and each column (the types' own bind and result processors, so JSON, UTC
datetimes and booleans are stored exactly as through SQLAlchemy), and then sends it on the
DB-API cursor of the session's connection: the same transaction, a fraction of the cost.

A statement that needs more of SQLAlchemy at run time (an expanding IN list, a default computed
by a function) is executed by SQLAlchemy as before. A driver error is raised as SQLAlchemy's
own wrapper (IntegrityError, OperationalError, ...), so callers and the unit of work see the
same errors whichever way a statement went; and SQLAlchemy's `before_cursor_execute` listeners
hear every statement (tests count a command's statements with them).
"""

from __future__ import annotations

from collections import namedtuple
from datetime import datetime, timezone
from typing import Any, Callable, Iterator

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.clock import as_utc
from storage.core import connection
from storage.models import UtcDateTime

Values = dict[str, Any]
_SQLALCHEMY = None  # a compiled form's marker: leave this statement to SQLAlchemy


class Rows:
    """What a statement returned: rows with named columns (for a SELECT), and the rows it changed."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list, rowcount: int):
        self._rows, self.rowcount = rows, rowcount

    def __iter__(self) -> Iterator:
        return iter(self._rows)

    def first(self) -> Any:
        return self._rows[0] if self._rows else None

    def all(self) -> list:
        return self._rows

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalars(self) -> list:
        return [row[0] for row in self._rows]


class _Compiled:
    """A statement's SQL for one dialect, how to turn values into parameters, rows into records."""

    __slots__ = ("sql", "keys", "binds", "row", "columns")

    def __init__(self, sql: str, keys: list[str] | None, binds: list[tuple[str, Any, Callable | None]],
                 row: type | None, columns: list[Callable | None]):
        # keys: the parameters' names as the SQL spells them (None: the driver takes them in order)
        self.sql, self.keys, self.binds, self.row, self.columns = sql, keys, binds, row, columns

    def parameters(self, values: Values) -> Any:
        out = []
        for name, default, process in self.binds:
            value = values.get(name, default)
            out.append(value if process is None else process(value))  # None too: JSON's is 'null'
        return out if self.keys is None else dict(zip(self.keys, out))

    def record(self, raw: tuple) -> Any:
        return self.row(*[value if process is None else process(value) for process, value in zip(self.columns, raw)])


_compiled: dict[tuple[Any, str, tuple[str, ...]], _Compiled | None] = {}


def run(session: Session, statement: Any, values: Values | list[Values] | None = None) -> Rows | Any:
    """Execute a prebuilt `statement` with `values` (a list of them: one row each, for an INSERT)
    on the session's connection; returns its `Rows` (or SQLAlchemy's result, see the module)."""
    db = connection(session)
    many = isinstance(values, list)
    first = (values[0] if many else values) or {}
    key = (statement, db.dialect.name, tuple(first))
    compiled = _compiled.get(key, False)
    if compiled is False:
        compiled = _compiled[key] = _compile(statement, db.dialect, tuple(first))
    if compiled is _SQLALCHEMY:
        return db.execute(statement, values)
    return _send(db, compiled, values if many else first, many)


def _send(db: Connection, compiled: _Compiled, values: Any, many: bool) -> Rows:
    cursor = db.connection.dbapi_connection.cursor()
    parameters = [compiled.parameters(v) for v in values] if many else compiled.parameters(values)
    if db.dispatch.before_cursor_execute:  # whoever listens to SQLAlchemy's statements hears these too
        db.dispatch.before_cursor_execute(db, cursor, compiled.sql, parameters, None, many)
    try:
        if many:
            cursor.executemany(compiled.sql, parameters)
        else:
            cursor.execute(compiled.sql, parameters)
        rows = [compiled.record(raw) for raw in cursor.fetchall()] if compiled.row is not None else []
        return Rows(rows, cursor.rowcount)
    except db.dialect.loaded_dbapi.Error as error:
        raise DBAPIError.instance(compiled.sql, values, error, db.dialect.loaded_dbapi.Error,
                                  dialect=db.dialect) from error
    finally:
        cursor.close()


def _compile(statement: Any, dialect: Dialect, names: tuple[str, ...]) -> _Compiled | None:
    compiled = statement.compile(dialect=dialect, column_keys=list(names))
    prefetch = getattr(compiled, "insert_prefetch", None) or []
    if "POSTCOMPILE" in compiled.string or getattr(compiled, "update_prefetch", None) \
            or getattr(compiled, "postfetch", None) or any(c.default is None or not c.default.is_scalar for c in prefetch):
        return _SQLALCHEMY
    defaults = {c.key: c.default.arg for c in prefetch}
    order = compiled.positiontup if compiled.positional else list(compiled.binds)
    binds = []
    for name in order:
        bind = compiled.binds[name]
        if bind.callable is not None or (bind.required and name not in names and name not in defaults):
            return _SQLALCHEMY  # a value computed at run time, or one missing (SQLAlchemy says which)
        default = defaults.get(name, bind.value)
        binds.append((name, default, _bind_processor(bind.type, dialect)))
    row, columns = None, []
    selected = list(statement.exported_columns)  # a SELECT's columns, or what a DML statement returns
    if selected:
        row = namedtuple("Row", [c.key for c in selected], rename=True)
        columns = [_result_processor(c.type, dialect) for c in selected]
    escaped = compiled.escaped_bind_names or {}
    keys = None if compiled.positional else [escaped.get(name, name) for name in order]
    return _Compiled(compiled.string, keys, binds, row, columns)


# SQLite keeps an instant as text; SQLAlchemy formats and parses it in Python with a pattern, about
# ten times the cost of the C methods below, which write and read the same text (UTC digits, six
# places of microseconds: 2026-11-30 12:31:59.749713), so rows written either way compare alike.
def _sqlite_utc_text(moment: datetime | None) -> str | None:
    return None if moment is None else as_utc(moment).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_utc_moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def _bind_processor(kind: Any, dialect: Dialect) -> Callable | None:
    if dialect.name == "sqlite" and isinstance(kind, UtcDateTime):
        return _sqlite_utc_text
    return kind.dialect_impl(dialect).bind_processor(dialect)


def _result_processor(kind: Any, dialect: Dialect) -> Callable | None:
    if dialect.name == "sqlite" and isinstance(kind, UtcDateTime):
        return _sqlite_utc_moment
    return kind.dialect_impl(dialect).result_processor(dialect, None)
