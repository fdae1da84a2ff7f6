"""Tests for organizer.dates: one test per parse_when rule, DST edges in three zones, and properties."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organizer.dates import (
    DURATION_FORMS,
    WHEN_FORMS,
    DateParseError,
    DurationParseError,
    format_duration,
    format_relative,
    parse_duration,
    parse_when,
)

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
AUCKLAND = "Pacific/Auckland"


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0, tz: str = PARIS) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz))


THU = at(2026, 11, 26, 10)  # Thursday
FRI = at(2026, 11, 27, 10)
SAT = at(2026, 11, 28, 10)
SUN = at(2026, 11, 29, 10)
LATE = at(2026, 11, 26, 23, 50)


def when(text: str, now: datetime = THU, tz: str = PARIS, **kw: time) -> str:
    """Parse and return the ISO string, which pins wall clock and offset in one comparison."""
    result = parse_when(text, now=now, tz=tz, **kw)
    assert isinstance(result, datetime)
    assert result.tzinfo == ZoneInfo(tz)
    return result.isoformat()


def test_now() -> None:
    assert when("now") == "2026-11-26T10:00:00+01:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "2026-11-26T17:30:00+01:00"),
        ("tomorrow", "2026-11-27T17:30:00+01:00"),
        ("yesterday", "2026-11-25T17:30:00+01:00"),
    ],
)
def test_day_words_are_at_day_end(text: str, expected: str) -> None:
    assert when(text) == expected


def test_day_end_is_configurable() -> None:
    assert when("tomorrow", day_end=time(18, 0)) == "2026-11-27T18:00:00+01:00"


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (THU, "2026-11-26T20:00:00+01:00"),
        (at(2026, 11, 26, 20, 0), "2026-11-26T20:00:00+01:00"),
        (at(2026, 11, 26, 21, 15), "2026-11-26T23:59:00+01:00"),
    ],
)
def test_tonight(now: datetime, expected: str) -> None:
    assert when("tonight", now=now) == expected


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("eod", THU, "2026-11-26T17:30:00+01:00"),
        ("eow", THU, "2026-11-27T17:30:00+01:00"),
        ("eow", FRI, "2026-11-27T17:30:00+01:00"),
        ("eow", SAT, "2026-12-04T17:30:00+01:00"),
        ("eow", SUN, "2026-12-04T17:30:00+01:00"),
        ("eom", THU, "2026-11-30T17:30:00+01:00"),
        ("eom", at(2026, 12, 3), "2026-12-31T17:30:00+01:00"),
        ("eom", at(2028, 2, 10), "2028-02-29T17:30:00+01:00"),
    ],
)
def test_end_of_period(text: str, now: datetime, expected: str) -> None:
    assert when(text, now=now) == expected


@pytest.mark.parametrize(
    ("names", "day"),
    [
        (("mon", "monday"), "2026-11-30"),
        (("tue", "tues", "tuesday"), "2026-12-01"),
        (("wed", "wednesday"), "2026-12-02"),
        (("thu", "thur", "thurs", "thursday"), "2026-12-03"),  # today is Thursday: next week's
        (("fri", "friday"), "2026-11-27"),
        (("sat", "saturday"), "2026-11-28"),
        (("sun", "sunday"), "2026-11-29"),
    ],
)
def test_weekday_names_are_strictly_after_today(names: tuple[str, ...], day: str) -> None:
    for name in names:
        assert when(name) == f"{day}T17:30:00+01:00"


def test_weekday_on_that_day_means_next_week() -> None:
    assert when("fri", now=FRI) == "2026-12-04T17:30:00+01:00"
    assert when("sun", now=SUN) == "2026-12-06T17:30:00+01:00"


@pytest.mark.parametrize(
    ("text", "now", "day"),
    [
        ("next mon", THU, "2026-11-30"),
        ("next monday", THU, "2026-11-30"),
        ("next fri", THU, "2026-12-04"),
        ("next thu", THU, "2026-12-03"),
        ("next sun", THU, "2026-12-06"),
        ("next mon", SUN, "2026-11-30"),  # Sunday ends the week: tomorrow is next week
        ("next fri", FRI, "2026-12-04"),
    ],
)
def test_next_weekday_is_in_next_calendar_week(text: str, now: datetime, day: str) -> None:
    assert when(text, now=now) == f"{day}T17:30:00+01:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in 3 days", "2026-11-29T17:30:00+01:00"),
        ("in 1 day", "2026-11-27T17:30:00+01:00"),
        ("in 2 weeks", "2026-12-10T17:30:00+01:00"),
        ("+2d", "2026-11-28T17:30:00+01:00"),
        ("+1w", "2026-12-03T17:30:00+01:00"),
        ("in 3 days 10:00", "2026-11-29T10:00:00+01:00"),
        ("+2d 09:00", "2026-11-28T09:00:00+01:00"),
    ],
)
def test_relative_days_are_date_level(text: str, expected: str) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("in 2h", 120), ("in 90m", 90), ("in 2 hours", 120), ("in 30 minutes", 30), ("in 1h30m", 90),
     ("+3h", 180), ("+45m", 45), ("+0m", 0)],
)
def test_relative_hours_are_exact_offsets(text: str, minutes: int) -> None:
    now = THU.replace(second=12)
    assert parse_when(text, now=now, tz=PARIS) - now == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["in 2h 10:00", "+3h 9am", "in 45", "+5"])
def test_relative_hours_take_no_time_and_need_a_unit(text: str) -> None:
    with pytest.raises(DateParseError, match=re.escape(f"'{text}'")):
        when(text)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("14:30", THU, "2026-11-26T14:30:00+01:00"),
        ("9:05", THU, "2026-11-27T09:05:00+01:00"),  # passed today: tomorrow
        ("9am", THU, "2026-11-27T09:00:00+01:00"),
        ("2pm", THU, "2026-11-26T14:00:00+01:00"),
        ("2:30pm", THU, "2026-11-26T14:30:00+01:00"),
        ("2:30 PM", THU, "2026-11-26T14:30:00+01:00"),
        ("noon", THU, "2026-11-26T12:00:00+01:00"),
        ("12pm", THU, "2026-11-26T12:00:00+01:00"),
        ("12am", THU, "2026-11-27T00:00:00+01:00"),
        ("10:00", THU, "2026-11-27T10:00:00+01:00"),  # exactly now counts as passed
        ("23:55", LATE, "2026-11-26T23:55:00+01:00"),
        ("0:10", LATE, "2026-11-27T00:10:00+01:00"),
    ],
)
def test_bare_time_is_the_next_time_the_clock_shows_it(text: str, now: datetime, expected: str) -> None:
    assert when(text, now=now) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("fri 14:30", "2026-11-27T14:30:00+01:00"),
        ("tomorrow 10:00", "2026-11-27T10:00:00+01:00"),
        ("tomorrow at noon", "2026-11-27T12:00:00+01:00"),
        ("next mon 9am", "2026-11-30T09:00:00+01:00"),
        ("fri at 2pm", "2026-11-27T14:00:00+01:00"),
        ("today 16:00", "2026-11-26T16:00:00+01:00"),
        ("today 08:00", "2026-11-26T08:00:00+01:00"),  # explicit: the past is allowed
        ("2026-12-01 09:30", "2026-12-01T09:30:00+01:00"),
        ("2026-12-01T09:30", "2026-12-01T09:30:00+01:00"),
        ("2026-12-01 09:30:15", "2026-12-01T09:30:15+01:00"),
        ("1 dec 9am", "2026-12-01T09:00:00+01:00"),
    ],
)
def test_day_phrase_then_time(text: str, expected: str) -> None:
    assert when(text) == expected


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-12-01", "2026-12-01"),
        ("1 dec", "2026-12-01"),
        ("dec 1", "2026-12-01"),
        ("1st december", "2026-12-01"),
        ("26 nov", "2026-11-26"),  # today counts
        ("1 nov", "2027-11-01"),  # already past this year
        ("29 feb", "2028-02-29"),
        ("1 dec 2027", "2027-12-01"),
        ("jan 3, 2027", "2027-01-03"),
    ],
)
def test_calendar_dates(text: str, day: str) -> None:
    assert when(text) == f"{day}T17:30:00+01:00"


@pytest.mark.parametrize(
    ("text", "tz", "expected"),
    [
        ("2026-12-01T09:30:00+01:00", PARIS, "2026-12-01T09:30:00+01:00"),
        ("2026-12-01T08:30Z", PARIS, "2026-12-01T09:30:00+01:00"),
        ("2026-12-01T08:30Z", NEW_YORK, "2026-12-01T03:30:00-05:00"),
        ("2026-12-01 09:30 -0500", PARIS, "2026-12-01T15:30:00+01:00"),
        ("2026-12-01T09:30:00.250+01:00", PARIS, "2026-12-01T09:30:00.250000+01:00"),
    ],
)
def test_iso_with_offset_is_converted(text: str, tz: str, expected: str) -> None:
    assert when(text, tz=tz) == expected


def test_month_aliases() -> None:
    assert when("sept 3, 2027") == "2027-09-03T17:30:00+02:00"
    assert when("3 september") == "2027-09-03T17:30:00+02:00"


def test_case_and_whitespace_are_ignored() -> None:
    assert when("  FRI   14:30 ") == "2026-11-27T14:30:00+01:00"
    assert when("\tTomorrow  AT  10:00\n") == "2026-11-27T10:00:00+01:00"


@pytest.mark.parametrize(
    "text",
    ["fryday", "2026-02-30", "25:00", "24:00", "13pm", "0am", "9:60", "31 apr", "next", "next week",
     "in 2 months", "2026-12-01T09:30+25:00", "Fri 14:30 please", "in 999999 days", "9999-12-31T23:00-05:00"],
)
def test_rejections_quote_the_value_and_list_the_forms(text: str) -> None:
    with pytest.raises(DateParseError) as info:
        when(text)
    message = str(info.value)
    assert f"'{text}'" in message
    assert "today, tomorrow" in message
    assert "\n" not in message


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_is_rejected(text: str) -> None:
    with pytest.raises(DateParseError, match="no date given"):
        when(text)


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_when("today", now=datetime(2026, 11, 26, 10), tz=PARIS)


def test_forms_texts_list_one_form_per_line() -> None:
    assert len(WHEN_FORMS.splitlines()) >= 10
    assert "eow" in WHEN_FORMS and "next mon" in WHEN_FORMS
    assert "1h30m" in DURATION_FORMS


# --- DST ------------------------------------------------------------------------------------------

GAPS_AND_OVERLAPS = [
    (PARIS, "2027-03-28 02:30", "2026-10-25 02:30", "2026-10-25T02:30+02:00"),
    (NEW_YORK, "2027-03-14 02:30", "2026-11-01 01:30", "2026-11-01T01:30-04:00"),
    (AUCKLAND, "2026-09-27 02:30", "2027-04-04 02:30", "2027-04-04T02:30+13:00"),
]


@pytest.mark.parametrize(("tz", "gap", "overlap", "suggestion"), GAPS_AND_OVERLAPS)
def test_dst_gap_is_rejected(tz: str, gap: str, overlap: str, suggestion: str) -> None:
    with pytest.raises(DateParseError, match="does not exist") as info:
        when(gap, tz=tz)
    assert gap in str(info.value) and tz in str(info.value)


@pytest.mark.parametrize(("tz", "gap", "overlap", "suggestion"), GAPS_AND_OVERLAPS)
def test_dst_overlap_is_ambiguous_and_suggests_an_offset(tz: str, gap: str, overlap: str, suggestion: str) -> None:
    with pytest.raises(DateParseError, match="ambiguous") as info:
        when(overlap, tz=tz)
    assert overlap in str(info.value) and suggestion in str(info.value)


def test_dst_overlap_with_offset_is_accepted() -> None:
    first = parse_when("2026-10-25T02:30+02:00", now=THU, tz=PARIS)
    second = parse_when("2026-10-25T02:30+01:00", now=THU, tz=PARIS)
    assert (first.hour, first.minute) == (second.hour, second.minute) == (2, 30)
    # The two instants an hour apart; `fold` tells them apart (same-zone subtraction would be wall-clock).
    assert (first.fold, second.fold) == (0, 1)
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    assert first.isoformat() == "2026-10-25T02:30:00+02:00"
    assert second.isoformat() == "2026-10-25T02:30:00+01:00"


def test_bare_time_in_a_gap_is_rejected() -> None:
    with pytest.raises(DateParseError, match="does not exist"):
        when("2:30", now=at(2027, 3, 28, 1, 0))


def test_tomorrow_at_a_time_keeps_local_wall_clock_across_dst() -> None:
    assert when("tomorrow 10:00", now=at(2027, 3, 27, 12)) == "2027-03-28T10:00:00+02:00"
    assert when("tomorrow 10:00", now=at(2026, 10, 24, 12)) == "2026-10-25T10:00:00+01:00"
    assert when("+1d", now=at(2027, 3, 27, 12)) == "2027-03-28T17:30:00+02:00"


def test_hours_across_dst_are_real_hours() -> None:
    spring = at(2027, 3, 28, 1, 0)
    assert when("+3h", now=spring) == "2027-03-28T05:00:00+02:00"
    assert parse_when("+3h", now=spring, tz=PARIS).astimezone(UTC) - spring.astimezone(UTC) == timedelta(hours=3)
    autumn = at(2026, 10, 25, 1, 0)
    assert when("in 3 hours", now=autumn) == "2026-10-25T03:00:00+01:00"


def test_day_end_in_a_gap_moves_forward_and_in_an_overlap_takes_the_first() -> None:
    assert when("2027-03-28", day_end=time(2, 30)) == "2027-03-28T03:30:00+02:00"
    assert when("2026-10-25", day_end=time(2, 30)) == "2026-10-25T02:30:00+02:00"


def test_today_is_taken_in_the_target_zone() -> None:
    # 12:00 UTC on Thursday is already 01:00 on Friday in Auckland.
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    assert when("today", now=now, tz=AUCKLAND) == "2026-11-27T17:30:00+13:00"
    assert when("fri", now=now, tz=AUCKLAND) == "2026-12-04T17:30:00+13:00"
    # 02:00 Friday in Paris is still Thursday evening in New York.
    assert when("today", now=at(2026, 11, 27, 2), tz=NEW_YORK) == "2026-11-26T17:30:00-05:00"
    assert when("tomorrow 9am", now=at(2026, 10, 31, 12, tz=NEW_YORK), tz=NEW_YORK) == (
        "2026-11-01T09:00:00-05:00"
    )


# --- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("45m", 45), ("45 min", 45), ("45", 45), ("90", 90), ("0", 0), ("1h", 60), ("1h30", 90),
     ("1h30m", 90), ("2h15m", 135), ("1.5h", 90), ("1 h 30 m", 90), ("2 hours", 120),
     (" 2 Hours 5 Minutes ", 125), ("0.375h", 23), ("1000h", 60000)],
)
def test_parse_duration(text: str, minutes: int) -> None:
    assert parse_duration(text) == minutes


@pytest.mark.parametrize(
    "text", ["", "-5", "-1h", "1h75", "1d", "2 days", "abc", "1001h", "60001", "1.5h30m", ".5h", "1.5"]
)
def test_parse_duration_rejections_name_the_value(text: str) -> None:
    with pytest.raises(DurationParseError) as info:
        parse_duration(text)
    assert (f"'{text}'" if text else "no duration") in str(info.value)
    assert "1h30m" in str(info.value)


@pytest.mark.parametrize(("minutes", "text"), [(0, "0m"), (45, "45m"), (60, "1h"), (90, "1h30m"), (600, "10h")])
def test_format_duration(minutes: int, text: str) -> None:
    assert format_duration(minutes) == text


def test_format_duration_rejects_negative() -> None:
    with pytest.raises(ValueError, match="-1"):
        format_duration(-1)


# --- format_relative ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dt", "expected"),
    [
        (at(2026, 11, 26, 14), "today 14:00"),
        (at(2026, 11, 26, 0), "today 00:00"),
        (at(2026, 11, 27, 10), "tomorrow 10:00"),
        (at(2026, 11, 25, 17, 30), "yesterday 17:30"),
        (at(2026, 11, 30, 9), "mon 09:00"),
        (at(2026, 12, 2, 14), "wed 14:00"),
        (at(2026, 12, 3, 14), "in 7d"),
        (at(2026, 12, 8, 14), "in 12d"),
        (at(2026, 11, 23, 14), "3d ago"),
        (at(2027, 1, 25, 9), "in 60d"),
        (at(2027, 1, 26, 9), "2027-01-26"),
        (at(2026, 9, 20, 9), "2026-09-20"),
        (datetime(2026, 11, 26, 23, 30, tzinfo=UTC), "tomorrow 00:30"),
    ],
)
def test_format_relative(dt: datetime, expected: str) -> None:
    assert format_relative(dt, now=THU, tz=PARIS) == expected


def test_format_relative_rejects_naive() -> None:
    with pytest.raises(ValueError, match="aware"):
        format_relative(datetime(2026, 11, 26, 14), now=THU, tz=PARIS)


# --- properties -----------------------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None)
ZONES = [PARIS, NEW_YORK, AUCKLAND, "UTC", "Asia/Kolkata"]
NO_DST = ["UTC", "Asia/Tokyo", "Asia/Kolkata", "Etc/GMT+5"]
nows = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
TOKENS = ["in", "next", "+2d", "+3h", "3", "days", "h", "m", "fri", "mon", "tomorrow", "today", "14:30", "9am",
          "12pm", "noon", "tonight", "eow", "at", "t", "z", "+01:00", "2026-02-30", "2027-03-28", "02:30",
          "29", "feb", "dec", "1.5h", "99999", "-", ":"]
phrases = st.one_of(st.text(max_size=30), st.lists(st.sampled_from(TOKENS), max_size=4).map(" ".join))


@FAST
@given(st.integers(0, 60000))
def test_format_then_parse_duration_round_trips(minutes: int) -> None:
    assert parse_duration(format_duration(minutes)) == minutes


@FAST
@given(st.one_of(st.text(max_size=20), st.from_regex(r"\A[-0-9 .hmin]{0,12}\Z")))
def test_parse_duration_returns_minutes_or_raises_its_own_error(text: str) -> None:
    try:
        minutes = parse_duration(text)
    except DurationParseError:
        return
    assert 0 <= minutes <= 60000


@FAST
@given(phrases, nows, st.sampled_from(ZONES))
def test_parse_when_returns_aware_in_zone_or_raises_its_own_error(text: str, now: datetime, tz: str) -> None:
    try:
        result = parse_when(text, now=now, tz=tz)
    except DateParseError:
        return
    assert result.utcoffset() is not None
    assert result.tzinfo == ZoneInfo(tz)


@FAST
@given(
    # The accepted range (1970-01-01 to 2200-12-31), a day in from each end so every zone stays inside it.
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30), timezones=st.timezones()),
    st.sampled_from(ZONES),
)
def test_iso_with_offset_parses_back_to_the_same_instant(dt: datetime, tz: str) -> None:
    result = parse_when(dt.isoformat(), now=THU, tz=tz)
    # Compare in UTC: == between zones is always False for times a DST change repeats or skips.
    assert result.astimezone(UTC).replace(tzinfo=None) == dt.astimezone(UTC).replace(tzinfo=None)


@FAST
@given(nows, st.sampled_from(NO_DST), st.integers(0, 23), st.integers(0, 59), st.booleans())
def test_bare_time_is_within_the_next_24_hours(now: datetime, tz: str, hour: int, minute: int, pad: bool) -> None:
    text = f"{hour:02d}:{minute:02d}" if pad else f"{hour}:{minute:02d}"
    result = parse_when(text, now=now, tz=tz)
    assert now < result <= now + timedelta(hours=24)
    assert (result.hour, result.minute) == (hour, minute)


WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@FAST
@given(nows, st.sampled_from(ZONES), st.sampled_from(WEEKDAYS), st.booleans())
def test_weekday_names_are_one_to_seven_days_ahead(now: datetime, tz: str, day: str, long: bool) -> None:
    name = {"tue": "tuesday", "wed": "wednesday", "thu": "thursday", "sat": "saturday"}.get(day, day + "day")
    result = parse_when(name if long else day, now=now, tz=tz)
    ahead = (result.date() - now.astimezone(ZoneInfo(tz)).date()).days
    assert 1 <= ahead <= 7
    assert result.weekday() == WEEKDAYS.index(day)


@FAST
@given(nows, st.sampled_from(ZONES), st.sampled_from(WEEKDAYS))
def test_next_weekday_is_in_the_following_monday_to_sunday_week(now: datetime, tz: str, day: str) -> None:
    today = now.astimezone(ZoneInfo(tz)).date()
    next_monday = today + timedelta(days=7 - today.weekday())
    result = parse_when(f"next {day}", now=now, tz=tz)
    assert result.date() == next_monday + timedelta(days=WEEKDAYS.index(day))


# --- one rule for "a day" (organizer.dates.day_bounds) --------------------------------------------------------

DAY_ZONES = ["Europe/Paris", "America/New_York", "America/Santiago", "America/Havana", "Australia/Lord_Howe",
             "Asia/Kathmandu", "Pacific/Apia", "UTC"]


@settings(max_examples=300, deadline=None)
@given(st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2040, 12, 31).date()),
       st.sampled_from(DAY_ZONES))
def test_the_planners_day_is_the_day_everywhere_else(day: object, zone_name: str) -> None:
    from organizer.dates import day_bounds
    from organizer.planner.timeline import floor_minute, local_day_bounds

    zone = ZoneInfo(zone_name)
    start, end = day_bounds(day, zone)  # type: ignore[arg-type]
    assert local_day_bounds(day, zone) == (floor_minute(start), floor_minute(end))  # type: ignore[arg-type]
    assert start < end and timedelta(hours=22) <= end - start <= timedelta(hours=26)
    assert start.astimezone(zone).date() == day  # the day's first instant is on that day


def test_a_day_whose_midnight_is_skipped_starts_at_the_jump() -> None:
    from organizer.dates import day_bounds

    # Santiago, 2022-09-11: clocks went from 00:00 to 01:00, so the day starts at 01:00 local (04:00 UTC).
    start, end = day_bounds(datetime(2022, 9, 11).date(), ZoneInfo("America/Santiago"))
    assert start == datetime(2022, 9, 11, 4, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=23)
