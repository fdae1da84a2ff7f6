"""Day plans: gather cards, busy time and kept blocks from the store, run the planner, keep the result.

The plan is stable until you replan: `plan_for` keeps a day's stored work blocks where they are and
only fits new work into free time (and pop-ups into the reserve); `replan=True` lets every future,
unpinned block move. Past blocks and pinned blocks never move. Busy events and the reserve are laid
out afresh each time, since they follow the calendar and the hours, not the user's choices.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete, select

from organizer.config import Config
from organizer.fields import InputError
from organizer.models import Board, BoardColumn, BusyEvent, Card, PlanBlock
from organizer.planner import Busy, DayPlan, Fixed, WorkItem, plan_range, settings_from_config
from organizer.services.cards import find_card

PLAN_KINDS = ("work", "reserve", "popup")
CONTINUE_DAYS = 14


def day_bounds(day: date, days: int, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants where a run of local days starts and ends."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=days), time(0), zone).astimezone(UTC)
    return start, end


def work_items(session: Session) -> list[WorkItem]:
    """Open cards the planner should place: every card outside done columns and outside the backlog
    (a board's first column, Ideas), plus backlog cards that have a due or publish time or are pop-ups.
    A card without an estimate comes with 0 minutes, which the planner reports as "no estimate".
    """
    first = {b: c for b, c in session.exec(
        select(BoardColumn.board_id, BoardColumn.id).where(BoardColumn.position == 0))}
    rows = session.exec(
        select(Card, Board.key).join(Board, col(Board.id) == Card.board_id)
        .join(BoardColumn, col(BoardColumn.id) == Card.column_id).where(BoardColumn.is_done == False)  # noqa: E712
        .order_by(Card.id)
    ).all()
    items = []
    for card, key in rows:
        backlog = first.get(card.board_id) == card.column_id
        if backlog and not (card.due_at or card.publish_at or card.popup):
            continue
        assert card.id is not None
        remaining = max(0, (card.estimate_minutes or 0) - card.spent_minutes) if card.estimate_minutes else 0
        items.append(WorkItem(card_id=card.id, ref=f"{key}-{card.number}", title=card.title, role=card.role,
                              minutes=remaining, priority=card.priority, due_at=card.due_at,
                              publish_at=card.publish_at, parent_id=card.parent_id, step=card.step,
                              popup=card.popup,
                              # An unreadable created_at (see organizer.integrity) sorts first rather than crash.
                              created_at=card.created_at or datetime(1970, 1, 1, tzinfo=UTC)))
    return items


def busy_between(session: Session, start: datetime, end: datetime) -> list[Busy]:
    """Busy events overlapping [start, end)."""
    rows = session.exec(select(BusyEvent).where(col(BusyEvent.start_at) < end, col(BusyEvent.end_at) > start)
                        .order_by(BusyEvent.start_at, BusyEvent.id))
    return [Busy(e.start_at, e.end_at, e.title, e.uid) for e in rows if e.start_at and e.end_at]


def stored_blocks(session: Session, start: datetime, end: datetime) -> list[PlanBlock]:
    """Stored plan blocks starting in [start, end)."""
    return list(session.exec(select(PlanBlock).where(col(PlanBlock.start_at) >= start,
                                                     col(PlanBlock.start_at) < end)
                             .order_by(PlanBlock.start_at, PlanBlock.id)))


def plan_for(session: Session, cfg: Config, day: date, *, now: datetime, days: int = 1,
             replan: bool = False) -> list[DayPlan]:
    """Plan `days` days from `day` and store the result; see the module docstring for what may move.

    A future day is planned as the continuation of today: the days in between are planned too (and
    stored), so work placed today is not placed again tomorrow. Only the requested days are returned.
    """
    today = now.astimezone(ZoneInfo(cfg.timezone)).date()
    wanted = days
    # Beyond two weeks a day is planned on its own: continuing a plan that far ahead costs more than it tells.
    if today < day <= today + timedelta(days=CONTINUE_DAYS):
        days += (day - today).days
        day = today
    start, end = day_bounds(day, days, cfg.timezone)
    items = work_items(session)
    open_ids = {i.card_id for i in items}
    fixed: list[Fixed] = []
    pinned: set[tuple[datetime, datetime, int | None]] = set()
    for b in stored_blocks(session, start, end):
        if b.kind not in PLAN_KINDS or b.start_at is None or b.end_at is None:
            continue
        past = b.end_at <= now
        keep_work = not replan and b.kind in ("work", "popup") and b.card_id in open_ids
        if b.pinned or past or keep_work:
            fixed.append(Fixed(b.start_at, b.end_at, b.kind, b.card_id, _title(session, b)))
            if b.pinned:
                pinned.add((b.start_at, b.end_at, b.card_id))
    plans = plan_range(items, busy_between(session, start, end), fixed, settings_from_config(cfg), start=day, days=days,
                       now=now)
    session.exec(delete(PlanBlock).where(col(PlanBlock.start_at) >= start, col(PlanBlock.start_at) < end))
    for plan in plans:
        for block in plan.blocks:
            if block.kind in PLAN_KINDS:
                session.add(PlanBlock(day=plan.day, start_at=block.start, end_at=block.end, kind=block.kind,
                                      card_id=block.card_id,
                                      pinned=(block.start, block.end, block.card_id) in pinned))
    # The planner marks every block it kept as pinned; users mean only the ones they pinned.
    return [replace(plan, blocks=tuple(replace(b, pinned=(b.start, b.end, b.card_id) in pinned)
                                       for b in plan.blocks)) for plan in plans[-wanted:]]


def _title(session: Session, block: PlanBlock) -> str:
    if block.card_id is None:
        return "Reserve" if block.kind == "reserve" else ""
    card = session.get(Card, block.card_id)
    return card.title if card else ""


def pin_card(session: Session, cfg: Config, ref: str, *, now: datetime, on: bool = True) -> int:
    """Pin (or unpin) a card's future blocks in the stored plan so replanning leaves them; returns how many."""
    card = find_card(session, ref)
    blocks = list(session.exec(select(PlanBlock).where(PlanBlock.card_id == card.id,
                                                       col(PlanBlock.end_at) > now)))
    if not blocks:
        raise InputError(f"card {ref} has no planned time from now on: run organizer plan first")
    for b in blocks:
        b.pinned = on
        session.add(b)
    return len(blocks)
