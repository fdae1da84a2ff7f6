"""Rows that cannot be read: found by one query, named by card and field, never fatal.

Every write path stores instants through `organizer.instants.to_storage`, so Organizer itself no
longer writes a value it cannot read. A database edited by hand, or written by an older bug (a
year without zero padding, a date past 9999 once shifted to a zone), may still hold one. The read
paths show such a value as empty (`instants.readable`); this module finds those rows so that the
command or the app can say which card and which field to fix, while the rest keeps working.

Plain SQL over a DB-API style `execute`, so the quick path (sqlite3) and the ORM path share it.
Only SQLite stores instants as text; PostgreSQL's timestamptz cannot hold a bad value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from organizer.instants import EARLIEST, LATEST, readable

# The card's instants and the flag that sets each one again.
CARD_INSTANTS: dict[str, str] = {
    "due_at": "--due", "publish_at": "--publish", "created_at": "", "updated_at": "", "completed_at": "",
}

Execute = Callable[[str], Iterable[Sequence[Any]]]


@dataclass(frozen=True)
class Unreadable:
    """One stored value that cannot be read: the card's reference, the column and the raw text."""

    ref: str
    field: str
    raw: str

    def message(self) -> str:
        """A one-line warning that names the card, the field and how to fix it."""
        flag = CARD_INSTANTS.get(self.field, "")
        fix = f"; set it again with `organizer edit {self.ref} {flag} WHEN` (or `{flag} none`)" if flag else ""
        shown = self.raw if len(self.raw) <= 40 else self.raw[:37] + "..."
        return f"{self.ref}: its {self.field} {shown!r} cannot be read and is shown empty{fix}"


def _bad(column: str) -> str:
    # Cheap enough for every `list` at 10,000 cards (~7 ms): the length and the range catch what older
    # versions and overflowing zones wrote. A value of the right length and range that is still not a
    # date (month 13, 31 February) can only come from a hand edit; the readers show it empty all the same.
    c = column
    return (f"({c} IS NOT NULL AND (length({c}) != 26 "
            f"OR {c} NOT BETWEEN '{EARLIEST.isoformat()}' AND '{LATEST.isoformat()} 23:59:59.999999'))")


# One pass over the card table; the board key is looked up only for the few rows found.
_QUERY = (f"SELECT b.key, c.number, {', '.join(f'c.{col}' for col in CARD_INSTANTS)} FROM card c "
          f"JOIN board b ON b.id = c.board_id WHERE c.id IN (SELECT id FROM card WHERE "
          + " OR ".join(_bad(col) for col in CARD_INSTANTS) + ") ORDER BY b.id, c.number")


def unreadable_cards(execute: Execute, dialect: str = "sqlite") -> list[Unreadable]:
    """Every card instant that cannot be read back, in board and number order."""
    if dialect != "sqlite":
        return []
    out = []
    for key, number, *values in execute(_QUERY):
        for column, raw in zip(CARD_INSTANTS, values, strict=True):
            if raw is not None and readable(raw) is None:
                out.append(Unreadable(f"{key}-{number}", column, str(raw)))
    return out


def for_sqlite3(conn: Any) -> Execute:
    """An `execute` for a plain sqlite3 connection."""
    return lambda sql: conn.execute(sql).fetchall()


def for_session(session: Any) -> Execute:
    """An `execute` for a SQLAlchemy session (in its current transaction)."""
    return lambda sql: session.connection().exec_driver_sql(sql).fetchall()
