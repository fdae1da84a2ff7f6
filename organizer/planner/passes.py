"""The placement passes: pop-ups at the earliest time they need, the reserve laid out around them, then work.

`engine.plan_range` builds a `Context` once and runs the passes in order: `place_popups`, then
`relayout_reserve` (the reserve is a quantity: each day keeps `reserve_target − pop-up minutes` free,
shown as placeholders at the anchors), then `place_work` into what is left.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from organizer.planner.calendar import Day, kept_span, label
from organizer.planner.jobs import Job
from organizer.planner.model import Settings, WorkItem
from organizer.planner.reserve import layout_reserve
from organizer.planner.timeline import FreeList, Interval, clip, floor_minute, merge, subtract, to_datetime, utc

__all__ = ["Context", "Outcome", "day_index", "late_items", "place_popups", "place_work", "relayout_reserve",
           "urgent"]


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
    """What the passes placed: pieces per job (in time order, empty when not placed) and why not."""

    popup_pieces: list[list[Interval]] = field(default_factory=list)
    work_pieces: list[list[Interval]] = field(default_factory=list)
    unplanned: list[tuple[WorkItem, str]] = field(default_factory=list)
    # Minutes the job could have had before its due time when it was placed (for "late" reasons).
    room_before_due: dict[int, int] = field(default_factory=dict)


def day_index(ctx: Context, minute: int) -> int:
    """Which day of the range holds `minute`."""
    return bisect_right(ctx.day_starts, minute) - 1


def _span_days(ctx: Context, lo: int, hi: int) -> range:
    return range(max(0, day_index(ctx, lo)), min(len(ctx.days), day_index(ctx, hi - 1) + 1))


def urgent(job: Job) -> bool:
    """A pop-up that must not wait: P1/P2, or one with a due time. Others wait for a reserve slot."""
    return job.item.priority <= 2 or job.item.due_at is not None


def _first_day(ctx: Context, room: FreeList, need: int, hi: int) -> list[Interval] | None:
    """The earliest pieces for `need` minutes on the first day from `now` that can hold them whole."""
    mb = ctx.settings.min_block
    if ctx.lo >= hi:
        return None
    for d in _span_days(ctx, ctx.lo, hi):
        lo_d, hi_d = max(ctx.lo, ctx.days[d].bounds[0]), min(hi, ctx.days[d].bounds[1])
        pieces = room.fill(need, lo_d, hi_d, mb)
        if pieces is not None:
            return pieces
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


def _due_room(free: FreeList, job: Job, lo: int) -> int | None:
    """Free minutes between `lo` and the job's due time (None without one)."""
    due = job.item.due_at
    return free.minutes(lo, max(lo, floor_minute(due))) if due is not None else None


def place_popups(ctx: Context, out: Outcome) -> tuple[FreeList, list[list[Interval]], list[list[Interval]]]:
    """Place every pop-up; return the time still open (work and reserve), the pop-ups and the reserve, by day.

    An urgent pop-up (P1/P2 or with a due time) takes the earliest minutes from `now` on, in work time
    or reserve alike: lower-priority work moves out of its way, since work is placed after it. The reserve
    is then laid out around the urgent pop-ups (they used part of it), and a pop-up that can wait takes
    the earliest slot of that reserve on the first day with one, work time only when the range has no
    reserve slot left; the reserve is laid out once more around it.
    """
    open_time = FreeList(clip([iv for d in ctx.days for iv in (*d.free, *d.reserve_layout)], ctx.lo, ctx.hi))
    by_day: list[list[Interval]] = [[] for _ in ctx.days]
    pieces_of: dict[int, list[Interval]] = {}
    reserve: FreeList | None = None  # laid out once the urgent pop-ups (the first phase) are placed
    for phase in (True, False):
        if not phase:
            layouts = relayout_reserve(ctx, by_day)
            reserve = FreeList(clip([iv for day in layouts for iv in day], ctx.lo, ctx.hi))
        for n, job in enumerate(ctx.popups):
            if urgent(job) != phase:
                continue
            pieces: list[Interval] = []
            hi = min(job.limit, ctx.hi) if job.limit is not None else ctx.hi
            if job.need:
                room = _due_room(open_time, job, ctx.lo)
                if room is not None:
                    out.room_before_due[job.item.card_id] = room
                found = _first_day(ctx, reserve, job.need, hi) if reserve is not None else None
                if found is None:
                    found = _first_day(ctx, open_time, job.need, hi)
                if found is None:
                    out.unplanned.append((job.item, _why(ctx, job, open_time.minutes(ctx.lo, hi))))
                else:
                    pieces = found
            for a, b in pieces:
                open_time.take(a, b)
                if reserve is not None:
                    reserve.take_overlap(a, b)
                by_day[day_index(ctx, a)].append((a, b))
            pieces_of[n] = pieces
    out.popup_pieces.extend(pieces_of.get(n, []) for n in range(len(ctx.popups)))
    return open_time, by_day, relayout_reserve(ctx, by_day)


def relayout_reserve(ctx: Context, popups_by_day: list[list[Interval]]) -> list[list[Interval]]:
    """Each day's reserve placeholders once pop-ups are placed: the target minus what pop-ups used.

    Pop-up minutes count against the share of the anchor nearest them, kept pop-up and reserve blocks
    too, so a pop-up at 09:30 shrinks the late-morning share and the work it displaced takes that time.
    """
    layouts: list[list[Interval]] = []
    for day, popups in zip(ctx.days, popups_by_day, strict=True):
        if not day.working:
            layouts.append([])
            continue
        room = subtract(merge([*day.free, *day.reserve_layout]), merge(popups))
        credits = [kept_span(f) for f in day.fixed if f.kind in ("reserve", "popup")] + popups
        layouts.append(layout_reserve(room, day.reserve_target, list(day.anchors), credits, ctx.settings.min_block))
    return layouts


def _job_end(pieces: list[Interval], job: Job) -> int | None:
    ends = [b for _, b in pieces] + ([job.kept_end] if job.kept_end is not None else [])
    return max(ends) if ends else None


def place_work(ctx: Context, free: FreeList, out: Outcome) -> None:
    """Work in order (priority, deadline, …), each into the earliest free minutes after what it waits for."""
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
        due = job.item.due_at
        if due is not None and found[-1][1] > floor_minute(due):  # late: say what could be had before it
            out.room_before_due[job.item.card_id] = free.minutes(lo, max(lo, floor_minute(due)))
        for a, b in found:
            free.take(a, b)
        pieces.extend(found)


def late_items(ctx: Context, out: Outcome) -> list[tuple[int, WorkItem, str]]:
    """Placed items that end after their due time: (day index of the last block, item, reason).

    The reason says what it needed before the due time and how much could be had there once meetings,
    the reserve and more urgent work were in place: no other arrangement within the rules meets it.
    """
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
                room = out.room_before_due.get(job.item.card_id, 0)
                if floor_minute(due) <= ctx.lo:
                    reason = f"overdue since {due_label}; ends {ends}"
                else:
                    reason = (f"ends {ends}, after its due time {due_label}: needs {job.need} min before then, "
                              f"{room} min can be freed")
                late.append((day_index(ctx, pieces[-1][0]), job.item, reason))
    return late
