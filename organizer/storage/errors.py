"""What can go wrong with a database file, as Organizer names it: one exception class each, and the tests that
tell a full disk or a read-only file from other errors (on the error, its cause or the error it was raised during).
"""

from __future__ import annotations

import errno
import sqlite3

from organizer.validate import InputError

__all__ = ["DiskFull", "ForeignDatabase", "MissingFolder", "ReadOnly", "StoreError", "is_disk_full",
           "is_read_only_error"]


class StoreError(RuntimeError):
    """The database cannot be used (unknown newer schema, unreadable file…)."""


class ForeignDatabase(StoreError, InputError):
    """The file is another app's SQLite database; Organizer left it exactly as it was (exit 2)."""


class MissingFolder(StoreError, InputError):
    """The database's folder does not exist and this command does not create one (exit 2)."""


class ReadOnly(StoreError):
    """The database cannot be written: its file or folder is read-only."""


class DiskFull(StoreError):
    """SQLite ran out of disk space; the transaction was rolled back, nothing was saved."""


def is_disk_full(exc: BaseException) -> bool:
    """Whether an error (or one it was raised from or during) is SQLITE_FULL or ENOSPC/EDQUOT."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for err in (current, getattr(current, "orig", None)):
            if isinstance(err, sqlite3.Error) and (getattr(err, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_FULL:
                return True
            if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT):
                return True
        # A failed rollback after SQLITE_FULL ("cannot rollback") carries the real error as its context.
        current = current.__cause__ or current.__context__
    return False


def is_read_only_error(exc: BaseException) -> bool:
    """Whether a database error is SQLite's SQLITE_READONLY."""
    err = getattr(exc, "orig", None) or exc
    return isinstance(err, sqlite3.Error) and (getattr(err, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_READONLY
