"""Read iCalendar data as busy time: parse with icalendar, expand with recurring-ical-events, validate.

`read_calendar(data, source, tz=…, start=…, end=…)` turns the bytes of a calendar into the occurrences
that block time between `start` and `end`, with no database involved. Rules:

- RRULE, RDATE, EXDATE and RECURRENCE-ID overrides are expanded by recurring-ical-events; X-WR-TIMEZONE
  calendars are first brought into RFC 5545 form by x-wr-timezone.
- STATUS:CANCELLED and TRANSP:TRANSPARENT occurrences block nothing; neither does a zero-length one
  (DTSTART date-time without DTEND or DURATION). They are counted, not returned.
- An all-day occurrence (DTSTART;VALUE=DATE) is busy from local midnight to local midnight in the user's
  zone; a floating time is read in the user's zone too.
- An occurrence's UID is the event's UID + "#" + its RECURRENCE-ID (or start) in compact UTC form, so
  importing the same calendar again gives the same UIDs.

A calendar that cannot be read at all raises InputError naming the source. A broken event (bad or missing
DTSTART, bad duration, end before start, unknown TZID, a rule that fires absurdly often…) raises InputError
naming the source and the event, unless `skip_bad`: then the readable events come back with a list of what
was skipped and why.

Reading is bounded (organizer.ics.limits): the text is prescanned for size, nesting, event count and
giant lines; RRULEs and VTIMEZONE rules are checked before anything is expanded or converted with them;
expansion is lazy and stops at the per-series cap; and the whole read runs under a wall-clock and memory
budget (BudgetExceeded, an InputError, past it).

This module parses and validates; organizer.ics.occurrences expands the valid events into
occurrences (its public names are re-exported here).

icalendar and recurring-ical-events are imported inside the functions: importing this module is free.
"""

from __future__ import annotations

import gc
import hashlib
import re
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from organizer.ics.limits import BudgetExceeded, Guard, prescan, rule_problem, safe_zone, zone_problem

# Expansion into occurrences; the names imported `as` themselves are re-exported for callers.
from organizer.ics.occurrences import MAX_OCCURRENCES as MAX_OCCURRENCES
from organizer.ics.occurrences import (
    MAX_SERIES_OCCURRENCES,
    Broken,
    ReadCalendar,
    expand,
    to_utc,
)
from organizer.ics.occurrences import UID_MAX as UID_MAX
from organizer.ics.occurrences import Occurrence as Occurrence
from organizer.ics.occurrences import Skipped as Skipped
from organizer.ics.occurrences import compact as compact
from organizer.ics.occurrences import one_line as one_line
from organizer.validate import InputError

HORIZON_PAST = timedelta(days=30)
HORIZON_FUTURE = timedelta(days=365)
SKIP_HINT = "--skip-bad imports the readable events"
_BOM = b"\xef\xbb\xbf"
_BEGIN_EVENT = re.compile(r"^BEGIN:VEVENT\s*$", re.IGNORECASE | re.MULTILINE)


def horizon(now: datetime) -> tuple[datetime, datetime]:
    """The default planning horizon: from 30 days ago to 365 days ahead."""
    return now - HORIZON_PAST, now + HORIZON_FUTURE


def looks_like_calendar(data: bytes) -> bool:
    """Whether the bytes start with BEGIN:VCALENDAR, after a UTF-8 BOM and whitespace."""
    return data.removeprefix(_BOM).lstrip()[:15].upper() == b"BEGIN:VCALENDAR"


def not_a_calendar(data: bytes) -> str:
    """Why `looks_like_calendar` said no, for a message."""
    head = data.removeprefix(_BOM).lstrip()
    if not head:
        return "it is empty"
    return f"it starts with {one_line(head[:40].decode('utf-8', 'replace'), 40)!r}, not BEGIN:VCALENDAR"


