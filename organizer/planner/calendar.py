"""The planning range as minutes: each day's working time, busy time, kept blocks and reserve layout."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from organizer.planner.model import FIXED_KINDS, Busy, Fixed, Settings
from organizer.planner.reserve import layout_reserve, reserve_target
from organizer.planner.timeline import (
    Interval,
    ceil_minute,
    clip,
    floor_minute,
    local_day_bounds,
    merge,
    subtract,
    total,
    utc,
    wall_to_minute,
)

__all__ = ["BusySpan", "Day", "build_days", "kept_span", "label", "merge_busy"]

# Not strftime("%a"): that follows the process locale (as in organizer.dates).
_DAY_ABBR = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class BusySpan:
    """Merged busy time: overlapping events become one span whose title lists theirs."""

    start: int
    end: int
    title: str


@dataclass(frozen=True)
class Day:
    """One local day in minutes. Interval lists are sorted and disjoint."""

    day: date
    bounds: Interval  # local midnight to the next local midnight
    working: tuple[Interval, ...]
    available: tuple[Interval, ...]  # working minus busy
    busy: tuple[BusySpan, ...]  # busy spans clipped to the working day, cut around kept blocks
    fixed: tuple[Fixed, ...]  # kept blocks that start on this day, in order
    reserve_target: int
    reserve_layout: tuple[Interval, ...]  # where the reserve sits before any pop-up is placed
    free: tuple[Interval, ...]  # available minus kept blocks minus reserve: where work can go
    anchors: tuple[int, ...] = ()  # the minutes the reserve's shares end at

    @property
    def working_minutes(self) -> int:
        """Real minutes of working time (DST days included)."""
        return total(self.working)

    @property
    def available_minutes(self) -> int:
        """Working minutes that no busy event takes."""
        return total(self.available)


def label(dt: datetime, zone: ZoneInfo, today: date) -> str:
    """A local time for messages: `fri 09:00`, with the date when it is more than six days from today."""
    local = dt.astimezone(zone)
    if abs((local.date() - today).days) > 6:
        return f"{_DAY_ABBR[local.weekday()]} {local.date().isoformat()} {local:%H:%M}"
    return f"{_DAY_ABBR[local.weekday()]} {local:%H:%M}"


def kept_span(block: Fixed) -> Interval:
    """The whole minutes a kept block occupies (outward-rounded, so seconds never leave a sliver free)."""
    return floor_minute(block.start), ceil_minute(block.end)


def merge_busy(busy: Sequence[Busy]) -> list[BusySpan]:
    """Merge events that overlap (touching ones stay apart: back-to-back meetings are separate)."""
    events = sorted((floor_minute(b.start), ceil_minute(b.end), b.title, b.uid) for b in busy)
    out: list[tuple[int, int, list[str]]] = []
    for a, b, title, _uid in events:
        if b <= a:
            continue
        if out and a < out[-1][1]:
            last = out[-1]
            if title not in last[2]:
                last[2].append(title)
            out[-1] = (last[0], max(last[1], b), last[2])
        else:
            out.append((a, b, [title]))
    return [BusySpan(a, b, " + ".join(titles)) for a, b, titles in out]


def _working(settings: Settings, day: date, zone: ZoneInfo) -> list[Interval]:
    key = _DAY_ABBR[day.weekday()]
    spans = [
        (wall_to_minute(day, start, zone), wall_to_minute(day, end, zone))
        for start, end in settings.hours.get(key, ())
    ]
    return merge(spans)


def build_days(
    busy: Sequence[BusySpan], fixed: Sequence[Fixed], settings: Settings, start: date, count: int
) -> list[Day]:
    """Lay out `count` local days from `start`: hours, busy and kept time, the reserve and the free time."""
    zone = ZoneInfo(settings.tz)
    busy_iv = [(s.start, s.end) for s in busy]
    kept = sorted(fixed, key=lambda f: (utc(f.start), utc(f.end), FIXED_KINDS.index(f.kind),
                                        -1 if f.card_id is None else f.card_id, f.title))
    kept_iv = merge(kept_span(f) for f in kept)
    days: list[Day] = []
    for offset in range(count):
        day = start + timedelta(days=offset)
        bounds = local_day_bounds(day, zone)
        working = _working(settings, day, zone)
        available = subtract(working, merge(clip(busy_iv, bounds[0], bounds[1])))
        todays = tuple(f for f in kept if bounds[0] <= floor_minute(f.start) < bounds[1])
        room = subtract(available, kept_iv)
        target = reserve_target(settings.reserve_ratio, total(available))
        anchors = sorted(wall_to_minute(day, t, zone) for t in settings.reserve_anchors)
        if working and not anchors:
            anchors = [working[-1][1]]  # no anchors configured: the reserve ends the working day
        credits = [kept_span(f) for f in todays if f.kind in ("reserve", "popup")]
        layout = layout_reserve(room, target, anchors, credits, settings.min_block) if working else []
        shown: list[BusySpan] = []
        if working:
            # Busy blocks cover the working day (first to last working minute) and give way to kept
            # blocks, so no two blocks of a plan overlap.
            lo, hi = working[0][0], working[-1][1]
            for span in busy:
                if span.end > lo and span.start < hi:
                    for a, b in subtract([(max(span.start, lo), min(span.end, hi))], kept_iv):
                        shown.append(BusySpan(a, b, span.title))
        days.append(Day(
            day=day,
            bounds=bounds,
            working=tuple(working),
            available=tuple(available),
            busy=tuple(shown),
            fixed=todays,
            reserve_target=target if working else 0,
            reserve_layout=tuple(layout),
            free=tuple(subtract(room, layout)),
            anchors=tuple(anchors),
        ))
    return days
