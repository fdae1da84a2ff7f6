"""Imported calendars: their occurrences are busy time the planner plans around.

`import_calendar` reads a calendar (organizer.calendar.importer) and replaces that calendar's busy events
in the caller's transaction: everything is read and validated before the first row is deleted, so a
broken import (or one stopped by the reading budget) leaves the previous one as it was, and a re-import
never duplicates. A calendar that comes back empty does not wipe one that had events: that raises
EmptyCalendar unless `accept_empty` (a feed that lost its events is more often a broken feed). `refresh` fetches
subscribed URLs again (conditional GET), one transaction per calendar, never holding the database while
it waits on the network. `events_between` is what the planner sees: manual blocks and imported events.

Rolling expansion: an import keeps a copy of the calendar's bytes (content-addressed, 0600, in
`paths.calendar_folder` beside the database) and records the window it expanded in the `setting` table
(`calendar.<id>.expansion`, in the import's transaction). `ensure_expanded` expands a calendar again from
its copy once its expansion reaches less than STALE_AHEAD ahead, so busy time keeps covering the horizon
without a fetch; a refresh answered 304, and a refresh of a file import, do so once it lags a day.
`busy_between` expands a calendar for a range outside its window on demand, storing nothing. A calendar
imported before copies were kept has none: its messages say so and which range it knows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, insert
from sqlmodel import Session, col, delete, select

from organizer import paths
from organizer.calendar.importer import SKIP_HINT, Occurrence, Skipped, horizon, one_line, read_calendar
from organizer.config import Config
from organizer.fields import InputError
from organizer.models import BusyEvent, CalendarSource, Setting
from organizer.services.busy import MANUAL

if TYPE_CHECKING:
    from organizer.store import Store

NAME_MAX = 200
# An expansion reaching less than this far ahead is stale (a fresh one reaches horizon(): 365 days): about two
# months after an import, `ensure_expanded` expands it again. Checking is two small queries; expanding a
# calendar is a read of its copy, so it should not happen on every read.
STALE_AHEAD = timedelta(days=300)
# A refresh (asked for) expands again from the copy once the expansion lags the horizon by this much.
REFRESH_LAG = timedelta(days=1)
# After a failed expansion, planning does not try that calendar again for this long (a read may take 10 s).
RETRY_AFTER = timedelta(days=1)
_KEY = "calendar.{}.expansion"
_COPY_SUFFIX = ".ics"


@dataclass(frozen=True)
class ImportResult:
    """What an import did: busy events written, what was skipped and what blocks no time."""

    name: str
    events: int
    skipped: list[Skipped]
    transparent: int
    cancelled: int
    zero_length: int
    replaced: int  # busy events of the calendar's previous import, now gone
    url: str | None
    start: datetime  # the horizon that was expanded
    end: datetime
    kept: bool = False  # a copy of the calendar is kept, to expand it again as time moves on


@dataclass(frozen=True)
class CalendarInfo:
    """An imported calendar as `calendars list` shows it."""

    name: str
    url: str | None  # http(s) for subscriptions
    file: str | None  # the file it was imported from
    events: int
    refreshed_at: datetime | None
    # The window the stored busy events cover (inferred for a calendar imported before windows were kept).
    expanded_from: datetime | None = None
    expanded_to: datetime | None = None
    kept: bool = False  # a copy is kept: the calendar can be expanded again without a fetch


@dataclass(frozen=True)
class BusyOccurrence:
    """One span of busy time, manual or imported."""

    start: datetime
    end: datetime
    title: str
    source: str
    uid: str
    all_day: bool = False


@dataclass
class RefreshOutcome:
    """How refreshing one calendar went."""

    name: str
    status: Literal["updated", "not changed", "not refreshable", "kept", "failed"]  # kept: came back empty
    result: ImportResult | None = None
    error: str | None = None
    error_kind: Literal["input", "fetch", ""] = ""
    detail: str = ""
    expanded: Reexpansion | None = None  # expanded again from the kept copy (304, or a file import)


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


class EmptyCalendar(InputError):
    """A re-import found no events where the calendar had some: the old ones are kept (see accept_empty)."""


def shown_url(url: str | None) -> str | None:
    """A subscription URL as shown by default: scheme and host only, since the path is often the secret."""
    if not url or not url.startswith(("http://", "https://")):
        return url
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def file_url(path: str) -> str:
    """The file:// URL a calendar imported from a file is remembered by."""
    return Path(path).expanduser().resolve().as_uri()


