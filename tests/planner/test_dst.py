"""DST days: working intervals hold their real minutes; no minute is lost or counted twice.

Europe/Paris springs forward on 2027-03-28 (02:00 CET → 03:00 CEST) and falls back on 2026-10-25
(03:00 CEST → 02:00 CET); both are Sundays, so these settings give Sunday hours.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organizer.planner import Busy, Settings, plan_day, plan_range
from tests.planner import PARIS, at, item, minutes, shape

SPRING = date(2027, 3, 28)
FALL = date(2026, 10, 25)
NIGHT = ((time(1), time(5)),)


def sunday(hours: tuple[tuple[time, time], ...], tz: str = PARIS, **kw: object) -> Settings:
    return Settings(tz=tz, hours={"sun": hours}, **kw)  # type: ignore[arg-type]


def day(on: date, hours: tuple[tuple[time, time], ...], items=(), busy=(), tz: str = PARIS, **kw: object):
    now = datetime.combine(on - timedelta(days=1), time(12)).replace(tzinfo=ZoneInfo(tz))
    return plan_day(list(items), list(busy), [], sunday(hours, tz, **kw), day=on, now=now)


@pytest.mark.parametrize(("on", "real"), [(SPRING, 180), (FALL, 300), (SPRING - timedelta(days=7), 240)])
def test_night_interval_has_its_real_minutes(on: date, real: int) -> None:
    plan = day(on, NIGHT, reserve_ratio=0.0)
    assert (plan.working_minutes, plan.available_minutes, plan.free_minutes) == (real, real, real)


@pytest.mark.parametrize(("on", "real", "utc_start", "utc_end"), [
    (SPRING, 180, datetime(2027, 3, 28, 0, tzinfo=UTC), datetime(2027, 3, 28, 3, tzinfo=UTC)),
    (FALL, 300, datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 25, 4, tzinfo=UTC)),
])
def test_one_block_across_the_change_is_its_real_length(on: date, real: int, utc_start: datetime,
                                                        utc_end: datetime) -> None:
    plan = day(on, NIGHT, [item(1, real)], reserve_ratio=0.0)
    (block,) = plan.blocks
    assert (block.start, block.end, minutes(block)) == (utc_start, utc_end, real)
    assert shape(plan) == [("01:00", "05:00", "work", 1)]
    assert plan.planned_minutes == real and plan.unplanned == ()


def test_one_minute_more_than_the_real_length_does_not_fit() -> None:
    plan = day(SPRING, NIGHT, [item(1, 181)], reserve_ratio=0.0)
    assert plan.unplanned[0].reason == "needs 181 min, 180 min free in this day"


def test_reserve_is_a_share_of_the_real_minutes() -> None:
    spring, fall = day(SPRING, NIGHT), day(FALL, NIGHT)
    assert (spring.reserve_minutes, fall.reserve_minutes) == (36, 60)
    # Both anchors are after the interval, so both shares walk back from its end.
    assert shape(spring) == [("04:24", "04:42", "reserve", None), ("04:42", "05:00", "reserve", None)]
    assert shape(fall) == [("04:00", "04:30", "reserve", None), ("04:30", "05:00", "reserve", None)]


def test_boundary_the_clocks_skip_means_the_jump() -> None:
    plan = day(SPRING, ((time(2, 30), time(4)),), reserve_ratio=0.0)
    assert plan.available_minutes == 60  # the clock shows 03:00–04:00 of it
    plan = day(SPRING, ((time(1), time(2, 30)),), reserve_ratio=0.0)
    assert plan.available_minutes == 60  # 01:00–02:00, then the clock jumps past 02:30


def test_boundary_the_clocks_show_twice_means_its_first_showing() -> None:
    # From the first 02:30 (CEST) on, through the repeated half hour, to 04:00 CET.
    assert day(FALL, ((time(2, 30), time(4)),), reserve_ratio=0.0).available_minutes == 150
    # Work stops when the clock first shows 02:30.
    assert day(FALL, ((time(1), time(2, 30)),), reserve_ratio=0.0).available_minutes == 90


@pytest.mark.parametrize("on", [SPRING, FALL])
def test_daytime_hours_on_a_dst_sunday_are_unchanged(on: date) -> None:
    hours = ((time(9), time(12, 30)), (time(13, 30), time(17, 30)))
    plan = day(on, hours)
    assert (plan.available_minutes, plan.reserve_minutes) == (450, 90)
    assert shape(plan) == [("11:45", "12:30", "reserve", None), ("16:45", "17:30", "reserve", None)]


def test_busy_time_across_the_jump_counts_real_minutes() -> None:
    busy = Busy(at(SPRING, 1, 30), at(SPRING, 3, 30), "night shoot")  # 01:30 CET → 03:30 CEST: 60 minutes
    plan = day(SPRING, NIGHT, busy=[busy], reserve_ratio=0.0)
    assert plan.available_minutes == 120
    assert shape(plan) == [("01:30", "03:30", "busy", None)]


def test_anchor_in_the_gap_means_the_jump() -> None:
    plan = day(SPRING, NIGHT, reserve_anchors=(time(2, 30),))
    (block,) = plan.blocks
    assert block.end == datetime(2027, 3, 28, 1, tzinfo=UTC)  # 03:00 CEST, the first minute after 02:00 CET
    assert minutes(block) == 36


def test_lord_howe_half_hour_shift() -> None:
    tz = "Australia/Lord_Howe"  # 2026-10-04 02:00 → 02:30
    assert day(date(2026, 10, 4), NIGHT, tz=tz, reserve_ratio=0.0).available_minutes == 210


def test_week_with_a_change_keeps_weekdays_whole() -> None:
    hours = {d: ((time(9), time(17)),) for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    plans = plan_range([], [], [], Settings(tz=PARIS, hours=hours), start=date(2026, 10, 22), days=7,
                       now=at(date(2026, 10, 22), 8))
    assert [p.available_minutes for p in plans] == [480] * 7


# --- a brute-force check: walk the day minute by minute, from where the clock first reaches each start ---
# --- to where it first reaches the end ----------------------------------------------------------------

ZONES = ("Europe/Paris", "America/New_York", "Australia/Lord_Howe", "America/Santiago")
CHANGES = [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 10, 4), date(2026, 10, 25),
           date(2026, 11, 1), date(2027, 3, 28)]


def brute_force(on: date, hours: tuple[tuple[time, time], ...], tz: str) -> int:
    zone = ZoneInfo(tz)
    first = datetime.combine(on, time(0)).replace(tzinfo=UTC) - timedelta(hours=15)
    walls = [(first + timedelta(minutes=n)).astimezone(zone).replace(tzinfo=None) for n in range(48 * 60)]

    def reached(at: time) -> int:
        # The first minute whose wall clock is at or past `at` on that day (or already on the next day).
        target = datetime.combine(on, at)
        return next(n for n, wall in enumerate(walls) if wall >= target)

    covered: set[int] = set()
    for a, b in hours:
        covered.update(range(reached(a), reached(b)))
    return len(covered)


@st.composite
def hour_lists(draw: st.DrawFn) -> tuple[tuple[time, time], ...]:
    cuts = sorted(draw(st.sets(st.integers(0, 47), min_size=2, max_size=6)))
    pairs = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]
    return tuple((time(a // 2, 30 * (a % 2)), time(b // 2, 30 * (b % 2))) for a, b in pairs)


@settings(max_examples=60, deadline=None)
@given(hours=hour_lists(), tz=st.sampled_from(ZONES), change=st.sampled_from(CHANGES), shift=st.integers(-1, 1))
def test_available_minutes_are_the_real_minutes(hours: tuple[tuple[time, time], ...], tz: str, change: date,
                                                shift: int) -> None:
    on = change + timedelta(days=shift)
    plans = plan_range([], [], [], Settings(tz=tz, hours={k: hours for k in ("mon", "tue", "wed", "thu", "fri",
                                                                              "sat", "sun")}, reserve_ratio=0.0),
                       start=on, days=1, now=datetime(2000, 1, 1, tzinfo=UTC))
    assert plans[0].available_minutes == brute_force(on, hours, tz)
