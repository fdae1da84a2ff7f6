"""What reading one calendar may cost, and the checks that keep a hostile or broken calendar within it.

A calendar comes from anyone who can put a file or a URL in front of the user, so reading one is bounded:

- Before parsing, `prescan` refuses text that is too big, nests components too deeply, holds too many
  events, or has a giant line in a property the importer reads; giant lines of properties it does not read
  (DESCRIPTION, inline ATTACH…) are dropped. Line numbers stay as they were for messages.
- Before expanding, `rule_problem` estimates how often an RRULE fires (from FREQ, INTERVAL and the sizes of
  its BYxxx lists) and refuses rules that fire many times a day, or that would have to be walked through
  hundreds of thousands of occurrences between their DTSTART (say 1601) and the planning horizon.
- VTIMEZONE definitions are checked by `zone_problem` before any time is converted with them: a time zone
  changes its offset a few times a year, so an observance repeating more often is refused. Valid ones are
  rebuilt by `safe_zone` to start shortly before the horizon, so no lookup walks from 1601 on.
- While reading, a `Guard` holds a wall-clock and memory budget: the reading code checks it in its own
  loops, and a watchdog thread stops the reading thread (with an asynchronous exception, CPython) when a
  library loop the code cannot see into overruns. Either way the caller gets `BudgetExceeded`, an
  InputError (exit 2 on the command line), and nothing was written.
"""

from __future__ import annotations

import copy
import ctypes
import math
import os
import re
import sys
import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

from organizer.validate import InputError

TIME_BUDGET = 10.0  # seconds to read (parse, check, expand) one calendar
MEMORY_BUDGET = 300 * 1024 * 1024  # bytes the process may grow by while reading one
MAX_BYTES = 20 * 1024 * 1024  # the most a download may bring (fetch.MAX_BYTES); files get the same
MAX_DEPTH = 8  # VCALENDAR > VEVENT > VALARM is 3 deep; VTIMEZONE > STANDARD is 3
MAX_EVENTS = 50_000
MAX_COMPONENTS = 150_000  # events, alarms, time zones and their observances together
HISTORY_AT = 1_000  # events in a calendar past which its history is skipped unread (see prescan)
MAX_LINE = 100_000  # characters in one unfolded line of a property the importer reads
# The properties the importer (or a library on its behalf) reads; a giant line of anything else is dropped.
READ_PROPERTIES = frozenset({
    "BEGIN", "END", "UID", "SUMMARY", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "EXRULE",
    "RECURRENCE-ID", "STATUS", "TRANSP", "SEQUENCE", "CALSCALE", "X-WR-CALNAME", "X-WR-TIMEZONE", "TZID",
    "TZOFFSETFROM", "TZOFFSETTO", "TZNAME"})
MAX_PER_DAY = 96  # a rule firing more often than every 15 minutes is not a meeting
MAX_WALK = 300_000  # occurrences a rule may have to be walked through before the horizon starts
MAX_ZONE_CHANGES = 4  # offset changes a year one VTIMEZONE observance may make
ZONE_LEAD = timedelta(days=400)  # rebuilt zones start this long before the horizon
T = TypeVar("T")
_FREQS = ("YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY", "SECONDLY")  # dateutil's order
_EVERY = ("year", "month", "week", "day", "hour", "minute", "second")


class BudgetExceeded(InputError):
    """Reading a calendar went past its time or memory budget; it was stopped and nothing was written."""


class _Overrun(BaseException):
    """Raised in the reading thread by the watchdog; a BaseException so no `except Exception` swallows it."""