def default_name(url: str | None, source: str) -> str:
    """A calendar's name when neither --name nor X-WR-CALNAME gives one: the URL's host or the file's stem."""
    if url:
        parts = urlsplit(url)
        if parts.scheme == "file":
            return Path(unquote(parts.path)).stem or "calendar"
        return parts.hostname or "calendar"
    return Path(source).stem if source not in ("", "-", "stdin") else "stdin"


def check_name(name: str) -> str:
    """A calendar name as stored: one clean line, not "manual" (that is the typed-in busy time)."""
    clean = one_line(name, 10_000)
    if not clean:
        raise InputError("calendar name is empty: give one with --name, e.g. --name Work")
    if len(clean) > NAME_MAX:
        raise InputError(f"calendar name is {len(clean)} characters long: at most {NAME_MAX} are accepted")
    if clean.casefold() == MANUAL:
        raise InputError(f"calendar name {clean!r} is reserved for busy time typed in by hand: pick another")
    return clean


def import_calendar(session: Session, cfg: Config, name: str | None, data: bytes, *, url: str | None = None,
                    etag: str | None = None, last_modified: str | None = None, skip_bad: bool = False,
                    now: datetime, source: str | None = None, start: datetime | None = None,
                    end: datetime | None = None, hint: str = SKIP_HINT, accept_empty: bool = False,
                    empty_hint: str = "--accept-empty empties it") -> ImportResult:
    """Import (or re-import) a calendar as busy time, replacing its previous events atomically.

    `name` None: the calendar already imported from `url`, else X-WR-CALNAME, else the URL host or file
    stem. `source` names the data in messages (the path or URL as typed); `start`/`end` override the
    horizon (30 days back, 365 ahead of `now`); `hint` ends the message about broken events. A calendar
    without events over the horizon replaces one with events only with `accept_empty`, else EmptyCalendar
    (ending with `empty_hint`) and nothing changes.
    """
    if name is not None:
        name = check_name(name)  # before reading anything: a bad --name is the cheapest mistake to report
    label = source or url or name or "calendar"
    if start is None or end is None:
        start, end = horizon(now)
    read = read_calendar(data, label, tz=cfg.timezone, start=start, end=end, skip_bad=skip_bad, hint=hint)
    if name is None and url:
        name = session.exec(select(CalendarSource.name).where(CalendarSource.url == url)).first()
    final = check_name(name or read.name or default_name(url, label))
    if not read.occurrences and not accept_empty:
        held = session.exec(select(func.count()).select_from(BusyEvent).where(col(BusyEvent.source) == final)).one()
        if held:
            plural = "" if held == 1 else "s"
            raise EmptyCalendar(f"{label}: no events between {start:%d %b %Y} and {end:%d %b %Y}, so \"{final}\" "
                                f"keeps its {held} event{plural} ({empty_hint})")
    replaced = session.exec(delete(BusyEvent).where(col(BusyEvent.source) == final)).rowcount
    if read.occurrences:
        # One executemany on the table: the ORM would build 2,000 objects to insert 2,000 rows.
        session.exec(insert(BusyEvent.__table__), params=[
            {"uid": o.uid, "title": o.title, "start_at": o.start, "end_at": o.end, "all_day": o.all_day,
             "source": final, "created_at": now} for o in read.occurrences])
    row = session.exec(select(CalendarSource).where(CalendarSource.name == final)).first() or CalendarSource(
        name=final)
    row.url, row.etag, row.last_modified = url, etag, last_modified
    row.refreshed_at, row.event_count = now, len(read.occurrences)
    session.add(row)
    session.flush()
    previous = _expansion(session, row)
    # Written while this transaction holds the write lock; named by content, so a rollback leaves the
    # committed expansion's copy in place (the previous copy is pruned by the next import, not this one).
    digest = _keep_copy(session, data)
    _save_expansion(session, row, Expansion(start, end, digest, len(read.skipped)))
    _prune(session, keep={previous.source} if previous and previous.source else set())
    return ImportResult(final, len(read.occurrences), read.skipped, read.transparent, read.cancelled,
                        read.zero_length, replaced or 0, url, start, end, digest is not None)


