"""Plain SQL on either a `sqlite3` connection (the quick path) or SQLAlchemy (a session or a connection, any database).

`import sqlmodel` alone costs ~350 ms, more than a whole `organizer plan` may take; the calendar export
and the schedule therefore speak plain SQL, with `:name` parameters, through this one adapter, and
bind instants and dates the way each database stores them. The SQL must be what SQLite and PostgreSQL
both read (no `INSERT OR …`, `julianday`, `strftime`; upserts as `ON CONFLICT … DO …`).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from organizer.instants import db_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session


class Db:
    """SQL on a `sqlite3` connection or a SQLAlchemy session or connection, with values bound as each stores them."""

    def __init__(self, db: sqlite3.Connection | Session | Connection) -> None:
        self.raw = db if isinstance(db, sqlite3.Connection) else None
        conn: Any = None
        if not isinstance(db, sqlite3.Connection):
            # A SQLAlchemy Connection runs SQL itself; a Session hands out the connection of its transaction.
            conn = db if hasattr(db, "exec_driver_sql") else db.connection()
        self.conn: Any = conn
        self.dialect: str = "sqlite" if conn is None else str(conn.dialect.name)
        self.sqlite = self.dialect == "sqlite"

    def rows(self, sql: str, params: Mapping[str, Any] | None = None, *, fetch: bool = True) -> list[Any]:
        """Run one statement (`:name` parameters) and return its rows as sequences (none unless `fetch`)."""
        args = {k: self.bind(v) for k, v in (params or {}).items()}
        if self.raw is not None:
            cursor = self.raw.execute(sql, args)
        else:
            from sqlalchemy import text

            cursor = self.conn.execute(text(sql), args)
        return list(cursor.fetchall()) if fetch else []

    def many(self, sql: str, params: Iterable[Mapping[str, Any]]) -> None:
        """Run one statement once per parameter set."""
        batch = [{k: self.bind(v) for k, v in p.items()} for p in params]
        if not batch:
            return
        if self.raw is not None:
            self.raw.executemany(sql, batch)
        else:
            from sqlalchemy import text

            self.conn.execute(text(sql), batch)

    def bind(self, value: Any) -> Any:
        """SQLite keeps instants as naive UTC text and dates as ISO text; other databases take them as they are."""
        if self.sqlite and isinstance(value, date):  # a datetime is a date too
            return db_text(value) if isinstance(value, datetime) else value.isoformat()
        return value

    def serialize(self, name: str) -> None:
        """Make the rest of this transaction wait for any other transaction that serialized on `name`.

        On SQLite every write transaction already holds the one write lock (`BEGIN IMMEDIATE`); on
        PostgreSQL this takes a transaction-level advisory lock, released at commit or rollback, so
        read-then-write steps (re-planning, creating the default board, migrating) run one at a time.
        """
        if self.dialect == "postgresql":
            self.rows("SELECT pg_advisory_xact_lock(:key)", {"key": lock_key(name)})


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a name (Organizer's locks share one namespace)."""
    return (0x4F52_4700 << 32 | zlib.crc32(name.encode())) - (1 << 63)


def serialize(db: Session | Connection, name: str) -> None:
    """`Db(db).serialize(name)`: wait for other transactions serialized on `name` (PostgreSQL; SQLite needs nothing)."""
    Db(db).serialize(name)
