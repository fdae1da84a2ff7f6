"""Where a day's pop-up reserve goes: shares ending at the anchor times, moved earlier around busy time."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence

from organizer.planner.timeline import FreeList, Interval, piece

__all__ = ["layout_reserve", "reserve_target", "split_shares"]


def reserve_target(ratio: float, available: int) -> int:
    """round(ratio × available), halves rounding up (Python's round() would round 42.5 down to 42)."""
    # The small epsilon absorbs float error such as 0.2 * 450 = 90.00000000000001 or 0.15 * 70 = 10.499…
    return int(ratio * available + 0.5 + 1e-9)


def split_shares(amount: int, count: int) -> list[int]:
    """Split `amount` evenly over `count` anchors; the earlier anchors take the odd minutes."""
    if count <= 0:
        return []
    base, extra = divmod(amount, count)
    return [base + (1 if i < extra else 0) for i in range(count)]


def _credit(anchors: Sequence[int], credits: Sequence[Interval]) -> list[int]:
    """Minutes of kept reserve/pop-up blocks per anchor: each counts for the anchor nearest its end."""
    out = [0] * len(anchors)
    for a, b in credits:
        # Nearest by distance, ties to the earlier anchor (min() keeps the first of equals).
        k = min(range(len(anchors)), key=lambda i: (abs(b - anchors[i]), i))
        out[k] += b - a
    return out


def _needs(target: int, anchors: Sequence[int], credits: Sequence[Interval]) -> list[int]:
    """What each anchor still has to place once kept blocks are counted, summing to target − kept."""
    shares = split_shares(target, len(anchors))
    credited = _credit(anchors, credits)
    needs = [max(0, s - c) for s, c in zip(shares, credited, strict=True)]
    # A kept block bigger than its anchor's share also counts against the other anchors, latest first,
    # so the day's reserve never exceeds its target.
    excess = sum(needs) - max(0, target - sum(credited))
    for i in reversed(range(len(needs))):
        cut = min(needs[i], max(0, excess))
        needs[i] -= cut
        excess -= cut
    return needs


def _backward(free: FreeList, anchor: int, need: int, min_block: int) -> list[Interval]:
    """Pieces ending as late as possible at or before `anchor`, walking back through the free time."""
    pieces: list[Interval] = []
    i = bisect_left(free.starts, anchor) - 1
    while i >= 0 and need > 0:
        a, b = free.starts[i], min(free.ends[i], anchor)
        part = piece(need, b - a, min_block)
        if part:
            pieces.append((b - part, b))
            need -= part
        i -= 1
    return pieces


def _forward(free: FreeList, anchor: int, need: int, min_block: int) -> list[Interval]:
    """Pieces starting as early as possible at or after `anchor`."""
    pieces: list[Interval] = []
    for a, b in free.intervals(anchor, free.ends[-1] if free.ends else anchor):
        if need <= 0:
            break
        part = piece(need, b - a, min_block)
        if part:
            pieces.append((a, a + part))
            need -= part
    return pieces


def layout_reserve(
    free: Sequence[Interval], target: int, anchors: Sequence[int], credits: Sequence[Interval], min_block: int
) -> list[Interval]:
    """The day's reserve blocks, placed in `free` (working time not busy and not kept blocks).

    Each anchor's share ends at the anchor when that time is free; otherwise it walks back into earlier
    free time, and only when there is none left before the anchor does it go after it. Pieces follow the
    planner's block rule (none shorter than min_block unless the whole share is). `credits` are kept
    reserve and pop-up blocks of the day, which already count towards the target.
    """
    if target <= 0 or not anchors:
        return []
    room = FreeList(free)
    placed: list[Interval] = []
    for anchor, need in zip(anchors, _needs(target, anchors, credits), strict=True):
        if need <= 0:
            continue
        back = _backward(room, anchor, need, min_block)
        for a, b in back:
            room.take(a, b)
        # What is left of the share is never below min_block (the piece rule), so start it afresh.
        rest = need - sum(b - a for a, b in back)
        forward = _forward(room, anchor, rest, min_block) if rest > 0 else []
        for a, b in forward:
            room.take(a, b)
        placed.extend(back + forward)
    return sorted(placed)