def read_calendar(data: bytes, source: str, *, tz: str, start: datetime, end: datetime, skip_bad: bool = False,
                  hint: str = SKIP_HINT, seconds: float | None = None, memory: int | None = None) -> ReadCalendar:
    """Parse, validate and expand a calendar; see the module docstring for the rules.

    `hint` ends the message about broken events: how to import the readable ones from where the user is.
    `seconds` and `memory` (bytes) override the reading budget (limits.TIME_BUDGET, limits.MEMORY_BUDGET).
    """
    if not looks_like_calendar(data):
        raise InputError(f"{source}: not a calendar: {not_a_calendar(data)}")
    # A big calendar is hundreds of thousands of small objects that live until the read ends: the cyclic
    # collector would scan them again and again for nothing (a third of the time of a 20,000-event file).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return Guard(source, seconds=seconds, memory=memory).run(lambda guard: _read(
            data, source, tz=tz, start=start, end=end, skip_bad=skip_bad, hint=hint, guard=guard))
    finally:
        if collecting:
            gc.enable()


def _read(data: bytes, source: str, *, tz: str, start: datetime, end: datetime, skip_bad: bool, hint: str,
          guard: Guard) -> ReadCalendar:
    import icalendar

    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not UTF-8 text (byte {exc.start} cannot be read)") from None
    # Leading blank lines would read as a folded continuation; keep line numbers true to the file.
    text = raw.lstrip()
    skipped_lines = raw.count("\n", 0, len(raw) - len(text))
    del raw
    text = prescan(text, source, before=start.date())
    guard.check()
    try:
        parsed = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception as exc:  # the parser meets untrusted text: whatever it raises means "unreadable"
        raise InputError(f"{source}: cannot be read as a calendar: {_parse_failure(text, exc)}") from None
    calendars = [c for c in parsed if c.name == "VCALENDAR"]
    if not calendars:
        raise InputError(f"{source}: cannot be read as a calendar: {_parse_failure(text, None)}")
    guard.check()
    zone = ZoneInfo(tz)
    zones = _Zones(calendars, start)
    events = [e for c in calendars for e in c.subcomponents if e.name == "VEVENT"]
    lines = [n + skipped_lines for n in _event_lines(text)]
    labels = {id(e): _label(e, lines[i] if len(lines) == len(events) else None) for i, e in enumerate(events)}
    result = ReadCalendar(name=_calendar_name(calendars))
    bad: list[Skipped] = []
    broken: set[int] = set()
    for event in events:
        guard.check()
        problem = _problem(event, zone, zones, end)
        if problem:
            bad.append(Skipped(labels[id(event)], problem))
            broken.add(id(event))
        elif "UID" not in event:
            # A UID makes re-imports stable; without one, the event's own text is the next best thing.
            event["UID"] = "nouid-" + hashlib.sha1(event.to_ical()).hexdigest()[:16]
    for cal in calendars:
        cal.subcomponents = [c for c in cal.subcomponents if id(c) not in broken]
        expand(cal, source, zone, start, end, labels, result, bad, guard)
    if bad and not skip_bad:
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise InputError(f"{source}: {bad[0]}{more}; {hint}")
    result.skipped = bad
    return result


def _event_lines(text: str) -> list[int]:
    """The line number of each BEGIN:VEVENT, in order (counted incrementally: files can be large)."""
    lines, line, pos = [], 1, 0
    for m in _BEGIN_EVENT.finditer(text):
        line += text.count("\n", pos, m.start())
        pos = m.start()
        lines.append(line)
    return lines


def _parse_failure(text: str, exc: Exception | None) -> str:
    if not re.search(r"^END:VCALENDAR\s*$", text, re.IGNORECASE | re.MULTILINE):
        return "it is cut short (no END:VCALENDAR)"
    return one_line(exc) if exc is not None else "no complete VCALENDAR in it"


def _calendar_name(calendars: list[Any]) -> str | None:
    return next((name for cal in calendars if (name := one_line(cal.get("X-WR-CALNAME", ""), 200))), None)


