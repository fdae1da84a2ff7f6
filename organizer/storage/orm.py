"""Opening the database: engine, SQLite pragmas, automatic migrations with a backup first (those in
organizer.storage.migrating; what can go wrong, named, in organizer.storage.errors).

Every user action runs in one transaction (`Store.write()`). On SQLite the transaction starts
with `BEGIN IMMEDIATE`, so a writer takes the write lock up front and waits (busy timeout)
instead of failing with "database is locked" when it would otherwise upgrade a read lock
while the TUI and several CLI processes share the file.

PostgreSQL (`postgresql://user@host/db`, through psycopg 3) runs transactions at READ COMMITTED
and writers do not wait for each other as a whole, so every read-then-write step that SQLite's one
write lock made safe is written to be safe there too: card numbers come from one atomic
`UPDATE … RETURNING`, imported ids from the table's sequence, and the steps that must run one at a
time (migrating, creating the default board, re-planning, the timer) take an advisory lock
(`organizer.storage.plain.serialize`). Instants are `timestamptz`.

Data safety rules for a SQLite file (issue 8):
- A new database is created 0600 (through the umask) and so are its -wal/-shm files, which
  SQLite gives the database's mode; a folder Organizer creates for it is 0700. Pre-migration
  backups are 0600 too. An existing file or folder keeps the mode it has.
- A non-empty database without Organizer's `alembic_version` table belongs to another app: it
  is inspected without changing a byte (no WAL switch, no backup, no -wal/-shm left) and refused.
- A missing folder is created only when the caller says so (`create=True`, commands that add
  something), or when it is Organizer's own data folder; otherwise a typo in `--db` is refused.
- A file or folder Organizer cannot write is opened read-only: reads work, writes say so.
- SQLite's "database or disk is full" becomes `DiskFull`, one line; the transaction is rolled back.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

from organizer import paths
from organizer.files import create_private, make_private_dir
from organizer.storage.errors import DiskFull as DiskFull
from organizer.storage.errors import ForeignDatabase as ForeignDatabase
from organizer.storage.errors import MissingFolder as MissingFolder
from organizer.storage.errors import ReadOnly as ReadOnly
from organizer.storage.errors import StoreError as StoreError
from organizer.storage.errors import is_disk_full as is_disk_full
from organizer.storage.errors import is_read_only_error
from organizer.storage.migrating import MIGRATIONS as MIGRATIONS
from organizer.storage.migrating import check_known, migrate
from organizer.storage.migrating import current_revision as current_revision

# Long enough for a burst of concurrent quick-adds and a TUI refresh to queue politely.
BUSY_TIMEOUT_MS = 30_000
_FOREIGN_NAMED = 5


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


class Store:
    """A database handle; hands out sessions, one transaction per user action.

    `read_only` is None for a writable database, else why it is not (e.g. "read-only (the folder
    /x is not writable)"); reads work, and `write()` raises `ReadOnly` with that reason.
    """

    def __init__(self, location: str, engine: Engine, *, read_only: str | None = None) -> None:
        self.location = location
        self.engine = engine
        self.sqlite_file = paths.sqlite_path(location)
        self.read_only = read_only
        # A store nobody closed (a CLI command's, a test's) still closes its pooled connections when it is
        # collected: otherwise psycopg warns "deleted while still open" from whatever code runs at that moment.
        self._release = weakref.finalize(self, engine.dispose)

    def _name(self) -> str:
        return str(self.sqlite_file or "the database")

    def _translate(self, exc: Exception) -> StoreError | None:
        """The one-line error for a failed write, or None to let the original through."""
        if is_disk_full(exc):
            return DiskFull(f"disk is full: could not write to {self._name()}; nothing was saved")
        if is_read_only_error(exc):
            return ReadOnly(f"cannot write to {self._name()}: read-only; nothing was saved")
        return None

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session in a write transaction: committed on success, rolled back on any error."""
        if self.read_only:
            raise ReadOnly(f"cannot write to {self._name()}: {self.read_only}")
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                yield session
        except Exception as exc:
            if (clear := self._translate(exc)) is not None:
                raise clear from None
            raise

    @contextmanager
    def scratch(self) -> Iterator[Session]:
        """A write transaction that is always rolled back: run the write path (planning), keep nothing.

        It takes the write lock up front like `write()`, so its writes wait their turn instead of failing.
        On a read-only database it starts a plain read transaction instead.
        """
        engine = self.engine.execution_options(sqlite_begin="DEFERRED") if self.read_only else self.engine
        with Session(engine, expire_on_commit=False) as session:
            session.begin()
            try:
                yield session
            except Exception as exc:
                if (clear := self._translate(exc)) is not None:
                    raise clear from None
                raise
            finally:
                session.rollback()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; on SQLite it takes no write lock."""
        engine = self.engine.execution_options(sqlite_begin="DEFERRED")
        with Session(engine, expire_on_commit=False) as session:
            yield session

    def data_version(self) -> int:
        """A number that changes whenever another connection commits, for live refresh.

        SQLite counts commits by other connections to the file; on PostgreSQL it is the sequence that the
        statement triggers of migration 0007 advance on every change to this database's boards, cards,
        busy time and plan (so writes to other databases on the same server do not count).
        """
        with self.engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
            if conn.dialect.name == "postgresql":
                value: int | None = conn.exec_driver_sql("SELECT last_value FROM organizer_data_version").scalar()
                return int(value or 0)
            return int(conn.exec_driver_sql("PRAGMA data_version").scalar() or 0)

    def close(self) -> None:
        """Release the connection pool."""
        self._release()


def _uri(file: Path, **params: str) -> str:
    # Percent-encoded, so a path with spaces, '?' or '#' stays one path.
    return f"file:{quote(str(file))}?" + "&".join(f"{k}={v}" for k, v in params.items())


def _not_writable(file: Path) -> str | None:
    """Why Organizer cannot write this database, or None when it can."""
    folder = file.parent
    # SQLite needs the folder too: it creates the -wal/-shm files (or a journal) beside the database.
    if not os.access(folder, os.W_OK):
        return f"read-only (the folder {folder} is not writable)"
    if file.exists() and not os.access(file, os.W_OK):
        return "read-only (the file is not writable)"
    return None


def _read_only_uri(file: Path) -> str:
    """A URI that reads an existing database Organizer cannot write, without creating anything.

    A read-only connection to a WAL database needs its -shm file; in a read-only folder nobody can
    have created one (nor be writing: no journal can be made there), so `immutable` reads without it.
    """
    uri = _uri(file, mode="ro")
    try:
        conn = sqlite3.connect(uri, uri=True)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return uri
        finally:
            conn.close()
    except sqlite3.OperationalError:
        if os.access(file.parent, os.W_OK):
            return uri  # not the missing -shm: let the real error show on first use
        return _uri(file, mode="ro", immutable="1")


def _inspect(file: Path) -> tuple[list[str], str | None]:
    """The tables and alembic revision of an existing SQLite file, read without changing it.

    Only SQLite touches the file here: opening and closing it any other way (even to read its header)
    would drop the POSIX locks this process's other connections hold on it, which corrupts databases.
    A writable file is opened read-write but query-only: a read-only connection to a WAL database
    creates -wal/-shm files it then cannot remove, while the last read-write connection removes them.
    Raises StoreError when the file is not SQLite.
    """
    writable = _not_writable(file) is None
    uri = _uri(file, mode="rw") if writable else _read_only_uri(file)
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            if writable:
                conn.execute("PRAGMA query_only = ON")
            tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                      if not name.startswith("sqlite_")]
            row = (conn.execute("SELECT version_num FROM alembic_version").fetchone()
                   if "alembic_version" in tables else None)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{file} is not an Organizer database ({exc})") from None
    return tables, row[0] if row else None


def _prepare_sqlite(file: Path, *, create: bool) -> str | None:
    """Check (and create if allowed) a SQLite database file; returns why it is read-only, or None."""
    folder = file.parent
    if file.is_dir():
        raise StoreError(f"database path {file} is a folder; give a file path")
    if not file.exists():
        if not folder.is_dir():
            # Organizer's own data folder is always made: a fresh install must list (nothing) too.
            if not create and folder != paths.data_dir().absolute():
                raise MissingFolder(f"cannot open {file}: folder {folder} does not exist "
                                    "(commands that add something create it)")
            try:
                make_private_dir(folder)
            except OSError as exc:
                raise StoreError(f"cannot create the folder for database {file}: {exc.strerror}") from None
        if (reason := _not_writable(file)) is not None:
            raise ReadOnly(f"cannot write to {file}: {reason}")
        try:
            create_private(file)  # before SQLite does, so it and its -wal/-shm are 0600
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFull(f"disk is full: could not create {file}") from None
            raise StoreError(f"cannot create database {file}: {exc.strerror}") from None
    tables, revision = _inspect(file)
    if tables and "alembic_version" not in tables:
        named = ", ".join(sorted(tables)[:_FOREIGN_NAMED])
        if len(tables) > _FOREIGN_NAMED:
            named += f" and {len(tables) - _FOREIGN_NAMED} more"
        raise ForeignDatabase(f"{file} is not an Organizer database: it has tables {named}; "
                              "give --db a new file or an Organizer database")
    check_known(revision, str(file))  # before the WAL switch below changes the file
    if (reason := _not_writable(file)) is not None:
        if not tables:
            raise ReadOnly(f"cannot write to {file}: {reason}")
        return reason
    try:
        enable_wal(file)
    except sqlite3.DatabaseError as exc:
        if is_disk_full(exc):
            raise DiskFull(f"disk is full: could not open {file}") from None
        raise StoreError(f"cannot open database {file}: {exc}") from None
    return None


def _sqlite_engine(file: Path, read_only: str | None) -> Engine:
    timeout = BUSY_TIMEOUT_MS / 1000
    if read_only is None:
        return create_engine(f"sqlite:///{file}", connect_args={"timeout": timeout})
    uri = _read_only_uri(file)

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=timeout, check_same_thread=False)

    # The URL still names the file, so SQLAlchemy pools connections as for any file database.
    return create_engine(f"sqlite:///{file}", creator=connect)


def open_store(location: str | None = None, *, migrate_now: bool = True, create: bool = True) -> Store:
    """Open (migrating as needed) the database at a path or URL; see the module notes for the safety rules.

    `create=False` refuses a SQLite file whose folder does not exist (except Organizer's own data
    folder) instead of making it: commands that only read pass it, so a mistyped `--db` is caught.
    Raises `ForeignDatabase`, `MissingFolder`, `ReadOnly`, `DiskFull` or another `StoreError`.
    """
    location = location or paths.default_database()
    file = paths.sqlite_path(location)
    read_only = None
    if file is not None:
        read_only = _prepare_sqlite(file, create=create)
        engine = _sqlite_engine(file, read_only)
    else:
        url = paths.database_url(location)
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}
                               if url.startswith("sqlite") else {})
    if engine.url.get_backend_name() == "sqlite":
        _configure_sqlite(engine)
    store = Store(location, engine, read_only=read_only)
    if migrate_now:
        try:
            migrate(engine, location, read_only=read_only)
        except BaseException:
            engine.dispose()  # no connection (nor -wal/-shm) left open behind a refusal
            raise
    return store
