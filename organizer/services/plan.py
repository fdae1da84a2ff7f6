"""Pins: keep a card's planned blocks where they are when the schedule is made again.

The schedule itself (one plan over the horizon, always current) is `organizer.services.schedule`.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from organizer.config import Config
from organizer.models import PlanBlock
from organizer.services.cards import find_card
from organizer.services.schedule import in_session
from organizer.validate import InputError

__all__ = ["pin_card"]


def pin_card(session: Session, cfg: Config, ref: str, *, now: datetime, on: bool = True) -> int:
    """Pin (or unpin) a card's future blocks in the stored plan so re-planning leaves them; returns how many."""
    card = find_card(session, ref)
    in_session(session, cfg, now)  # the plan must be current to hold the card's blocks
    blocks = list(session.exec(select(PlanBlock).where(PlanBlock.card_id == card.id,
                                                       col(PlanBlock.end_at) > now)))
    if not blocks:
        raise InputError(f"card {ref} has no planned time from now on: it needs an estimate and a column "
                         "outside the backlog (organizer plan shows why a card is not planned)")
    for b in blocks:
        b.pinned = on
        session.add(b)
    return len(blocks)
