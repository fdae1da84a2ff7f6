"""The Day plan as the app shows it, and the hands-on edits: nudge, resize, split, pin a block.

A block the user moves or resizes is pinned, since they have just said where it goes; every re-plan
then leaves it there. The plan is derived data, so these edits are not in the undo history: unpinning
the block (`P` in the app, `organizer pin ID --off`) lets the next re-plan place it again.
A nudge into another block or busy time snaps to the nearest free time in the direction of the nudge
(past the block in the way when already up against it); growing a block stops at the next one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from organizer.config import Config
from organizer.dates import day_bounds
from organizer.models import Board, BusyEvent, Card, PlanBlock
from organizer.planner import DayPlan, Moved
from organizer.services.timer import running
from organizer.validate import InputError

MIN_BLOCK = 5  # the shortest block a hand edit may leave


@dataclass(frozen=True)
class ViewBlock:
    """A block on the Day plan: `id` is the stored block (None for busy time, which is not stored)."""

    id: int | None
    start: datetime
    end: datetime
    kind: str
    card_id: int | None
    ref: str | None
    title: str
    role: str | None
    pinned: bool

    @property
    def minutes(self) -> int:
        """Length in real minutes."""
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True)
class DayView:
    """Everything the Day plan screen draws for one day."""

    plan: DayPlan
    blocks: tuple[ViewBlock, ...]
    timer: tuple[str, datetime] | None
    moved: list[Moved] = field(default_factory=list)  # what the newest re-plan moved (made here or elsewhere)
    planned_at: datetime | None = None  # when that re-plan was made: a screen reports each re-plan once

    @property
    def reserve_left_minutes(self) -> int:
        """Reserve not yet taken by pop-ups."""
        return self.plan.reserve_left_minutes


def _refs(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = session.exec(select(Card.id, Card.number, Board.key).join(Board, col(Board.id) == Card.board_id)
                        .where(col(Card.id).in_(ids)))
    return {cid: f"{key}-{number}" for cid, number, key in rows if cid is not None}  # stored cards have ids


def day_view(session: Session, cfg: Config, day: date, *, now: datetime, replan: bool = False) -> DayView:
    """The day as the one stored schedule has it (re-planned first if stale), with stored block ids."""
    from organizer.services import schedule
    from organizer.storage.plain import Db

    sched = schedule.in_session(session, cfg, now, force=replan)
    plan = schedule.view(Db(session), cfg, sched, day, now)
    start, end = day_bounds(day, ZoneInfo(cfg.timezone))
    stored = {(b.start_at, b.end_at, b.card_id, b.kind): b for b in session.exec(
        select(PlanBlock).where(col(PlanBlock.start_at) >= start, col(PlanBlock.start_at) < end))}
    missing = {b.card_id for b in plan.blocks if b.card_id and not b.ref}
    refs = _refs(session, missing) if missing else {}
    blocks = []
    for b in plan.blocks:
        row = stored.get((b.start, b.end, b.card_id, b.kind))
        blocks.append(ViewBlock(row.id if row else None, b.start, b.end, b.kind, b.card_id,
                                b.ref or refs.get(b.card_id or 0), b.title, b.role,
                                bool(row.pinned) if row else b.pinned))
    current = running(session)
    timer = None
    if current is not None and current[0].started_at is not None:
        timer = (_refs(session, {current[1].id or 0}).get(current[1].id or 0, "?"), current[0].started_at)
    return DayView(plan, tuple(blocks), timer, sched.moved, sched.made_at)


def _block(session: Session, block_id: int) -> PlanBlock:
    block = session.get(PlanBlock, block_id)
    if block is None:
        raise InputError("that block is gone (the plan changed meanwhile): the day plan has been reloaded")
    return block


Span = tuple[datetime, datetime]
REACH = timedelta(hours=24)  # how far a nudge may travel to find free time


def snap(start: datetime, length: timedelta, delta: timedelta, taken: Sequence[Span]) -> datetime | None:
    """Where a block of `length` at `start` lands when nudged by `delta` (pure: `taken` are the spans in the way).

    The place asked for when it is free. Else the free place nearest to it on the way there (up against the
    block in the way) or past it (the first gap that fits, further on in the same direction), whichever is
    nearer to the place asked for; a tie goes further on, since the user asked for at least that much. Only
    places strictly in the direction of the nudge count; None when there is none within `REACH`.
    """
    if not delta:
        return start
    forward = delta > timedelta(0)

    def free(at: datetime) -> bool:
        return not any(a < at + length and b > at for a, b in taken)

    wanted = start + delta
    if free(wanted):
        return wanted
    # Past the block in the way: keep stepping over whatever overlaps until a gap fits.
    beyond: datetime | None = wanted
    while beyond is not None and not free(beyond):
        clash = [(a, b) for a, b in taken if a < beyond + length and b > beyond]
        beyond = max(b for _, b in clash) if forward else min(a for a, _ in clash) - length
        if abs(beyond - start) > REACH:
            beyond = None
    # Short of it: up against the nearest block in the way, if that still moves in the right direction.
    if forward:
        ahead = [a for a, _ in taken if a >= start + length and a < wanted + length]
        short = min(ahead) - length if ahead else None
        short = short if short is not None and short > start and free(short) else None
    else:
        behind = [b for _, b in taken if b <= start and b > wanted]
        short = max(behind) if behind else None
        short = short if short is not None and short < start and free(short) else None
    options = [at for at in (beyond, short) if at is not None]
    if not options:
        return None
    return min(options, key=lambda at: (abs(at - wanted), at == short))


def stretch(start: datetime, end: datetime, delta: timedelta, taken: Sequence[Span]) -> datetime:
    """Where a block's end lands when made `delta` longer (negative: shorter): it stops at the next block in the
    way and never leaves the block shorter than `MIN_BLOCK` minutes (pure)."""
    if delta < timedelta(0):
        return min(end, max(end + delta, start + timedelta(minutes=MIN_BLOCK)))
    new_end = end + delta
    if delta > timedelta(0):
        ahead = [a for a, b in taken if b > end and a < new_end]
        if ahead:
            new_end = max(end, min(ahead))
    return new_end


def _taken(session: Session, block: PlanBlock, around: datetime) -> tuple[list[Span], dict[Span, str]]:
    """Spans the block may not overlap near `around` (other work and pop-up blocks, busy time), with names."""
    lo, hi = around - 2 * REACH, around + 2 * REACH
    spans: dict[Span, str] = {}
    for other in session.exec(select(PlanBlock).where(PlanBlock.id != block.id, col(PlanBlock.start_at) < hi,
                                                      col(PlanBlock.end_at) > lo,
                                                      col(PlanBlock.kind).in_(("work", "popup")))):
        card = session.get(Card, other.card_id) if other.card_id else None
        assert other.start_at is not None and other.end_at is not None
        spans[(other.start_at, other.end_at)] = f"“{card.title}”" if card else other.kind
    for busy in session.exec(select(BusyEvent).where(col(BusyEvent.start_at) < hi, col(BusyEvent.end_at) > lo)):
        assert busy.start_at is not None and busy.end_at is not None
        spans.setdefault((busy.start_at, busy.end_at), f"busy time “{busy.title}”")
    return list(spans), spans


def nudge_block(session: Session, block_id: int, minutes: int) -> PlanBlock:
    """Move a work block earlier (negative) or later by some minutes; it becomes pinned.

    Into another block or busy time, it snaps to the nearest free time in the same direction (see `snap`).
    """
    block = _block(session, block_id)
    assert block.start_at is not None and block.end_at is not None
    taken, _names = _taken(session, block, block.start_at)
    start = snap(block.start_at, block.end_at - block.start_at, timedelta(minutes=minutes), taken)
    if start is None:
        raise InputError(f"no free time {'later' if minutes > 0 else 'earlier'} within a day to move it to")
    block.end_at, block.start_at = start + (block.end_at - block.start_at), start
    block.pinned = True
    session.add(block)
    return block


def resize_block(session: Session, block_id: int, minutes: int) -> PlanBlock:
    """Make a block longer (positive) or shorter at its end; it becomes pinned.

    Growing stops at the next block or busy time; shrinking stops at `MIN_BLOCK` minutes. Refused only when
    the block cannot change at all.
    """
    block = _block(session, block_id)
    assert block.start_at is not None and block.end_at is not None
    taken, names = _taken(session, block, block.end_at)
    end = stretch(block.start_at, block.end_at, timedelta(minutes=minutes), taken)
    if end == block.end_at:
        if minutes < 0:
            raise InputError(f"a block lasts at least {MIN_BLOCK} minutes")
        after = min((span for span in taken if span[0] == block.end_at), default=None)
        raise InputError(f"{names[after] if after else 'the next block'} follows right after: no room to grow")
    block.end_at, block.pinned = end, True
    session.add(block)
    return block


def split_block(session: Session, block_id: int) -> tuple[PlanBlock, PlanBlock]:
    """Cut a block in two halves (to the minute); both keep the card and are pinned."""
    block = _block(session, block_id)
    assert block.start_at is not None and block.end_at is not None
    length = int((block.end_at - block.start_at).total_seconds() // 60)
    if length < 2 * MIN_BLOCK:
        raise InputError(f"a {length}-minute block is too short to split (each half needs {MIN_BLOCK} minutes)")
    middle = block.start_at + timedelta(minutes=length // 2)
    second = PlanBlock(day=block.day, start_at=middle, end_at=block.end_at, kind=block.kind, card_id=block.card_id,
                       pinned=True)
    block.end_at, block.pinned = middle, True
    session.add_all([block, second])
    session.flush()
    return block, second


def toggle_pin(session: Session, block_id: int) -> bool:
    """Pin or unpin one block; returns the new state."""
    block = _block(session, block_id)
    block.pinned = not block.pinned
    session.add(block)
    return block.pinned
