"""Scheduling a chain of steps backwards from a publish time, through the planner's calendar.

A production template (organizer.templates) is a chain: script, record, edit… each with minutes, the steps it
waits for, and perhaps a lead (working days it must be done before publish). Its due times come from walking
back from the publish time through each day's *free* time (working hours minus busy time, kept blocks and the
pop-up reserve: `calendar.Day.free`), not from wall-clock subtraction: the last step ends before the publish
time, each step ends before any step that waits for it starts, no step lands outside working hours, in a
meeting or in the reserve, and none before `now`. A step may be split over several free slots (pieces of at
least the planner's minimum block, or its whole remainder), as the planner itself would place it.

When the chain does not fit, nothing is placed: `Shortfall` says how many minutes are missing and the earliest
publish time that would fit (the same chain placed forwards from now).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from organizer.planner.calendar import Day
from organizer.planner.timeline import Interval, ceil_minute, floor_minute, to_datetime

__all__ = ["ChainStep", "Placed", "Shortfall", "schedule_backwards"]


@dataclass(frozen=True)
class ChainStep:
    """One step: its minutes, the (earlier) steps it waits for, and its lead in working days before publish."""

    minutes: int
    after: tuple[int, ...] = ()
    lead_days: int = 0


@dataclass(frozen=True)
class Placed:
    """Where a step goes: its pieces (start, end), in order; `end` is its due time."""

    pieces: tuple[tuple[datetime, datetime], ...]

    @property
    def start(self) -> datetime:
        """When its first piece starts."""
        return self.pieces[0][0]

    @property
    def end(self) -> datetime:
        """When its last piece ends: the step's due time."""
        return self.pieces[-1][1]


@dataclass(frozen=True)
class Shortfall:
    """The chain does not fit before the publish time."""

    missing_minutes: int
    earliest_publish: datetime | None  # None: not even within the days given


def _free(days: Sequence[Day], lo: int, hi: int) -> list[Interval]:
    out = []
    for day in days:
        for a, b in day.free:
            a, b = max(a, lo), min(b, hi)
            if b > a:
                out.append((a, b))
    return out


def _lead_deadline(days: Sequence[Day], publish: int, lead: int) -> int | None:
    """The end of working time `lead` working days before the publish day (None: not in the days given)."""
    if lead <= 0:
        return publish
    before = [d for d in days if d.working and d.bounds[1] <= publish]
    if len(before) < lead:
        return None
    return before[-lead].working[-1][1]


def _take_back(free: list[Interval], latest: int, need: int, min_block: int) -> list[Interval] | None:
    """Take `need` minutes from the end of the free time before `latest` (mutating `free`); None if too little."""
    pieces: list[Interval] = []
    left = need
    for i in range(len(free) - 1, -1, -1):
        a, b = free[i]
        b = min(b, latest)
        if b <= a:
            continue
        room = b - a
        if room < min(min_block, left):
            continue  # a sliver: the planner would not put work there
        take = min(room, left)
        pieces.append((b - take, b))
        left -= take
        if left == 0:
            break
    if left:
        return None
    for piece in pieces:  # remove what was taken
        out = []
        for a, b in free:
            if piece[1] <= a or piece[0] >= b:
                out.append((a, b))
                continue
            if a < piece[0]:
                out.append((a, piece[0]))
            if piece[1] < b:
                out.append((piece[1], b))
        free[:] = out
    return sorted(pieces)


def _take_forward(free: list[Interval], earliest: int, need: int, min_block: int) -> int | None:
    """The end of `need` minutes taken from the start of the free time after `earliest` (mutating `free`)."""
    left, end = need, None
    for i, (a, b) in enumerate(free):
        a = max(a, earliest)
        if b <= a or b - a < min(min_block, left):
            continue
        take = min(b - a, left)
        end, left = a + take, left - take
        free[i] = (a + take, b)
        if left == 0:
            return end
    return None


def schedule_backwards(steps: Sequence[ChainStep], publish: datetime, now: datetime, days: Sequence[Day],
                       min_block: int) -> list[Placed] | Shortfall:
    """Place each step as late as it may go before the publish time; or say why the chain does not fit."""
    pub, start = floor_minute(publish), ceil_minute(now)
    free = _free(days, start, pub)
    waiting_on_me: list[list[int]] = [[] for _ in steps]
    for j, step in enumerate(steps):
        for i in step.after:
            waiting_on_me[i].append(j)
    placed: list[list[Interval] | None] = [None] * len(steps)
    for i in range(len(steps) - 1, -1, -1):
        step = steps[i]
        latest = _lead_deadline(days, pub, step.lead_days)  # None: its lead reaches back past the days given
        for j in waiting_on_me[i]:
            after_me = placed[j]
            assert after_me is not None  # a step only waits for earlier ones, placed after it here
            if latest is not None:
                latest = min(latest, after_me[0][0])
        pieces = _take_back(free, latest, step.minutes, min_block) if latest is not None else None
        if pieces is None:
            missing = step.minutes + sum(s.minutes for s in steps[:i])
            return Shortfall(missing, _earliest_publish(steps, now, days, min_block))
        placed[i] = pieces
    return [Placed(tuple((to_datetime(a), to_datetime(b)) for a, b in p or ())) for p in placed]


def _earliest_publish(steps: Sequence[ChainStep], now: datetime, days: Sequence[Day],
                      min_block: int) -> datetime | None:
    """The earliest publish time the chain would fit before: placed forwards from now, then each step's lead."""
    if not days:
        return None
    free = _free(days, ceil_minute(now), days[-1].bounds[1])
    ends: list[int] = []
    for step in steps:
        ready = max((ends[i] for i in step.after), default=ceil_minute(now))
        end = _take_forward(free, ready, step.minutes, min_block)
        if end is None:
            return None
        ends.append(end)
    publish = max(ends, default=ceil_minute(now))
    for step, end in zip(steps, ends, strict=True):
        if step.lead_days:
            after = [d for d in days if d.working and d.bounds[0] >= end]
            if len(after) < step.lead_days:
                return None
            publish = max(publish, after[step.lead_days - 1].working[0][0])
    return to_datetime(publish)
