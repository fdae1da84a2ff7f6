"""Time tracking: one running timer at a time; stopping it adds the minutes to the card's time spent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from organizer import history
from organizer.models import Board, BoardColumn, Card, TimeEntry
from organizer.services.cards import card_ref, find_card
from organizer.storage.plain import serialize
from organizer.validate import InputError


@dataclass(frozen=True)
class Accuracy:
    """How long a role's finished work took against its estimates."""

    role: str | None
    cards: int
    estimated_minutes: int
    spent_minutes: int

    @property
    def ratio(self) -> float:
        """Spent ÷ estimated: 1.25 means the work took 25 % longer than planned."""
        return self.spent_minutes / self.estimated_minutes if self.estimated_minutes else 0.0


def running(session: Session) -> tuple[TimeEntry, Card] | None:
    """The running timer and its card, if any."""
    row = session.exec(select(TimeEntry, Card).join(Card, col(Card.id) == TimeEntry.card_id)
                       .where(col(TimeEntry.ended_at).is_(None))).first()
    return (row[0], row[1]) if row else None


def _close(session: Session, entry: TimeEntry, card: Card, now: datetime, origin: str) -> int:
    assert entry.started_at is not None and card.id is not None
    minutes = max(0, round((now - entry.started_at).total_seconds() / 60))
    before = history.snapshot(session, "card", card.id)
    entry.ended_at, entry.minutes = now, minutes
    card.spent_minutes += minutes
    session.add_all([entry, card])
    session.flush()
    history.record(session, f"track {minutes} min on {card_ref(session, card)}",
                   [history.change("card", card.id, before, history.snapshot(session, "card", card.id))], origin)
    return minutes


def start_timer(session: Session, ref: str, *, now: datetime, origin: str = "cli") -> tuple[str, str | None, int]:
    """Start timing a card; a timer already running is stopped first. Returns (card, stopped card, its minutes)."""
    serialize(session, "timer")  # one running timer, even when two processes start one at once (PostgreSQL)
    card = find_card(session, ref)
    assert card.id is not None  # a stored card
    stopped, minutes = None, 0
    current = running(session)
    if current is not None:
        if current[1].id == card.id:
            raise InputError(f"the timer is already running on {card_ref(session, card)}")
        minutes = _close(session, current[0], current[1], now, origin)
        stopped = card_ref(session, current[1])
    session.add(TimeEntry(card_id=card.id, started_at=now))
    return card_ref(session, card), stopped, minutes


def stop_timer(session: Session, *, now: datetime, origin: str = "cli") -> tuple[str, int]:
    """Stop the running timer; returns the card and the minutes added to its time spent."""
    serialize(session, "timer")
    current = running(session)
    if current is None:
        raise InputError("no timer is running: start one with organizer start ID")
    return card_ref(session, current[1]), _close(session, current[0], current[1], now, origin)


def accuracy(session: Session, role_order: list[str]) -> list[Accuracy]:
    """Estimate against time spent for finished cards (in a done column) that have both, per role."""
    rows = session.exec(
        select(Card.role, Card.estimate_minutes, Card.spent_minutes)
        .join(BoardColumn, col(BoardColumn.id) == Card.column_id).join(Board, col(Board.id) == Card.board_id)
        .where(BoardColumn.is_done == True, col(Card.estimate_minutes) > 0, Card.spent_minutes > 0)  # noqa: E712
    ).all()
    totals: dict[str | None, list[int]] = {}
    for role, estimate, spent in rows:
        t = totals.setdefault(role, [0, 0, 0])
        t[0] += 1
        t[1] += estimate or 0
        t[2] += spent
    order = [r for r in role_order if r in totals] + [r for r in totals if r not in role_order]
    return [Accuracy(r, *totals[r]) for r in order]
