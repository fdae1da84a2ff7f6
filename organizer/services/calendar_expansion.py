"""Rolling expansion of imported calendars: kept copies, expansion windows, expanding again as time moves on.

An import (organizer.services.calendars) keeps a copy of the calendar's bytes (content-addressed, 0600, in
`paths.calendar_folder` beside the database) and records the window it expanded in the `setting` table
(`calendar.<id>.expansion`, in the import's transaction). `ensure_expanded` expands a calendar again from
its copy once its expansion reaches less than STALE_AHEAD ahead, so busy time keeps covering the horizon
without a fetch; a refresh answered 304, and a refresh of a file import, do so once it lags a day.
`busy_between` expands a calendar for a range outside its window on demand, storing nothing. A calendar
imported before copies were kept has none: its messages say so and which range it knows.

organizer.services.calendars re-exports the public names; this module imports it only inside `busy_between`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, inspect
from sqlmodel import Session, col, delete, select
from sqlmodel.sql.expression import Select

from organizer import paths
from organizer.config import Config
from organizer.ics.importer import Occurrence, Skipped, horizon, read_calendar
from organizer.models import BusyEvent, CalendarSource, Setting
from organizer.validate import InputError

# An expansion reaching less than this far ahead is stale (a fresh one reaches horizon(): 365 days): about two
# months after an import, `ensure_expanded` expands it again. Checking is two small queries; expanding a
# calendar is a read of its copy, so it should not happen on every read.
STALE_AHEAD = timedelta(days=300)
# A refresh (asked for) expands again from the copy once the expansion lags the horizon by this much.
REFRESH_LAG = timedelta(days=1)
# After a failed expansion, planning does not try that calendar again for this long (a read may take 10 s).
RETRY_AFTER = timedelta(days=1)
EXPANSION_KEY = "calendar.{}.expansion"
_COPY_SUFFIX = ".ics"


@dataclass(frozen=True)
class Expansion:
    """What a calendar's busy events were expanded from: the window and the kept copy (its sha256)."""

    start: datetime
    end: datetime
    source: str | None  # None: no copy (in-memory database, or imported before copies were kept)
    skipped: int = 0
    failed_at: datetime | None = None  # the last expansion from the copy that failed
    error: str | None = None


@dataclass(frozen=True)
class Reexpansion:
    """A calendar expanded again from its kept copy: what changed, or why it could not be."""

    name: str
    start: datetime
    end: datetime
    events: int = 0  # busy events of the calendar afterwards
    added: int = 0
    removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    error: str | None = None  # set when the copy could not be read: the old events stay


@dataclass(frozen=True)
class KnownBusy:
    """Busy time in a range, and notes about calendars that cannot say all of it (see `busy_between`)."""

    events: list[BusyOccurrence]
    notes: list[str]


# --- Kept copies and expansion windows ------------------------------------------------------------------


def copy_folder(session: Session) -> Path | None:
    """The folder of kept copies for the session's database (None for an in-memory one)."""
    url = session.get_bind().engine.url
    return paths.calendar_folder(url.render_as_string(hide_password=True))


def keep_copy(session: Session, data: bytes) -> str | None:
    """Keep `data` (already bounded by limits.MAX_BYTES) as a private file; its sha256, or None without a folder."""
    from organizer.files import make_private_dir, write_atomic

    folder = copy_folder(session)
    if folder is None:
        return None
    digest = hashlib.sha256(data).hexdigest()
    target = folder / f"{digest}{_COPY_SUFFIX}"
    if not target.is_file():  # the same calendar again: the copy is already there
        make_private_dir(folder)
        write_atomic(target, data)
    return digest


def read_copy(session: Session, digest: str | None) -> bytes | None:
    """The kept copy with this sha256, or None when there is none (or it no longer matches: never trusted)."""
    folder = copy_folder(session)
    if folder is None or not digest:
        return None
    try:
        data = (folder / f"{digest}{_COPY_SUFFIX}").read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def copy_exists(session: Session, digest: str) -> bool:
    folder = copy_folder(session)
    return folder is not None and (folder / f"{digest}{_COPY_SUFFIX}").is_file()


