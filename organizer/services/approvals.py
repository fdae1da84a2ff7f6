"""Approve or reject a card (the approval gate, organizer.approval): one user action, one undo step.

A verdict is a row of `approval` kept in the card's history snapshot, so undo takes it back. Rejecting needs a
note and sends the card back to In progress (the column before Review when a board has no In progress).
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from organizer import approval, history
from organizer.config import Config
from organizer.models import Approval, Board, utcnow
from organizer.services import boards as board_service
from organizer.services.cards import card_ref, find_card, move_card
from organizer.storage.plain import Db
from organizer.validate import InputError, clean_text

NOTE_MAX = 2000


def _verdict(session: Session, cfg: Config, ref: str, verdict: str, by: str | None, note: str,
             origin: str) -> tuple[str, str]:
    card = find_card(session, ref)
    assert card.id is not None
    name = clean_text(by or approval.reviewer(cfg)).strip()[:80]
    if not name:
        raise InputError("--as: give the reviewer's name")
    text = clean_text(note, multiline=True).strip()
    if len(text) > NOTE_MAX:
        raise InputError(f"--note holds {len(text):,} characters: at most {NOTE_MAX:,}")
    before = history.snapshot(session, "card", card.id)
    session.add(Approval(card_id=card.id, at=utcnow(), by=name, verdict=verdict, note=text))
    card.updated_at = utcnow()
    session.add(card)
    session.flush()
    history.record(session, f"{verdict} {card_ref(session, card)}", [
        history.change("card", card.id, before, history.snapshot(session, "card", card.id))], origin)
    return card_ref(session, card), name


def approve(session: Session, cfg: Config, ref: str, *, by: str | None = None, note: str = "",
            origin: str = "cli") -> str:
    """Record an approval; says how far the card's board rule is met."""
    with history.batch(session, f"approve {ref}", origin):
        done_ref, name = _verdict(session, cfg, ref, "approve", by, note, origin)
    card = find_card(session, done_ref)
    board = session.get(Board, card.board_id)
    assert board is not None
    rule = approval.rule(cfg, board.key, Db(session))
    if not rule.required:
        return f"{done_ref} approved by {name} (board {board.key} does not require approval)"

    from organizer.models import Approval as A

    verdicts = session.exec(select(A.by, A.verdict).where(A.card_id == card.id).order_by(col(A.id))).all()
    have = approval.count(rule, list(verdicts))
    if rule.approver and name.casefold() != rule.approver.casefold():
        return (f"{done_ref} approved by {name}; board {board.key} counts only {rule.approver}'s approval "
                f"({have} of {rule.required})")
    return f"{done_ref} approved by {name} ({have} of {rule.required}: " + (
        "it may move past Review)" if have >= rule.required else "more needed)")


def reject(session: Session, cfg: Config, ref: str, *, note: str, by: str | None = None, origin: str = "cli") -> str:
    """Record a rejection with its note and send the card back to In progress; returns the column."""
    if not note.strip():
        raise InputError("reject needs --note: say what must change")
    with history.batch(session, f"reject {ref}", origin):
        done_ref, _ = _verdict(session, cfg, ref, "reject", by, note, origin)
        card = find_card(session, done_ref)
        board = session.get(Board, card.board_id)
        assert board is not None
        columns = board_service.columns(session, board)
        names = [c.name.strip().lower() for c in columns]
        back = (names.index("in progress") if "in progress" in names
                else max(0, names.index(approval.REVIEW) - 1) if approval.REVIEW in names else None)
        if back is not None and columns[back].id != card.column_id:
            move_card(session, done_ref, columns[back].name, origin=origin)
            return columns[back].name
    current = next((c.name for c in columns if c.id == card.column_id), "")
    return current
