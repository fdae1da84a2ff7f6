"""Minute arithmetic for the planner: instants as whole UTC minutes, interval lists and the free list.

An instant is an `int`: minutes since the Unix epoch, in UTC. Integers make the arithmetic exact
(no DST surprises, no float error) and cheap; datetimes only come back when a plan is assembled.
Interval lists are sorted lists of half-open `(start, end)` pairs.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[int, int]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


def floor_minute(dt: datetime) -> int:
    """The whole UTC minute that contains `dt` (an aware datetime)."""
    if dt.utcoffset() is None:
        raise ValueError(f"planner: datetime {dt!r} must be timezone-aware")
    return (dt - _EPOCH) // _MINUTE


def ceil_minute(dt: datetime) -> int:
    """The first whole UTC minute at or after `dt`: the planner never starts work before `now`."""
    if dt.utcoffset() is None:
        raise ValueError(f"planner: datetime {dt!r} must be timezone-aware")
    return -((_EPOCH - dt) // _MINUTE)


def to_datetime(minute: int) -> datetime:
    """The instant `minute` as an aware UTC datetime."""
    return _EPOCH + minute * _MINUTE


def utc(dt: datetime) -> datetime:
    """`dt` in UTC, for comparing and subtracting.

    Python compares and subtracts two datetimes that share a tzinfo by their wall-clock fields, ignoring
    `fold`, so in a fall-back hour 02:30 CEST equals 02:30 CET and an interval across a change has its
    wall-clock length. In UTC every comparison is between instants.
    """
    if dt.tzinfo is UTC:  # the common case (stored instants come back in UTC): nothing to convert
        return dt
    if dt.utcoffset() is None:
        raise ValueError(f"planner: datetime {dt!r} must be timezone-aware")
    return dt.astimezone(UTC)


def _wall(minute: int, zone: ZoneInfo) -> datetime:
    return (_EPOCH + minute * _MINUTE).astimezone(zone).replace(tzinfo=None)


def wall_to_minute(day: date, at: time, zone: ZoneInfo) -> int:
    """The first instant at which the local clock on `day` reaches `at`.

    A working interval runs from the moment the clock first reaches its start to the moment it first
    reaches its end, one stretch of real time: 01:00–05:00 holds 180 real minutes on a spring-forward
    night and 300 on a fall-back one. A time the clocks skip maps to the jump itself (the first instant
    at or after it); a time they show twice maps to its first showing, so 01:00–02:30 ends at the first
    02:30 and 02:30–04:00 starts there and keeps the repeated half hour.
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return floor_minute(first)
    a, b = floor_minute(first), floor_minute(second)
    if _wall(a, zone) == naive:
        return min(a, b)  # shown twice: the first showing
    # In a gap: the first instant whose wall clock reads at or after `naive` is the transition.
    lo, hi = min(a, b), max(a, b)
    while lo < hi:
        mid = (lo + hi) // 2
        if _wall(mid, zone) >= naive:
            hi = mid
        else:
            lo = mid + 1
    return lo