# --- Kept copies and expansion windows ------------------------------------------------------------------


def _folder(session: Session) -> Path | None:
    """The folder of kept copies for the session's database (None for an in-memory one)."""
    url = session.get_bind().engine.url
    return paths.calendar_folder(url.render_as_string(hide_password=True))


def _keep_copy(session: Session, data: bytes) -> str | None:
    """Keep `data` (already bounded by limits.MAX_BYTES) as a private file; its sha256, or None without a folder."""
    from organizer.files import make_private_dir, write_atomic

    folder = _folder(session)
    if folder is None:
        return None
    digest = hashlib.sha256(data).hexdigest()
    target = folder / f"{digest}{_COPY_SUFFIX}"
    if not target.is_file():  # the same calendar again: the copy is already there
        make_private_dir(folder)
        write_atomic(target, data)
    return digest


def _read_copy(session: Session, digest: str | None) -> bytes | None:
    """The kept copy with this sha256, or None when there is none (or it no longer matches: never trusted)."""
    folder = _folder(session)
    if folder is None or not digest:
        return None
    try:
        data = (folder / f"{digest}{_COPY_SUFFIX}").read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _prune(session: Session, keep: set[str]) -> None:
    """Remove kept copies no expansion refers to (in this transaction's view), except those in `keep`."""
    folder = _folder(session)
    if folder is None or not folder.is_dir():
        return
    wanted = keep | {e.source for e in _expansions(session).values() if e.source}
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


def _expansions(session: Session) -> dict[int, Expansion]:
    """Every calendar's expansion record, by calendar id."""
    names = dict(session.exec(select(CalendarSource.id, CalendarSource.name)).all())
    found = {}
    for setting in session.exec(select(Setting).where(col(Setting.key).like(_KEY.format("%")))):
        ident = setting.key.split(".")[1]
        if ident.isdigit() and int(ident) in names:
            parsed = _parse(setting.value, names[int(ident)])
            if parsed is not None:
                found[int(ident)] = parsed
    return found


def _expansion(session: Session, row: CalendarSource) -> Expansion | None:
    setting = session.get(Setting, _KEY.format(row.id))
    return _parse(setting.value, row.name) if setting is not None else None


def _save_expansion(session: Session, row: CalendarSource, expansion: Expansion) -> None:
    key = _KEY.format(row.id)
    value = json.dumps({"name": row.name, "start": expansion.start.isoformat(), "end": expansion.end.isoformat(),
                        "source": expansion.source, "skipped": expansion.skipped,
                        "failed_at": expansion.failed_at.isoformat() if expansion.failed_at else None,
                        "error": expansion.error})
    setting = session.get(Setting, key) or Setting(key=key, value=value)
    setting.value = value
    session.add(setting)
    session.flush()


def _window(session: Session, row: CalendarSource, expansion: Expansion | None) -> tuple[datetime, datetime] | None:
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


def _replace_rows(session: Session, name: str, occurrences: list[Occurrence], now: datetime) -> tuple[int, int]:
    """Make a calendar's busy events exactly `occurrences`, touching only the rows that differ (so an
    expansion that changes nothing does not mark the plan stale); (added, removed)."""
    wanted = {o.uid: o for o in occurrences}
    same: set[str] = set()
    gone: list[int] = []
    for ident, uid, title, start, end, all_day in session.exec(
            select(BusyEvent.id, BusyEvent.uid, BusyEvent.title, BusyEvent.start_at, BusyEvent.end_at,
                   BusyEvent.all_day).where(col(BusyEvent.source) == name)):
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
        session.exec(insert(BusyEvent.__table__), params=[
            {"uid": o.uid, "title": o.title, "start_at": o.start, "end_at": o.end, "all_day": o.all_day,
             "source": name, "created_at": now} for o in new])
    return len(new), len(gone)