def _label(event: Any, line: int | None) -> str:
    """How a message names an event: its SUMMARY, its UID and its line, as far as they are known."""
    summary, uid = one_line(event.get("SUMMARY", ""), 60), one_line(event.get("UID", ""), 80)
    where = ([f"UID {uid}"] if uid else []) + ([f"line {line}"] if line else [])
    if summary:
        return f'event "{summary}"' + (f" ({', '.join(where)})" if where else "")
    return "event " + (", ".join(where) if where else "without UID or SUMMARY")


def _single(event: Any, name: str) -> Any:
    value = event.get(name)
    if isinstance(value, list):
        raise Broken(f"it has {len(value)} {name} lines")
    return value


def _problem(event: Any, zone: ZoneInfo, zones: _Zones, span_end: datetime) -> str | None:
    """What makes an event unusable, or None."""
    for prop, message in event.errors:
        return f"{prop + ' cannot be read' if prop else 'a line cannot be read'}: {one_line(message)}"
    try:
        # First of all: no time of the event may be converted with a VTIMEZONE that has not been checked.
        return zones.fix(event) or _check(event, zone, span_end)
    except Broken as exc:
        return str(exc)
    except BudgetExceeded:
        raise
    except Exception as exc:  # a custom VTIMEZONE or an odd value the libraries choke on
        return f"cannot be read: {one_line(exc)}"


_DATE_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")


class _Zones:
    """The time zones a calendar's VTIMEZONEs define, checked and rebuilt before any time is converted.

    icalendar turns each VTIMEZONE into a lazy dateutil zone as it parses (and caches it for the whole
    process under its TZID). Such a zone walks its observances from their DTSTART on every lookup, so a
    rule repeating every second since 1601 never finishes. `fix` puts, in place of every such zone on an
    event's times, the zone this calendar's own VTIMEZONE defines, checked (limits.zone_problem) and
    starting shortly before the horizon (limits.safe_zone); or, for a bad one, the zoneinfo zone its
    X-LIC-LOCATION names; else the event is broken.
    """

    def __init__(self, calendars: list[Any], since: datetime) -> None:
        self.since = since
        self.components: dict[str, Any] = {}
        for cal in calendars:
            for component in cal.subcomponents:
                if component.name == "VTIMEZONE" and "TZID" in component:
                    self.components.setdefault(str(component["TZID"]).strip("/"), component)
        self.resolved: dict[str, Any] = {}

    def zone(self, tzid: str) -> Any:
        """The checked zone for a TZID, a string saying why there is none, or None when it is not defined."""
        if tzid not in self.resolved:
            component = self.components.get(tzid)
            if component is None:
                self.resolved[tzid] = None
            elif problem := zone_problem(component):
                self.resolved[tzid] = _by_name(component) or f"time zone {one_line(tzid, 60)!r}, which {problem}"
            else:
                try:
                    self.resolved[tzid] = safe_zone(component, self.since)
                except Exception as exc:  # dateutil on a VTIMEZONE it cannot read
                    self.resolved[tzid] = f"time zone {one_line(tzid, 60)!r}, which cannot be read: {one_line(exc)}"
        return self.resolved[tzid]

    def fix(self, event: Any) -> str | None:
        """Swap the checked zones into an event's times; what is wrong with a zone it uses, or None."""
        for name in _DATE_PROPERTIES:
            values = event.get(name)
            for prop in values if isinstance(values, list) else [values] if values is not None else []:
                for item in prop.dts if hasattr(prop, "dts") else [prop]:
                    value = item.dt
                    parts = value if isinstance(value, tuple) else (value,)
                    fixed = []
                    for part in parts:
                        swapped = self._swap(part)
                        if isinstance(swapped, str):
                            return f"{name} uses {swapped}"
                        fixed.append(swapped)
                    item.dt = tuple(fixed) if isinstance(value, tuple) else fixed[0]
        return None

    def _swap(self, value: Any) -> Any:
        """`value` in its checked zone, or why that cannot be."""
        if not isinstance(value, datetime) or not _from_vtimezone(value.tzinfo):
            return value
        tzid = str(getattr(value.tzinfo, "_tzid", "")).strip("/")
        found = self.zone(tzid)
        if found is None:  # defined by another calendar read earlier in this process, not by this one
            return f"an unknown time zone TZID={one_line(tzid, 60)!r}"
        return found if isinstance(found, str) else value.replace(tzinfo=found)


