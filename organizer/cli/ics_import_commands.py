"""CLI handlers for calendar import: `import ics FILE|URL`, `calendars [list|refresh|remove]`, `events`.

Heavy modules (the store, icalendar, httpx) load inside the handlers. Titles and names from calendars
were sanitised on import and are printed literally. A subscription URL is shown as its host only
(`https://calendar.example.com/…`): the path of a private feed is its password. `--show-url` shows it.
Flags the grammar may not define yet are read with getattr and default to off.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from organizer.cli.common import emit, open_db
from organizer.config import Config
from organizer.porcelain import local_iso
from organizer.validate import InputError

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def _fail(message: str) -> int:
    """A network failure: one line on stderr, exit 1 (main would call it "unexpected")."""
    print(f"organizer: {message}", file=sys.stderr)
    return EXIT_FAILURE


def _read_source(location: str) -> tuple[bytes, str | None, str | None, str | None, str]:
    """(data, url to remember, etag, last_modified, label for messages) for a FILE, '-' or URL."""
    from organizer.ics import fetch

    if location == "-":
        return sys.stdin.buffer.read(), None, None, None, "stdin"
    if fetch.is_url(location):
        got = fetch.fetch_calendar(location)
        if got.data is None:  # a 304 to a request without conditions: the server is confused
            raise fetch.FetchError(f"{location}: the server answered 304 Not Modified to a plain request")
        return got.data, fetch.normalize_url(location), got.etag, got.last_modified, location
    from organizer.services.calendars import file_url

    path = Path(location[len("file://"):] if location.startswith("file://") else location).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"file {location!r} does not exist") from None
    except IsADirectoryError:
        raise InputError(f"{location!r} is a folder, not a calendar file") from None
    except OSError as exc:
        raise InputError(f"file {location!r} cannot be read: {exc.strerror}") from None
    return data, file_url(str(path)), None, None, location


def import_summary(result: Any) -> str:
    """`imported 42 events from "Work" (3 skipped; not busy: 2 transparent, 1 cancelled)`."""
    notes = [f"{len(result.skipped)} skipped"] if result.skipped else []
    free = [f"{n} {what}" for n, what in ((result.transparent, "transparent"), (result.cancelled, "cancelled"),
                                           (result.zero_length, "zero-length")) if n]
    if free:
        notes.append("not busy: " + ", ".join(free))
    if not result.events and not notes:
        notes.append(f"none between {result.start:%d %b %Y} and {result.end:%d %b %Y}")
    replacing = f", replacing {result.replaced}" if result.replaced else ""
    plural = "" if result.events == 1 else "s"
    return (f'imported {result.events} event{plural} from "{result.name}"{replacing}'
            + (f" ({'; '.join(notes)})" if notes else ""))


def cmd_import_ics(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Import a calendar file, stdin or URL as busy time (replacing the calendar's earlier import)."""
    from organizer.ics.fetch import FetchError
    from organizer.services.calendars import check_name, import_calendar

    if args.name is not None:
        check_name(args.name)  # before a download, not after it
    try:
        data, url, etag, modified, label = _read_source(args.file)
    except FetchError as exc:
        return _fail(str(exc))
    with open_db(location, create=True).write() as s:
        result = import_calendar(s, cfg, args.name, data, url=url, etag=etag, last_modified=modified,
                                 skip_bad=args.skip_bad, now=datetime.now(UTC), source=label,
                                 accept_empty=getattr(args, "accept_empty", False))
    print(import_summary(result))
    for skipped in result.skipped:
        print(f"skipped {skipped}", file=sys.stderr)
    return EXIT_OK


def _calendar_rows(cfg: Config, found: list[Any], *, show_url: bool, now: datetime) -> list[dict[str, Any]]:
    from organizer.services.calendars import shown_url, stale_since

    tz = ZoneInfo(cfg.timezone)
    return [{"name": c.name, "url": c.url if show_url else shown_url(c.url), "file": c.file, "events": c.events,
             "refreshed": local_iso(c.refreshed_at, tz), "expanded_from": local_iso(c.expanded_from, tz),
             "expanded_to": local_iso(c.expanded_to, tz),
             "stale_since": local_iso(stale_since(c.expanded_to, now) if c.expanded_to else None, tz),
             "kept": c.kept} for c in found]


