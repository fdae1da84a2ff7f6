"""Properties of any plan, over random cards, busy events, pinned blocks, hours and `now` (hypothesis).

The expected figures come from brute force (every UTC minute of the range checked against the local
wall clock), not from the planner's own interval code.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organizer.planner import Busy, DayPlan, Fixed, Settings, WorkItem, plan_range
from tests.planner import HOURS, MON, PARIS, TZ

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Monday, Friday (into the weekend) and the Saturday before the fall-back Sunday.
STARTS = (MON, MON + timedelta(days=4), date(2026, 10, 24), date(2027, 3, 27))
ALL_WEEK = {d: ((time(8), time(12)), (time(13), time(18, 30))) for d in WEEK}
NIGHTS = {d: ((time(0, 30), time(4)), (time(9), time(11, 30))) for d in WEEK}
HOUR_SETS = {"weekdays": HOURS, "all week": ALL_WEEK, "nights": NIGHTS}


def minute(dt: datetime) -> int:
    return (dt.astimezone(UTC) - EPOCH) // timedelta(minutes=1)


def minute_up(dt: datetime) -> int:
    return -((EPOCH - dt.astimezone(UTC)) // timedelta(minutes=1))


@lru_cache(maxsize=64)
def working_minutes(start: date, days: int, hours_name: str) -> tuple[frozenset[int], tuple[tuple[int, int], ...]]:
    """Every UTC minute whose Paris wall clock is inside that day's hours, and each day's minute bounds."""
    hours = HOUR_SETS[hours_name]
    first = datetime.combine(start, time(0)).replace(tzinfo=UTC) - timedelta(hours=3)
    found: set[int] = set()
    for n in range((days * 24 + 6) * 60):
        instant = first + timedelta(minutes=n)
        local = instant.astimezone(TZ)
        offset = (local.date() - start).days
        if 0 <= offset < days:
            wall = local.time().replace(tzinfo=None)
            if any(a <= wall < b for a, b in hours.get(WEEK[local.weekday()], ())):
                found.add(minute(instant))
    bounds = tuple(
        (minute(datetime.combine(start + timedelta(days=k), time(0)).replace(tzinfo=TZ)),
         minute(datetime.combine(start + timedelta(days=k + 1), time(0)).replace(tzinfo=TZ)))
        for k in range(days)
    )
    return frozenset(found), bounds


@dataclass(frozen=True)
class Scenario:
    """One random planning problem."""

    items: list[WorkItem]
    busy: list[Busy]
    fixed: list[Fixed]
    settings: Settings
    start: date
    days: int
    now: datetime
    hours_name: str


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    start = draw(st.sampled_from(STARTS))
    days = draw(st.integers(1, 3))
    hours_name = draw(st.sampled_from(sorted(HOUR_SETS)))
    base = datetime.combine(start, time(0)).replace(tzinfo=TZ)
    span = days * 24 * 60

    def instant(lo: int = -12 * 60, hi: int = span + 12 * 60) -> datetime:
        return (base.astimezone(UTC) + timedelta(minutes=draw(st.integers(lo, hi)), seconds=draw(
            st.sampled_from([0, 0, 0, 30]))))

    count = draw(st.integers(0, 14))
    items: list[WorkItem] = []
    for card in range(1, count + 1):
        parent: int | None = draw(st.one_of(st.none(), st.integers(1, card - 1))) if card > 1 else None
        items.append(WorkItem(
            card_id=card,
            ref=f"NWC-{card}",
            title=f"card {card}",
            role=draw(st.sampled_from([None, "writer", "editor"])),
            minutes=draw(st.one_of(st.just(0), st.integers(1, 40), st.integers(40, 400))),
            priority=draw(st.integers(1, 4)),
            due_at=draw(st.one_of(st.none(), st.builds(instant))),
            publish_at=draw(st.one_of(st.none(), st.builds(instant))),
            parent_id=parent,
            step=draw(st.one_of(st.none(), st.integers(1, 4))) if parent else None,
            popup=draw(st.integers(0, 7)) == 0,
            created_at=base - timedelta(days=draw(st.integers(0, 40)), minutes=draw(st.integers(0, 1000))),
        ))
    busy = []
    for n in range(draw(st.integers(0, 5))):
        begin = instant()
        busy.append(Busy(begin, begin + timedelta(minutes=draw(st.integers(1, 240))), f"event {n}", f"uid-{n}"))
    # Pinned blocks never overlap each other (the planner keeps them as given, overlaps included).
    cuts = sorted(draw(st.sets(st.integers(0, span), max_size=6)))
    fixed = []
    utc_base = base.astimezone(UTC)
    for lo, hi in zip(cuts[::2], cuts[1::2], strict=False):
        kind = draw(st.sampled_from(["work", "reserve", "popup"]))
        owner = draw(st.one_of(st.none(), st.integers(1, max(1, count)))) if kind != "reserve" else None
        start_at = (utc_base + timedelta(minutes=lo, seconds=draw(st.sampled_from([0, 0, 20])))).astimezone(TZ)
        fixed.append(Fixed(start_at, utc_base + timedelta(minutes=min(hi, lo + 240)), kind, owner, f"kept {lo}"))
    plan_settings = Settings(
        tz=PARIS,
        hours=HOUR_SETS[hours_name],
        reserve_ratio=draw(st.sampled_from([0.0, 0.1, 0.2, 0.35])),
        min_block=draw(st.sampled_from([5, 15, 25, 60])),
    )
    return Scenario(items, busy, fixed, plan_settings, start, days, instant(-24 * 60, span), hours_name)


def run(s: Scenario) -> list[DayPlan]:
    return plan_range(s.items, s.busy, s.fixed, s.settings, start=s.start, days=s.days, now=s.now)


PROPS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(scenarios(), st.randoms(use_true_random=False))
def test_same_inputs_in_any_order_give_the_same_plan(s: Scenario, rng: random.Random) -> None:
    first = run(s)
    assert run(s) == first
    items, busy, fixed = list(s.items), list(s.busy), list(s.fixed)
    for values in (items, busy, fixed):
        rng.shuffle(values)
    assert run(replace(s, items=items, busy=busy, fixed=fixed)) == first


@PROPS
@given(scenarios())
def test_plan_invariants(s: Scenario) -> None:
    plans = run(s)
    items, fixed, cfg = s.items, s.fixed, s.settings
    working, bounds = working_minutes(s.start, s.days, s.hours_name)
    busy_minutes: set[int] = set()
    for event in s.busy:
        busy_minutes.update(range(minute(event.start), minute_up(event.end)))
    now = minute_up(s.now)
    by_id = {it.card_id: it for it in items}
    assert len(plans) == s.days

    new: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for d, plan in enumerate(plans):
        lo, hi = bounds[d]
        day_working = {m for m in working if lo <= m < hi}
        # Available minutes are the real working minutes that no busy event takes.
        assert plan.available_minutes == len(day_working - busy_minutes)
        assert plan.working_minutes == len(day_working)
        # The reserve is round(ratio × available), halves up.
        assert plan.reserve_minutes == int(cfg.reserve_ratio * plan.available_minutes + 0.5 + 1e-9)
        spans = [(minute(b.start), minute_up(b.end), b) for b in plan.blocks]
        # Blocks are in order and no two overlap (pinned blocks are generated apart).
        for (_, b1, _), (a2, _, _) in itertools.pairwise(spans):
            assert b1 <= a2
        kept_reserve = 0
        for a, b, block in spans:
            assert a < b
            if block.pinned:
                if block.kind in ("reserve", "popup"):
                    kept_reserve += b - a
                continue
            if block.kind == "busy":
                assert day_working and min(day_working) <= a and b <= max(day_working) + 1
                continue
            # New blocks only in working time, never over busy time.
            assert set(range(a, b)) <= day_working - busy_minutes, block
            if block.kind in ("work", "popup"):
                assert a >= now  # nothing new before now
                assert block.card_id is not None
                new[block.card_id].append((a, b))
        reserve_left = sum(b - a for a, b, blk in spans if blk.kind == "reserve" and not blk.pinned)
        # The reserve is a quantity: placeholders hold what pop-ups have not used, never more.
        assert reserve_left <= max(0, plan.reserve_minutes - plan.reserve_used_minutes)
        if not plan.late and plan.day.weekday() < 5 and s.hours_name == "weekdays" and not fixed and not any(
            lo <= m < hi for m in busy_minutes
        ):
            assert reserve_left == plan.reserve_left_minutes
        assert plan.planned_minutes == sum(b.minutes for b in plan.blocks if b.kind == "work")
        if d:
            assert plan.unplanned == ()
        for moved in plan.moved:
            assert moved.from_day == plan.day
            assert moved.to_day is None or moved.to_day > plan.day

    # Pinned blocks come back exactly as given, on the day they start.
    pinned = [b for plan in plans for b in plan.blocks if b.pinned]
    in_range = [f for f in fixed if bounds[0][0] <= minute(f.start) < bounds[-1][1]]
    assert sorted((minute(b.start), b.kind, b.title) for b in pinned) == sorted(
        (minute(f.start), f.kind, f.title) for f in in_range)
    for f in in_range:
        assert any((b.start, b.end, b.kind, b.card_id, b.title) == (f.start, f.end, f.kind, f.card_id, f.title)
                   for b in pinned)

    unplanned = {u.card_id: u.reason for u in plans[0].unplanned}
    assert len(unplanned) == len(plans[0].unplanned)
    late = {u.card_id for plan in plans for u in plan.late}
    kept: dict[int, int] = defaultdict(int)
    kept_end: dict[int, int] = {}
    for f in fixed:
        if f.card_id is not None and f.kind in ("work", "popup"):
            kept[f.card_id] += minute_up(f.end) - minute(f.start)
            kept_end[f.card_id] = max(kept_end.get(f.card_id, 0), minute_up(f.end))
    parents = {it.parent_id for it in items if not it.popup and it.parent_id in by_id}
    for it in items:
        pieces = sorted(new.get(it.card_id, []))
        placed = sum(b - a for a, b in pieces)
        need = max(0, it.minutes - kept[it.card_id])
        if it.minutes == 0:
            assert not pieces
            assert (unplanned.get(it.card_id) == "no estimate") == (it.card_id not in parents)
            continue
        # Every item is either placed whole or reported once.
        assert (placed == need) != (it.card_id in unplanned), (it, placed, need)
        if not pieces:
            continue
        # No block shorter than min_block, except a whole item that is shorter.
        assert all(b - a >= min(cfg.min_block, need) for a, b in pieces)
        # Work ends by its publish time (and its ancestors').
        owner: WorkItem | None = it
        seen: set[int] = set()
        while owner is not None and owner.card_id not in seen:
            seen.add(owner.card_id)
            if owner.publish_at is not None:
                assert pieces[-1][1] <= minute(owner.publish_at)
            owner = by_id.get(owner.parent_id) if owner.parent_id is not None else None
        end = max([pieces[-1][1], kept_end.get(it.card_id, 0)])
        if it.due_at is not None:
            assert (it.card_id in late) == (end * 60 > (it.due_at.astimezone(UTC) - EPOCH).total_seconds())
        else:
            assert it.card_id not in late
    # Steps in order: a numbered step starts after every lower-numbered sibling's work has ended.
    for it in items:
        if it.popup or it.parent_id is None or it.parent_id not in by_id or it.step is None or not new.get(
            it.card_id
        ):
            continue
        for sib in items:
            if (sib.parent_id == it.parent_id and not sib.popup and sib.step is not None and sib.step < it.step
                    and sib.minutes > 0 and (new.get(sib.card_id) or kept_end.get(sib.card_id))):
                sib_end = max([b for _, b in new.get(sib.card_id, [])] + [kept_end.get(sib.card_id, 0)])
                assert min(a for a, _ in new[it.card_id]) >= sib_end
        parent = by_id[it.parent_id]
        if not parent.popup and new.get(parent.card_id):
            assert min(a for a, _ in new[parent.card_id]) >= max(b for _, b in new[it.card_id])


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 400), st.integers(1, 120))
def test_one_item_on_an_empty_day_is_placed_from_nine(need: int, min_block: int) -> None:
    plans = plan_range([WorkItem(1, "NWC-1", "t", None, need, 3, None, None, None, None, False,
                                 datetime(2026, 1, 1, tzinfo=UTC))], [], [],
                       Settings(tz=PARIS, hours=HOURS, min_block=min_block), start=MON, days=1,
                       now=datetime(2026, 11, 23, 6, tzinfo=UTC))
    work = [(b.start, b.minutes) for b in plans[0].blocks if b.kind == "work"]
    nine, half_past_one = datetime(2026, 11, 23, 8, tzinfo=UTC), datetime(2026, 11, 23, 12, 30, tzinfo=UTC)
    # Free time: 165 minutes from 09:00, 195 from 13:30. The morning takes all of it, or a part that leaves
    # at least min_block and is at least min_block itself.
    morning = need if need <= 165 else min(165, need - min_block)
    if need and morning >= min(min_block, need) and need - morning <= 195:
        expected = [(nine, morning)] + ([(half_past_one, need - morning)] if need > morning else [])
    elif 0 < need <= 195:
        expected = [(half_past_one, need)]
    else:
        expected = []
    assert work == expected
    assert len(plans[0].unplanned) == (0 if expected else 1)
