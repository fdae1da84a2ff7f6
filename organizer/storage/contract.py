"""The storage contract: what the CLI and the app need of a database, whichever database it is.

Two adapters implement it (`organizer.storage.sqlite.SQLiteStorage`, `organizer.storage.postgres.PostgresStorage`)
and `organizer.storage.adapters.open_storage` picks one from the location (any other URL SQLAlchemy knows gets
`organizer.storage.base.OrmStorage`). Each serves the hot paths (the board, card search, add, list, a move,
change notifications) in plain SQL: `sqlite3` on a SQLite file, libpq on PostgreSQL, the same SQL on both
(`organizer.storage.quick`, `organizer.boardview`, `organizer.cardsearch`). Everything else (edit, delete, undo,
plans, busy time, calendars, import and export) runs in the core services on an ORM session that the contract
hands out, one user action per transaction (`write`). A database the plain paths cannot serve (a SQLite file at
an older revision, a server without libpq here) is served entirely through the ORM, which migrates it first.

Nothing here imports SQLAlchemy: `organizer add` uses the contract and stays quick.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlmodel import Session

    from organizer.boardview import BoardData
    from organizer.cardsearch import CardHit
    from organizer.config import Config
    from organizer.storage.orm import Store
    from organizer.storage.plain import Db
    from organizer.validate import CardFields, CardFilter


class ChangeFeed(Protocol):
    """News of other writers, on a connection of its own, for one watcher thread."""

    def wait(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when the data changed since the last answer or `seen()`."""

    def seen(self) -> None:
        """Take the data as it is now as known (after this app's own write): it is not news."""

    def close(self) -> None:
        """Release the feed's connection."""


class Storage(Protocol):
    """A database as the CLI and the app use it. Every method may be called from any one thread at a time."""

    location: str
    dialect: str  # "sqlite" or "postgresql"

    def reading(self) -> AbstractContextManager[Db]:
        """One read transaction of plain SQL that sees one moment of the data."""

    def load_board(self, cfg: Config, key: str | None) -> BoardData | None:
        """A board with its columns and cards (`key`, else the default one); None when there is no board."""

    def search_cards(self, query: str) -> list[CardHit]:
        """Cards of every board whose ID, title, tags, campaign or pillar match `query`."""

    def add_card(self, cfg: Config, fields: CardFields, *, origin: str = "cli",
                 place: str | None = None) -> dict[str, Any]:
        """Add a card in one transaction and return its JSON porcelain."""

    def list_cards(self, cfg: Config, flt: CardFilter,
                   match: Callable[[Any], bool] | None = None) -> list[dict[str, Any]]:
        """Cards as their JSON porcelain, in board, column and position order, filtered."""

    def move_card(self, card_id: int, column_id: int, index: int, *, place: str, cfg: Config | None = None) -> None:
        """Move a card to row `index` of a column, in one transaction (`cfg`: the approval gate applies)."""

    def store(self) -> Store:
        """The ORM store itself, for services that run transactions of their own (calendar refresh, imports)."""

    def write(self) -> AbstractContextManager[Session]:
        """An ORM session in one write transaction, for the services: commits at the end, rolls back on error."""

    def read(self) -> AbstractContextManager[Session]:
        """An ORM session in a read transaction."""

    def scratch(self) -> AbstractContextManager[Session]:
        """An ORM session whose changes are rolled back (to compute a plan without storing it)."""

    def data_version(self) -> int:
        """A number that changes whenever the data changes (another writer's commit, on SQLite)."""

    def changes(self) -> ChangeFeed:
        """A feed of other writers' changes on its own connection (SQLite polls, PostgreSQL LISTENs)."""

    def close(self) -> None:
        """Release every connection."""