def _expand_again(session: Session, cfg: Config, row: CalendarSource, expansion: Expansion,
                  now: datetime, data: bytes | None = None) -> Reexpansion:
    """Expand a calendar again from its kept copy over horizon(now), in the caller's transaction.

    Events the copy cannot expand any more (a rule walked too far since…) are skipped, not fatal: nobody
    is there to pass --skip-bad. When the copy cannot be read at all, the old events stay and the failure
    is recorded, so planning does not retry it for RETRY_AFTER.
    """
    start, end = horizon(now)
    data = data if data is not None else _read_copy(session, expansion.source)
    try:
        if data is None:
            raise InputError(f'"{row.name}": the kept copy of the calendar is missing or damaged')
        read = read_calendar(data, f'"{row.name}" (kept copy)', tz=cfg.timezone, start=start, end=end,
                             skip_bad=True)
    except InputError as exc:
        _save_expansion(session, row, replace(expansion, failed_at=now, error=str(exc)))
        return Reexpansion(row.name, expansion.start, expansion.end, row.event_count, error=str(exc))
    added, removed = _replace_rows(session, row.name, read.occurrences, now)
    row.event_count = len(read.occurrences)
    session.add(row)
    _save_expansion(session, row, Expansion(start, end, expansion.source, len(read.skipped)))
    return Reexpansion(row.name, start, end, len(read.occurrences), added, removed, read.skipped)


def _due(expansion: Expansion | None, now: datetime) -> bool:
    if expansion is None or expansion.source is None or stale_since(expansion.end, now) is None:
        return False
    return expansion.failed_at is None or not (now - RETRY_AFTER < expansion.failed_at <= now)


def stale_calendars(session: Session, now: datetime) -> list[str]:
    """The calendars `ensure_expanded` would expand again now (cheap: for a read before a write)."""
    due = {ident for ident, e in _expansions(session).items() if _due(e, now)}
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
    found = _expansions(session)
    due = [ident for ident, e in found.items() if _due(e, now)]
    if not due:
        return []
    rows = session.exec(select(CalendarSource).where(col(CalendarSource.id).in_(due))
                        .order_by(CalendarSource.name)).all()
    return [_expand_again(session, cfg, row, found[row.id], now) for row in rows if row.id is not None]


def _file_of(url: str | None) -> str | None:
    return unquote(urlsplit(url).path) if url and url.startswith("file:") else None


def _info(session: Session, row: CalendarSource, expansion: Expansion | None) -> CalendarInfo:
    file = _file_of(row.url)
    window = _window(session, row, expansion)
    kept = expansion is not None and expansion.source is not None and _copy_exists(session, expansion.source)
    return CalendarInfo(row.name, None if file else row.url, file, row.event_count, row.refreshed_at,
                        window[0] if window else None, window[1] if window else None, kept)


def _copy_exists(session: Session, digest: str) -> bool:
    folder = _folder(session)
    return folder is not None and (folder / f"{digest}{_COPY_SUFFIX}").is_file()


def list_calendars(session: Session) -> list[CalendarInfo]:
    """Every imported calendar, by name, with the window its busy events cover and whether a copy is kept."""
    found = _expansions(session)
    return [_info(session, r, found.get(r.id) if r.id is not None else None)
            for r in session.exec(select(CalendarSource).order_by(CalendarSource.name))]


def find_calendar(session: Session, name: str) -> CalendarSource:
    """The calendar called `name`, or InputError listing the known names."""
    row = session.exec(select(CalendarSource).where(CalendarSource.name == name)).first()
    if row is not None:
        return row
    if name.strip().casefold() == MANUAL:
        raise InputError("'manual' busy time is not a calendar: organizer busy rm ID removes a manual block")
    known = list(session.exec(select(CalendarSource.name).order_by(CalendarSource.name)))
    hint = f"known: {', '.join(known)}" if known else "none imported yet"
    raise InputError(f"calendar {name!r} is not imported ({hint})")


def remove_calendar(session: Session, name: str) -> int:
    """Remove a calendar and its busy events; returns how many events went."""
    row = find_calendar(session, name)
    removed = session.exec(delete(BusyEvent).where(col(BusyEvent.source) == row.name)).rowcount
    expansion = _expansion(session, row)
    setting = session.get(Setting, _KEY.format(row.id))
    if setting is not None:
        session.delete(setting)
    session.delete(row)
    session.flush()
    # Its own copy goes with the next import or removal: this transaction may still roll back.
    _prune(session, keep={expansion.source} if expansion and expansion.source else set())
    return removed or 0


