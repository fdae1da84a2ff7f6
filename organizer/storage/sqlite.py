"""The SQLite adapter: the plain paths through `sqlite3` on the file, the rest through the ORM.

A change by another connection (another process, or this app's other connections) shows in `PRAGMA
data_version` of a connection that stays open: the change feed keeps one and asks it (microseconds, no I/O
wait), which is how an open app hears of a shell's quick-add.
"""

from __future__ import annotations

import sqlite3
import threading

from organizer.storage import quick
from organizer.storage.base import OrmStorage
from organizer.storage.plain import Db


class SQLiteStorage(OrmStorage):
    """A SQLite file: plain `sqlite3` for the hot paths while the file is at this code's revision."""

    def __init__(self, location: str, *, create: bool = True) -> None:
        super().__init__(location, create=create)
        self._version_conn: sqlite3.Connection | None = None

    def plain(self) -> Db:
        """A new `sqlite3` connection at this code's revision (`NotQuick` otherwise: the ORM migrates it)."""
        return Db(quick.connect_sqlite(self.location))

    def data_version(self) -> int:
        """Counts commits by other connections, on one connection kept for the question."""
        with self._lock:
            if self._version_conn is None:
                self._version_conn = sqlite3.connect(quick.sqlite_file(self.location), check_same_thread=False)
            return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        """Release the store and the version connection."""
        with self._lock:
            if self._version_conn is not None:
                self._version_conn.close()
                self._version_conn = None
        super().close()

    def changes(self) -> SqliteChanges:
        """A feed on a connection of its own."""
        return SqliteChanges(self.location)


class SqliteChanges:
    """`PRAGMA data_version` on one connection kept open: it moves when any other connection commits."""

    def __init__(self, location: str) -> None:
        self._conn = sqlite3.connect(quick.sqlite_file(location), check_same_thread=False)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._known = self._version()

    def _version(self) -> int:
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

    def wait(self, timeout: float) -> bool:
        """Sleep `timeout` seconds (or until closed), then say whether another connection committed."""
        if self._closed.wait(timeout):
            return False
        now = self._version()
        changed, self._known = now != self._known, now
        return changed

    def seen(self) -> None:
        """This app's own commit is not news."""
        self._known = self._version()

    def close(self) -> None:
        """Stop and release the connection."""
        self._closed.set()
        with self._lock:
            self._conn.close()
