"""Human date/time phrases and durations, for quick-add and the cards.

`parse_when(text, now=..., tz=...)` reads one phrase (case-insensitive, spaces collapsed) in zone `tz`:

- `now`: this moment.
- `today`, `tomorrow`, `yesterday`: that date at `day_end` (a date without a time means "by the end of
  the working day").
- `tonight`: today 20:00, or today 23:59 once 20:00 has passed.
- `eod`: today at day_end; `eow`: Friday of this week at day_end (Sat/Sun: the coming Friday);
  `eom`: last day of this month at day_end.
- `fri`, `friday` (also `tues`, `thur`, `thurs`): the next such day strictly after today, at day_end;
  on a Friday `fri` is next week's Friday (write `today` for today).
- `next fri`: that weekday in the next calendar week (weeks start on Monday).
- `in 3 days`, `in 2 weeks`, `+2d`, `+1w`: date-level, at day_end unless a time follows (`+2d 09:00`).
- `in 2h`, `in 90m`, `in 1h30m`, `+45m`: exact offsets from now in real time; no time may follow.
- `14:30`, `9:05`, `9am`, `2:30pm`, `noon`: today at that time, or tomorrow if that time is at or before
  now (a bare time always means the next time the clock shows it).
- a day phrase then a time (`at` allowed): `fri 14:30`, `tomorrow at 10:00`, `next mon 9am`,
  `2026-12-01 09:30`, `2026-12-01T09:30`. `today 08:00` may be in the past: it was written explicitly.
- `2026-12-01`, `1 dec`, `dec 1`, `1 dec 2027`: that date at day_end; without a year, the next
  occurrence (today counts).
- ISO-8601 with an offset or `Z` (`2026-12-01T08:30Z`): that instant, shown in `tz`.

Only dates from 1970-01-01 to 2200-12-31 (in `tz`) are accepted (`EARLIEST`, `LATEST`): a typo such as
`0226-01-15` is refused with the range instead of being stored as a date nothing can use.

An explicit local time that a DST change skips is rejected (it never appears on the clock) and one it
repeats is rejected as ambiguous (write it with an offset). Only when day_end itself falls in a gap is it
moved forward, because the user never typed it.

`parse_duration` reads work estimates in minutes; `format_duration` writes them back in the same
grammar. `format_relative` renders a due time for a card.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

# The dates a card, an event or a plan may carry: the range storage accepts (see organizer.instants).
from organizer.instants import EARLIEST, LATEST

__all__ = ["DATE_RANGE", "DURATION_FORMS", "EARLIEST", "LATEST", "WHEN_FORMS", "DateParseError",
           "DurationParseError", "check_range", "format_duration", "format_relative", "parse_duration", "parse_when"]


class DateParseError(ValueError):
    """A date/time phrase could not be read; the message quotes it and says what would work."""


DATE_RANGE = f"dates from {EARLIEST.isoformat()} to {LATEST.isoformat()}"


def day_bounds(day: date, zone: ZoneInfo, days: int = 1) -> tuple[datetime, datetime]:
    """Where a run of local calendar days starts and ends, as aware UTC instants: [first midnight, last midnight).

    The one rule for "a day" everywhere (the plan, the Day plan, `due:today`, calendar export ranges): a day
    starts when the local clock first reads 00:00, or, where a DST change skips midnight, at the jump itself;
    a day with a DST change is 23 or 25 hours long. The planner's minute form (`planner.timeline.local_day_bounds`)
    is tested to agree.
    """
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=days), time(0), zone).astimezone(UTC)
    return start, end


def check_range(value: datetime, shown: str) -> datetime:
    """`value` if its UTC and local dates are within EARLIEST..LATEST, else DateParseError naming the range."""
    # Local date first: converting a year-1 date to UTC could itself overflow.
    if not EARLIEST <= value.date() <= LATEST:
        raise DateParseError(f"'{shown}' is {value.date().isoformat()}, outside the accepted range: {DATE_RANGE}")
    if not EARLIEST <= value.astimezone(UTC).date() <= LATEST:
        raise DateParseError(f"'{shown}' is {value.astimezone(UTC).date().isoformat()} in UTC, outside the "
                             f"accepted range: {DATE_RANGE}")
    return value


class DurationParseError(ValueError):
    """A duration could not be read; the message quotes it and lists the accepted forms."""


# (examples, rule) pairs: WHEN_FORMS is the help text, the first column is the one-line error hint.
_WHEN_TABLE = (
    ("now", "this moment"),
    ("today, tomorrow, yesterday", "that day at the end of the working day"),
    ("tonight", "today 20:00 (23:59 once 20:00 has passed)"),
    ("eod, eow, eom", "end of today / Friday of this week / last day of this month"),
    ("mon .. sun, friday", "the next such day after today (never today)"),
    ("next mon", "that weekday in the next calendar week"),
    ("in 3 days, +2d, in 2 weeks, +1w", "that many days ahead, at the end of the working day"),
    ("in 2h, in 90m, +1h30m", "exactly that long from now"),
    ("14:30, 9am, 2:30pm, noon", "today at that time, tomorrow if it has passed"),
    ("fri 14:30, tomorrow at 9am", "a day followed by a time"),
    ("2026-12-01, 1 dec, dec 1", "that date (without a year: the next one)"),
    ("2026-12-01T09:30+01:00, ...T08:30Z", "an exact instant with its UTC offset"),
)
WHEN_FORMS = "\n".join(f"{ex:<36} {rule}" for ex, rule in _WHEN_TABLE)
_WHEN_HINT = "use one of " + ", ".join(ex for ex, _ in _WHEN_TABLE)

_DURATION_TABLE = (
    ("45, 90", "a bare number is minutes"),
    ("45m, 45 min", "minutes"),
    ("1h, 2 hours", "hours"),
    ("1h30, 1h30m, 1 h 30 m", "hours and minutes (minutes below 60)"),
    ("1.5h", "decimal hours, rounded to the minute"),
)
DURATION_FORMS = "\n".join(f"{ex:<36} {rule}" for ex, rule in _DURATION_TABLE) + (
    "\n(no days: estimates are working time; at most 1000h)"
)
_DURATION_HINT = "use one of " + ", ".join(ex for ex, _ in _DURATION_TABLE) + " (no days; at most 1000h)"
_MAX_MINUTES = 1000 * 60
# Not strftime("%a"): that follows the process locale, and cards should read the same everywhere.
_DAY_ABBR = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_WEEKDAY_NAMES = ("mon monday", "tue tues tuesday", "wed wednesday", "thu thur thurs thursday",
                  "fri friday", "sat saturday", "sun sunday")
_WEEKDAYS = {name: i for i, names in enumerate(_WEEKDAY_NAMES) for name in names.split()}
_MONTH_NAMES = "january february march april may june july august september october november december"
_MONTHS = {name: i for i, full in enumerate(_MONTH_NAMES.split(), 1) for name in (full, full[:3])} | {"sept": 9}

# re.ASCII everywhere: \d would otherwise accept other scripts' digits, which int() happily converts.
# Digit runs are bounded so int() never sees a huge string (CPython refuses > 4300 digits).
_A = re.ASCII
_TIME_RE = (
    r"(?:(?P<h12>\d{1,2})(?::(?P<m12>\d{2}))? ?(?P<ampm>am|pm)"
    r"|(?P<h24>\d{1,2}):(?P<m24>\d{2})(?::(?P<s24>\d{2}))?"
    r"|(?P<noon>noon))"
)
# A trailing time; `t` only separates it when glued to a date (2026-12-01t09:30).
_TRAILING_TIME = re.compile(rf"(?:^(?:at )?|(?<=\d)t| (?:at )?){_TIME_RE}$", _A)
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})", _A)
_ISO_INSTANT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)? ?"
    r"(?:(z)|([+-])(\d{2})(?::?(\d{2})(?::(\d{2}))?)?)",
    _A,
)
_RELATIVE = re.compile(r"(?:in |\+) ?(.+)", _A)
_RELATIVE_DAYS = re.compile(r"(?:in |\+) ?(\d{1,5}) ?(d|days?|w|weeks?)", _A)
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)(?: (\d{4}))?", _A)
_MONTH_DAY = re.compile(r"([a-z]+) (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?", _A)
_DURATION = re.compile(
    r"(?:(?P<h>\d{1,7})(?:\.(?P<frac>\d{1,6}))? ?(?:h|hrs?|hours?) ?)?"
    r"(?:(?P<m>\d{1,7}) ?(?:m|mins?|minutes?)?)?",
    _A,
)


def _shown(text: str) -> str:
    # Quote what the user typed (case kept), but keep the one-line message short.
    s = " ".join(text.split())
    return s if len(s) <= 60 else s[:57] + "..."


def parse_when(text: str, *, now: datetime, tz: str, day_end: time = time(17, 30)) -> datetime:
    """Read a date/time phrase (see WHEN_FORMS) relative to `now`; an aware datetime in zone `tz` (ZoneInfo)."""
    if now.utcoffset() is None:
        raise ValueError("parse_when: now must be timezone-aware")
    zone = ZoneInfo(tz)
    s = " ".join(text.lower().split())
    if not s:
        raise DateParseError(f"no date given: {_WHEN_HINT}")
    try:
        result = check_range(_resolve(s, now.astimezone(zone), zone, day_end.replace(tzinfo=None), _shown(text)),
                             _shown(text))
        # Via UTC so the instant, and with it `fold` on a repeated hour, is set exactly. A plain datetime,
        # not a pendulum one: nothing needs pendulum's API, and importing it cost 15 ms of every quick-add.
        return result.astimezone(UTC).astimezone(zone)
    except DateParseError:
        raise
    except (ValueError, OverflowError):
        # date()/time()/timezone() reject impossible fields; arithmetic past year 9999 overflows.
        raise DateParseError(f"'{_shown(text)}' is not a real date or time: {_WHEN_HINT}") from None


def _resolve(s: str, now: datetime, zone: ZoneInfo, day_end: time, shown: str) -> datetime:
    today = now.date()
    if s == "now":
        return now
    if s == "tonight":
        evening = time(20, 0) if now.time() <= time(20, 0) else time(23, 59)
        return _localize(datetime.combine(today, evening), zone, shown, default=True)
    if s in ("eod", "eow", "eom"):
        if s == "eow":
            # weekday(): Mon=0 .. Fri=4; on the weekend this week's Friday is gone, so take the next.
            days = (4 - today.weekday()) % 7
            return _at_day_end(today + timedelta(days=days), day_end, zone, shown)
        if s == "eom":
            first_next = date(today.year + today.month // 12, today.month % 12 + 1, 1)
            return _at_day_end(first_next - timedelta(days=1), day_end, zone, shown)
        return _at_day_end(today, day_end, zone, shown)
    if m := _ISO_INSTANT.fullmatch(s):
        return _instant(m).astimezone(zone)
    if (m := _RELATIVE.fullmatch(s)) and not _RELATIVE_DAYS.match(s) and any(c in "hm" for c in m[1]):
        try:
            minutes = parse_duration(m[1])
        except DurationParseError:
            raise DateParseError(f"can't read date '{shown}': {_WHEN_HINT}") from None
        # Hours and minutes are real elapsed time: add in UTC so a DST change does not stretch them.
        return (now.astimezone(UTC) + timedelta(minutes=minutes)).astimezone(zone)

    at: time | None = None
    day_part = s
    if m := _TRAILING_TIME.search(s):
        at, day_part = _time(m), s[: m.start()]
    if not day_part:
        assert at is not None  # a non-empty phrase with no day part is exactly a time
        day = today
        # A bare time is the next time the clock shows it, so "9:00" at 10:00 means tomorrow morning.
        if datetime.combine(today, at) <= now.replace(tzinfo=None):
            day += timedelta(days=1)
        return _localize(datetime.combine(day, at), zone, shown, default=False)
    day = _day(day_part, today, shown)
    if at is None:
        return _at_day_end(day, day_end, zone, shown)
    return _localize(datetime.combine(day, at), zone, shown, default=False)


def _day(s: str, today: date, shown: str) -> date:
    """Resolve a date-level phrase (no time) to a calendar date."""
    relative = {"today": 0, "tomorrow": 1, "yesterday": -1}
    if s in relative:
        return today + timedelta(days=relative[s])
    if s in _WEEKDAYS:
        # Strictly after today: "fri" on a Friday means next week, "today" is there for today.
        return today + timedelta(days=(_WEEKDAYS[s] - today.weekday() - 1) % 7 + 1)
    if s.startswith("next ") and s[5:] in _WEEKDAYS:
        next_monday = today + timedelta(days=7 - today.weekday())
        return next_monday + timedelta(days=_WEEKDAYS[s[5:]])
    if m := _RELATIVE_DAYS.fullmatch(s):
        return today + timedelta(days=int(m[1]) * (7 if m[2][0] == "w" else 1))
    if m := _ISO_DATE.fullmatch(s):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if (m := _DAY_MONTH.fullmatch(s)) and m[2] in _MONTHS:
        return _calendar_day(int(m[1]), _MONTHS[m[2]], m[3], today)
    if (m := _MONTH_DAY.fullmatch(s)) and m[1] in _MONTHS:
        return _calendar_day(int(m[2]), _MONTHS[m[1]], m[3], today)
    raise DateParseError(f"can't read date '{shown}': {_WHEN_HINT}")


def _calendar_day(day: int, month: int, year: str | None, today: date) -> date:
    if year is not None:
        return date(int(year), month, day)
    # The next occurrence, today included; 29 feb can be up to 8 years away (2096 -> 2104).
    for y in range(today.year, today.year + 9):
        try:
            candidate = date(y, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise ValueError("no such day in any year")


def _time(m: re.Match[str]) -> time:
    if m["noon"]:
        return time(12, 0)
    if m["ampm"]:
        hour = int(m["h12"])
        if not 1 <= hour <= 12:
            raise ValueError("12-hour clock hour out of range")
        # 12am is midnight and 12pm is noon; the other hours shift by 12 in the afternoon.
        return time(hour % 12 + (12 if m["ampm"] == "pm" else 0), int(m["m12"] or 0))
    return time(int(m["h24"]), int(m["m24"]), int(m["s24"] or 0))


def _instant(m: re.Match[str]) -> datetime:
    if m[8]:
        offset = UTC
    else:
        sign = -1 if m[9] == "-" else 1
        delta = timedelta(hours=int(m[10]), minutes=int(m[11] or 0), seconds=int(m[12] or 0))
        offset = timezone(sign * delta)
    fraction = int((m[7] or "0").ljust(6, "0"))
    year, month, day, hour, minute = (int(m[i]) for i in range(1, 6))
    return datetime(year, month, day, hour, minute, int(m[6] or 0), fraction, tzinfo=offset)


def _at_day_end(day: date, day_end: time, zone: ZoneInfo, shown: str) -> datetime:
    return _localize(datetime.combine(day, day_end), zone, shown, default=True)


def _localize(naive: datetime, zone: ZoneInfo, shown: str, *, default: bool) -> datetime:
    """Attach `zone` to a wall-clock time, refusing times a DST change skips or repeats.

    `default` marks times the user did not type (day_end, tonight): those move forward out of a gap and
    take the first of two repeated hours instead of failing.
    """
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return first
    # The folds disagree only at a transition. In a gap the clock never shows this time, so the
    # round trip through UTC lands on a different wall-clock time; in an overlap it comes back intact.
    round_trip = first.astimezone(UTC).astimezone(zone)
    if default:
        return round_trip
    stamp = naive.isoformat(sep=" ", timespec="minutes")
    if round_trip.replace(tzinfo=None) != naive:
        raise DateParseError(
            f"'{shown}': {stamp} does not exist in {zone.key} (the clocks skip it for daylight saving time)"
        )
    iso = naive.isoformat(timespec="minutes")
    raise DateParseError(
        f"'{shown}': {stamp} is ambiguous in {zone.key} (it happens twice as the clocks go back); "
        f"write it with an offset: {iso}{_offset(first)} (first) or {iso}{_offset(second)} (second)"
    )


def _offset(dt: datetime) -> str:
    z = f"{dt:%z}"  # +0200; the ISO form the user should type has a colon
    return f"{z[:3]}:{z[3:5]}"


def parse_duration(text: str) -> int:
    """Read a work estimate (see DURATION_FORMS) and return whole minutes, 0..60000."""
    s = " ".join(text.lower().split())
    if not s:
        raise DurationParseError(f"no duration given: {_DURATION_HINT}")
    m = _DURATION.fullmatch(s)
    if m is None or (m["h"] is None and m["m"] is None) or (m["frac"] and m["m"]):
        raise DurationParseError(f"can't read duration '{_shown(text)}': {_DURATION_HINT}")
    minutes = 0
    if m["h"] is not None:
        minutes = int(m["h"]) * 60
        if m["frac"]:
            # Integer arithmetic, rounding half up: floats would turn 0.375h into 22 rather than 23.
            scale = 10 ** len(m["frac"])
            minutes += (int(m["frac"]) * 120 + scale) // (2 * scale)
        if m["m"] is not None and int(m["m"]) >= 60:
            raise DurationParseError(
                f"can't read duration '{_shown(text)}': minutes after hours must be below 60; {_DURATION_HINT}"
            )
    minutes += int(m["m"] or 0)
    if minutes > _MAX_MINUTES:
        raise DurationParseError(f"duration '{_shown(text)}' is over 1000h: {_DURATION_HINT}")
    return minutes


def format_duration(minutes: int) -> str:
    """Write minutes the way parse_duration reads them back: 45m, 1h, 1h30m, 0m."""
    if minutes < 0:
        raise ValueError(f"format_duration: minutes must be >= 0, got {minutes}")
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest}m"
    return f"{hours}h{rest}m" if rest else f"{hours}h"


def format_relative(dt: datetime, *, now: datetime, tz: str) -> str:
    """Short card wording for `dt` seen from `now` in zone `tz`: today 14:00, fri 09:00, in 12d, 3d ago."""
    if dt.utcoffset() is None or now.utcoffset() is None:
        raise ValueError("format_relative: dt and now must be timezone-aware")
    zone = ZoneInfo(tz)
    local = dt.astimezone(zone)
    days = (local.date() - now.astimezone(zone).date()).days
    clock = f"{local:%H:%M}"
    if abs(days) > 60:
        return local.date().isoformat()
    if days == 0:
        return f"today {clock}"
    if days == 1:
        return f"tomorrow {clock}"
    if days == -1:
        return f"yesterday {clock}"
    if 2 <= days <= 6:
        return f"{_DAY_ABBR[local.weekday()]} {clock}"
    return f"in {days}d" if days > 0 else f"{-days}d ago"
