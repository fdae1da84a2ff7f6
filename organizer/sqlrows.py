"""Plain SQL on either a `sqlite3` connection (the lean path) or a SQLAlchemy session (any database).

`import sqlmodel` alone costs ~350 ms, more than a whole `organizer plan` may take; the calendar export
and the schedule therefore speak plain SQL, with `:name` parameters, through this one adapter, and
bind instants and dates the way each database stores them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from organizer.instants import db_text

if TYPE_CHECKING:
    from sqlmodel import Session


class Db:
    """SQL on a `sqlite3` connection or a SQLAlchemy session, with values bound as each stores them."""

    def __init__(self, db: sqlite3.Connection | Session) -> None:
        self.raw = db if isinstance(db, sqlite3.Connection) else None
        self.conn = None if self.raw else db.connection()
        self.sqlite = self.raw is not None or self.conn.dialect.name == "sqlite"  # type: ignore[union-attr]

    def rows(self, sql: str, params: Mapping[str, Any] | None = None, *, fetch: bool = True) -> list[Any]:
        """Run one statement (`:name` parameters) and return its rows as sequences (none unless `fetch`)."""
        args = {k: self.bind(v) for k, v in (params or {}).items()}
        if self.raw is not None:
            cursor = self.raw.execute(sql, args)
        else:
            from sqlalchemy import text

            cursor = self.conn.execute(text(sql), args)  # type: ignore[union-attr]
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

            self.conn.execute(text(sql), batch)  # type: ignore[union-attr]

    def bind(self, value: Any) -> Any:
        """SQLite keeps instants as naive UTC text and dates as ISO text; other databases take them as they are."""
        if self.sqlite and isinstance(value, date):  # a datetime is a date too
            return db_text(value) if isinstance(value, datetime) else value.isoformat()
        return value
