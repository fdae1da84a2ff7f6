"""Boards and their workflow columns."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from organizer import history, refdata
from organizer.config import Config
from organizer.models import Board, BoardColumn, Card, utcnow
from organizer.storage.plain import serialize
from organizer.validate import InputError, check_board_key, clean_text, match_column, unknown_board

DEFAULT_BOARD_KEY = "MAIN"


@dataclass(frozen=True)
class BoardSummary:
    """A board with its card counts, for listings."""

    key: str
    name: str
    description: str
    cards: int
    open_cards: int
    is_default: bool


def get_board(session: Session, key: str) -> Board:
    """The board with this key (any case), or InputError listing the boards there are."""
    board = session.exec(select(Board).where(Board.key == check_board_key(key))).first()
    if board is None:
        raise unknown_board(key, session.exec(select(Board.key).order_by(col(Board.id))))
    return board


def default_board(session: Session, cfg: Config, *, create: bool = True) -> Board:
    """The board used when none is named: the configured one, else the oldest, else a new MAIN board."""
    if cfg.default_board:
        return get_board(session, cfg.default_board)
    board = session.exec(select(Board).order_by(col(Board.id))).first()
    if board is None:
        if not create:
            raise InputError("there are no boards yet: add a card or run organizer boards add KEY NAME")
        # Several first adds at once on PostgreSQL: one makes the board, the others wait, then find it.
        serialize(session, "default board")
        board = session.exec(select(Board).order_by(col(Board.id))).first()
        if board is None:
            board = create_board(session, DEFAULT_BOARD_KEY, "My board", origin="auto")
    return board


def resolve_board(session: Session, cfg: Config, key: str | None) -> Board:
    """The named board, or the default one."""
    return get_board(session, key) if key else default_board(session, cfg)


def columns(session: Session, board: Board) -> list[BoardColumn]:
    """A board's columns in workflow order."""
    return list(session.exec(
        select(BoardColumn).where(BoardColumn.board_id == board.id).order_by(col(BoardColumn.position))
    ))


def find_column(session: Session, board: Board, name: str) -> BoardColumn:
    """A column by name, ignoring case; a unique prefix of it or of one of its words will do (`prog`)."""
    cols = columns(session, board)
    return cols[match_column([c.name for c in cols], name, board.key)]


def create_board(
    session: Session,
    key: str,
    name: str,
    description: str = "",
    specs: list[refdata.ColumnSpec] | None = None,
    *,
    origin: str = "cli",
) -> Board:
    """Create a board with the default workflow (or the given columns)."""
    key = check_board_key(key)
    name = clean_text(name).strip()
    if not name:
        raise InputError("a board needs a name, e.g. organizer boards add ACME 'Acme Coffee'")
    if session.exec(select(Board).where(Board.key == key)).first():
        raise InputError(f"board key {key!r} is already used: pick another")
    board = Board(key=key, name=name, description=clean_text(description, multiline=True), created_at=utcnow())
    session.add(board)
    session.flush()
    assert board.id is not None  # assigned by the flush
    for i, spec in enumerate(specs or refdata.default_columns()):
        session.add(BoardColumn(board_id=board.id, name=spec.name, position=i, wip_limit=spec.wip, is_done=spec.done))
    session.flush()
    history.record(session, f"add board {key}", [history.change("board", board.id, None,
                                                                history.snapshot(session, "board", board.id))],
                   origin)
    return board


def rename_board(
    session: Session, key: str, *, name: str | None = None, new_key: str | None = None, origin: str = "cli"
) -> Board:
    """Rename a board and/or change its key (card IDs follow the key)."""
    board = get_board(session, key)
    assert board.id is not None
    before = history.snapshot(session, "board", board.id)
    if name is not None:
        name = clean_text(name).strip()
        if not name:
            raise InputError("the new board name is empty")
        board.name = name
    if new_key is not None:
        new_key = check_board_key(new_key)
        if new_key != board.key and session.exec(select(Board).where(Board.key == new_key)).first():
            raise InputError(f"board key {new_key!r} is already used: pick another")
        if new_key != board.key:
            from organizer.storage.plain import Db

            # What is kept with the board under its key (the approval gate, the mix targets) follows it; a
            # board made later under the old key starts without them. (Undo of the rename leaves them here.)
            for kind in ("approval", "mix"):
                Db(session).rows("UPDATE setting SET key = :new WHERE key = :old",
                                 {"new": f"{kind}.{new_key}", "old": f"{kind}.{board.key}"}, fetch=False)
        board.key = new_key
    session.add(board)
    session.flush()
    history.record(session, f"rename board {key}",
                   [history.change("board", board.id, before, history.snapshot(session, "board", board.id))],
                   origin)
    return board


def summaries(session: Session, cfg: Config) -> list[BoardSummary]:
    """Every board with its total and open card counts."""
    done_cols = select(BoardColumn.id).where(BoardColumn.is_done == True)  # noqa: E712
    # Keyed by board id; a Board's id is typed optional (None until flushed), so the keys are too.
    total: dict[int | None, int] = dict(
        session.exec(select(Card.board_id, func.count()).group_by(col(Card.board_id))).all())
    open_: dict[int | None, int] = dict(session.exec(
        select(Card.board_id, func.count()).where(col(Card.column_id).not_in(done_cols))
        .group_by(col(Card.board_id))
    ).all())
    boards = list(session.exec(select(Board).order_by(col(Board.id))))
    default_key = cfg.default_board.upper() if cfg.default_board else (boards[0].key if boards else None)
    return [BoardSummary(b.key, b.name, b.description, total.get(b.id, 0), open_.get(b.id, 0),
                         b.key == default_key) for b in boards]
