"""`OrmStorage`: the contract served through SQLAlchemy alone (any URL), and the base of the two plain adapters.

The plain adapters (`SQLiteStorage`, `PostgresStorage`) override `plain()` to hand out a `sqlite3` or libpq
connection at this code's schema revision; whenever `plain()` says `NotQuick` (an older file, no libpq, a
server that refuses), each call here takes the ORM instead, which migrates the database or explains.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from organizer.storage import quick
from organizer.storage.plain import Db
from organizer.validate import InputError

if TYPE_CHECKING:

    from organizer.boardview import BoardData
    from organizer.cardsearch import CardHit
    from organizer.config import Config
    from organizer.storage.contract import ChangeFeed
    from organizer.storage.orm import Store
    from organizer.validate import CardFields, CardFilter


class OrmStorage:
    """Every call through the SQLAlchemy store (opened on first use, thread-safe)."""

    def __init__(self, location: str, *, create: bool = True) -> None:
        self.location = location
        self.dialect = "sqlite" if "://" not in location or location.startswith("sqlite") else \
            location.partition("://")[0].split("+")[0]
        self._create = create
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._mover: Db | None = None  # the plain connection kept for the board's moves
        self._no_mover = False
        self._move_lock = threading.Lock()

    # --- the ORM side -------------------------------------------------------------------------
    def store(self) -> Store:
        """The SQLAlchemy store (migrated on first use; SQLAlchemy is imported then, not before)."""
        with self._lock:
            if self._store is None:
                from organizer.storage.orm import open_store

                self._store = open_store(self.location, create=self._create)
            return self._store

    def write(self) -> Any:
        """An ORM session in one write transaction."""
        return self.store().write()

    def read(self) -> Any:
        """An ORM session in a read transaction."""
        return self.store().read()

    def scratch(self) -> Any:
        """An ORM session whose changes are rolled back."""
        return self.store().scratch()

    # --- plain SQL ----------------------------------------------------------------------------
    def plain(self) -> Db:
        """A plain connection at this code's schema revision; the ORM-only adapter has none (`NotQuick`)."""
        raise quick.NotQuick("served through the ORM")

    def _plain_or_none(self) -> Db | None:
        try:
            return self.plain()
        except quick.NotQuick:
            return None

    @contextmanager
    def reading(self) -> Iterator[Db]:
        """One read transaction of plain SQL: on the plain connection, else on the ORM's (one snapshot either way)."""
        db = self._plain_or_none()
        if db is not None:
            try:
                with db.transaction(write=False):
                    yield db
            finally:
                db.close()
            return
        store = self.store()
        with store.read() as session:
            if store.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield Db(session)

    def load_board(self, cfg: Config, key: str | None) -> BoardData | None:
        """A board with its columns and cards."""
        from organizer.boardview import load_board

        with self.reading() as db:
            return load_board(db, cfg, key)

    def search_cards(self, query: str) -> list[CardHit]:
        """Cards of every board matching `query`."""
        from organizer.cardsearch import search_cards

        with self.reading() as db:
            return search_cards(db, query)

    def add_card(self, cfg: Config, fields: CardFields, *, origin: str = "cli",
                 place: str | None = None) -> dict[str, Any]:
        """Add a card: the plain path when it can (no steps, a board exists), else the services."""
        db = self._plain_or_none()
        if db is not None:
            try:
                return quick.add(db, cfg, fields, origin=origin, place=place)
            except quick.NotQuick:
                pass
            finally:
                db.close()
        from organizer import history
        from organizer.services import cards

        with self.write() as s:
            if place:
                history.set_place(s, place)
            ref = cards.card_ref(s, cards.add_card(s, cfg, fields, origin=origin))
        with self.read() as s:
            return cards.card_view(s, cfg, ref)

    def list_cards(self, cfg: Config, flt: CardFilter,
                   match: Callable[[Any], bool] | None = None) -> list[dict[str, Any]]:
        """Cards as their JSON porcelain, filtered (`match` is a parsed `organizer.filterlang` filter's test)."""
        db = self._plain_or_none()
        if db is not None:
            try:
                return quick.list_cards(db, cfg, flt, match)
            finally:
                db.close()
        from organizer.filterlang import porcelain_subject
        from organizer.services import cards

        with self.read() as s:
            found = cards.list_cards(s, cfg, flt)
        return found if match is None else [card for card in found if match(porcelain_subject(card))]

    def move_card(self, card_id: int, column_id: int, index: int, *, place: str, cfg: Config | None = None) -> None:
        """Move a card to row `index` of a column, in one transaction.

        The board sends moves in quick runs: one plain connection is kept for them (opened on the first), so a
        move costs its few statements, not a connection and a revision check each time.
        """
        with self._move_lock:
            if self._mover is None and not self._no_mover:
                try:
                    self._mover = self.plain()
                except quick.NotQuick:
                    self._no_mover = True
            if self._mover is not None:
                try:
                    quick.move(self._mover, card_id, column_id, index, place=place, cfg=cfg)
                except InputError:
                    raise  # the card or column is gone: the connection is fine
                except Exception:
                    self._mover.close()  # a broken connection must not serve the next move
                    self._mover = None
                    raise
                return
        from organizer import history
        from organizer.services import cards

        with self.write() as s:
            history.set_place(s, place)
            cards.move_card_to(s, card_id, column_id, index, origin="tui", cfg=cfg)

    # --- changes ------------------------------------------------------------------------------
    def data_version(self) -> int:
        """A number that changes whenever the data changes."""
        return self.store().data_version()

    def changes(self) -> ChangeFeed:
        """Polls `data_version` through the store."""
        return PollingFeed(self.data_version)

    def close(self) -> None:
        """Release the store's connections and the moves' connection."""
        with self._move_lock:
            if self._mover is not None:
                self._mover.close()
                self._mover = None
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


class PollingFeed:
    """A change feed that asks a version number at every `wait` (for a database without notifications)."""

    def __init__(self, version: Callable[[], int]) -> None:
        self._version = version
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._known = version()

    def wait(self, timeout: float) -> bool:
        """Sleep `timeout` seconds (or until closed), then compare the version with the one known."""
        if self._event.wait(timeout):
            return False
        with self._lock:
            now = self._version()
            changed, self._known = now != self._known, now
        return changed

    def seen(self) -> None:
        """The data as it is now is known."""
        with self._lock:
            self._known = self._version()

    def close(self) -> None:
        """Stop waiting."""
        self._event.set()