def events_between(session: Session, start: datetime, end: datetime) -> list[BusyOccurrence]:
    """Busy time overlapping [start, end), manual and imported, in time order: what the planner sees."""
    rows = session.exec(select(BusyEvent).where(col(BusyEvent.start_at) < end, col(BusyEvent.end_at) > start)
                        .order_by(BusyEvent.start_at, BusyEvent.source, BusyEvent.uid))
    return [BusyOccurrence(r.start_at, r.end_at, r.title, r.source, r.uid, r.all_day)
            for r in rows if r.start_at and r.end_at]


def day(value: datetime, tz: Any) -> str:
    """A day for a message, always with its year: `01 Nov 2026`."""
    return f"{value.astimezone(tz):%d %b %Y}"


def _fix(row: CalendarSource) -> str:
    """How to get a calendar without a kept copy kept current."""
    if row.url and row.url.startswith(("http://", "https://")):
        return f"organizer calendars refresh {row.name!r} keeps it current"
    return "import it again to keep it current"


def busy_between(session: Session, cfg: Config, start: datetime, end: datetime) -> KnownBusy:
    """Busy time overlapping [start, end) like `events_between`, for a range the expansions may not cover.

    A calendar whose window does not cover the range is expanded for it from its kept copy, on demand
    (nothing is stored; that is a read of the copy, so up to the reading budget). One without a copy gives
    what is stored and a note naming the range it knows.
    """
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(cfg.timezone)
    stored = events_between(session, start, end)
    found = _expansions(session)
    fresh: dict[str, list[BusyOccurrence]] = {}
    notes: list[str] = []
    for row in session.exec(select(CalendarSource).order_by(CalendarSource.name)):
        expansion = found.get(row.id) if row.id is not None else None
        window = _window(session, row, expansion)
        if window is not None and window[0] <= start and end <= window[1]:
            continue
        known = f"from {day(window[0], tz)} to {day(window[1], tz)}" if window else "for no range"
        data = _read_copy(session, expansion.source if expansion else None)
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


Progress = Callable[[str, "RefreshOutcome | None"], None]


def refresh(store: Store, cfg: Config, name: str | None = None, *, now: Callable[[], datetime],
            progress: Progress | None = None, fetch: Callable[..., Any] | None = None,
            accept_empty: bool = False) -> list[RefreshOutcome]:
    """Fetch subscribed calendars again (all, or the one called `name`) and re-import the changed ones.

    Each calendar is fetched outside any transaction and imported in its own, so one failure leaves the
    others refreshed. `progress(name, None)` is called before a calendar is fetched and
    `progress(name, outcome)` after it; a file import is not fetched, and only `progress(name, outcome)`
    tells so. A feed that comes back without events keeps the calendar's events ("kept") unless
    `accept_empty`. A calendar not changed (304) or imported from a file is expanded again from its kept
    copy once its expansion lags the horizon by REFRESH_LAG (`outcome.expanded`); a subscription answered
    304 without a kept copy (imported before copies were kept) is fetched again in full, once, to keep one.
    """
    from organizer.calendar import fetch as fetching

    fetcher = fetch or fetching.fetch_calendar
    with store.read() as s:
        rows = [find_calendar(s, name)] if name is not None else list(
            s.exec(select(CalendarSource).order_by(CalendarSource.name)))
        sources = [(r.name, r.url, r.etag, r.last_modified) for r in rows]
    outcomes = []
    for cal_name, url, etag, last_modified in sources:
        if not url or not url.startswith(("http://", "https://")):
            what = f"imported from {_file_of(url) or url}" if url else "imported from stdin"
            outcome = _expand_kept(store, cfg, cal_name, url, now, f"{what}: import it again to update it")
        else:
            if progress:
                progress(cal_name, None)
            outcome = _refresh_one(store, cfg, cal_name, url, etag, last_modified, now, fetcher, fetching,
                                   accept_empty)
        outcomes.append(outcome)
        if progress:
            progress(cal_name, outcome)
    return outcomes


def _lags(expansion: Expansion, now: datetime) -> bool:
    """Whether an expansion lags the horizon at `now` by more than REFRESH_LAG (a refresh expands it again)."""
    return horizon(now)[1] - expansion.end > REFRESH_LAG