def _rss() -> int | None:
    """This process's resident memory in bytes, or None where it cannot be read cheaply."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        pass
    try:
        import resource
    except ImportError:  # Windows: the other limits still hold
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # the peak, not the current size: close enough
    return peak if sys.platform == "darwin" else peak * 1024


def _interrupt(thread_id: int, exc: type[BaseException] | None) -> bool:
    """Raise `exc` in another thread at its next bytecode (None: take back one not yet raised)."""
    api = getattr(ctypes, "pythonapi", None)
    if api is None or not hasattr(api, "PyThreadState_SetAsyncExc"):
        return False
    target = ctypes.py_object(exc) if exc is not None else None
    changed: int = api.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), target)  # threads it reached
    return changed == 1


class Guard:
    """A wall-clock and memory budget for reading one calendar: `with Guard(source) as guard: …`.

    Inside, `guard.check()` raises BudgetExceeded once the budget is spent (cheap: call it in loops). A
    watchdog thread samples the clock and the process's memory and stops the guarded thread when it is
    stuck in library code past the budget; on the way out of the `with`, that becomes BudgetExceeded too.
    """

    def __init__(self, source: str, *, seconds: float | None = None, memory: int | None = None,
                 poll: float = 0.05) -> None:
        self.source = source
        self.seconds = TIME_BUDGET if seconds is None else seconds
        self.memory = MEMORY_BUDGET if memory is None else memory
        self.poll = poll
        self.reason: str | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._fired = False
        self._calls = 0
        self._deadline = 0.0
        self._baseline: int | None = None
        self._thread_id = 0
        self._watchdog: threading.Thread | None = None

    def __enter__(self) -> Guard:
        self._deadline = time.monotonic() + self.seconds
        self._baseline = _rss()
        self._thread_id = threading.get_ident()
        self._watchdog = threading.Thread(target=self._watch, name="calendar-guard", daemon=True)
        self._watchdog.start()
        return self

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        try:
            self._stop()
        except _Overrun:  # raised while stopping: it is the same overrun
            kind = _Overrun
        hard_limit = kind is not None and issubclass(kind, MemoryError)
        if hard_limit:
            self.reason = "memory"  # a hard limit (ulimit -v) met before the watchdog saw it
        if kind is _Overrun or hard_limit:
            raise BudgetExceeded(self.message()) from None

    def run(self, read: Callable[[Guard], T]) -> T:
        """`read(guard)` under the budget: its result, or BudgetExceeded.

        Safer than a bare `with`: the watchdog's exception may land anywhere in the guarded thread, even
        on the first instruction of `__exit__`, and is caught here wherever it lands.
        """
        try:
            with self:
                return read(self)
        except _Overrun:
            self._stop()
            raise BudgetExceeded(self.message()) from None

    def _stop(self) -> None:
        with self._lock:
            self._done.set()
            if self._fired:
                _interrupt(self._thread_id, None)  # not raised yet: take it back
        if self._watchdog is not None and self._watchdog is not threading.current_thread():
            self._watchdog.join()

    def _over(self) -> str | None:
        """Why the budget is spent, or None."""
        if time.monotonic() > self._deadline:
            return "time"
        if self._baseline is not None:
            now = _rss()
            if now is not None and now - self._baseline > self.memory:
                return "memory"
        return None

    def _watch(self) -> None:
        while not self._done.wait(self.poll):
            reason = self._over()
            if reason is None:
                continue
            with self._lock:
                if self._done.is_set():
                    return
                self.reason = reason
                self._fired = _interrupt(self._thread_id, _Overrun)
            return

    def check(self) -> None:
        """Raise BudgetExceeded when the time or the memory is spent (memory is sampled every 64th call)."""
        self._calls += 1
        if self.reason is None:
            if time.monotonic() > self._deadline:
                self.reason = "time"
            elif self._calls % 64 == 0 and self._baseline is not None:
                now = _rss()
                if now is not None and now - self._baseline > self.memory:
                    self.reason = "memory"
        if self.reason is not None:
            raise BudgetExceeded(self.message())

    def message(self) -> str:
        """The one-line reason reading was stopped."""
        if self.reason == "memory":
            spent = f"more than {self.memory / 1024 / 1024:.0f} MB of memory"
        else:
            spent = f"more than {self.seconds:g} s"
        return (f"{self.source}: reading the calendar took {spent}, so it was stopped: it is too large or "
                "too complex to import (nothing was changed)")


# --- Before parsing ------------------------------------------------------------------------------------


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n:,} characters"


def prescan(text: str, source: str, before: date | None = None) -> str:
    """`text` with giant unread lines blanked out; InputError for text no calendar of meetings needs.

    One pass over the physical lines: continuation lines (starting with a space or a tab) are counted
    with the line they continue; BEGIN/END lines give the nesting depth and the number of components.
    With `before` (the horizon's start), in a calendar of more than HISTORY_AT events, events that plainly
    ended days before it are blanked out too: one-off events (no RRULE, RDATE, RECURRENCE-ID or DURATION)
    whose DTSTART and DTEND dates are both earlier. Parsing is most of the cost of a long-lived calendar,
    and most of its events are history that cannot block time; a smaller calendar is read and checked
    whole, old events included. Blanked lines stay empty lines: line numbers in messages are the file's.
    """
    if len(text) > MAX_BYTES:
        raise InputError(f"{source}: the calendar is {_size(len(text))} long: at most {_size(MAX_BYTES)} is read")
    lines = text.split("\n")
    depth = events = components = 0
    first, length = 0, 0
    drop: list[tuple[int, int]] = []  # (first, stop) line ranges to blank
    history: list[tuple[int, int]] = []
    # Dates as YYYYMMDD strings compare like dates; three days cover any zone's offset from UTC.
    cutoff = f"{before - timedelta(days=3):%Y%m%d}" if before is not None else ""
    event, dated = -1, False  # the line of the top-level BEGIN:VEVENT being read; whether it has a DTSTART
    latest = ""
    for number, line in enumerate(lines):
        if line[:1] in (" ", "\t"):
            length += len(line) - 1
            continue
        if length > MAX_LINE:
            _giant(lines, first, number, length, source, drop)
        first, length = number, len(line)
        head = line[:6].upper()
        if head == "BEGIN:":
            depth += 1
            components += 1
            if depth > MAX_DEPTH:
                raise InputError(f"{source}: components are nested more than {MAX_DEPTH} deep (line {number + 1}, "
                                 f"BEGIN:{line[6:46].strip()}): that is not a calendar")
            if line[6:12].upper() == "VEVENT":
                events += 1
                if events > MAX_EVENTS:
                    raise InputError(f"{source}: it holds more than {MAX_EVENTS:,} events: that is not a "
                                     "meeting calendar this importer reads")
                if depth == 2 and cutoff:
                    event, dated, latest = number, False, ""
            if components > MAX_COMPONENTS:
                raise InputError(f"{source}: it holds more than {MAX_COMPONENTS:,} components (events, alarms, "
                                 "time zones): that is not a meeting calendar this importer reads")
        elif head[:4] == "END:":
            if depth == 2 and event >= 0:
                if dated and latest < cutoff and line[4:].strip().upper() == "VEVENT":
                    history.append((event, number + 1))
                event = -1
            depth = max(depth - 1, 0)
        elif event >= 0 and head[:1] in _DATED_INITIALS:
            name = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
            if name in _RECURRING:
                event = -1  # kept: it may have occurrences in the horizon
            elif name in ("DTSTART", "DTEND"):
                day = _DAY.match(line)
                if day is None:
                    event = -1  # a value this scan does not understand: let the parser judge it
                else:
                    latest = max(latest, day.group(1))
                    dated = dated or name == "DTSTART"
    if length > MAX_LINE:
        _giant(lines, first, len(lines), length, source, drop)
    if events > HISTORY_AT:
        drop += history
    if not drop:
        return text
    for start, stop in drop:
        lines[start:stop] = [""] * (stop - start)
    return "\n".join(lines)


_DATED_INITIALS = frozenset("DRE")
_RECURRING = frozenset({"RRULE", "RDATE", "EXRULE", "RECURRENCE-ID", "DURATION"})
_DAY = re.compile(r'DT(?:START|END)(?:;[^:"]*)?:(\d{8})(?:T\d{6}Z?)?\r?$', re.IGNORECASE)


def _giant(lines: list[str], first: int, stop: int, length: int, source: str, drop: list[tuple[int, int]]) -> None:
    """A logical line longer than MAX_LINE: refused when the importer reads it, else marked for dropping."""
    line = lines[first]
    cut = min((i for i in (line.find(":"), line.find(";")) if i >= 0), default=len(line))
    name = line[:cut].strip().upper()
    if name in READ_PROPERTIES:
        raise InputError(f"{source}: line {first + 1} ({name[:40]}) is {_size(length)} long: at most "
                         f"{MAX_LINE:,} characters are read")
    drop.append((first, stop))


# --- Recurrence rules ------------------------------------------------------------------------------------


def _count(values: Any) -> int:
    return len(values) if values else 0


def density(rule: Any) -> tuple[float, float]:
    """(occurrences a day, occurrences a year) a dateutil rrule can fire at most: a cheap upper bound.

    dateutil fills the BYxxx lists the rule leaves out from DTSTART (a YEARLY rule's month and day, a
    DAILY rule's hour…), so the sizes of its lists say how many instants each period can hold.
    """
    freq, interval = rule._freq, max(rule._interval or 1, 1)
    days: float  # whole days until INTERVAL thins them
    per_day: float
    months = _count(rule._bymonth) or 12
    if rule._byyearday:
        days = min(366, _count(rule._byyearday))
    elif rule._byeaster:
        days = min(366, _count(rule._byeaster))
    elif rule._byweekno:
        days = min(366, _count(rule._byweekno) * 7)
    else:
        if rule._bymonthday or rule._bynmonthday:
            per_month = min(31, _count(rule._bymonthday) + _count(rule._bynmonthday))
        elif rule._byweekday or rule._bynweekday:
            per_month = min(31, 5 * _count(rule._byweekday) + _count(rule._bynweekday))
        else:
            per_month = 31
        days = min(366, months * per_month)
    hours = _count(rule._byhour) or 24
    minutes = _count(rule._byminute) or 60
    seconds = _count(rule._bysecond) or 60
    # Instants one day can hold: every BYHOUR x BYMINUTE x BYSECOND time, thinned by INTERVAL below a day.
    if freq == 4:  # HOURLY
        per_day = min(hours, math.ceil(24 / interval)) * minutes * seconds
    elif freq == 5:  # MINUTELY
        per_day = min(hours * minutes, math.ceil(1440 / interval)) * seconds
    elif freq == 6:  # SECONDLY
        per_day = min(hours * minutes * seconds, math.ceil(86400 / interval))
    else:
        per_day = hours * minutes * seconds
    if freq <= 2:  # YEARLY, MONTHLY, WEEKLY: INTERVAL skips whole periods
        days = days / interval
    elif freq == 3:  # DAILY
        days = min(days, 366 / interval)
    per_year = days * per_day
    if rule._bysetpos:  # at most that many instants per period
        periods = (1, 12, 53, 366, 8784, 527_040, 31_622_400)[freq] / interval
        per_year = min(per_year, periods * len(rule._bysetpos))
        per_day = min(per_day, len(rule._bysetpos) * max(1.0, periods / 366))
    return per_day, per_year


def _naive(value: date) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, datetime.min.time())
    return value.replace(tzinfo=None)


def _rrule(text: str, start: date) -> Any:
    """A dateutil rrule for an RRULE value, or None when dateutil cannot read it (reported elsewhere)."""
    from dateutil.rrule import rrule, rrulestr

    try:
        rule = rrulestr(text, dtstart=_naive(start), ignoretz=True)
    except (ValueError, TypeError, OverflowError, IndexError):
        return None
    return rule if isinstance(rule, rrule) else None


def rule_problem(text: str, start: date, span_end: datetime) -> str | None:
    """Why an event's RRULE cannot be expanded safely (see the module docstring), or None.

    `text` is the RRULE value (FREQ=…), `start` the event's DTSTART and `span_end` the end of the planning
    horizon; a rule with a small COUNT is bounded by it and always passes.
    """
    rule = _rrule(text, start)
    if rule is None:
        return None
    count = rule._count
    if count is not None and count <= MAX_PER_DAY:
        return None
    per_day, per_year = density(rule)
    if per_day > MAX_PER_DAY:
        return f"it repeats up to {per_day:,.0f} times a day: that is not a meeting"
    begin = _naive(start)
    until = rule._until.replace(tzinfo=None) if rule._until is not None else None
    stop = min(until, _naive(span_end)) if until is not None else _naive(span_end)
    years = max((stop - begin).total_seconds(), 0) / (365.25 * 86400)
    walk = per_year * years
    if count is not None:
        walk = min(walk, count)
    if walk > MAX_WALK:
        every = _EVERY[rule._freq]
        return (f"it repeats every {every} since {begin.year}: about {walk:,.0f} occurrences before the planning "
                "horizon, too many to expand")
    return None


# --- Time zones ----------------------------------------------------------------------------------------------


def zone_problem(component: Any) -> str | None:
    """Why a VTIMEZONE cannot be trusted to convert times, or None.

    Each STANDARD or DAYLIGHT observance must repeat yearly (or not at all, or on RDATEs), a few times a
    year at most: a rule repeating every second would make each lookup walk billions of instants.
    """
    for observance in component.subcomponents:
        rules = observance.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            freq = str((rule.get("FREQ") or [""])[0]).upper()
            if freq != "YEARLY":
                every = _EVERY[_FREQS.index(freq)] if freq in _FREQS else freq.lower() or "(no FREQ)"
                return f"changes its offset every {every} (a time zone's rules repeat yearly)"
            start = observance.get("DTSTART")
            parsed = _rrule(rule.to_ical().decode(), start.dt if start is not None and isinstance(
                start.dt, date) else date(2000, 1, 1))
            if parsed is None:
                continue  # the zone library reports what it cannot read
            per_year = density(parsed)[1]
            if per_year > MAX_ZONE_CHANGES:
                return f"changes its offset up to {per_year:,.0f} times a year: that is not a time zone"
    return None


def safe_zone(component: Any, since: datetime) -> tzinfo:
    """A time zone built from a validated VTIMEZONE whose yearly observances start shortly before `since`.

    Observances of old zones start in 1601 (Outlook) or 1970; a lookup walks every yearly change from
    there, for every time converted. Moving an open-ended yearly rule's DTSTART forward by whole years
    keeps every change after it; a rule that ended long ago then yields nothing, as it should.
    """
    from icalendar import vDDDTypes
    from icalendar.timezone import tzp

    zone = copy.deepcopy(component)
    floor = (since - ZONE_LEAD).year
    for observance in zone.subcomponents:
        start = observance.get("DTSTART")
        rules = observance.get("RRULE")
        if start is None or rules is None or isinstance(rules, list) or "COUNT" in rules:
            continue
        value, interval = start.dt, int((rules.get("INTERVAL") or [1])[0] or 1)
        if isinstance(value, datetime) and value.year < floor:
            # Whole INTERVALs only, so a rule repeating every other year keeps its phase.
            year = value.year + (floor - value.year) // interval * interval
            day = min(value.day, 28) if value.month == 2 else value.day
            observance["DTSTART"] = vDDDTypes(value.replace(year=year, day=day))
    return tzp.create_timezone(zone)