def prune_copies(session: Session, keep: set[str]) -> None:
    """Remove kept copies no expansion refers to (in this transaction's view), except those in `keep`."""
    folder = copy_folder(session)
    if folder is None or not folder.is_dir():
        return
    wanted = keep | {e.source for e in expansions(session).values() if e.source}
    for path in folder.glob(f"*{_COPY_SUFFIX}"):
        if path.stem not in wanted and len(path.stem) == 64:
            path.unlink(missing_ok=True)


def _parse(value: str, name: str) -> Expansion | None:
    """An expansion record, if it is one for the calendar called `name` (an id reused after an old
    Organizer removed a calendar must not inherit its window)."""
    try:
        raw = json.loads(value)
        if raw.get("name") != name:
            return None
        failed = raw.get("failed_at")
        return Expansion(datetime.fromisoformat(raw["start"]), datetime.fromisoformat(raw["end"]),
                         raw.get("source") or None, int(raw.get("skipped") or 0),
                         datetime.fromisoformat(failed) if failed else None, raw.get("error") or None)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def expansions(session: Session) -> dict[int, Expansion]:
    """Every calendar's expansion record, by calendar id."""
    names = dict(session.exec(select(CalendarSource.id, CalendarSource.name)).all())
    found = {}
    for setting in session.exec(select(Setting).where(col(Setting.key).like(EXPANSION_KEY.format("%")))):
        ident = setting.key.split(".")[1]
        if ident.isdigit() and int(ident) in names:
            parsed = _parse(setting.value, names[int(ident)])
            if parsed is not None:
                found[int(ident)] = parsed
    return found


def expansion_of(session: Session, row: CalendarSource) -> Expansion | None:
    setting = session.get(Setting, EXPANSION_KEY.format(row.id))
    return _parse(setting.value, row.name) if setting is not None else None


def save_expansion(session: Session, row: CalendarSource, expansion: Expansion) -> None:
    key = EXPANSION_KEY.format(row.id)
    value = json.dumps({"name": row.name, "start": expansion.start.isoformat(), "end": expansion.end.isoformat(),
                        "source": expansion.source, "skipped": expansion.skipped,
                        "failed_at": expansion.failed_at.isoformat() if expansion.failed_at else None,
                        "error": expansion.error})
    setting = session.get(Setting, key) or Setting(key=key, value=value)
    setting.value = value
    session.add(setting)
    session.flush()


def window_of(session: Session, row: CalendarSource, expansion: Expansion | None) -> tuple[datetime, datetime] | None:
    """The window a calendar's busy events cover. Imported before windows were recorded: the horizon of
    the import that wrote its events (their created_at; a refresh answered 304 did not move it)."""
    if expansion is not None:
        return expansion.start, expansion.end
    written = session.exec(select(func.max(BusyEvent.created_at)).where(col(BusyEvent.source) == row.name)).one()
    when = written or row.refreshed_at
    if when is None:
        return None
    if when.tzinfo is None:  # max() on SQLite gives the stored text back, read as naive UTC
        when = when.replace(tzinfo=UTC)
    return horizon(when)


def stale_since(end: datetime, now: datetime) -> datetime | None:
    """When an expansion reaching `end` went stale (reached less than STALE_AHEAD ahead), or None."""
    since = end - STALE_AHEAD
    return since if now >= since else None


def lags(expansion: Expansion, now: datetime) -> bool:
    """Whether an expansion lags the horizon at `now` by more than REFRESH_LAG (a refresh expands it again)."""
    return horizon(now)[1] - expansion.end > REFRESH_LAG


def busy_table() -> Table:
    """The busy_event table, for one executemany insert (SQLModel sets `__table__` but does not declare it)."""
    table = inspect(BusyEvent).local_table
    assert isinstance(table, Table)  # a model with table=True maps one plain Table
    return table


