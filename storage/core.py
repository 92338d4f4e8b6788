"""Statements of the command path, built once and sent on the session's own connection.

A command sends about fifteen statements. Built anew through the ORM, each costs more Python than
the database takes to run it (building the statement, its cache key, the ORM's loading); a Core
statement built once and executed with a dict of values is found in SQLAlchemy's compiled cache at
once. They run on the session's connection, so they are part of the unit of work's transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session


def connection(session: Session) -> Connection:
    """The session's connection, once what the ORM holds pending is written (so a Core
    statement sees it, and rows it refers to exist)."""
    session.flush()  # nothing to do (and next to no cost) when the ORM holds nothing pending
    return session.connection()


def by_key(table: Table, key: str = "id") -> Any:
    """SELECT every column of `table` WHERE `key` = :key."""
    return select(table).where(table.c[key] == bindparam(key))


def insert_into(table: Table) -> Any:
    """INSERT INTO `table`; the values' keys name the columns."""
    return insert(table)


def update_by_key(table: Table, key: str = "id", *also: str) -> Any:
    """UPDATE `table` SET (the values' other keys) WHERE `key` = :_key (AND each of `also` = :_name)."""
    condition = table.c[key] == bindparam(f"_{key}")
    for name in also:
        condition = condition & (table.c[name] == bindparam(f"_{name}"))
    return update(table).where(condition)
