"""How an instant is stored: the one encoding every write path uses, and its reading back.

SQLite has no zone-aware type, so instants are stored there as naive UTC text in SQLAlchemy's
format (`2026-12-01 09:30:00.000000`); PostgreSQL gets `timestamptz`. The ORM (through
`models.AwareDateTime`), the quick quick-add path and the history snapshots all go through
`to_storage`, so a value nothing can read back (a year without zero padding, a year past 9999
once shifted to UTC) is refused at the door instead of taking the workspace down later.
Stdlib only: this is on the quick-add path.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

# The same range `organizer.dates` accepts from users; stored values outside it are refused.
EARLIEST = date(1970, 1, 1)
LATEST = date(2200, 12, 31)


_LOW, _HIGH = f"{EARLIEST} 00:00:00.000000", f"{LATEST} 23:59:59.999999"  # stored text compares in order


class UnstorableInstant(ValueError):
    """A datetime that must not be stored: naive, or outside EARLIEST..LATEST."""


def to_storage(value: datetime) -> datetime:
    """`value` as an aware UTC datetime, checked to be storable and readable back everywhere."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise UnstorableInstant(f"naive datetime {value!r} cannot be stored: give it a zone")
    # The local date first: converting a year-1 value to UTC can itself overflow.
    if not EARLIEST <= value.date() <= LATEST or not EARLIEST <= (utc := value.astimezone(UTC)).date() <= LATEST:
        raise UnstorableInstant(
            f"{value.isoformat()} is outside the dates Organizer stores ({EARLIEST} to {LATEST})"
        )
    return utc


def db_text(value: datetime | None) -> str | None:
    """An aware datetime in the text form stored on SQLite (naive UTC, microseconds, 4-digit year)."""
    if value is None:
        return None
    # isoformat pads the year to four digits; strftime("%Y") does not on glibc (year 226 -> "226").
    return to_storage(value).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def db_datetime(value: str | datetime | None) -> datetime | None:
    """A stored instant (naive-UTC text on SQLite, or a datetime) as an aware UTC datetime.

    Raises ValueError for text that is not an instant (a database edited by hand, an older bug).
    """
    if value is None:
        return None
    dt = datetime.fromisoformat(value) if isinstance(value, str) else value
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def readable(value: str | datetime | None) -> datetime | None:
    """A stored instant as an aware UTC datetime, or None when it cannot be read or used.

    Read paths use this so that one bad row (a database edited by hand, an older bug) shows as
    a missing value instead of taking every command down; `organizer.integrity` finds and names
    such rows so the user is told which card and field to fix.
    """
    if type(value) is str and len(value) == 26 and _LOW <= value <= _HIGH:
        # The stored form (`db_text`), already inside the range: the planner reads thousands of these.
        try:
            # Parsing with the offset is ~6x faster than parsing then .replace(tzinfo=UTC), and gives UTC itself.
            return datetime.fromisoformat(value + "+00:00")
        except ValueError:
            return None
    try:
        dt = db_datetime(value)
    except (ValueError, TypeError):
        return None
    if dt is None or not EARLIEST <= dt.date() <= LATEST:
        return None
    return dt
