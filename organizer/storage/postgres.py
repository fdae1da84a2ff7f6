"""The PostgreSQL adapter: the plain paths through libpq, the rest through the ORM (SQLAlchemy, psycopg 3).

Changes are announced by the server: the statement trigger that advances `organizer_data_version` also sends
`NOTIFY organizer_changes` (migrations 0007 and 0008), and the change feed LISTENs on a libpq connection of its
own, so an open app hears of another client's commit at once instead of asking twice a second. The sequence
stays the truth: a notification only wakes the feed, which then compares the sequence with the value it knew,
so this app's own commits (after `seen()`) are not news.
"""

from __future__ import annotations

import os
import select
import threading
from typing import TYPE_CHECKING

from organizer.storage import libpq, quick
from organizer.storage.base import OrmStorage, PollingFeed

if TYPE_CHECKING:
    from organizer.storage.contract import ChangeFeed
    from organizer.storage.plain import Db

CHANNEL = "organizer_changes"
_VERSION = "SELECT last_value FROM organizer_data_version"


class PostgresStorage(OrmStorage):
    """A PostgreSQL database: libpq for the hot paths while it is at this code's revision."""

    def plain(self) -> Db:
        """A new libpq connection at this code's revision (`NotQuick` without libpq or at another revision)."""
        return quick.connect(self.location)

    def data_version(self) -> int:
        """The data-version sequence (a change to this database's data advances it)."""
        try:
            db = self.plain()
        except quick.NotQuick:
            return super().data_version()
        try:
            return quick.data_version(db)
        finally:
            db.close()

    def changes(self) -> ChangeFeed:
        """LISTEN on a connection of its own; polling through the ORM when libpq cannot connect."""
        try:
            return PgChanges(self.location)
        except (libpq.Unavailable, libpq.PqError, quick.NotQuick):
            return PollingFeed(self.data_version)


class PgChanges:
    """LISTEN organizer_changes on one libpq connection; the data-version sequence decides what is news."""

    def __init__(self, location: str) -> None:
        if not libpq.available():
            raise libpq.Unavailable("no libpq")
        self._conn = libpq.Connection(location, application_name="organizer-watch")
        self._lock = threading.Lock()  # the watcher thread waits; `seen()` comes from a writer's thread
        self._closed = threading.Event()
        # Closing the socket in another thread does not wake a select() on it: a pipe does.
        self._wake_r, self._wake_w = os.pipe()
        self._conn.execute(f"LISTEN {CHANNEL}")
        self._known = self._version()

    def _version(self) -> int:
        with self._lock:
            return int(self._conn.execute(_VERSION)[1][0][0] or 0)

    def wait(self, timeout: float) -> bool:
        """Wait for a notification up to `timeout` seconds, then compare the sequence with the value known."""
        with self._lock:
            if self._closed.is_set():
                return False
            sock, pending = self._conn.socket(), self._conn.notifies()
        if not pending:
            try:  # outside the lock: `seen()` and `close()` must not wait for a quiet server
                select.select([sock, self._wake_r], [], [], timeout)
            except (OSError, ValueError):  # closed meanwhile
                return False
            with self._lock:
                if self._closed.is_set():
                    return False
                self._conn.notifies()
        now = self._version()
        changed, self._known = now != self._known, now
        return changed

    def seen(self) -> None:
        """This app's own commit is not news."""
        self._known = self._version()

    def close(self) -> None:
        """Stop listening and close the connection; a `wait` under way returns at once."""
        if self._closed.is_set():
            return
        self._closed.set()
        os.write(self._wake_w, b"x")
        with self._lock:
            self._conn.close()
            os.close(self._wake_r)
            os.close(self._wake_w)
