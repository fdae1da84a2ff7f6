"""The reading budget and the checks behind it (organizer.ics.limits), in process: the watchdog stops
a stuck library loop, memory growth is caught, legitimate rules and zones pass, hostile ones are named,
checked zones convert like the zone database, and expansion stops at the cap instead of materialising."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from organizer.config import Config
from organizer.ics import importer, limits, occurrences
from organizer.ics.importer import read_calendar
from organizer.ics.limits import BudgetExceeded, Guard, prescan, rule_problem
from organizer.models import BusyEvent
from organizer.services import calendars
from organizer.storage.orm import Store
from organizer.validate import InputError

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
START, END = importer.horizon(NOW)


def ics(*events: str, head: str = "") -> bytes:
    """A VCALENDAR around VEVENT bodies (one property a line)."""
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{head}{body}END:VCALENDAR\n".encode()


def read(data: bytes, **kw: Any) -> importer.ReadCalendar:
    return read_calendar(data, "test.ics", tz="Europe/Paris", start=START, end=END, **kw)


# --- The guard ------------------------------------------------------------------------------------------


def test_the_watchdog_stops_a_loop_the_reader_cannot_see_into() -> None:
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match=r"^x\.ics: reading the calendar took more than 0\.3 s, so it was st"), \
            Guard("x.ics", seconds=0.3):
        while True:  # a library stuck in a loop: no check() ever runs
            pass
    assert time.monotonic() - started < 3
    time.sleep(0.2)  # nothing is left pending for this thread


def test_the_watchdog_stops_memory_growth() -> None:
    blocks = []
    with pytest.raises(BudgetExceeded, match="more than 40 MB of memory"), Guard("x.ics", memory=40 * 1024**2):
        for _ in range(400):  # at most 400 MB if the watchdog never fired
            blocks.append(b"x" * 2**20 + bytes(1))  # written, so it is resident
            time.sleep(0.002)
    assert len(blocks) < 400
    blocks.clear()


def test_a_guard_that_is_not_spent_changes_nothing() -> None:
    with Guard("x.ics", seconds=5) as guard:
        guard.check()
        total = sum(range(100_000))
    assert total == 4_999_950_000
    time.sleep(0.1)


def test_a_rule_dateutil_walks_to_year_9999_is_stopped_by_the_budget() -> None:
    # February 30th never comes: dateutil walks day by day to the year 9999 without yielding (7-10 s).
    data = ics("UID:n@x\nSUMMARY:Never\nDTSTART:20260305T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;BYMONTH=2;"
               "BYMONTHDAY=30")
    started = time.monotonic()
    with pytest.raises(BudgetExceeded, match="took more than 1 s"):
        read(data, seconds=1)
    assert time.monotonic() - started < 4


# --- Recurrence rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("rule", "start"), [
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", date(2010, 1, 4)),
    ("FREQ=DAILY", datetime(1990, 1, 1, 9)),
    ("FREQ=MONTHLY;BYDAY=-1FR", datetime(2000, 1, 28, 15)),
    ("FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=25", date(1601, 12, 25)),
    ("FREQ=HOURLY;BYHOUR=9,10,11", datetime(2020, 1, 1, 9)),
    ("FREQ=DAILY;BYHOUR=9,13,17;BYMINUTE=0,30", datetime(2025, 1, 1, 9)),
    ("FREQ=MINUTELY;INTERVAL=15;COUNT=50", datetime(1601, 1, 1)),
    ("FREQ=HOURLY;COUNT=96", datetime(1601, 1, 1)),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU;UNTIL=20050101T000000Z", datetime(1601, 1, 2, 10)),
])
def test_meeting_rules_pass(rule: str, start: date) -> None:
    assert rule_problem(rule, start, END) is None


@pytest.mark.parametrize(("rule", "start", "reason"), [
    ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,10,20,30,40,50",
     datetime(2026, 3, 1), "it repeats up to 144 times a day"),
    ("FREQ=SECONDLY;COUNT=1000000", datetime(2026, 3, 1), "it repeats up to 86,400 times a day"),
    ("FREQ=HOURLY", datetime(1601, 1, 1), "it repeats every hour since 1601: about 3,7"),
    ("FREQ=DAILY;BYHOUR=8,12,16", datetime(1700, 1, 1), "it repeats every day since 1700"),
])
def test_runaway_rules_are_named(rule: str, start: date, reason: str) -> None:
    problem = rule_problem(rule, start, END)
    assert problem is not None and problem.startswith(reason)


def test_expansion_stops_at_the_cap_without_materialising(monkeypatch: pytest.MonkeyPatch) -> None:
    walked = []
    real_walk = occurrences._walk

    def counting(*args: Any) -> Iterator[datetime]:
        for when in real_walk(*args):
            walked.append(when)
            yield when

    monkeypatch.setattr(occurrences, "_walk", counting)
    monkeypatch.setattr(occurrences, "MAX_SERIES_OCCURRENCES", 100)
    data = ics("UID:h@x\nSUMMARY:Ping\nDTSTART:20260302T000000Z\nDURATION:PT5M\nRRULE:FREQ=HOURLY;BYMINUTE=0,20,40",
               "UID:g@x\nSUMMARY:Good\nDTSTART:20260303T090000Z\nDURATION:PT1H")
    result = read(data, skip_bad=True)
    assert [str(s) for s in result.skipped] == [
        'event "Ping" (UID h@x, line 4): it repeats more than 100 times in the planning horizon: that is not a meeting']
    assert [o.title for o in result.occurrences] == ["Good"]
    assert len(walked) <= 101  # not the 28,000 the rule has in the horizon


# --- Time zones -----------------------------------------------------------------------------------------

BERLIN_LIKE = """BEGIN:VTIMEZONE
TZID:{tzid}
{extra}BEGIN:STANDARD
DTSTART:16011028T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010325T020000
RRULE:{daylight}
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
END:DAYLIGHT
END:VTIMEZONE
"""


def zoned(tzid: str, daylight: str = "FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", extra: str = "") -> str:
    return BERLIN_LIKE.format(tzid=tzid, daylight=daylight, extra=extra)


def meeting(tzid: str, uid: str = "m@x", rule: str = "FREQ=WEEKLY;COUNT=6") -> str:
    return (f"UID:{uid}\nSUMMARY:Sync\nDTSTART;TZID={tzid}:20260319T100000\nDTEND;TZID={tzid}:20260319T110000\n"
            f"RRULE:{rule}")


def starts(result: importer.ReadCalendar) -> list[datetime]:
    return [o.start for o in result.occurrences]


def test_an_outlook_style_zone_from_1601_converts_like_the_zone_database() -> None:
    # "Custom Berlin" is in no zone database: the calendar's own VTIMEZONE (from 1601) defines it.
    result = read(ics(meeting("Custom Berlin", rule="FREQ=WEEKLY;COUNT=6"), head=zoned("Custom Berlin")))
    berlin = ZoneInfo("Europe/Berlin")
    expected = [datetime(2026, 3, 19, 10, tzinfo=berlin) + timedelta(weeks=n) for n in range(6)]
    assert starts(result) == [e.astimezone(UTC) for e in expected]  # 09:00 UTC, then 08:00 from 29 March


def test_a_daily_series_in_a_zone_from_1601_is_quick() -> None:
    started = time.monotonic()
    result = read(ics(meeting("Custom Berlin", rule="FREQ=DAILY"), head=zoned("Custom Berlin")))
    assert len(result.occurrences) == 348 and time.monotonic() - started < 5


@pytest.mark.parametrize(("daylight", "reason"), [
    ("FREQ=SECONDLY", "changes its offset every second"),
    ("FREQ=HOURLY", "changes its offset every hour"),
    ("FREQ=MONTHLY;BYMONTHDAY=1", "changes its offset every month"),
    ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1,2,3,4,5,6,7", "changes its offset up to 7 times a year"),
])
def test_a_zone_that_is_not_a_zone_breaks_the_events_using_it(daylight: str, reason: str) -> None:
    data = ics(meeting("Bad/Zone"), "UID:g@x\nSUMMARY:Good\nDTSTART:20260303T090000Z\nDURATION:PT1H",
               head=zoned("Bad/Zone", daylight))
    started = time.monotonic()
    result = read(data, skip_bad=True)
    assert time.monotonic() - started < 5
    assert [o.title for o in result.occurrences] == ["Good"]
    assert [str(s) for s in result.skipped] == [
        f"event \"Sync\" (UID m@x, line 19): DTSTART uses time zone 'Bad/Zone', which {reason}"
        + (" (a time zone's rules repeat yearly)" if "every" in reason else ": that is not a time zone")]


def test_a_bad_zone_with_a_real_location_is_read_by_name() -> None:
    data = ics(meeting("Bad/Zone"), head=zoned("Bad/Zone", "FREQ=SECONDLY", extra="X-LIC-LOCATION:Europe/Berlin\n"))
    result = read(data)
    assert starts(result)[:2] == [datetime(2026, 3, 19, 9, tzinfo=UTC), datetime(2026, 3, 26, 9, tzinfo=UTC)]
    assert starts(result)[2] == datetime(2026, 4, 2, 8, tzinfo=UTC)


def test_a_zone_another_calendar_defined_is_not_borrowed() -> None:
    # icalendar keeps every VTIMEZONE it parsed under its TZID for the whole process; a calendar that
    # uses the TZID without defining it must not get the other calendar's (here: hostile) rules.
    read(ics(meeting("Leaky/Zone"), head=zoned("Leaky/Zone", "FREQ=SECONDLY")), skip_bad=True)
    started = time.monotonic()
    result = read(ics(meeting("Leaky/Zone")), skip_bad=True)
    assert time.monotonic() - started < 5
    assert [s.reason for s in result.skipped] == ["DTSTART uses an unknown time zone TZID='Leaky/Zone'"]
    # And a calendar that defines it again gets its own definition, checked.
    result = read(ics(meeting("Leaky/Zone"), head=zoned("Leaky/Zone")))
    assert starts(result)[0] == datetime(2026, 3, 19, 9, tzinfo=UTC)


# --- Before parsing -------------------------------------------------------------------------------------


def test_prescan_refuses_deep_nesting_and_giant_read_lines() -> None:
    deep = "BEGIN:VCALENDAR\n" + "".join(f"BEGIN:X{i}\n" for i in range(9)) + "END:VCALENDAR\n"
    with pytest.raises(InputError, match=r"^a\.ics: components are nested more than 8 deep \(line 9, BEGIN:X7\)"):
        prescan(deep, "a.ics")
    folded = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:" + "\n ".join(["y" * 70] * 2000) + "\nEND:VEVENT\nEND:VCALENDAR\n"
    with pytest.raises(InputError, match=r"^a\.ics: line 3 \(SUMMARY\) is 140,008 characters long: at most 100,000"):
        prescan(folded, "a.ics")


def test_giant_unread_lines_are_dropped_and_line_numbers_kept() -> None:
    data = ics("UID:a@x\nSUMMARY:Big\nDTSTART:20260303T090000Z\nDURATION:PT1H\nX-ALT-DESC;FMTTYPE=text/html:"
               + "\n ".join(["<p>" * 20] * 3000),
               "UID:b@x\nSUMMARY:Bad\nDTSTART:nonsense")
    result = read(data, skip_bad=True)
    assert [o.title for o in result.occurrences] == ["Big"]
    assert str(result.skipped[0]).startswith('event "Bad" (UID b@x, line 3010): DTSTART cannot be')


def test_history_is_skipped_unread_only_in_big_calendars() -> None:
    broken_old = "UID:old@x\nSUMMARY:Old\nDTSTART:20140409T093000Z\nDTEND:20140409T083000Z"
    current = "UID:now@x\nSUMMARY:Now\nDTSTART:20260303T090000Z\nDURATION:PT1H"
    with pytest.raises(InputError, match='event "Old"'):
        read(ics(broken_old, current))  # a small calendar is checked whole
    filler = [f"UID:f{i}@x\nSUMMARY:Filler\nDTSTART:2015{i % 12 + 1:02d}01T090000Z\n"
              f"DTEND:2015{i % 12 + 1:02d}01T100000Z" for i in range(limits.HISTORY_AT)]
    result = read(ics(broken_old, current, *filler))
    assert [o.title for o in result.occurrences] == ["Now"] and not result.skipped


def test_many_events_are_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_EVENTS", 10)
    with pytest.raises(InputError, match=r"^test\.ics: it holds more than 10 events"):
        read(ics(*[f"UID:{i}\nDTSTART:20260303T090000Z" for i in range(11)]))


# --- Through the import: a read over budget keeps the previous import --------------------------------------


def test_a_budget_failure_keeps_the_previous_events(store: Store, cfg: Config,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    good = ics("UID:a@x\nSUMMARY:Sync\nDTSTART:20260303T090000Z\nDURATION:PT1H")
    with store.write() as s:
        calendars.import_calendar(s, cfg, "Work", good, now=NOW, source="work.ics")
    monkeypatch.setattr(limits, "TIME_BUDGET", 0.05)
    slow = ics(*[f"UID:{i}\nSUMMARY:S\nDTSTART:20260303T090000Z\nDURATION:PT1H" for i in range(3000)])
    with pytest.raises(BudgetExceeded, match=r"^work\.ics: reading the calendar took more than 0\.05 s"), \
            store.write() as s:
        calendars.import_calendar(s, cfg, "Work", slow, now=NOW, source="work.ics")
    with store.read() as s:
        assert [e.title for e in s.exec(select(BusyEvent).where(BusyEvent.source == "Work"))] == ["Sync"]