def _replace_rows(session: Session, name: str, occurrences: list[Occurrence], now: datetime) -> tuple[int, int]:
    """Make a calendar's busy events exactly `occurrences`, touching only the rows that differ (so an
    expansion that changes nothing does not mark the plan stale); (added, removed)."""
    wanted = {o.uid: o for o in occurrences}
    same: set[str] = set()
    gone: list[int] = []
    # sqlmodel's select() is typed for up to four columns; for six it builds this Select, typed as any columns.
    # A stored row has all six: the id is the key, the times are NOT NULL.
    stored: Select[*tuple[Any, ...]] = Select(
        col(BusyEvent.id), col(BusyEvent.uid), col(BusyEvent.title), col(BusyEvent.start_at),
        col(BusyEvent.end_at), col(BusyEvent.all_day)).where(col(BusyEvent.source) == name)
    rows: Iterable[tuple[int, str, str, datetime, datetime, bool]] = session.exec(stored)
    for ident, uid, title, start, end, all_day in rows:
        o = wanted.get(uid)
        if o is not None and uid not in same and (title, start, end, bool(all_day)) == (
                o.title, o.start, o.end, o.all_day):
            same.add(uid)
        else:
            gone.append(ident)
    for i in range(0, len(gone), 500):
        session.exec(delete(BusyEvent).where(col(BusyEvent.id).in_(gone[i:i + 500])))
    new = [o for uid, o in wanted.items() if uid not in same]
    if new:
        session.exec(insert(busy_table()), params=[
            {"uid": o.uid, "title": o.title, "start_at": o.start, "end_at": o.end, "all_day": o.all_day,
             "source": name, "created_at": now} for o in new])
    return len(new), len(gone)


def expand_again(session: Session, cfg: Config, row: CalendarSource, expansion: Expansion,
                  now: datetime, data: bytes | None = None) -> Reexpansion:
    """Expand a calendar again from its kept copy over horizon(now), in the caller's transaction.

    Events the copy cannot expand any more (a rule walked too far since…) are skipped, not fatal: nobody
    is there to pass --skip-bad. When the copy cannot be read at all, the old events stay and the failure
    is recorded, so planning does not retry it for RETRY_AFTER.
    """
    start, end = horizon(now)
    data = data if data is not None else read_copy(session, expansion.source)
    try:
        if data is None:
            raise InputError(f'"{row.name}": the kept copy of the calendar is missing or damaged')
        read = read_calendar(data, f'"{row.name}" (kept copy)', tz=cfg.timezone, start=start, end=end,
                             skip_bad=True)
    except InputError as exc:
        save_expansion(session, row, replace(expansion, failed_at=now, error=str(exc)))
        return Reexpansion(row.name, expansion.start, expansion.end, row.event_count, error=str(exc))
    added, removed = _replace_rows(session, row.name, read.occurrences, now)
    row.event_count = len(read.occurrences)
    session.add(row)
    save_expansion(session, row, Expansion(start, end, expansion.source, len(read.skipped)))
    return Reexpansion(row.name, start, end, len(read.occurrences), added, removed, read.skipped)


def _due(expansion: Expansion | None, now: datetime) -> bool:
    if expansion is None or expansion.source is None or stale_since(expansion.end, now) is None:
        return False
    return expansion.failed_at is None or not (now - RETRY_AFTER < expansion.failed_at <= now)


def stale_calendars(session: Session, now: datetime) -> list[str]:
    """The calendars `ensure_expanded` would expand again now (cheap: for a read before a write)."""
    due = {ident for ident, e in expansions(session).items() if _due(e, now)}
    if not due:
        return []
    return sorted(session.exec(select(CalendarSource.name).where(col(CalendarSource.id).in_(due))).all())


