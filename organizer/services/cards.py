"""Cards: add, find, edit, move, complete, remove and list, each one recorded for undo."""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, delete, select

from organizer import cardspec, history
from organizer.config import Config
from organizer.models import Approval, Board, BoardColumn, Card, CardChannel, CardTag, PostVariant, utcnow
from organizer.porcelain import card_json
from organizer.services import boards as board_service
from organizer.validate import CardFields, CardFilter, InputError, match_column, parse_ref

# Fields copied straight from CardFields onto the card row (organizer.cardspec.PLAIN).
_PLAIN = cardspec.PLAIN


def card_ref(session: Session, card: Card) -> str:
    """The human ID of a card, e.g. `NWC-12`."""
    board = session.get(Board, card.board_id)
    assert board is not None
    return f"{board.key}-{card.number}"


def find_card(session: Session, ref: str) -> Card:
    """The card a human ID names (`NWC-12`, or `12` when only one board has a card 12)."""
    key, number = parse_ref(ref)
    query = select(Card, Board.key).join(Board, col(Board.id) == Card.board_id).where(Card.number == number)
    if key:
        query = query.where(Board.key == key)
    found = session.exec(query).all()
    if not found:
        raise InputError(f"card {ref!r} does not exist: `organizer list` shows the cards there are")
    if len(found) > 1:
        refs = ", ".join(f"{k}-{number}" for _, k in found)
        raise InputError(f"card {ref!r} is ambiguous ({refs}): write it with the board key")
    return found[0][0]


def _snap(session: Session, card: Card) -> dict[str, Any] | None:
    session.flush()
    assert card.id is not None
    return history.snapshot(session, "card", card.id)


def _set_links(session: Session, card: Card, channels: list[str] | None, tags: list[str] | None) -> None:
    assert card.id is not None  # flushed: links need the card's id
    if channels is not None:
        session.exec(delete(CardChannel).where(col(CardChannel.card_id) == card.id))
        for i, ch in enumerate(channels):
            session.add(CardChannel(card_id=card.id, channel=ch, position=i))
    if tags is not None:
        session.exec(delete(CardTag).where(col(CardTag.card_id) == card.id))
        for tag in tags:
            session.add(CardTag(card_id=card.id, tag=tag))


def _end_position(session: Session, column_id: int) -> float:
    top = session.exec(select(func.max(Card.position)).where(Card.column_id == column_id)).one()
    return (top or 0.0) + 1.0


def _place_under_parent(session: Session, card: Card, parent_ref: str) -> None:
    try:
        parent = find_card(session, parent_ref)
    except InputError as exc:
        raise InputError(str(exc), field="parent") from None
    if parent.board_id != card.board_id:
        raise InputError(f"parent {parent_ref!r} is on another board: steps stay on their piece's board",
                         field="parent")
    if parent.id == card.id or parent.parent_id is not None:
        raise InputError(f"parent {parent_ref!r} cannot hold steps: pick a top-level card", field="parent")
    if card.id is not None and session.exec(select(Card.id).where(Card.parent_id == card.id)).first():
        raise InputError(f"card {card_ref(session, card)} has steps of its own, so it cannot become a step: "
                         "steps are one level deep", field="parent")
    card.parent_id = parent.id
    last = session.exec(select(func.max(Card.step)).where(Card.parent_id == parent.id)).one()
    card.step = (last or 0) + 1


def take_number(session: Session, board: Board) -> int:
    """The board's next card number, handed out once: one atomic `UPDATE … RETURNING`.

    Reading the counter and writing it back in two steps is safe under SQLite's write lock but not on
    PostgreSQL, where two adding transactions would both read the same number; the UPDATE takes the
    board's row lock, so concurrent adds to one board queue there and each gets its own number.
    """
    table = Board.__table__  # type: ignore[attr-defined]  # SQLModel sets __table__ but does not declare it
    session.flush()  # a board created in this transaction must exist before its counter moves
    taken: int = session.connection().execute(
        update(table).where(table.c.id == board.id).values(next_number=table.c.next_number + 1)
        .returning(table.c.next_number)).scalar_one()
    set_committed_value(board, "next_number", taken)
    return int(taken) - 1


