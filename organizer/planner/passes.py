"""The placement passes: pop-ups into the reserve, then work into the earliest free minutes.

`engine.plan_range` builds a `Context` once and runs `place` over it: once, or twice when a pop-up had
to take work time, so that the second run (without the extra time) shows which work the pop-up pushed.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from organizer.planner.calendar import Day, label
from organizer.planner.jobs import Job
from organizer.planner.model import Settings, WorkItem
from organizer.planner.timeline import FreeList, Interval, clip, intersect, merge, subtract, to_datetime, total, utc

__all__ = ["Context", "Outcome", "day_index", "free_lists", "late_items", "moved_items", "place"]


@dataclass(frozen=True)
class Context:
    """Everything a pass reads; passes never change it."""

    settings: Settings
    zone: ZoneInfo
    days: tuple[Day, ...]
    day_starts: tuple[int, ...]
    lo: int  # the first minute anything new may use: max(now, the range's first minute)
    hi: int  # the end of the range
    today: date  # the local date of `now`, for message wording
    popups: tuple[Job, ...]
    work: tuple[Job, ...]


@dataclass
class Outcome:
    """What one pass placed: pieces per job (in time order, empty when not placed) and why not."""

    popup_pieces: list[list[Interval]]
    work_pieces: list[list[Interval]]
    unplanned: list[tuple[WorkItem, str]] = field(default_factory=list)
    overflow: list[int] = field(default_factory=list)  # pop-ups that took work time


def day_index(ctx: Context, minute: int) -> int:
    """Which day of the range holds `minute`."""
    return bisect_right(ctx.day_starts, minute) - 1


def _span_days(ctx: Context, lo: int, hi: int) -> range:
    return range(max(0, day_index(ctx, lo)), min(len(ctx.days), day_index(ctx, hi - 1) + 1))


def _commit(free: FreeList, pieces: list[Interval]) -> None:
    for a, b in pieces:
        free.take(a, b)


def _grow(
    reserve: FreeList, free: FreeList, runs: list[Interval], extra: int, need: int, lo: int, hi: int, min_block: int
) -> tuple[list[Interval], int] | None:
    """Extend `runs` by up to `extra` minutes of the work time next to them, then fill the reserve.

    Each run grows into the time just before it, then just after. Returns the pieces and the minutes that
    came out of the reserve, or None with nothing changed.
    """
    grown: list[Interval] = []

    def grow(a: int, b: int) -> None:
        # Moved at once, so the next run sees the free time that is left (two runs may share a gap).
        free.take(a, b)
        reserve.add(a, b)
        grown.append((a, b))

    for a, b in runs:
        before = free.adjacent_before(a)
        if extra > 0 and before is not None and a - max(before[0], lo) > 0:
            x = min(extra, a - max(before[0], lo))
            grow(a - x, a)
            extra -= x
        after = free.adjacent_after(b)
        if extra > 0 and after is not None and min(after[1], hi) - b > 0:
            x = min(extra, min(after[1], hi) - b)
            grow(b, b + x)
            extra -= x
    pieces = reserve.fill(need, lo, hi, min_block) if grown else None
    if pieces is None:
        for a, b in grown:
            reserve.take(a, b)
            free.add(a, b)
        return None
    _commit(reserve, pieces)
    # Grown minutes the pop-up did not need go back to work time: the reserve itself never grows.
    for a, b in subtract(merge(grown), pieces):
        reserve.take(a, b)
        free.add(a, b)
    return pieces, need - total(intersect(pieces, merge(grown)))


def _grow_and_fill(
    reserve: FreeList, free: FreeList, need: int, lo: int, hi: int, min_block: int
) -> tuple[list[Interval], int] | None:
    """Place a pop-up that the reserve left cannot hold by taking the work time next to the reserve.

    First the runs grow (earliest first) by exactly the minutes the reserve lacks, so the pop-up takes
    only those from planned work. When the reserve is big enough in total but in runs too short to split
    into (pieces under min_block), the earliest run that can grow to hold the whole pop-up does.
    """
    runs = reserve.intervals(lo, hi)
    extra = need - total(runs)
    if extra > 0 and (placed := _grow(reserve, free, runs, extra, need, lo, hi, min_block)):
        return placed
    for a, b in runs:
        if b - a < need and (placed := _grow(reserve, free, [(a, b)], need - (b - a), need, lo, hi, min_block)):
            return placed
    return None


def _fill_anywhere(
    reserve: FreeList, free: FreeList, need: int, lo: int, hi: int, min_block: int
) -> tuple[list[Interval], int] | None:
    """Last resort for a pop-up on its day: the earliest reserve or work time, in pieces."""
    res = reserve.intervals(lo, hi)
    pieces = FreeList(res + free.intervals(lo, hi)).fill(need, lo, hi, min_block)
    if pieces is None:
        return None
    for a, b in pieces:
        reserve.take_overlap(a, b)
        free.take_overlap(a, b)
    return pieces, total(intersect(pieces, res))


def _place_popup(ctx: Context, job: Job, reserve: FreeList, free: FreeList, overflow: bool) -> tuple[
    list[Interval], int, bool
] | None:
    """The first day with room from `now` on: its reserve, or (overflow) its reserve plus work time."""
    hi = min(job.limit, ctx.hi) if job.limit is not None else ctx.hi
    mb = ctx.settings.min_block
    if ctx.lo >= hi:
        return None
    for d in _span_days(ctx, ctx.lo, hi):
        lo_d, hi_d = max(ctx.lo, ctx.days[d].bounds[0]), min(hi, ctx.days[d].bounds[1])
        pieces = reserve.fill(job.need, lo_d, hi_d, mb)
        if pieces is not None:
            _commit(reserve, pieces)
            return pieces, job.need, False
        if overflow and free.minutes(lo_d, hi_d) > 0:
            placed = _grow_and_fill(reserve, free, job.need, lo_d, hi_d, mb) or _fill_anywhere(
                reserve, free, job.need, lo_d, hi_d, mb
            )
            if placed is not None:
                return placed[0], placed[1], True
    return None


def _why(ctx: Context, job: Job, room: int) -> str:
    """The reason a job does not fit, with the minutes it needed and the minutes there were."""
    n = len(ctx.days)
    need = job.need
    gaps = f" (in gaps shorter than {min(need, ctx.settings.min_block)} min)" if room >= need else ""
    if job.limit is not None and job.limit < ctx.hi:
        assert job.limit_owner is not None
        when = label(job.limit_owner.publish_at or to_datetime(job.limit), ctx.zone, ctx.today)
        whose = "its" if job.limit_owner.card_id == job.item.card_id else f"{job.limit_owner.ref}'s"
        return f"needs {need} min, {room} min free before {whose} publish time {when}{gaps}"
    span = "this day" if n == 1 else f"the next {n} days"
    if room == 0:
        return f"no free time in {span}"
    return f"needs {need} min, {room} min free in {span}{gaps}"


def _job_end(pieces: list[Interval], job: Job) -> int | None:
    ends = [b for _, b in pieces] + ([job.kept_end] if job.kept_end is not None else [])
    return max(ends) if ends else None


def place(ctx: Context, free0: FreeList, reserve0: FreeList, *, overflow: bool) -> Outcome:
    """One pass over copies of the free and reserve lists: pop-ups first, then work in order."""
    free, reserve = free0.copy(), reserve0.copy()
    out = Outcome(popup_pieces=[], work_pieces=[])
    for i, job in enumerate(ctx.popups):
        placed = _place_popup(ctx, job, reserve, free, overflow) if job.need else None
        if placed is None:
            out.popup_pieces.append([])
            if job.need:
                hi = min(job.limit, ctx.hi) if job.limit is not None else ctx.hi
                room = reserve.minutes(ctx.lo, hi) + free.minutes(ctx.lo, hi)
                out.unplanned.append((job.item, _why(ctx, job, room)))
            continue
        popup_pieces, from_reserve, took_work = placed
        out.popup_pieces.append(popup_pieces)
        if took_work and from_reserve < job.need:
            out.overflow.append(i)

    mb = ctx.settings.min_block
    for job in ctx.work:
        pieces: list[Interval] = []
        out.work_pieces.append(pieces)
        if not job.need:
            continue
        lo = ctx.lo
        blocked = None
        for w in job.waits_for:
            before = ctx.work[w]
            if before.need and not out.work_pieces[w]:
                blocked = before
                break
            end = _job_end(out.work_pieces[w], before)
            if end is not None:
                lo = max(lo, end)
        if blocked is not None:
            out.unplanned.append((job.item, f"waits for {blocked.item.ref}, which is not planned"))
            continue
        hi = min(job.limit, ctx.hi) if job.limit is not None else ctx.hi
        found = free.fill(job.need, lo, hi, mb) if lo < hi else None
        if found is None:
            out.unplanned.append((job.item, _why(ctx, job, free.minutes(lo, hi))))
            continue
        _commit(free, found)
        pieces.extend(found)
    return out


def late_items(ctx: Context, out: Outcome) -> list[tuple[int, WorkItem, str]]:
    """Placed items that end after their due time: (day index of the last block, item, reason)."""
    late: list[tuple[int, WorkItem, str]] = []
    for jobs, placed in ((ctx.popups, out.popup_pieces), (ctx.work, out.work_pieces)):
        for job, pieces in zip(jobs, placed, strict=True):
            due = job.item.due_at
            if due is None or not pieces:
                continue
            end = _job_end(pieces, job)
            assert end is not None
            finish = to_datetime(end)
            if finish > utc(due):
                ends, due_label = label(finish, ctx.zone, ctx.today), label(due, ctx.zone, ctx.today)
                reason = f"ends {ends}, after its due time {due_label}"
                late.append((day_index(ctx, pieces[-1][0]), job.item, reason))
    return late


def moved_items(ctx: Context, base: Outcome, final: Outcome) -> list[tuple[int, WorkItem, date | None, str]]:
    """Work that a pop-up pushed off its day: (day index it left, item, day it went to, reason)."""
    refs = [ctx.popups[i].item.ref for i in final.overflow]
    reason = f"made room for pop-up{'s' if len(refs) > 1 else ''} {', '.join(refs)}"
    moved: list[tuple[int, WorkItem, date | None, str]] = []
    for job, before, after in zip(ctx.work, base.work_pieces, final.work_pieces, strict=True):
        if not before:
            continue
        was = day_index(ctx, before[0][0])
        now_day = day_index(ctx, after[0][0]) if after else None
        if now_day is None or now_day > was:
            moved.append((was, job.item, ctx.days[now_day].day if now_day is not None else None, reason))
    return moved


def free_lists(ctx: Context) -> tuple[FreeList, FreeList]:
    """The work time and the reserve time that new blocks may use (from `now` on)."""
    work = [iv for d in ctx.days for iv in d.free]
    reserve = [iv for d in ctx.days for iv in d.reserve_layout]
    return FreeList(clip(work, ctx.lo, ctx.hi)), FreeList(clip(reserve, ctx.lo, ctx.hi))
