"""Which adapter serves a database location (the storage contract is `organizer.storage.contract`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from organizer.storage.contract import Storage


def open_storage(location: str, *, create: bool = True) -> Storage:
    """The adapter for a database location: PostgreSQL for a `postgresql://` URL, SQLite for a path or `sqlite:`
    URL, the ORM alone for any other URL SQLAlchemy knows.

    Opening connects to nothing yet; the first call does. `create=False` refuses a missing SQLite folder (a
    mistyped `--db`) where a command that only reads would otherwise make one.
    """
    scheme = location.partition("://")[0].split("+")[0] if "://" in location else "sqlite"
    if scheme in ("postgresql", "postgres"):
        from organizer.storage.postgres import PostgresStorage

        return PostgresStorage(location, create=create)
    if scheme == "sqlite":
        from organizer.storage.sqlite import SQLiteStorage

        return SQLiteStorage(location, create=create)
    from organizer.storage.base import OrmStorage

    return OrmStorage(location, create=create)
