"""Expand a calendar's validated events into the occurrences that block time: the second half of a read.

organizer.ics.importer parses and validates a calendar, then hands each VCALENDAR's valid events to
`expand`: recurring-ical-events expands them series by series over the horizon (RRULE, RDATE, EXDATE and
RECURRENCE-ID overrides; X-WR-TIMEZONE calendars first brought into RFC 5545 form by x-wr-timezone), rules
walked lazily under the reading budget and the per-series cap, and each occurrence becomes an Occurrence
row: aware UTC instants, a sanitised title, and a UID that is the event's UID + "#" + its RECURRENCE-ID (or
start) in compact UTC form, so importing the same calendar again gives the same UIDs. Cancelled,
transparent and zero-length occurrences are counted, not returned. Also here: the records a read returns
(Occurrence, Skipped, ReadCalendar) and the small helpers both halves share (one_line, to_utc, compact).

This module does not import organizer.ics.importer (which imports it and re-exports its public
names). icalendar and recurring-ical-events are imported inside the functions: importing this module is free.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from organizer.ics.limits import MAX_WALK, BudgetExceeded, Guard
from organizer.validate import TITLE_MAX, InputError, clean_text

# A year of a busy calendar is a few thousand occurrences; these limits stop a runaway rule
# (FREQ=MINUTELY, or HOURLY for years) from filling memory and the database.
MAX_OCCURRENCES = 100_000
MAX_SERIES_OCCURRENCES = 20_000
UID_MAX = 400
@dataclass(frozen=True)
class Occurrence:
    """One occurrence that blocks time: aware UTC instants, a sanitised title."""

    uid: str
    title: str
    start: datetime
    end: datetime
    all_day: bool


@dataclass(frozen=True)
class Skipped:
    """An event left out with --skip-bad, and why."""

    event: str
    reason: str

    def __str__(self) -> str:
        """`event "Standup" (UID abc, line 12): DTSTART cannot be read: …`"""
        return f"{self.event}: {self.reason}"


@dataclass
class ReadCalendar:
    """What a calendar holds over the horizon."""

    name: str | None
    occurrences: list[Occurrence] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    transparent: int = 0
    cancelled: int = 0
    zero_length: int = 0


def one_line(text: object, limit: int = 160) -> str:
    """Text from a calendar or a library, safe for a one-line message."""
    flat = " ".join(clean_text(re.sub(r"[\r\n\t]+", " ", str(text))).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def to_utc(value: date, zone: ZoneInfo) -> datetime:
    """A DTSTART/DTEND value as an aware UTC instant: dates at local midnight, floating times in `zone`."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), zone).astimezone(UTC)
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def compact(value: date, zone: ZoneInfo) -> str:
    """An occurrence's RECURRENCE-ID in compact UTC form: 20260302T090000Z, or 20260302 for a date."""
    if not isinstance(value, datetime):
        return value.strftime("%Y%m%d")
    return to_utc(value, zone).strftime("%Y%m%dT%H%M%SZ")


class Broken(Exception):
    """An event's problem, raised while checking it."""


@cache
def _series_class() -> tuple[type, type]:
    """recurring-ical-events' Series and EventAdapter, extended so each occurrence keeps its event, and
    so rules are walked lazily.

    The library's own query copies the whole event for every occurrence (`as_component`); a busy block
    needs four properties of it, so reading them from the event saves most of the expansion time.
    It also asks dateutil for `rule.between(…)`, which walks the rule from DTSTART into a cached list of
    everything up to the end of the span: `Rules` walks an uncached copy instead, one occurrence at a
    time, so the caller's cap and the budget apply as it goes.
    """
    from dateutil.rrule import rruleset
    from recurring_ical_events import EventAdapter, Occurrence, Series
    from recurring_ical_events.util import compare_greater, convert_to_datetime, is_pytz, is_pytz_dt, normalize_pytz

    class Event(EventAdapter):
        def __init__(self, component: Any) -> None:
            super().__init__(component)
            self.event = component

    class Found(Occurrence):
        def __init__(self, adapter: Any, start: Any = None, end: Any = None, sequence: int = -1) -> None:
            super().__init__(adapter, start, end, sequence)
            self.event = adapter.event

    class Rules(Series.RecurrenceRules):
        guard: Guard | None = None

        def rrule_between(self, span_start: Any, span_stop: Any) -> Any:
            begin, stop = convert_to_datetime(span_start, self.tzinfo), convert_to_datetime(span_stop, self.tzinfo)
            if is_pytz(self.tzinfo):  # as the library does: pytz offsets are off by up to an hour at the edges
                begin, stop = normalize_pytz(begin - timedelta(hours=1)), normalize_pytz(stop + timedelta(hours=1))
            for rule in self.rrules:
                # The rruleset holds DTSTART and the RDATEs: as many as the file lists, fine to list.
                found = rule.between(begin, stop, inc=True) if isinstance(rule, rruleset) else _walk(
                    rule, begin, stop, self.guard)
                for start in found:
                    if is_pytz_dt(start):
                        pytz_zone: Any = start.tzinfo  # pytz (untyped) zones have localize; a tzinfo has not
                        start = pytz_zone.localize(start.replace(tzinfo=None))
                    if rule.until is None or not compare_greater(start, rule.until):
                        yield start

    class Busy(Series):
        RecurrenceRules = Rules

        def occurrence(self, adapter: Any, start: Any = None, end: Any = None) -> Any:
            return Found(adapter, start, end, sequence=self.sequence)

    return Busy, Event


