"""The day planner: working hours, busy events, cards and pinned blocks in, a minute-level plan out.

Pure functions over the dataclasses in `organizer.planner.model`: no I/O, no clock (`now` is a
parameter), and the same inputs in any order give an identical plan.

Rules
-----
Time
    Every datetime must be aware. Work is done in whole UTC minutes: `now` and the start of busy and
    pinned blocks round outwards (a meeting 10:00:30–10:59:10 takes 10:00–11:00), publish times round
    down. Each day's working intervals come from the local wall-clock hours in `settings.tz` (keys
    "mon".."sun"), converted with zoneinfo, so an interval holds its real minutes: on a spring-forward
    day 01:00–05:00 is 180 minutes, on a fall-back day 300. An interval runs from the moment the clock
    first reaches its start to the moment it first reaches its end: a boundary the clocks skip means
    the jump itself, one they show twice its first showing. A day without hours has no available time
    and no blocks except pinned ones that start on it.
Available time
    Working minutes minus busy minutes. Overlapping busy events merge (their titles joined with " + ";
    events that only touch stay apart). Busy blocks show the merged events clipped to the working day
    (first to last working minute, a lunch break included) and cut around pinned blocks, which win,
    so no two blocks of a plan overlap. Pinned blocks do not reduce available time: they use it.
Reserve
    A quantity, not a place: round(reserve_ratio × available), halves up, of each day stays free of
    planned work. Pop-ups use it wherever they sit; what they have not used shows as `reserve`
    placeholders, split evenly over `reserve_anchors` (earlier anchors take the odd minute), each share
    ending at its anchor's local time when that is free, otherwise walking back into earlier free time,
    and only when nothing is left before the anchor going after it. Pop-up minutes (and kept reserve and
    pop-up blocks) count against the share of the anchor nearest their end; a share they exceed takes
    from the later shares first. Reserve placeholders follow the block rule below. The layout does not
    depend on `now`: reserve before `now` stays in the plan as history. `reserve_minutes` is always the
    target, `reserve_used_minutes` the pop-up minutes of the day (it may exceed the target: the
    reserve is spent and pop-ups took work time).
Blocks
    A block never starts in a gap shorter than min(min_block, what is left of the item); an item is split
    only when both the part and the rest are at least `min_block`, so no work or pop-up block is shorter
    than `min_block` unless it is a whole item that is. Placement is greedy: the earliest free minutes
    from max(now, the range's first minute), whole minutes.
Work
    Items with `minutes == 0` are Unplanned "no estimate" ("estimate used up" when `used_up`), except
    parents whose work is all in their steps. An item whose `parent_id` is another item's card is a step.
    Steps of a parent run in
    (step, then steps without a number) order, each starting after the previous one ends, and the
    parent's own minutes come after its last step. Otherwise the order is (priority, deadline,
    created_at, card_id) with deadline = min(due_at, publish_at, the parent's publish_at); a chain
    member sorts by the most urgent key of itself and the members after it. A step whose earlier step
    could not be planned is Unplanned ("waits for …"); a step with no estimate does not hold the next
    one. Work ends by its publish time (and the publish time of its ancestors); if it cannot, it is
    Unplanned ("needs 45 min, 20 min free before its publish time fri 09:00"). A due time that cannot
    be met does not stop placement: the item is placed and listed in `late` on the day it finishes, with
    the minutes it needed before its due time and the minutes that could be had there (what meetings,
    the reserve and more urgent work left): work only ever pushes lower-priority work.
    An item that does not fit whole in the range is Unplanned ("no free time in the next N days", or
    "needs …, … min free in the next N days"); items are never planned in part. Every Unplanned
    entry is on the first day's plan.
Pinned blocks
    `Fixed` blocks (pinned, and past blocks) are kept exactly as given, on the day they start, and their
    time is not free. A pinned `work` (or `popup`) block for a card reduces that card's minutes by its
    length, and a step waits for the end of its predecessor's pinned blocks too.
Pop-ups
    Items with popup=True are placed before work, in (priority, deadline, created_at, card_id) order.
    An urgent pop-up (P1/P2, or one with a due time) takes the earliest minutes from `now` on, work time
    or reserve alike, on the first day that can hold it: work is placed after pop-ups, so lower-priority
    work moves out of its way and the reserve placeholders shrink by what it used. Any other pop-up
    waits for the earliest reserve slot of the first day with one, and takes work time only when the
    range has no reserve slot left. When a P1/P2 pop-up would end after its due time because of a block
    in progress at `now` (a `Fixed` marked `interruptible`), that block is cut at `now`, its remaining
    work is planned later, and the cut is reported in `moved` on the first day.
Output
    One DayPlan per local day. New blocks are in UTC (pinned ones exactly as given), in time order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from organizer.planner.calendar import Day, build_days, kept_span, merge_busy
from organizer.planner.jobs import make_jobs
from organizer.planner.model import (
    BLOCK_KINDS,
    FIXED_KINDS,
    NO_ESTIMATE,
    USED_UP,
    Block,
    Busy,
    DayPlan,
    Fixed,
    Moved,
    Settings,
    Unplanned,
    WorkItem,
)
from organizer.planner.passes import (
    Context,
    Outcome,
    day_index,
    late_items,
    place_popups,
    place_work,
)
from organizer.planner.timeline import (
    FreeList,
    Interval,
    ceil_minute,
    clip,
    merge,
    subtract,
    to_datetime,
    total,
    utc,
)

__all__ = ["NO_ESTIMATE", "USED_UP", "plan_day", "plan_range"]


def _check(items: Sequence[WorkItem], fixed: Sequence[Fixed], settings: Settings, days: int) -> None:
    if days < 1:
        raise ValueError(f"plan_range: days must be at least 1, got {days}")
    if settings.min_block < 1:
        raise ValueError(f"plan_range: min_block must be at least 1, got {settings.min_block}")
    if not 0 <= settings.reserve_ratio <= 1:
        raise ValueError(f"plan_range: reserve_ratio must be from 0 to 1, got {settings.reserve_ratio}")
    for f in fixed:
        if f.kind not in FIXED_KINDS:
            raise ValueError(f"plan_range: fixed block kind {f.kind!r} is not one of {', '.join(FIXED_KINDS)}")
    for it in items:
        if it.minutes < 0:
            raise ValueError(f"plan_range: {it.ref} has negative minutes ({it.minutes})")


def _kept_work(fixed: Sequence[Fixed]) -> tuple[dict[int, int], dict[int, int]]:
    """Minutes and latest end of pinned work (and pop-up) blocks per card."""
    minutes: dict[int, int] = defaultdict(int)
    ends: dict[int, int] = {}
    for f in fixed:
        if f.card_id is not None and f.kind in ("work", "popup"):
            a, b = kept_span(f)
            minutes[f.card_id] += b - a
            ends[f.card_id] = max(ends.get(f.card_id, b), b)
    return dict(minutes), ends


def plan_range(
    items: Sequence[WorkItem],
    busy: Sequence[Busy],
    fixed: Sequence[Fixed],
    settings: Settings,
    *,
    start: date,
    days: int,
    now: datetime,
) -> list[DayPlan]:
    """Plan `days` local days from `start` (see the module docstring for every rule); one DayPlan per day."""
    _check(items, fixed, settings, days)
    plans, late_urgent = _plan(items, busy, fixed, settings, start, days, now)
    cuttable = [f for f in fixed if f.interruptible and utc(f.end) > utc(now)]
    if late_urgent and cuttable:
        # A P1/P2 pop-up that can only meet its due time by starting now cuts the block in progress;
        # the rest of that block's work is planned later. Kept only if it helps.
        cut_at = to_datetime(ceil_minute(now))
        kept = [f for f in fixed if f not in cuttable]
        kept += [replace(f, end=cut_at, interruptible=False) for f in cuttable if utc(f.start) < cut_at]
        second, still_late = _plan(items, busy, kept, settings, start, days, now)
        if len(still_late) < len(late_urgent):
            refs = {it.card_id: it.ref for it in items}
            zone = ZoneInfo(settings.tz)
            popups = ", ".join(sorted(late_urgent - still_late))
            moved = [Moved(f.card_id, refs.get(f.card_id, f.title), utc(f.start).astimezone(zone).date(),
                           utc(f.start).astimezone(zone).date(), f"interrupted at {cut_at.astimezone(zone):%H:%M} "
                           f"for pop-up {popups}") for f in cuttable if f.card_id is not None]
            first = second[0]
            second[0] = replace(first, moved=(*first.moved, *moved))
            return second
    return plans


def _plan(
    items: Sequence[WorkItem], busy: Sequence[Busy], fixed: Sequence[Fixed], settings: Settings,
    start: date, days: int, now: datetime,
) -> tuple[list[DayPlan], set[str]]:
    """One planning run; also the refs of urgent pop-ups that end after their due time."""
    zone = ZoneInfo(settings.tz)
    calendar = build_days(merge_busy(busy), fixed, settings, start, days)
    kept_minutes, kept_end = _kept_work(fixed)
    popups, work, no_estimate = make_jobs(items, kept_minutes, kept_end)
    range_lo, range_hi = calendar[0].bounds[0], calendar[-1].bounds[1]
    ctx = Context(
        settings=settings,
        zone=zone,
        days=tuple(calendar),
        day_starts=tuple(d.bounds[0] for d in calendar),
        lo=min(max(ceil_minute(now), range_lo), range_hi),
        hi=range_hi,
        today=now.astimezone(zone).date(),
        popups=tuple(popups),
        work=tuple(work),
    )
    out = Outcome()
    open_time, _, layouts = place_popups(ctx, out)
    free = FreeList(clip(subtract(open_time.intervals(), merge(iv for day in layouts for iv in day)), ctx.lo, ctx.hi))
    place_work(ctx, free, out)
    roles: dict[int, str | None] = {}
    refs: dict[int, str] = {}
    # A card id given twice (bad input) is named after the first in key order, so input order never matters;
    # sorting thousands of items only for that is skipped when every id is unique.
    unique = len({it.card_id for it in items}) == len(items)
    ordered = items if unique else sorted(items, key=lambda i: (i.priority, utc(i.created_at), i.card_id, i.ref))
    for it in ordered:
        roles.setdefault(it.card_id, it.role)
        refs.setdefault(it.card_id, it.ref)
    unplanned = [Unplanned(it.card_id, it.ref, reason) for it, reason in out.unplanned]
    unplanned += [Unplanned(it.card_id, it.ref, USED_UP if it.used_up else NO_ESTIMATE) for it in no_estimate]
    late: dict[int, list[Unplanned]] = defaultdict(list)
    late_urgent: set[str] = set()
    for d, it, reason in late_items(ctx, out):
        late[d].append(Unplanned(it.card_id, it.ref, reason))
        if it.popup and it.priority <= 2:
            late_urgent.add(it.ref)
    late_urgent |= {it.ref for it, _ in out.unplanned if it.popup and it.priority <= 2 and it.due_at is not None}
    by_day = _pieces_by_day(ctx, out)
    plans = [
        _assemble(ctx, day, by_day[d], layouts[d], roles, refs, tuple(unplanned) if d == 0 else (), late[d])
        for d, day in enumerate(ctx.days)
    ]
    return plans, late_urgent


def plan_day(
    items: Sequence[WorkItem],
    busy: Sequence[Busy],
    fixed: Sequence[Fixed],
    settings: Settings,
    *,
    day: date,
    now: datetime,
) -> DayPlan:
    """Plan one local day: `plan_range(..., start=day, days=1, now=now)[0]`."""
    return plan_range(items, busy, fixed, settings, start=day, days=1, now=now)[0]


_Piece = tuple[int, int, str, WorkItem]


def _pieces_by_day(ctx: Context, out: Outcome) -> dict[int, list[_Piece]]:
    """New work and pop-up pieces grouped by day (a piece never crosses a day: working time does not)."""
    by_day: dict[int, list[_Piece]] = defaultdict(list)
    for kind, jobs, placed in (("popup", ctx.popups, out.popup_pieces), ("work", ctx.work, out.work_pieces)):
        for job, pieces in zip(jobs, placed, strict=True):
            for a, b in pieces:
                by_day[day_index(ctx, a)].append((a, b, kind, job.item))
    return by_day


def _assemble(
    ctx: Context,
    day: Day,
    pieces: list[_Piece],
    layout: list[Interval],
    roles: dict[int, str | None],
    refs: dict[int, str],
    unplanned: tuple[Unplanned, ...],
    late: list[Unplanned],
) -> DayPlan:
    """One DayPlan: busy, pinned, reserve, pop-up and work blocks in time order, and the day's figures."""
    def at(minute: int) -> datetime:
        return to_datetime(minute)

    blocks = [Block(at(s.start), at(s.end), "busy", None, s.title, None, False) for s in day.busy]
    blocks += [
        Block(f.start, f.end, f.kind, f.card_id, f.title, roles.get(f.card_id) if f.card_id is not None else None,
              True, refs.get(f.card_id) if f.card_id is not None else None)
        for f in day.fixed
    ]
    popup_iv = merge((a, b) for a, b, kind, _ in pieces if kind == "popup")
    reserve_left = layout
    blocks += [Block(at(a), at(b), "reserve", None, "reserve", None, False) for a, b in reserve_left]
    blocks += [Block(at(a), at(b), kind, it.card_id, it.title, it.role, False, it.ref) for a, b, kind, it in pieces]
    blocks.sort(key=lambda b: (utc(b.start), utc(b.end), BLOCK_KINDS.index(b.kind),
                               -1 if b.card_id is None else b.card_id, b.title))
    kept_popups = sum(kept_span(f)[1] - kept_span(f)[0] for f in day.fixed if f.kind == "popup")
    used: list[Interval] = [(a, b) for a, b, _, _ in pieces] + [kept_span(f) for f in day.fixed]
    return DayPlan(
        day=day.day,
        available_minutes=day.available_minutes,
        planned_minutes=sum(b.minutes for b in blocks if b.kind == "work"),
        reserve_minutes=day.reserve_target,
        # The reserve is a quantity: every pop-up minute uses it, wherever the pop-up sits.
        reserve_used_minutes=total(popup_iv) + kept_popups,
        blocks=tuple(blocks),
        unplanned=unplanned,
        late=tuple(late),
        working_minutes=day.working_minutes,
        free_minutes=total(subtract(list(day.available), merge(used + reserve_left))),
    )