def _still(session: Session, name: str, url: str | None) -> CalendarSource | None:
    """The calendar being refreshed, unless it was removed or re-imported from elsewhere meanwhile."""
    row = session.exec(select(CalendarSource).where(CalendarSource.name == name)).first()
    return row if row is not None and row.url == url else None


def _expanded_note(expanded: Reexpansion | None, tz: Any) -> str:
    if expanded is None:
        return ""
    if expanded.error:
        return f"not expanded again: {expanded.error}"
    skipped = f", {len(expanded.skipped)} skipped" if expanded.skipped else ""
    return f"busy time expanded again to {day(expanded.end, tz)} from the kept copy{skipped}"


def _expand_kept(store: Store, cfg: Config, name: str, url: str | None, now: Callable[[], datetime],
                 detail: str) -> RefreshOutcome:
    """A file (or stdin) import on refresh: not fetched, but expanded again from its copy when it lags."""
    from zoneinfo import ZoneInfo

    with store.read() as s:
        row = _still(s, name, url)
        expansion = _expansion(s, row) if row is not None else None
        if expansion is None or expansion.source is None:
            note = "" if row is None else " (no copy of it is kept, so it is not expanded as time moves on)"
            return RefreshOutcome(name, "not refreshable", detail=detail + note)
        if not _lags(expansion, now()):
            return RefreshOutcome(name, "not refreshable", detail=detail)
    with store.write() as s:
        row = _still(s, name, url)
        expansion = _expansion(s, row) if row is not None else None
        if row is None or expansion is None:
            return RefreshOutcome(name, "not refreshable", detail=detail)
        expanded = _expand_again(s, cfg, row, expansion, now())
    note = _expanded_note(expanded, ZoneInfo(cfg.timezone))
    return RefreshOutcome(name, "not refreshable", detail=f"{detail} ({note})", expanded=expanded)


def _refresh_one(store: Store, cfg: Config, name: str, url: str, etag: str | None, last_modified: str | None,
                 now: Callable[[], datetime], fetcher: Callable[..., Any], fetching: Any,
                 accept_empty: bool = False) -> RefreshOutcome:
    from zoneinfo import ZoneInfo

    gone = RefreshOutcome(name, "failed", error=f"{name}: removed or changed while refreshing", error_kind="input")
    try:
        got = fetcher(url, etag=etag, last_modified=last_modified)
        if got.data is None:
            with store.write() as s:
                row = _still(s, name, url)
                if row is None:
                    return gone
                expansion = _expansion(s, row)
                data = _read_copy(s, expansion.source if expansion else None)
                if data is not None or _folder(s) is None:
                    when = now()
                    row.refreshed_at, row.etag, row.last_modified = when, got.etag, got.last_modified
                    s.add(row)
                    expanded = None
                    if expansion is not None and data is not None and _lags(expansion, when):
                        expanded = _expand_again(s, cfg, row, expansion, when, data)
                    return RefreshOutcome(name, "not changed", expanded=expanded,
                                          detail=_expanded_note(expanded, ZoneInfo(cfg.timezone)))
            # Not changed, but no copy is kept to expand it as time moves on: fetch it in full, once.
            got = fetcher(url)
            if got.data is None:
                raise fetching.FetchError(f"{url}: the server answered 304 Not Modified to a plain request")
        with store.write() as s:
            if _still(s, name, url) is None:
                return gone
            # Refreshing is strict, like a plain import: the last good import stays until the feed is fixed.
            hint = f"organizer import ics {url} --name {name!r} --skip-bad imports the readable events"
            result = import_calendar(s, cfg, name, got.data, url=url, etag=got.etag,
                                     last_modified=got.last_modified, now=now(), source=url, hint=hint,
                                     accept_empty=accept_empty,
                                     empty_hint=f"organizer calendars refresh {name!r} --accept-empty empties it")
        return RefreshOutcome(name, "updated", result=result)
    except EmptyCalendar as exc:
        # Not "failed": the feed was read; it is the emptiness that needs a person to say yes.
        return RefreshOutcome(name, "kept", detail=str(exc).removeprefix(f"{url}: "), error_kind="input")
    except InputError as exc:
        return RefreshOutcome(name, "failed", error=str(exc), error_kind="input")
    except fetching.FetchError as exc:
        return RefreshOutcome(name, "failed", error=str(exc), error_kind="fetch")
