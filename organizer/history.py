"""Undo and redo across processes: every action stores row snapshots before and after.

An entry's `changes` is a JSON list of `{"table", "id", "before", "after"}`; a snapshot is
a row's columns (datetimes as stored text) plus, for a card, its `channels` and `tags`, and
for a board, its `columns`. Undo writes the befores back in reverse order, redo the afters
in order, so a card deleted with its steps comes back parent first. A new action clears the
redo stack, as in any editor. The history lives in the database, so `organizer undo` in a
shell reverts a move made in the TUI and the other way round.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, insert, select, update
from sqlmodel import Session, SQLModel

from organizer.fields import db_datetime, db_text
from organizer.models import AwareDateTime, HistoryEntry, utcnow

Snapshot = dict[str, Any]


class NothingToUndo(LookupError):
    """The history holds nothing to undo (or redo)."""


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def _plain(table: Table, row: Any) -> Snapshot:
    out: Snapshot = {}
    for col in table.columns:
        value = row._mapping[col.name]
        out[col.name] = db_text(value) if isinstance(value, datetime) else value
    return out


def snapshot(session: Session, table_name: str, row_id: int) -> Snapshot | None:
    """The current state of one card or board row with its dependent rows, or None if absent."""
    conn = session.connection()
    table = _table(table_name)
    row = conn.execute(select(table).where(table.c.id == row_id)).first()
    if row is None:
        return None
    snap = _plain(table, row)
    if table_name == "card":
        ch, tg = _table("card_channel"), _table("card_tag")
        snap["channels"] = list(conn.execute(
            select(ch.c.channel).where(ch.c.card_id == row_id).order_by(ch.c.position)).scalars())
        snap["tags"] = sorted(conn.execute(select(tg.c.tag).where(tg.c.card_id == row_id)).scalars())
    elif table_name == "board":
        bc = _table("board_column")
        rows = conn.execute(select(bc).where(bc.c.board_id == row_id).order_by(bc.c.position))
        snap["columns"] = [_plain(bc, r) for r in rows]
    return snap


def _row_values(table: Table, state: Snapshot) -> dict[str, Any]:
    values = {}
    for col in table.columns:
        if col.name in state:
            v = state[col.name]
            values[col.name] = db_datetime(v) if isinstance(col.type, AwareDateTime) else v
    return values


def _upsert(session: Session, table: Table, state: Snapshot) -> None:
    conn = session.connection()
    values = _row_values(table, state)
    exists = conn.execute(select(table.c.id).where(table.c.id == state["id"])).first()
    if exists:
        conn.execute(update(table).where(table.c.id == state["id"]).values(**values))
    else:
        conn.execute(insert(table).values(**values))


def _restore(session: Session, table_name: str, row_id: int, state: Snapshot | None) -> None:
    conn = session.connection()
    table = _table(table_name)
    if state is None:
        conn.execute(delete(table).where(table.c.id == row_id))
        return
    if table_name == "board":
        _upsert(session, table, state)
        bc = _table("board_column")
        keep = [c["id"] for c in state.get("columns", [])]
        for col in state.get("columns", []):
            _upsert(session, bc, col)
        conn.execute(delete(bc).where(bc.c.board_id == row_id, bc.c.id.not_in(keep)))
        return
    _upsert(session, table, state)
    if table_name == "card":
        # A board restored from an older snapshot may carry a smaller counter; never hand a number out twice.
        board = _table("board")
        conn.execute(update(board).where(board.c.id == state["board_id"], board.c.next_number <= state["number"])
                     .values(next_number=state["number"] + 1))
        ch, tg = _table("card_channel"), _table("card_tag")
        conn.execute(delete(ch).where(ch.c.card_id == row_id))
        conn.execute(delete(tg).where(tg.c.card_id == row_id))
        for i, channel in enumerate(state.get("channels", [])):
            conn.execute(insert(ch).values(card_id=row_id, channel=channel, position=i))
        for tag in state.get("tags", []):
            conn.execute(insert(tg).values(card_id=row_id, tag=tag))
    session.expire_all()


def change(table: str, row_id: int, before: Snapshot | None, after: Snapshot | None) -> dict[str, Any]:
    """One entry of a history record."""
    return {"table": table, "id": row_id, "before": before, "after": after}


def record(session: Session, summary: str, changes: list[dict[str, Any]], origin: str = "cli") -> None:
    """Store an action in the history (in the caller's transaction) and clear the redo stack."""
    # Undone entries are always the newest ones (the redo stack): look at the last row, by key.
    last = session.scalars(select(HistoryEntry.undone).order_by(HistoryEntry.id.desc()).limit(1)).first()
    if last:
        session.execute(delete(HistoryEntry).where(HistoryEntry.undone == True))  # noqa: E712
    session.add(HistoryEntry(at=utcnow(), origin=origin, summary=summary, changes=json.dumps(changes)))


def undo(session: Session) -> str:
    """Revert the newest action not yet undone; return its summary."""
    entry = session.scalars(
        select(HistoryEntry).where(HistoryEntry.undone == False).order_by(HistoryEntry.id.desc())  # noqa: E712
    ).first()
    if entry is None:
        raise NothingToUndo("nothing to undo")
    for ch in reversed(json.loads(entry.changes)):
        _restore(session, ch["table"], ch["id"], ch["before"])
    entry.undone = True
    session.add(entry)
    return entry.summary


def redo(session: Session) -> str:
    """Re-apply the oldest undone action; return its summary."""
    entry = session.scalars(
        select(HistoryEntry).where(HistoryEntry.undone == True).order_by(HistoryEntry.id)  # noqa: E712
    ).first()
    if entry is None:
        raise NothingToUndo("nothing to redo")
    for ch in json.loads(entry.changes):
        _restore(session, ch["table"], ch["id"], ch["after"])
    entry.undone = False
    session.add(entry)
    return entry.summary
