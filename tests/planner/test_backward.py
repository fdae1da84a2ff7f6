"""Scheduling a chain backwards from a publish time (organizer.planner.backward), on the planner's own days:
every step inside free working time, steps in order, the last before publish, none in a meeting or the reserve,
leads kept; a chain that cannot fit places nothing. DST days, a Monday 09:00 publish, a chain over a day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from organizer.planner.backward import ChainStep, Placed, Shortfall, schedule_backwards
from organizer.planner.calendar import build_days, merge_busy
from organizer.planner.model import Busy, Settings
from organizer.planner.timeline import floor_minute

PARIS = ZoneInfo("Europe/Paris")
HOURS = {d: ((time(9), time(12, 30)), (time(13, 30), time(17, 30))) for d in ("mon", "tue", "wed", "thu", "fri")}
SETTINGS = Settings(tz="Europe/Paris", hours=HOURS, reserve_ratio=0.2, min_block=25)


def _days(start: date, count: int, busy: list[Busy] | None = None) -> list:  # type: ignore[type-arg]
    return build_days(merge_busy(busy or []), [], SETTINGS, start, count)


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), PARIS)


def _check(placed: list[Placed], steps: list[ChainStep], publish: datetime, now: datetime, days: list) -> None:  # type: ignore[type-arg]
    free = [iv for d in days for iv in d.free]
    taken: list[tuple[int, int]] = []
    for step, p in zip(steps, placed, strict=True):
        assert sum(int((b - a).total_seconds() // 60) for a, b in p.pieces) == step.minutes
        assert p.end <= publish and p.start >= now
        for a, b in p.pieces:
            lo, hi = floor_minute(a), floor_minute(b)
            assert any(fa <= lo and hi <= fb for fa, fb in free), f"{a}–{b} is not in free working time"
            assert all(hi <= x or lo >= y for x, y in taken), "two steps overlap"
            taken.append((lo, hi))
        for i in step.after:
            assert placed[i].end <= p.start, "a step starts before the one it waits for ends"


def test_a_video_chain_lands_in_the_afternoon_before_a_morning_publish() -> None:
    thu = date(2026, 12, 3)
    steps = [ChainStep(30), ChainStep(15, (0,)), ChainStep(20, (1,)), ChainStep(30, (2,)), ChainStep(10, (3,)),
             ChainStep(10, (4,)), ChainStep(10, (4,)), ChainStep(5, (5, 6), lead_days=1), ChainStep(5, (7,))]
    now, publish = _at(thu, 9), _at(thu + timedelta(days=1), 8, 30)
    days = _days(thu, 3)
    placed = schedule_backwards(steps, publish, now, days, 25)
    assert isinstance(placed, list)
    _check(placed, steps, publish, now, days)
    assert placed[-1].end.astimezone(PARIS).date() == thu  # nothing on Friday before 08:30: no working time


def test_a_monday_0900_publish_pulls_the_chain_into_friday() -> None:
    fri = date(2026, 12, 4)
    steps = [ChainStep(60), ChainStep(45, (0,))]
    placed = schedule_backwards(steps, _at(fri + timedelta(days=3), 9), _at(fri, 9), _days(fri, 4), 25)
    assert isinstance(placed, list)
    assert {p.end.astimezone(PARIS).date() for p in placed} == {fri}


def test_meetings_and_the_reserve_are_stepped_around() -> None:
    wed = date(2026, 12, 2)
    busy = [Busy(_at(wed, 14), _at(wed, 16), "Agency call")]
    days = _days(wed, 2, busy)
    steps = [ChainStep(90), ChainStep(60, (0,))]
    placed = schedule_backwards(steps, _at(wed, 17, 30), _at(wed, 9), days, 25)
    assert isinstance(placed, list)
    _check(placed, steps, _at(wed, 17, 30), _at(wed, 9), days)
    for p in placed:
        for a, b in p.pieces:
            assert b <= _at(wed, 14) or a >= _at(wed, 16)


def test_a_chain_longer_than_a_day_spreads_over_the_days_before() -> None:
    mon = date(2026, 12, 7)
    steps = [ChainStep(240), ChainStep(240, (0,)), ChainStep(240, (1,))]  # 12 hours of work
    days = _days(mon, 5)
    placed = schedule_backwards(steps, _at(mon + timedelta(days=4), 9), _at(mon, 9), days, 25)
    assert isinstance(placed, list)
    _check(placed, steps, _at(mon + timedelta(days=4), 9), _at(mon, 9), days)
    assert len({a.astimezone(PARIS).date() for p in placed for a, _ in p.pieces}) >= 2  # 12 h: 6 h free a day


def test_a_chain_that_cannot_fit_places_nothing_and_says_the_earliest_publish() -> None:
    tue = date(2026, 12, 1)
    steps = [ChainStep(120), ChainStep(120, (0,))]
    result = schedule_backwards(steps, _at(tue, 12), _at(tue, 9), _days(tue, 10), 25)
    assert isinstance(result, Shortfall) and result.missing_minutes > 0
    assert result.earliest_publish is not None and result.earliest_publish > _at(tue, 12)
    again = schedule_backwards(steps, result.earliest_publish + timedelta(hours=1), _at(tue, 9), _days(tue, 10), 25)
    assert isinstance(again, list)


def test_a_lead_keeps_a_step_a_working_day_ahead() -> None:
    thu = date(2026, 12, 3)
    steps = [ChainStep(30, lead_days=1), ChainStep(10, (0,))]
    placed = schedule_backwards(steps, _at(thu + timedelta(days=1), 16), _at(thu, 9), _days(thu, 3), 25)
    assert isinstance(placed, list)
    assert placed[0].end.astimezone(PARIS).date() == thu and placed[1].end.astimezone(PARIS).date() == thu + \
        timedelta(days=1)


def test_dst_days_keep_steps_in_real_working_hours() -> None:
    # Europe/Paris springs forward on Sunday 2027-03-28 and falls back on Sunday 2027-10-31.
    for monday in (date(2027, 3, 29), date(2027, 11, 1)):
        fri = monday - timedelta(days=3)
        steps = [ChainStep(180), ChainStep(120, (0,))]
        days = _days(fri, 4)
        placed = schedule_backwards(steps, _at(monday, 9), _at(fri, 9), days, 25)
        assert isinstance(placed, list)
        _check(placed, steps, _at(monday, 9), _at(fri, 9), days)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(5, 240), st.booleans(), st.integers(0, 1)), min_size=1, max_size=8),
       st.integers(0, 8), st.integers(0, 40), st.lists(st.tuples(st.integers(0, 40), st.integers(1, 8)),
                                                       max_size=6))
def test_random_chains_keep_every_rule_or_place_nothing(raw: list[tuple[int, bool, int]], publish_day: int,
                                                        publish_slot: int, meetings: list[tuple[int, int]]) -> None:
    start = date(2026, 11, 30)
    steps = [ChainStep(m, (i - 1,) if i and chained else (), lead) for i, (m, chained, lead) in enumerate(raw)]
    busy = []
    for d, h in meetings:  # a meeting of h half-hours on one of 4 slots a day
        begin = _at(start + timedelta(days=d // 4), 9 + (d % 4) * 2)
        busy.append(Busy(begin, begin + timedelta(minutes=30 * h), "meeting"))
    days = _days(start, 21, busy)
    now = _at(start, 9)
    publish = _at(start + timedelta(days=publish_day), 9) + timedelta(minutes=15 * publish_slot)
    result = schedule_backwards(steps, publish, now, days, 25)
    if isinstance(result, Shortfall):
        assert result.missing_minutes > 0
        if result.earliest_publish is not None:
            assert isinstance(schedule_backwards(steps, result.earliest_publish + timedelta(days=1), now, days, 25),
                              list)
        return
    _check(result, steps, publish, now, days)
    for step, p in zip(steps, result, strict=True):
        if step.lead_days:
            assert p.end.astimezone(PARIS).date() < publish.astimezone(PARIS).date()
    assert UTC  # aware datetimes throughout