def add_card(session: Session, cfg: Config, f: CardFields, *, origin: str = "cli") -> Card:
    """Create a card at the bottom of its column (the board's first column by default)."""
    board = board_service.resolve_board(session, cfg, f.board)
    column = (board_service.find_column(session, board, f.column) if f.column
              else board_service.columns(session, board)[0])
    now = utcnow()
    number = take_number(session, board)
    assert board.id is not None and column.id is not None  # stored rows
    card = Card(board_id=board.id, number=number, column_id=column.id, position=_end_position(session, column.id),
                title=f.title or "", notes=f.notes or "", post=f.post or "", role=f.role,
                estimate_minutes=f.estimate_minutes,
                spent_minutes=f.spent_minutes or 0, due_at=f.due_at, publish_at=f.publish_at,
                campaign=f.campaign, pillar=f.pillar, priority=f.priority or cfg.default_priority,
                popup=bool(f.popup), created_at=now, updated_at=now,
                completed_at=now if column.is_done else None)
    session.add(card)
    session.flush()
    if f.parent:
        _place_under_parent(session, card, f.parent)
    _set_links(session, card, f.channels or [], f.tags or [])
    assert card.id is not None
    history.record(session, f"add {board.key}-{number}", [history.change("card", card.id, None, _snap(session, card))],
                   origin)
    return card


def edit_card(session: Session, cfg: Config, ref: str, f: CardFields, *, origin: str = "cli") -> Card:
    """Change the given fields of a card; `cleared` fields are emptied."""
    card = find_card(session, ref)
    before = _snap(session, card)
    for name in _PLAIN:
        value = getattr(f, name)
        if value is not None:
            setattr(card, name, value)
    for name in f.cleared:
        if name == "parent":
            card.parent_id, card.step = None, None
        elif name == "spent_minutes":
            card.spent_minutes = 0
        elif name in _PLAIN:
            setattr(card, name, None)
    if f.parent:
        _place_under_parent(session, card, f.parent)
    if f.board:
        raise InputError(f"--board {f.board}: a card cannot change board by edit; export and import it, "
                         "or add it anew on that board", field="board")
    _set_links(session, card, f.channels, f.tags)
    if f.column:
        _move(session, card, f.column, cfg=cfg)
    card.updated_at = utcnow()
    session.add(card)
    assert card.id is not None
    history.record(session, f"edit {card_ref(session, card)}",
                   [history.change("card", card.id, before, _snap(session, card))], origin)
    return card


def _position_at(session: Session, column_id: int, index: int, moving: int | None) -> float:
    """A position that puts a card at row `index` of a column (the others keep theirs)."""
    rows = list(session.exec(select(Card.position).where(Card.column_id == column_id, Card.id != moving)
                             .order_by(col(Card.position))))
    if index >= len(rows):
        return (rows[-1] if rows else 0.0) + 1.0
    below = rows[index]
    above = rows[index - 1] if index > 0 else below - 2.0
    return (above + below) / 2


def _move(session: Session, card: Card, column_name: str, index: int | None = None,
          cfg: Config | None = None) -> BoardColumn:
    board = session.get(Board, card.board_id)
    assert board is not None
    target = board_service.find_column(session, board, column_name)
    assert target.id is not None
    if cfg is not None and target.id != card.column_id:
        _check_gate(session, cfg, board, card, target)
    if target.id != card.column_id or index is not None:
        same = target.id == card.column_id
        card.column_id = target.id
        card.position = (_end_position(session, target.id) if index is None
                         else _position_at(session, target.id, index, card.id))
        if not same:
            card.completed_at = (card.completed_at or utcnow()) if target.is_done else None
    return target


def _check_gate(session: Session, cfg: Config, board: Board, card: Card, target: BoardColumn) -> None:
    """The approval gate (organizer.approval): a card of a board that requires it stops before passing Review."""
    from organizer import approval
    from organizer.storage.plain import Db

    rule = approval.rule(cfg, board.key, Db(session))
    if not rule.required:
        return
    columns = board_service.columns(session, board)
    index = next(i for i, c in enumerate(columns) if c.id == target.id)
    if approval.gated([(c.name, c.is_done) for c in columns], index):
        verdicts = session.exec(select(Approval.by, Approval.verdict).where(Approval.card_id == card.id)
                                .order_by(col(Approval.id))).all()
        approval.check_move(rule, f"{board.key}-{card.number}", target.name, list(verdicts))


def move_card(session: Session, ref: str, column_name: str, *, index: int | None = None,
              origin: str = "cli", cfg: Config | None = None) -> BoardColumn:
    """Move a card to another column: to its bottom, or to row `index`; a done column stamps completion."""
    card = find_card(session, ref)
    before = _snap(session, card)
    target = _move(session, card, column_name, index, cfg)
    card.updated_at = utcnow()
    session.add(card)
    assert card.id is not None
    history.record(session, f"move {card_ref(session, card)} to {target.name}",
                   [history.change("card", card.id, before, _snap(session, card))], origin)
    return target


