"""Opening the database: engine, SQLite pragmas, automatic migrations with a backup first.

Every user action runs in one transaction (`Store.write()`). On SQLite the transaction starts
with `BEGIN IMMEDIATE`, so a writer takes the write lock up front and waits (busy timeout)
instead of failing with "database is locked" when it would otherwise upgrade a read lock
while the TUI and several CLI processes share the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from organizer import paths
from organizer.schema import SCHEMA_REVISION

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Long enough for a burst of concurrent quick-adds and a TUI refresh to queue politely.
BUSY_TIMEOUT_MS = 30_000


class StoreError(RuntimeError):
    """The database cannot be used (unknown newer schema, unreadable file…)."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below decide how transactions start.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


def enable_wal(path: Path) -> None:
    """Put a SQLite file in WAL mode (persistent), so readers never block the writer."""
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
    finally:
        conn.close()


def current_revision(engine: Engine) -> str | None:
    """The alembic revision the database is at, or None for an empty database."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        try:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError:
            return None
        except Exception as exc:  # another dialect's "no such table"
            if "alembic_version" in str(exc):
                return None
            raise


def backup_sqlite(path: Path, revision: str | None) -> Path:
    """Copy a SQLite file (consistently, through the backup API) before migrating it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.pre-migration-{revision or 'unversioned'}-{stamp}.bak")
    src = sqlite3.connect(path)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return target


def _has_tables(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(engine).get_table_names())


def migrate(engine: Engine, location: str) -> Path | None:
    """Bring the database to the newest revision; back up a non-empty SQLite file first.

    Returns the backup's path when one was made. Refuses a database written by a newer
    Organizer rather than guess at its schema.
    """
    rev = current_revision(engine)
    if rev == SCHEMA_REVISION:
        return None
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    known = {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}
    if rev is not None and rev not in known:
        raise StoreError(
            f"database {location} is at schema revision {rev}, which this Organizer does not know "
            f"(newest known: {SCHEMA_REVISION}); upgrade Organizer to open it"
        )
    backup = None
    file = paths.sqlite_path(location)
    if file is not None and file.exists() and file.stat().st_size > 0 and _has_tables(engine):
        backup = backup_sqlite(file, rev)
    # One transaction for the whole upgrade; a second process opening a new database at the
    # same moment waits on the lock, then finds the work done.
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
    return backup


class Store:
    """A database handle; hands out sessions, one transaction per user action."""

    def __init__(self, location: str, engine: Engine) -> None:
        self.location = location
        self.engine = engine
        self.sqlite_file = paths.sqlite_path(location)

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a write transaction: committed on success, rolled back on any error."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            yield session

    @contextmanager
    def scratch(self) -> Iterator[Session]:
        """A write transaction that is always rolled back: run the write path (planning), keep nothing.

        It takes the write lock up front like `write()`, so its writes wait their turn instead of failing.
        """
        with Session(self.engine, expire_on_commit=False) as session:
            session.begin()
            try:
                yield session
            finally:
                session.rollback()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; on SQLite it takes no write lock."""
        engine = self.engine.execution_options(sqlite_begin="DEFERRED")
        with Session(engine, expire_on_commit=False) as session:
            yield session

    def data_version(self) -> int:
        """A number that changes whenever another connection commits (SQLite), for live refresh."""
        with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            return int(conn.exec_driver_sql("PRAGMA data_version").scalar() or 0)

    def close(self) -> None:
        """Release the connection pool."""
        self.engine.dispose()


def open_store(location: str | None = None, *, migrate_now: bool = True) -> Store:
    """Open (creating and migrating as needed) the database at a path or URL."""
    location = location or paths.default_database()
    file = paths.sqlite_path(location)
    url = paths.database_url(location)
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the folder for database {file}: {exc.strerror}") from None
        if file.exists() and file.is_dir():
            raise StoreError(f"database path {file} is a folder; give a file path")
        try:
            enable_wal(file)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{file} is not an Organizer database ({exc})") from None
    elif location.startswith("sqlite"):
        pass  # in-memory SQLite
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000} if url.startswith("sqlite") else {})
    if url.startswith("sqlite"):
        _configure_sqlite(engine)
    store = Store(location, engine)
    if migrate_now:
        migrate(engine, location)
    return store