def _walk(rule: Any, begin: datetime, stop: datetime, guard: Guard | None) -> Any:
    """The instants of a dateutil rrule in [begin, stop], walked lazily from DTSTART with a bound."""
    walked = 0
    for when in rule.replace(cache=False):  # the cached rule would keep every instant walked
        if when > stop:
            return
        if when >= begin:
            yield when
            continue
        walked += 1
        if walked % 4096 == 0:
            if guard is not None:
                guard.check()
            if walked > MAX_WALK:
                raise Broken(f"it repeats more than {MAX_WALK:,} times before the planning horizon: "
                              "too many to expand")


def expand(cal: Any, source: str, zone: ZoneInfo, start: datetime, end: datetime, labels: dict[int, str],
            result: ReadCalendar, bad: list[Skipped], guard: Guard) -> None:
    """Expand one calendar's (valid) events, series by series, so a failure names its event."""
    if str(cal.get("CALSCALE", "GREGORIAN")).upper() != "GREGORIAN":
        raise InputError(f"{source}: CALSCALE {one_line(cal['CALSCALE'], 40)} is not supported (only GREGORIAN)")
    originals = [c for c in cal.subcomponents if c.name == "VEVENT"]
    standard = cal
    if "X-WR-TIMEZONE" in cal:
        import x_wr_timezone  # brings click along: only for the calendars that need it

        try:
            standard = x_wr_timezone.to_standard(cal)
        except (KeyError, ValueError) as exc:  # ZoneInfoNotFoundError is a KeyError
            zone_name = one_line(cal.get("X-WR-TIMEZONE", ""), 60)
            raise InputError(f"{source}: X-WR-TIMEZONE {zone_name!r} is not a known time zone "
                             f"({one_line(exc, 80)})") from None
    # x-wr-timezone keeps the order of components (copying the ones it changes), so labels carry over.
    series: dict[str, list[tuple[Any, str]]] = {}
    converted = [c for c in standard.subcomponents if c.name == "VEVENT"]
    for original, event in zip(originals, converted, strict=True):
        series.setdefault(str(event.get("UID")), []).append((event, labels[id(original)]))
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    busy_series, event_adapter = _series_class()
    seen = {o.uid for o in result.occurrences}
    for uid, members in series.items():
        guard.check()
        try:
            expansion = busy_series([event_adapter(e) for e, _ in members])
            expansion.recurrence.guard = guard
            found = []
            # Lazily, stopping at the cap: a runaway series costs the cap, never its full expansion.
            for occurrence in expansion.between(local_start, local_end):
                found.append(occurrence)
                if len(found) > MAX_SERIES_OCCURRENCES:
                    raise Broken(f"it repeats more than {MAX_SERIES_OCCURRENCES:,} times in the planning horizon: "
                                  "that is not a meeting")
                if len(found) % 1024 == 0:
                    guard.check()
            rows, counts = _occurrences(found, _uid_base(uid), zone)
        except Broken as exc:
            bad.append(Skipped(_master_label(members), str(exc)))
            continue
        except BudgetExceeded:
            raise
        except Exception as exc:  # recurring-ical-events on odd rules and values
            bad.append(Skipped(_master_label(members), f"cannot be expanded: {one_line(exc)}"))
            continue
        result.cancelled += counts[0]
        result.transparent += counts[1]
        result.zero_length += counts[2]
        for row in rows:
            if row.uid not in seen:
                seen.add(row.uid)
                result.occurrences.append(row)
        if len(result.occurrences) > MAX_OCCURRENCES:
            raise InputError(f"{source}: more than {MAX_OCCURRENCES:,} occurrences in the planning horizon: "
                             "that is not a meeting calendar")


def _master_label(members: list[tuple[Any, str]]) -> str:
    return next((label for event, label in members if "RECURRENCE-ID" not in event), members[0][1])


def _uid_base(uid: str) -> str:
    base = one_line(uid, 10_000)
    return base if len(base) <= UID_MAX else "sha1-" + hashlib.sha1(base.encode()).hexdigest()


def _facts(event: Any) -> tuple[bool, bool, str, date | None, date]:
    """(cancelled, transparent, title, RECURRENCE-ID, DTSTART) of an event, read once for all its occurrences."""
    recurrence = event.get("RECURRENCE-ID")
    return (str(event.get("STATUS", "")).upper() == "CANCELLED", str(event.get("TRANSP", "")).upper() == "TRANSPARENT",
            one_line(event.get("SUMMARY", ""), TITLE_MAX) or "(no title)",
            None if recurrence is None else recurrence.dt, event["DTSTART"].dt)


def _occurrences(found: list[Any], base: str, zone: ZoneInfo) -> tuple[list[Occurrence], tuple[int, int, int]]:
    """Occurrence rows from expanded occurrences, and how many were cancelled, transparent, zero-length."""
    rows: list[Occurrence] = []
    cancelled = transparent = zero = 0
    facts: dict[int, tuple[bool, bool, str, date | None, date]] = {}
    for occurrence in found:
        event = occurrence.event
        known = facts.get(id(event))
        if known is None:
            known = facts[id(event)] = _facts(event)
        is_cancelled, is_transparent, title, recurrence, event_start = known
        if is_cancelled:
            cancelled += 1
            continue
        if is_transparent:
            transparent += 1
            continue
        first = occurrence.start
        begin, finish = to_utc(first, zone), to_utc(occurrence.end, zone)
        if finish <= begin:
            zero += 1
            continue
        # A moved instance keeps the RECURRENCE-ID of the slot it replaces; others are named by their start.
        rid = recurrence if recurrence is not None and first == event_start else first
        rows.append(Occurrence(f"{base}#{compact(rid, zone)}", title, begin, finish,
                               not isinstance(first, datetime)))
    return rows, (cancelled, transparent, zero)
