"""CLI handlers for calendar export: `organizer export ics` (a file) and `organizer serve-ics` (a live feed).

Both build the calendar with `organizer.ics.export`, which imports icalendar; this module is only
imported when one of these commands runs, never on the quick-add path.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from organizer.config import Config
from organizer.validate import InputError

KINDS = ("publish", "plan", "due")
DEFAULT_DAYS = 30


def parse_what(text: str) -> set[str]:
    """`publish,plan` → {"publish", "plan"}; anything outside publish, plan, due is an InputError."""
    chosen = {part.strip().lower() for part in (text or "").split(",") if part.strip()}
    for kind in sorted(chosen):
        if kind not in KINDS:
            raise InputError(f"--what {kind!r} is not known: use publish, plan, due or a comma-separated list")
    if not chosen:
        raise InputError(f"--what {text!r} names nothing: use publish, plan, due or a comma-separated list")
    return chosen


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # The day's first instant (organizer.dates.day_bounds), shown in the user's zone.
    from organizer.dates import day_bounds

    return day_bounds(day, zone)[0].astimezone(zone)


def _bound(flag: str, text: str, cfg: Config, now: datetime, *, end: bool) -> datetime:
    """A --from/--to phrase. A date without a time means the whole day: its start for --from, its end for --to."""
    from organizer.dates import parse_when

    try:
        early = parse_when(text, now=now, tz=cfg.timezone, day_end=time(0))
        late = parse_when(text, now=now, tz=cfg.timezone, day_end=time(12))
    except ValueError as exc:
        raise InputError(f"{flag}: {exc}") from None
    zone = ZoneInfo(cfg.timezone)
    exact = early.astimezone(zone)
    if early == late:  # the phrase gave a time (or an instant): take it as it is
        return exact
    return _local_midnight(exact.date() + timedelta(days=1) if end else exact.date(), zone)


def parse_range(cfg: Config, start_text: str | None, end_text: str | None, now: datetime) -> tuple[datetime, datetime]:
    """[--from, --to): from today 00:00 local and 30 days on by default; --to must come after --from."""
    zone = ZoneInfo(cfg.timezone)
    start = (_bound("--from", start_text, cfg, now, end=False) if start_text
             else _local_midnight(now.astimezone(zone).date(), zone))
    if end_text:
        end = _bound("--to", end_text, cfg, now, end=True)
    else:
        later = datetime.combine(start.date() + timedelta(days=DEFAULT_DAYS), start.time(), zone)
        end = later.astimezone(UTC).astimezone(zone)
    if end <= start:
        raise InputError(f"--to {end_text!r} ({end:%Y-%m-%d %H:%M}) is not after --from "
                         f"({start:%Y-%m-%d %H:%M}): give a later --to or an earlier --from")
    return start.astimezone(UTC), end.astimezone(UTC)


def cmd_export_ics(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Write the calendar to -o FILE (atomically) or stdout."""
    what = parse_what(args.what)
    now = datetime.now(UTC)
    start, end = parse_range(cfg, args.start, args.end, now)
    from organizer.ics.export import export_calendar

    result = export_calendar(location, cfg, boards=args.board, what=what, start=start, end=end, now=now)
    if not args.output or args.output == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(result.body)
        sys.stdout.buffer.flush()
        return 0
    # The whole calendar is built first and swapped in, so a failed export never leaves half a file.
    from organizer.files import write_atomic

    write_atomic(args.output, result.body)
    print(f"exported {result.events} events to {args.output}", file=sys.stderr)
    return 0


def cmd_serve_ics(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Serve the calendar at a secret URL until Ctrl+C."""
    from organizer.ics import feed

    if not 0 <= args.port <= 65535:
        raise InputError(f"--port {args.port} is not a port: use 1-65535, or 0 for any free port")
    if not feed.is_loopback(args.host):
        # The default is loopback, so a host here was typed on purpose: serve it, but say what it means.
        print(f"organizer: warning: listening on {args.host}: the calendar is reachable from the network "
              "by anyone who has the URL", file=sys.stderr)
    token = feed.feed_token(location, rotate=args.rotate_token)
    server = feed.make_server(args.host, args.port, location, cfg)
    print(f"Subscribe to {server.url(token)} — anyone with this URL can read your calendar", flush=True)
    return feed.serve(server)