def local_day_bounds(day: date, zone: ZoneInfo) -> Interval:
    """The local calendar day as UTC minutes [midnight, next midnight)."""
    return wall_to_minute(day, time(0), zone), wall_to_minute(day + timedelta(days=1), time(0), zone)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and merge overlapping or touching intervals; empty ones are dropped."""
    out: list[Interval] = []
    for a, b in sorted(iv for iv in intervals if iv[1] > iv[0]):
        if out and a <= out[-1][1]:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def subtract(base: Sequence[Interval], cut: Sequence[Interval]) -> list[Interval]:
    """`base` minus `cut`; both sorted and disjoint."""
    out: list[Interval] = []
    j = 0
    for a, b in base:
        while j < len(cut) and cut[j][1] <= a:
            j += 1
        k = j
        while k < len(cut) and cut[k][0] < b:
            ca, cb = cut[k]
            if ca > a:
                out.append((a, ca))
            a = max(a, cb)
            if a >= b:
                break
            k += 1
        if a < b:
            out.append((a, b))
    return out


def intersect(xs: Sequence[Interval], ys: Sequence[Interval]) -> list[Interval]:
    """The overlap of two sorted disjoint interval lists."""
    out: list[Interval] = []
    i = j = 0
    while i < len(xs) and j < len(ys):
        a, b = max(xs[i][0], ys[j][0]), min(xs[i][1], ys[j][1])
        if a < b:
            out.append((a, b))
        if xs[i][1] < ys[j][1]:
            i += 1
        else:
            j += 1
    return out


def clip(intervals: Sequence[Interval], lo: int, hi: int) -> list[Interval]:
    """The parts of `intervals` inside [lo, hi)."""
    return [(max(a, lo), min(b, hi)) for a, b in intervals if b > lo and a < hi]


def total(intervals: Iterable[Interval]) -> int:
    """Summed length in minutes."""
    return sum(b - a for a, b in intervals)


def piece(remaining: int, gap: int, min_block: int) -> int:
    """How much of `remaining` minutes to put in a gap of `gap` minutes; 0 means skip the gap.

    The rest of an item always fits whole; otherwise the gap takes a part only when both that part and
    what is left are at least `min_block`, so no block is ever shorter (an item shorter than
    `min_block` is only ever placed whole).
    """
    if gap >= remaining:
        return remaining
    part = min(gap, remaining - min_block)
    return part if part >= min_block else 0


class FreeList:
    """Disjoint free intervals, sorted, with bisect look-ups; touching intervals are kept merged."""

    __slots__ = ("_largest", "_minutes", "ends", "starts", "total")

    def __init__(self, intervals: Iterable[Interval] = ()) -> None:
        merged = merge(intervals)
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]
        self.total = total(merged)
        self._largest: int | None = None
        self._minutes: dict[Interval, int] = {}  # minutes(lo, hi) answers until the list changes

    def largest(self) -> int:
        """The longest free interval, in minutes (cached until the list changes)."""
        if self._largest is None:
            self._largest = max((b - a for a, b in zip(self.starts, self.ends, strict=True)), default=0)
        return self._largest

    def copy(self) -> FreeList:
        """An independent copy (for a what-if pass)."""
        other = FreeList()
        other.starts, other.ends, other.total, other._largest = self.starts[:], self.ends[:], self.total, self._largest
        other._minutes = dict(self._minutes)
        return other

    def intervals(self, lo: int | None = None, hi: int | None = None) -> list[Interval]:
        """The free intervals, clipped to [lo, hi) when given."""
        pairs = list(zip(self.starts, self.ends, strict=True))
        if lo is None or hi is None:
            return pairs
        i = bisect_right(self.ends, lo)
        out: list[Interval] = []
        while i < len(self.starts) and self.starts[i] < hi:
            out.append((max(self.starts[i], lo), min(self.ends[i], hi)))
            i += 1
        return out

    def minutes(self, lo: int, hi: int) -> int:
        """Free minutes inside [lo, hi)."""
        if hi <= lo or not self.starts:
            return 0
        starts, ends = self.starts, self.ends
        if lo <= starts[0] and hi >= ends[-1]:
            return self.total
        # Remembered until the list changes: once a horizon is full, every card that does not fit asks the same.
        key = (lo, hi)
        if (known := self._minutes.get(key)) is not None:
            return known
        out, i = 0, bisect_right(ends, lo)
        while i < len(starts) and starts[i] < hi:
            out += min(ends[i], hi) - max(starts[i], lo)
            i += 1
        self._minutes[key] = out
        return out

    def fill(self, need: int, lo: int, hi: int, min_block: int) -> list[Interval] | None:
        """Pieces for `need` minutes in the earliest free time inside [lo, hi), or None; nothing is taken."""
        if need <= 0:
            return []
        # No gap can take even one piece (a piece is the whole rest, or at least min_block): nothing to scan.
        # Most cards of a big backlog end here once the horizon is full.
        if need > self.total or min(need, min_block) > self.largest():
            return None
        pieces: list[Interval] = []
        starts, ends = self.starts, self.ends
        i = bisect_right(ends, lo)
        while i < len(starts) and starts[i] < hi:
            a, b = max(starts[i], lo), min(ends[i], hi)
            part = piece(need, b - a, min_block)
            if part:
                pieces.append((a, a + part))
                need -= part
                if not need:
                    return pieces
            i += 1
        return None

    def take(self, a: int, b: int) -> None:
        """Remove [a, b), which must lie inside one free interval."""
        i = bisect_right(self.starts, a) - 1
        if i < 0 or b > self.ends[i]:
            raise ValueError(f"planner: [{a}, {b}) is not free")
        s, e = self.starts[i], self.ends[i]
        parts = [(x, y) for x, y in ((s, a), (b, e)) if y > x]
        self.starts[i : i + 1] = [x for x, _ in parts]
        self.ends[i : i + 1] = [y for _, y in parts]
        self.total -= b - a
        self._largest = None
        self._minutes.clear()

    def take_overlap(self, a: int, b: int) -> None:
        """Remove whatever part of [a, b) is free."""
        for x, y in self.intervals(a, b):
            self.take(x, y)

    def add(self, a: int, b: int) -> None:
        """Make [a, b) free; it must not overlap free time already there."""
        if b <= a:
            return
        i = bisect_left(self.starts, a)
        if (i > 0 and self.ends[i - 1] > a) or (i < len(self.starts) and self.starts[i] < b):
            raise ValueError(f"planner: [{a}, {b}) is already free")
        join_left = i > 0 and self.ends[i - 1] == a
        join_right = i < len(self.starts) and self.starts[i] == b
        if join_left and join_right:
            self.ends[i - 1] = self.ends[i]
            del self.starts[i], self.ends[i]
        elif join_left:
            self.ends[i - 1] = b
        elif join_right:
            self.starts[i] = a
        else:
            self.starts.insert(i, a)
            self.ends.insert(i, b)
        self.total += b - a
        self._largest = None
        self._minutes.clear()

    def adjacent_before(self, at: int) -> Interval | None:
        """The free interval that ends exactly at `at`, if any."""
        i = bisect_left(self.ends, at)
        return (self.starts[i], self.ends[i]) if i < len(self.ends) and self.ends[i] == at else None

    def adjacent_after(self, at: int) -> Interval | None:
        """The free interval that starts exactly at `at`, if any."""
        i = bisect_left(self.starts, at)
        return (self.starts[i], self.ends[i]) if i < len(self.starts) and self.starts[i] == at else None
