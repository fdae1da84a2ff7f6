"""Imported calendars: their occurrences are busy time the planner plans around.

`import_calendar` reads a calendar (organizer.ics.importer) and replaces that calendar's busy events
in the caller's transaction: everything is read and validated before the first row is deleted, so a
broken import (or one stopped by the reading budget) leaves the previous one as it was, and a re-import
never duplicates. A calendar that comes back empty does not wipe one that had events: that raises
EmptyCalendar unless `accept_empty` (a feed that lost its events is more often a broken feed). `refresh` fetches
subscribed URLs again (conditional GET), one transaction per calendar, never holding the database while
it waits on the network. `events_between` is what the planner sees: manual blocks and imported events.

Rolling expansion is organizer.services.calendar_expansion (its public names are re-exported here): an
import keeps a copy of the calendar's bytes and records the window it expanded, so `ensure_expanded` can
expand it again as time moves on, without a fetch, and `busy_between` can expand it for any range on demand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, insert
from sqlmodel import Session, col, delete, select

from organizer.config import Config
from organizer.ics.importer import SKIP_HINT, Skipped, horizon, one_line, read_calendar
from organizer.models import BusyEvent, CalendarSource, Setting
from organizer.services.busy import MANUAL

# The kept-copy and re-expansion machinery; the names imported `as` themselves are re-exported for callers.
from organizer.services.calendar_expansion import (
    EXPANSION_KEY,
    Expansion,
    Reexpansion,
    busy_table,
    copy_exists,
    copy_folder,
    day,
    expand_again,
    expansion_of,
    expansions,
    keep_copy,
    lags,
    prune_copies,
    read_copy,
    save_expansion,
    window_of,
)
from organizer.services.calendar_expansion import REFRESH_LAG as REFRESH_LAG
from organizer.services.calendar_expansion import RETRY_AFTER as RETRY_AFTER
from organizer.services.calendar_expansion import STALE_AHEAD as STALE_AHEAD
from organizer.services.calendar_expansion import BusyOccurrence as BusyOccurrence
from organizer.services.calendar_expansion import KnownBusy as KnownBusy
from organizer.services.calendar_expansion import busy_between as busy_between
from organizer.services.calendar_expansion import ensure_expanded as ensure_expanded
from organizer.services.calendar_expansion import events_between as events_between
from organizer.services.calendar_expansion import stale_calendars as stale_calendars
from organizer.services.calendar_expansion import stale_since as stale_since
from organizer.validate import InputError

if TYPE_CHECKING:
    from organizer.storage.orm import Store

NAME_MAX = 200

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
        session.exec(insert(busy_table()), params=[
            {"uid": o.uid, "title": o.title, "start_at": o.start, "end_at": o.end, "all_day": o.all_day,
             "source": final, "created_at": now} for o in read.occurrences])
    row = session.exec(select(CalendarSource).where(CalendarSource.name == final)).first() or CalendarSource(
        name=final)
    row.url, row.etag, row.last_modified = url, etag, last_modified
    row.refreshed_at, row.event_count = now, len(read.occurrences)
    session.add(row)
    session.flush()
    previous = expansion_of(session, row)
    # Written while this transaction holds the write lock; named by content, so a rollback leaves the
    # committed expansion's copy in place (the previous copy is pruned by the next import, not this one).
    digest = keep_copy(session, data)
    save_expansion(session, row, Expansion(start, end, digest, len(read.skipped)))
    prune_copies(session, keep={previous.source} if previous and previous.source else set())
    return ImportResult(final, len(read.occurrences), read.skipped, read.transparent, read.cancelled,
                        read.zero_length, replaced or 0, url, start, end, digest is not None)


def _file_of(url: str | None) -> str | None:
    return unquote(urlsplit(url).path) if url and url.startswith("file:") else None


def _info(session: Session, row: CalendarSource, expansion: Expansion | None) -> CalendarInfo:
    file = _file_of(row.url)
    window = window_of(session, row, expansion)
    kept = expansion is not None and expansion.source is not None and copy_exists(session, expansion.source)
    return CalendarInfo(row.name, None if file else row.url, file, row.event_count, row.refreshed_at,
                        window[0] if window else None, window[1] if window else None, kept)


def list_calendars(session: Session) -> list[CalendarInfo]:
    """Every imported calendar, by name, with the window its busy events cover and whether a copy is kept."""
    found = expansions(session)
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
    expansion = expansion_of(session, row)
    setting = session.get(Setting, EXPANSION_KEY.format(row.id))
    if setting is not None:
        session.delete(setting)
    session.delete(row)
    session.flush()
    # Its own copy goes with the next import or removal: this transaction may still roll back.
    prune_copies(session, keep={expansion.source} if expansion and expansion.source else set())
    return removed or 0


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
    from organizer.ics import fetch as fetching

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
        expansion = expansion_of(s, row) if row is not None else None
        if expansion is None or expansion.source is None:
            note = "" if row is None else " (no copy of it is kept, so it is not expanded as time moves on)"
            return RefreshOutcome(name, "not refreshable", detail=detail + note)
        if not lags(expansion, now()):
            return RefreshOutcome(name, "not refreshable", detail=detail)
    with store.write() as s:
        row = _still(s, name, url)
        expansion = expansion_of(s, row) if row is not None else None
        if row is None or expansion is None:
            return RefreshOutcome(name, "not refreshable", detail=detail)
        expanded = expand_again(s, cfg, row, expansion, now())
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
                expansion = expansion_of(s, row)
                data = read_copy(s, expansion.source if expansion else None)
                if data is not None or copy_folder(s) is None:
                    when = now()
                    row.refreshed_at, row.etag, row.last_modified = when, got.etag, got.last_modified
                    s.add(row)
                    expanded = None
                    if expansion is not None and data is not None and lags(expansion, when):
                        expanded = expand_again(s, cfg, row, expansion, when, data)
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
