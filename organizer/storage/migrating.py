"""Bringing a database to the newest schema: its revision, a backup of a SQLite file first, alembic's upgrade in
one transaction (PostgreSQL: under an advisory lock), and a refusal of a revision this Organizer does not know.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from organizer import paths
from organizer.files import create_private
from organizer.schema import SCHEMA_REVISION
from organizer.storage.errors import DiskFull, ReadOnly, StoreError, is_disk_full

__all__ = ["MIGRATIONS", "backup_sqlite", "check_known", "current_revision", "migrate"]

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def current_revision(engine: Engine) -> str | None:
    """The alembic revision the database is at, or None for an empty database."""
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as conn:
        return _revision_in(conn)


def _revision_in(conn: Any, *, in_transaction: bool = False) -> str | None:
    if in_transaction and conn.dialect.name != "sqlite":
        from sqlalchemy import inspect

        if not inspect(conn).has_table("alembic_version"):
            return None  # asked first: on PostgreSQL a failed query would abort the caller's transaction
    try:
        found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return None if found is None else str(found)
    except OperationalError:
        return None
    except Exception as exc:  # another dialect's "no such table"
        if "alembic_version" in str(exc):
            return None
        raise


def backup_sqlite(path: Path, revision: str | None) -> Path:
    """Copy a SQLite file (consistently, through the backup API) before migrating it; the copy is 0600.

    On failure no partial copy is left; a full disk raises `DiskFull`.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.pre-migration-{revision or 'unversioned'}-{stamp}.bak")
    try:
        # Created first so the copy is private whatever mode SQLite would have chosen (0644 less the umask).
        create_private(target)
        src = sqlite3.connect(path)
        try:
            dst = sqlite3.connect(target)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
    except (OSError, sqlite3.Error) as exc:
        target.unlink(missing_ok=True)
        Path(f"{target}-journal").unlink(missing_ok=True)
        if is_disk_full(exc):
            raise DiskFull(f"disk is full: could not back up {path} before upgrading it; nothing was changed") from None
        raise StoreError(f"could not back up {path} before upgrading it: {exc}") from None
    return target


def _alembic_config() -> Any:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def check_known(rev: str | None, location: str) -> None:
    """Refuse a revision this Organizer has no migration for: a newer Organizer's, or another alembic app's."""
    if rev is None or rev == SCHEMA_REVISION:
        return
    from alembic.script import ScriptDirectory

    known = {s.revision for s in ScriptDirectory.from_config(_alembic_config()).walk_revisions()}
    if rev not in known:
        raise StoreError(
            f"database {location} is at schema revision {rev}, which this Organizer does not know "
            f"(newest known: {SCHEMA_REVISION}); upgrade Organizer to open it"
        )


def _has_tables(engine: Engine) -> bool:
    from sqlalchemy import inspect

    return bool(inspect(engine).get_table_names())


def migrate(engine: Engine, location: str, *, read_only: str | None = None) -> Path | None:
    """Bring the database to the newest revision; back up a non-empty SQLite file first.

    Returns the backup's path when one was made. Refuses a database written by a newer
    Organizer rather than guess at its schema, and one that needs work but is `read_only`
    (the reason why, as `Store.read_only` gives it).
    """
    rev = current_revision(engine)
    if rev == SCHEMA_REVISION:
        return None
    from alembic import command

    cfg = _alembic_config()
    check_known(rev, location)
    file = paths.sqlite_path(location)
    if read_only:
        what = "set up" if rev is None else f"upgrade (schema revision {rev} to {SCHEMA_REVISION})"
        raise ReadOnly(f"cannot write to {file or location}: {read_only}; Organizer must {what} it first")
    backup = None
    if file is not None and file.exists() and file.stat().st_size > 0 and _has_tables(engine):
        backup = backup_sqlite(file, rev)
    # One transaction for the whole upgrade; a second process opening a new database at the
    # same moment waits on the lock, then finds the work done.
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # SQLite's write lock is taken by BEGIN IMMEDIATE; PostgreSQL needs one of its own, and the
                # revision read again under it (another process may have migrated while this one waited).
                from organizer.storage.plain import serialize

                serialize(conn, "migrate")
                if _revision_in(conn, in_transaction=True) == SCHEMA_REVISION:
                    return None
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except Exception as exc:
        if is_disk_full(exc):
            raise DiskFull(f"disk is full: could not set up or upgrade {file or location}; nothing was changed"
                           ) from None
        raise
    return backup