def _from_vtimezone(zone: Any) -> bool:
    """Whether a tzinfo was built from a VTIMEZONE (dateutil's tzical), not taken from the zone database."""
    return zone is not None and type(zone).__name__ == "_tzicalvtz"


def _by_name(component: Any) -> ZoneInfo | None:
    """The zoneinfo zone a VTIMEZONE names in X-LIC-LOCATION (Mozilla, Evolution), if it is a real one."""
    name = str(component.get("X-LIC-LOCATION", "")).strip()
    if not name or len(name) > 60:
        return None
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _check(event: Any, zone: ZoneInfo, span_end: datetime) -> str | None:
    prop = _single(event, "DTSTART")
    if prop is None:
        return "it has no DTSTART"
    start = prop.dt
    if not isinstance(start, date):
        return f"DTSTART {one_line(prop.to_ical().decode(), 40)!r} is not a date or a date-time"
    problem = _unknown_zone(event)
    if problem:
        return problem
    end: date | None = None
    if (end_prop := _single(event, "DTEND")) is not None:
        end = end_prop.dt
        if not isinstance(end, date):
            return f"DTEND {one_line(end_prop.to_ical().decode(), 40)!r} is not a date or a date-time"
    elif (duration_prop := _single(event, "DURATION")) is not None:
        length = duration_prop.dt
        if not isinstance(length, timedelta):
            return f"DURATION {one_line(duration_prop.to_ical().decode(), 40)!r} is not a duration"
        if length < timedelta(0):
            return f"DURATION {duration_prop.to_ical().decode()} is negative"
        whole_days = not isinstance(start, datetime) and length % timedelta(days=1) == timedelta(0)
        end = (start if isinstance(start, datetime) or whole_days else datetime.combine(start, time(0))) + length
    if end is not None and to_utc(end, zone) < to_utc(start, zone):
        return f"it ends ({_shown(end)}) before it starts ({_shown(start)})"
    rules = event.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        freq, count = str((rule.get("FREQ") or [""])[0]).lower(), (rule.get("COUNT") or [None])[0]
        # Expanding these over a year would take minutes and millions of rows before any limit could bite.
        if freq in ("secondly", "minutely") and (count is None or count > MAX_SERIES_OCCURRENCES):
            return f"it repeats {freq} without a small COUNT: that is not a meeting"
        # Every other rule is estimated before it is expanded: from FREQ and its BYxxx lists, how often it
        # fires in a day, and how many occurrences lie between DTSTART (1601?) and the horizon.
        problem = rule_problem(rule.to_ical().decode(), start, span_end)
        if problem:
            return problem
    return None


def _unknown_zone(event: Any) -> str | None:
    """A TZID that neither a VTIMEZONE nor the zone database knows leaves the time naive: refuse it."""
    for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE"):
        values = event.get(name)
        for prop in values if isinstance(values, list) else [values] if values is not None else []:
            tzid = prop.params.get("TZID")
            if not tzid:
                continue
            found = [d.dt for d in prop.dts] if hasattr(prop, "dts") else [prop.dt]
            for value in found:
                first = value[0] if isinstance(value, tuple) else value
                if isinstance(first, datetime) and (first.tzinfo is None or first.utcoffset() is None):
                    return f"{name} uses an unknown time zone TZID={one_line(tzid, 60)!r}"
    return None


def _shown(value: date) -> str:
    return value.isoformat(sep=" ", timespec="minutes") if isinstance(value, datetime) else value.isoformat()