def _state(r: dict[str, Any]) -> str:
    """How fresh a calendar's busy time is: `refreshed … expanded to …`, never "refreshed" for a stale one."""
    to = f"expanded to {r['expanded_to'][:10]}" if r["expanded_to"] else "never expanded"
    if r["stale_since"]:
        text = f"expansion stale since {r['stale_since'][:10]} ({to})"
    else:
        when = r["refreshed"][:16].replace("T", " ") if r["refreshed"] else "never"
        text = f"refreshed {when}  {to}"
    if not r["kept"]:
        fix = "refresh" if r["url"] else "re-import"
        text += f", no copy kept: {fix} to keep it current"
    return text


def cmd_calendars(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """List, refresh or remove imported calendars."""
    from organizer.services import calendars

    store = open_db(location)
    action = args.calendars_command or "list"
    if action == "remove":
        with store.write() as s:
            count = calendars.remove_calendar(s, args.name)
        print(f'removed calendar "{args.name}" and its {count} event{"" if count == 1 else "s"}')
        return EXIT_OK
    if action == "refresh":
        return _refresh(args, cfg, store)
    show_url = getattr(args, "show_url", False)
    with store.read() as s:
        rows = _calendar_rows(cfg, calendars.list_calendars(s), show_url=show_url, now=datetime.now(UTC))
    if getattr(args, "json", False):
        emit(rows)
        return EXIT_OK
    if not rows:
        print("no calendars yet: organizer import ics FILE|URL adds one")
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        print(f"{r['name']:<{width}}  {r['events']:>6} events  {_state(r)}  {r['url'] or r['file'] or '(stdin)'}")
    if any(r["stale_since"] and r["kept"] for r in rows):
        print("stale calendars are expanded again from their kept copies by organizer calendars refresh",
              file=sys.stderr)
    if not show_url and any(r["url"] for r in rows):
        print("subscription URLs are shortened (they are passwords): --show-url shows them", file=sys.stderr)
    return EXIT_OK


def _refresh(args: argparse.Namespace, cfg: Config, store: Any) -> int:
    from organizer.services import calendars

    def progress(name: str, outcome: Any) -> None:
        if outcome is None:
            print(f"refreshing {name}…", end="", file=sys.stderr, flush=True)
        elif outcome.status == "not refreshable":
            print(f"{name}: {outcome.detail}", file=sys.stderr, flush=True)
        elif outcome.status == "kept":
            print(f" kept: {outcome.detail}", file=sys.stderr, flush=True)
        elif outcome.status == "updated":
            skipped = f" ({len(outcome.result.skipped)} skipped)" if outcome.result.skipped else ""
            print(f" {outcome.result.events} events{skipped}", file=sys.stderr, flush=True)
        else:
            print(f" {outcome.status}" + (f": {outcome.error}" if outcome.error else "")
                  + (f" ({outcome.detail})" if outcome.detail else ""), file=sys.stderr, flush=True)

    outcomes = calendars.refresh(store, cfg, args.name, now=lambda: datetime.now(UTC), progress=progress,
                                 accept_empty=getattr(args, "accept_empty", False))
    if getattr(args, "json", False):
        emit([{"name": o.name, "status": o.status, "events": o.result.events if o.result else None,
               "error": o.error or (o.detail if o.status == "kept" else None)} for o in outcomes])
    # A feed that came back empty was not applied: that needs attention like a failure does.
    failed = [o for o in outcomes if o.status in ("failed", "kept")]
    if not outcomes:
        print("no calendars yet: organizer import ics FILE|URL adds one", file=sys.stderr)
    if not failed:
        return EXIT_OK
    # One named calendar fails like an import would (bad content 2, network 1); several: 1.
    if args.name is not None and failed[0].error_kind == "input":
        return EXIT_USAGE
    return EXIT_FAILURE


def _when(text: str | None, flag: str, cfg: Config, now: datetime, *, end: bool) -> datetime | None:
    """A --from/--to phrase as a UTC instant. A day without a time means its start for --from and the
    midnight after it for --to, so `--from mon --to fri` includes Friday."""
    if not text:
        return None
    from organizer.dates import parse_when

    try:
        # The phrase's time only depends on day_end when it names a day without a time.
        at_midnight = parse_when(text, now=now, tz=cfg.timezone, day_end=time(0))
        at_noon = parse_when(text, now=now, tz=cfg.timezone, day_end=time(12))
    except ValueError as exc:
        raise InputError(f"{flag}: {exc}") from None
    if at_midnight != at_noon and end:
        next_day = datetime.combine(at_midnight.date() + timedelta(days=1), time(0), ZoneInfo(cfg.timezone))
        return next_day.astimezone(UTC)
    return datetime.fromtimestamp(at_midnight.timestamp(), UTC)


def event_range(args: argparse.Namespace, cfg: Config, now: datetime) -> tuple[datetime, datetime]:
    """The [start, end) of `events`: --from (default today), --to (default 7 days after --from)."""
    tz = ZoneInfo(cfg.timezone)
    start = _when(args.start, "--from", cfg, now, end=False)
    if start is None:
        start = datetime.combine(now.astimezone(tz).date(), time(0), tz).astimezone(UTC)
    stop = _when(args.end, "--to", cfg, now, end=True)
    if stop is None:
        local = start.astimezone(tz)
        stop = datetime.combine(local.date() + timedelta(days=7), local.time(), tz).astimezone(UTC)
    if stop <= start:
        raise InputError(f"--to ({local_iso(stop, tz)}) is not after --from ({local_iso(start, tz)})")
    return start, stop


def _day_format(start: datetime, end: datetime, now: datetime, tz: ZoneInfo) -> str:
    """`%a %d %b`, with `%Y` when the range spans years or lies in another year than today's."""
    years = {start.astimezone(tz).year, (end - timedelta(microseconds=1)).astimezone(tz).year}
    return "%a %d %b" if years == {now.astimezone(tz).year} else "%a %d %b %Y"


def _span(e: Any, tz: ZoneInfo, days: str = "%a %d %b") -> str:
    start, end = e.start.astimezone(tz), e.end.astimezone(tz)
    if e.all_day:
        last = (end - timedelta(minutes=1)).date()
        return (f"{start:{days}}  all day" if last == start.date()
                else f"{start:{days}} – {last:{days}}, all day")
    if end.date() == start.date() or end == datetime.combine(start.date() + timedelta(days=1), time(0), tz):
        return f"{start:{days}}  {start:%H:%M}–{end:%H:%M}"
    return f"{start:{days} %H:%M} – {end:{days} %H:%M}"


def _expand_stale(store: Any, cfg: Config, now: datetime) -> None:
    """Expand stale calendars again from their kept copies before reading (a write only when needed)."""
    from organizer.services.calendars import ensure_expanded, stale_calendars
    from organizer.storage.orm import StoreError

    if store.read_only:
        return  # busy_between expands what the range needs on demand
    with store.read() as s:
        if not stale_calendars(s, now):
            return
    try:
        with store.write() as s:
            done = ensure_expanded(s, cfg, now)
    except StoreError as exc:  # a full disk must not stop a read: busy_between expands on demand
        print(f"organizer: warning: {exc}", file=sys.stderr)
        return
    for expanded in done:
        if expanded.error:
            print(f"organizer: {expanded.error} (its events so far are kept)", file=sys.stderr)


def cmd_events(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Busy time the planner sees in a range, from every calendar and the manual blocks."""
    from organizer.services.calendars import busy_between

    tz = ZoneInfo(cfg.timezone)
    now = datetime.now(UTC)
    start, end = event_range(args, cfg, now)
    store = open_db(location)
    _expand_stale(store, cfg, now)
    with store.read() as s:
        known = busy_between(s, cfg, start, end)
    found = known.events
    for note in known.notes:
        print(note, file=sys.stderr)
    if args.json:
        emit([{"start": local_iso(e.start, tz), "end": local_iso(e.end, tz), "title": e.title, "source": e.source,
               "uid": e.uid} for e in found])
        return EXIT_OK
    days = _day_format(start, end, now, tz)
    if not found:
        print(f"no busy time from {start.astimezone(tz):{days} %H:%M} to {end.astimezone(tz):{days} %H:%M}")
        return EXIT_OK
    spans = [_span(e, tz, days) for e in found]
    width, source_width = max(map(len, spans)), max(len(e.source) for e in found)
    for span, e in zip(spans, found, strict=True):
        print(f"{span:<{width}}  {e.source:<{source_width}}  {e.title}")
    return EXIT_OK
