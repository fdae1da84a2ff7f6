"""Plain SQL on a `sqlite3` connection, a libpq connection (PostgreSQL) or SQLAlchemy (a session or a connection).

`import sqlmodel` alone costs ~350 ms, more than a whole `organizer plan` may take; the quick paths, the
board, the calendar export and the schedule therefore speak plain SQL, with `:name` parameters, through this
one class, which binds instants and dates the way each database stores them. The SQL must be what SQLite
and PostgreSQL both read (no `INSERT OR …`, `julianday`, `strftime`; upserts as `ON CONFLICT … DO …`;
booleans tested as `NOT done`, not `done = 0`).
"""

from __future__ import annotations

import re
import sqlite3
import zlib
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from organizer.instants import db_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlmodel import Session

    from organizer.storage import libpq

# `:name` parameters (not `::type` casts) become libpq's `$n`.
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
_NUMBERED: dict[str, tuple[str, tuple[str, ...]]] = {}


def numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    """`sql` with `:name` parameters as `$1`, `$2`… and the names in that order (each name once)."""
    done = _NUMBERED.get(sql)
    if done is None:
        names: list[str] = []

        def number(m: re.Match[str]) -> str:
            if m.group(1) not in names:
                names.append(m.group(1))
            return f"${names.index(m.group(1)) + 1}"

        done = _NUMBERED[sql] = (_PARAM.sub(number, sql), tuple(names))
    return done


class Db:
    """SQL on a `sqlite3` connection or a SQLAlchemy session or connection, with values bound as each stores them."""

    def __init__(self, db: sqlite3.Connection | libpq.Connection | Session | Connection) -> None:
        self.raw = db if isinstance(db, sqlite3.Connection) else None
        self.pq: libpq.Connection | None = None
        conn: Any = None
        if self.raw is not None:
            self.dialect = "sqlite"
        elif hasattr(db, "wait_for_notify"):  # organizer.storage.libpq, not imported here: it loads ctypes
            self.pq, self.dialect = db, "postgresql"  # type: ignore[assignment]
        else:
            # A SQLAlchemy Connection runs SQL itself; a Session hands out the connection of its transaction.
            conn = db if hasattr(db, "exec_driver_sql") else db.connection()  # type: ignore[union-attr]
            self.dialect = str(conn.dialect.name)
        self.conn: Any = conn
        self.sqlite = self.dialect == "sqlite"

    def rows(self, sql: str, params: Mapping[str, Any] | None = None, *, fetch: bool = True,
             bulk: bool = False) -> list[Any]:
        """Run one statement (`:name` parameters) and return its rows as sequences (none unless `fetch`).

        `bulk=True` says a query returns thousands of rows (a whole board): on libpq they come as one JSON
        document instead of cell by cell (`libpq.Connection.execute_bulk`); through SQLAlchemy on SQLite, from
        the driver's cursor on the same connection; a plain sqlite3 connection ignores it.
        """
        rows = self._run(sql, params, bulk=bulk)[1]
        return rows if fetch else []

    def dicts(self, sql: str, params: Mapping[str, Any] | None = None, *, bulk: bool = False) -> list[dict[str, Any]]:
        """Run one query and return its rows as dicts (column name → value); `bulk` as for `rows`."""
        names, rows = self._run(sql, params, bulk=bulk)
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _run(self, sql: str, params: Mapping[str, Any] | None, *, bulk: bool = False) -> tuple[list[str], list[Any]]:
        args = {k: self.bind(v) for k, v in (params or {}).items()}
        if self.raw is not None:
            cursor = self.raw.execute(sql, args)
            rows = cursor.fetchall()
            return [d[0] for d in cursor.description or ()], rows
        if self.pq is not None:
            statement, names = numbered(sql)
            run = self.pq.execute_bulk if bulk else self.pq.execute
            return run(statement, [args[n] for n in names])
        if bulk and self.sqlite:
            # Thousands of rows: straight from sqlite3, on the session's own connection and transaction, rather
            # than as a SQLAlchemy Row each (a third of the time of a 50,000-row read; the SQL has no types to map).
            cursor = self.conn.connection.driver_connection.execute(sql, args)
            return [d[0] for d in cursor.description or ()], cursor.fetchall()
        from sqlalchemy import text as sql_text

        result = self.conn.execute(sql_text(sql), args)
        if not result.returns_rows:
            return [], []
        return list(result.keys()), list(result.fetchall())

    @contextmanager
    def transaction(self, *, write: bool) -> Iterator[Db]:
        """One transaction on a plain connection (sqlite3 or libpq); on SQLAlchemy, the session's own.

        A write on SQLite takes the write lock up front (`BEGIN IMMEDIATE`), so it waits instead of failing
        to upgrade a read lock; a read on PostgreSQL sees one snapshot (REPEATABLE READ) for every query.
        """
        conn: Any
        if self.raw is not None:
            begin, conn = ("BEGIN IMMEDIATE" if write else "BEGIN"), self.raw
        elif self.pq is not None:
            begin, conn = ("BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"), self.pq
        else:  # a SQLAlchemy session or connection: its own transaction is the unit, committed by its owner
            yield self
            return
        conn.execute(begin)
        try:
            yield self
        except BaseException:
            if conn.in_transaction:  # a full disk may already have rolled the transaction back
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Close a plain connection (an open transaction is rolled back)."""
        if self.raw is not None:
            self.raw.close()
        elif self.pq is not None:
            self.pq.close()

    def many(self, sql: str, params: Iterable[Mapping[str, Any]]) -> None:
        """Run one statement once per parameter set."""
        batch = [{k: self.bind(v) for k, v in p.items()} for p in params]
        if not batch:
            return
        if self.raw is not None:
            self.raw.executemany(sql, batch)
        elif self.pq is not None:
            statement, names = numbered(sql)
            for args in batch:
                self.pq.execute(statement, [args[n] for n in names])
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
