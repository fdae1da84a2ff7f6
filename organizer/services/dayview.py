"""The Day plan as the app shows it, and the hands-on edits: nudge, resize, split, pin a block.

A block the user moves or resizes is pinned, since they have just said where it goes; every re-plan
then leaves it there. The plan is derived data, so these edits are not in the undo history: unpinning
the block (`p` in the app, `organizer pin ID --off`) lets the next re-plan place it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from organizer.config import Config
from organizer.fields import InputError
from organizer.models import Board, BusyEvent, Card, PlanBlock
from organizer.planner import DayPlan, Moved
from organizer.services.schedule import day_bounds
from organizer.services.timer import running

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
    return {cid: f"{key}-{number}" for cid, number, key in rows}


def day_view(session: Session, cfg: Config, day: date, *, now: datetime, replan: bool = False) -> DayView:
    """The day as the one stored schedule has it (re-planned first if stale), with stored block ids."""
    from organizer.services import schedule
    from organizer.sqlrows import Db

    sched = schedule.in_session(session, cfg, now, force=replan)
    plan = schedule.view(Db(session), cfg, sched, day, now)
    start, end = day_bounds(day, 1, cfg.timezone)
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


def _check_free(session: Session, block: PlanBlock, start: datetime, end: datetime) -> None:
    """Refuse an edit that would overlap another work block or busy time."""
    others = session.exec(select(PlanBlock).where(PlanBlock.id != block.id, col(PlanBlock.start_at) < end,
                                                  col(PlanBlock.end_at) > start,
                                                  col(PlanBlock.kind).in_(("work", "popup")))).first()
    if others is not None:
        card = session.get(Card, others.card_id) if others.card_id else None
        what = card.title if card else others.kind
        raise InputError(f"that would overlap “{what}”: move that block first")
    busy = session.exec(select(BusyEvent).where(col(BusyEvent.start_at) < end, col(BusyEvent.end_at) > start)).first()
    if busy is not None:
        raise InputError(f"that would overlap busy time “{busy.title}”")


def nudge_block(session: Session, block_id: int, minutes: int) -> PlanBlock:
    """Move a work block earlier (negative) or later by some minutes; it becomes pinned."""
    block = _block(session, block_id)
    assert block.start_at is not None and block.end_at is not None
    start, end = block.start_at + timedelta(minutes=minutes), block.end_at + timedelta(minutes=minutes)
    _check_free(session, block, start, end)
    block.start_at, block.end_at, block.pinned = start, end, True
    session.add(block)
    return block


def resize_block(session: Session, block_id: int, minutes: int) -> PlanBlock:
    """Make a block longer (positive) or shorter at its end; it becomes pinned."""
    block = _block(session, block_id)
    assert block.start_at is not None and block.end_at is not None
    end = block.end_at + timedelta(minutes=minutes)
    if end - block.start_at < timedelta(minutes=MIN_BLOCK):
        raise InputError(f"a block lasts at least {MIN_BLOCK} minutes")
    _check_free(session, block, block.start_at, end)
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