def move_card_to(session: Session, card_id: int, column_id: int, index: int, *, origin: str = "cli",
                 cfg: Config | None = None) -> BoardColumn:
    """`move_card` by stored ids, as the board read them (its moves, when the plain path cannot take them)."""
    card = session.get(Card, card_id)
    if card is None:
        raise InputError("that card is gone (deleted meanwhile): the board has been reloaded")
    column = session.get(BoardColumn, column_id)
    if column is None or column.board_id != card.board_id:
        raise InputError("that column is gone (the board changed meanwhile): the board has been reloaded")
    return move_card(session, card_ref(session, card), column.name, index=index, origin=origin, cfg=cfg)


def reorder_card(session: Session, ref: str, offset: int, *, origin: str = "cli") -> int:
    """Move a card up (offset < 0) or down within its column; returns its new row index."""
    card = find_card(session, ref)
    siblings = list(session.exec(select(Card).where(Card.column_id == card.column_id).order_by(col(Card.position))))
    here = next(i for i, c in enumerate(siblings) if c.id == card.id)
    there = max(0, min(len(siblings) - 1, here + offset))
    if there == here:
        return here
    other = siblings[there]
    before = [_snap(session, card), _snap(session, other)]
    card.position, other.position = other.position, card.position
    card.updated_at = utcnow()
    session.add_all([card, other])
    assert card.id is not None and other.id is not None
    history.record(session, f"reorder {card_ref(session, card)}",
                   [history.change("card", card.id, before[0], _snap(session, card)),
                    history.change("card", other.id, before[1], _snap(session, other))], origin)
    return there


def done_card(session: Session, ref: str, *, origin: str = "cli", cfg: Config | None = None) -> BoardColumn:
    """Mark a card complete: it moves to the board's first done column (e.g. Published)."""
    card = find_card(session, ref)
    board = session.get(Board, card.board_id)
    assert board is not None
    cols = board_service.columns(session, board)
    current = next(c for c in cols if c.id == card.column_id)
    if current.is_done:
        raise InputError(f"card {ref} is already done (in {current.name})")
    done_cols = [c for c in cols if c.is_done]
    if not done_cols:
        raise InputError(f"board {board.key} has no done column to move {ref} to")
    return move_card(session, ref, done_cols[0].name, origin=origin, cfg=cfg)


def remove_card(session: Session, ref: str, *, origin: str = "cli") -> list[str]:
    """Delete a card and its steps; returns the IDs removed (undo brings them all back)."""
    card = find_card(session, ref)
    board = session.get(Board, card.board_id)
    assert board is not None and card.id is not None
    steps = list(session.exec(select(Card).where(Card.parent_id == card.id).order_by(col(Card.step))))
    changes = []
    # Steps first, so undo (which walks the list backwards) restores the parent before them. The
    # snapshots carry the time entries and pinned plan blocks the delete cascades away, for undo.
    session.flush()
    for c in [*steps, card]:
        assert c.id is not None
        changes.append(history.change("card", c.id, history.snapshot(session, "card", c.id, dependents=True), None))
    for c in steps:
        session.delete(c)
    session.flush()  # the steps go before their parent, not by a cascade the session cannot see
    session.delete(card)
    removed = [f"{board.key}-{c.number}" for c in [card, *steps]]
    history.record(session, f"remove {', '.join(removed)}", changes, origin)
    return removed


def list_cards(session: Session, cfg: Config, flt: CardFilter) -> list[dict[str, Any]]:
    """Cards as their JSON porcelain, in board, column and position order."""
    q = (select(Card, Board.key, BoardColumn.name)
         .join(Board, col(Board.id) == Card.board_id)
         .join(BoardColumn, col(BoardColumn.id) == Card.column_id))
    if flt.board:
        q = q.where(Board.key == board_service.get_board(session, flt.board).key)
    if flt.role:
        q = q.where(Card.role == flt.role)
    if flt.column:
        names_q = select(BoardColumn.name).join(Board, col(Board.id) == BoardColumn.board_id)
        if flt.board:
            names_q = names_q.where(Board.key == flt.board.upper())
        # GROUP BY, not DISTINCT: PostgreSQL orders a DISTINCT list only by what it selects.
        names = list(session.exec(names_q.group_by(col(BoardColumn.name))
                                  .order_by(func.min(BoardColumn.position), col(BoardColumn.name))))
        q = q.where(BoardColumn.name == names[match_column(names, flt.column, (flt.board or "any board").upper())])
    if flt.due_before:
        q = q.where(col(Card.due_at).is_not(None), col(Card.due_at) < flt.due_before)
    if flt.popup is not None:
        q = q.where(Card.popup == flt.popup)
    if not flt.include_done:
        q = q.where(BoardColumn.is_done == False)  # noqa: E712
    if flt.channel:
        q = q.where(col(Card.id).in_(select(CardChannel.card_id).where(CardChannel.channel == flt.channel)))
    rows = session.exec(q.order_by(col(Card.board_id), col(BoardColumn.position), col(Card.position))).all()
    return _as_json(session, cfg, rows)