def ensure_expanded(session: Session, cfg: Config, now: datetime) -> list[Reexpansion]:
    """Expand again, from its kept copy, every calendar whose expansion is stale; in the caller's write
    transaction (deletes and inserts of only the busy events that change).

    Stale: reaching less than STALE_AHEAD (300 days) ahead of `now`, i.e. about two months after the last
    import or expansion. Nothing stale: two small queries. A calendar without a kept copy is left as it is
    (`list_calendars` and `busy_between` say so); one whose copy fails to read keeps its events, is
    reported with `error` and is not tried again for RETRY_AFTER.
    """
    found = expansions(session)
    due = [ident for ident, e in found.items() if _due(e, now)]
    if not due:
        return []
    rows = session.exec(select(CalendarSource).where(col(CalendarSource.id).in_(due))
                        .order_by(CalendarSource.name)).all()
    return [expand_again(session, cfg, row, found[row.id], now) for row in rows if row.id is not None]


def day(value: datetime, tz: Any) -> str:
    """A day for a message, always with its year: `01 Nov 2026`."""
    return f"{value.astimezone(tz):%d %b %Y}"


def _fix(row: CalendarSource) -> str:
    """How to get a calendar without a kept copy kept current."""
    if row.url and row.url.startswith(("http://", "https://")):
        return f"organizer calendars refresh {row.name!r} keeps it current"
    return "import it again to keep it current"


@dataclass(frozen=True)
class BusyOccurrence:
    """One span of busy time, manual or imported."""

    start: datetime
    end: datetime
    title: str
    source: str
    uid: str
    all_day: bool = False


def events_between(session: Session, start: datetime, end: datetime) -> list[BusyOccurrence]:
    """Busy time overlapping [start, end), manual and imported, in time order: what the planner sees."""
    rows = session.exec(select(BusyEvent).where(col(BusyEvent.start_at) < end, col(BusyEvent.end_at) > start)
                        .order_by(col(BusyEvent.start_at), col(BusyEvent.source), col(BusyEvent.uid)))
    return [BusyOccurrence(r.start_at, r.end_at, r.title, r.source, r.uid, r.all_day)
            for r in rows if r.start_at and r.end_at]


def busy_between(session: Session, cfg: Config, start: datetime, end: datetime) -> KnownBusy:
    """Busy time overlapping [start, end) like `events_between`, for a range the expansions may not cover.

    A calendar whose window does not cover the range is expanded for it from its kept copy, on demand
    (nothing is stored; that is a read of the copy, so up to the reading budget). One without a copy gives
    what is stored and a note naming the range it knows.
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(cfg.timezone)
    stored = events_between(session, start, end)
    found = expansions(session)
    fresh: dict[str, list[BusyOccurrence]] = {}
    notes: list[str] = []
    for row in session.exec(select(CalendarSource).order_by(CalendarSource.name)):
        expansion = found.get(row.id) if row.id is not None else None
        window = window_of(session, row, expansion)
        if window is not None and window[0] <= start and end <= window[1]:
            continue
        known = f"from {day(window[0], tz)} to {day(window[1], tz)}" if window else "for no range"
        data = read_copy(session, expansion.source if expansion else None)
        if data is None:
            why = "its kept copy is missing" if expansion and expansion.source else "no copy of it is kept"
            notes.append(f'"{row.name}": busy time known {known} only ({why}: {_fix(row)})')
            continue
        try:
            read = read_calendar(data, f'"{row.name}" (kept copy)', tz=cfg.timezone, start=start, end=end,
                                 skip_bad=True)
        except InputError as exc:
            notes.append(f"{exc}; busy time known {known} only")
            continue
        fresh[row.name] = [BusyOccurrence(o.start, o.end, o.title, row.name, o.uid, o.all_day)
                           for o in read.occurrences if o.start < end and o.end > start]
        if read.skipped:
            plural = "" if len(read.skipped) == 1 else "s"
            notes.append(f'"{row.name}": {len(read.skipped)} event{plural} cannot be expanded over this range '
                         f"(first: {read.skipped[0]})")
    events = [e for e in stored if e.source not in fresh] + [e for found_ in fresh.values() for e in found_]
    events.sort(key=lambda e: (e.start, e.source, e.uid))
    return KnownBusy(events, notes)