def _as_json(session: Session, cfg: Config, rows: Any) -> list[dict[str, Any]]:
    ids = [card.id for card, _, _ in rows]
    channels: dict[int, list[str]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    variants: dict[int, list[dict[str, Any]]] = defaultdict(list)
    approvals: dict[int, list[dict[str, Any]]] = defaultdict(list)
    refs = {card.id: f"{key}-{card.number}" for card, key, _ in rows}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        for cid, ch in session.exec(select(CardChannel.card_id, CardChannel.channel)
                                    .where(col(CardChannel.card_id).in_(part)).order_by(col(CardChannel.position))):
            channels[cid].append(ch)
        for cid, tag in session.exec(select(CardTag.card_id, CardTag.tag)
                                     .where(col(CardTag.card_id).in_(part)).order_by(col(CardTag.tag))):
            tags[cid].append(tag)
        for variant in session.exec(select(PostVariant).where(col(PostVariant.card_id).in_(part))
                                    .order_by(col(PostVariant.card_id), col(PostVariant.position))):
            variants[variant.card_id].append(variant.model_dump())
        for verdict in session.exec(select(Approval).where(col(Approval.card_id).in_(part))
                                    .order_by(col(Approval.card_id), col(Approval.id))):
            approvals[verdict.card_id].append(verdict.model_dump())
    missing = {card.parent_id for card, _, _ in rows if card.parent_id and card.parent_id not in refs}
    for parent in missing:
        p = session.get(Card, parent)
        if p is not None:
            refs[parent] = card_ref(session, p)
    tz = ZoneInfo(cfg.timezone)
    return [card_json(card.model_dump(), board_key=key, column=colname, channels=channels[card.id],
                      tags=tags[card.id], parent_ref=refs.get(card.parent_id) if card.parent_id else None, tz=tz,
                      variants=variants[card.id], approvals=approvals[card.id])
            for card, key, colname in rows]


def open_steps_with_due(session: Session, card: Card) -> int:
    """How many of a card's steps are not done and have a due time (a piece made from a template)."""
    rows = session.exec(select(Card.id).join(BoardColumn, col(BoardColumn.id) == Card.column_id)
                        .where(Card.parent_id == card.id, col(Card.due_at).is_not(None),
                               BoardColumn.is_done == False)).all()  # noqa: E712
    return len(rows)


def card_view(session: Session, cfg: Config, ref: str) -> dict[str, Any]:
    """One card as its JSON porcelain, plus its steps' IDs."""
    card = find_card(session, ref)
    row = session.exec(
        select(Card, Board.key, BoardColumn.name)
        .join(Board, col(Board.id) == Card.board_id)
        .join(BoardColumn, col(BoardColumn.id) == Card.column_id)
        .where(Card.id == card.id)
    ).all()
    out = _as_json(session, cfg, row)[0]
    steps = session.exec(select(Card.number).where(Card.parent_id == card.id).order_by(col(Card.step))).all()
    out["steps"] = [f"{out['board']}-{n}" for n in steps]
    from organizer.storage.plain import Db

    # The experiments its posts are in, with each one's conclusion once closed (organizer.experiments).
    out["experiments"] = [{"key": key, "channel": channel, "arm": arm, "status": status, "conclusion": conclusion}
                          for key, channel, arm, status, conclusion in Db(session).rows(
                              "SELECT e.key, p.channel, a.label, e.status, e.conclusion FROM experiment_post p "
                              "JOIN experiment e ON e.id = p.experiment_id JOIN experiment_arm a ON a.id = p.arm_id "
                              "WHERE p.card_id = :id ORDER BY e.created_at, p.channel", {"id": card.id})]
    return out
