"""Row snapshots for the history: what a change's "before" and "after" are, and writing one back.

A snapshot is a row's columns (datetimes as stored text) plus, for a card, its `channels`, `tags`, post
`variants` and `approvals` (and, with `dependents=True`, what its removal takes with it: time entries, pinned plan
blocks, metrics snapshots and its posts' places in experiments), and for a board its `columns`. `restore` writes
one back (or deletes the row for None); organizer.history decides when, and checks nothing changed meanwhile.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Table, delete, insert, select, update
from sqlmodel import Session, SQLModel

from organizer.instants import db_datetime, db_text
from organizer.models import AwareDateTime, utcnow

__all__ = ["Snapshot", "restore", "snapshot", "table_of"]

Snapshot = dict[str, Any]


def table_of(name: str) -> Table:
    """The table a snapshot is of, by name (the one schema: organizer.models)."""
    return SQLModel.metadata.tables[name]


def _plain(table: Table, row: Any) -> Snapshot:
    out: Snapshot = {}
    for column in table.columns:
        value = row._mapping[column.name]
        if isinstance(value, datetime):
            value = db_text(value)
        elif isinstance(value, date):
            value = value.isoformat()
        out[column.name] = value
    return out


def snapshot(session: Session, table_name: str, row_id: int, *, dependents: bool = False) -> Snapshot | None:
    """The current state of one row with its dependent rows, or None if absent.

    `dependents=True` adds, for a card, its time entries and pinned plan blocks: what a delete
    cascades away and undo must bring back.
    """
    conn = session.connection()
    table = table_of(table_name)
    row = conn.execute(select(table).where(table.c.id == row_id)).first()
    if row is None:
        return None
    snap = _plain(table, row)
    if table_name == "card":
        ch, tg = table_of("card_channel"), table_of("card_tag")
        snap["channels"] = list(conn.execute(
            select(ch.c.channel).where(ch.c.card_id == row_id).order_by(ch.c.position)).scalars())
        snap["tags"] = sorted(conn.execute(select(tg.c.tag).where(tg.c.card_id == row_id)).scalars())
        pv = table_of("post_variant")
        snap["variants"] = [_plain(pv, r) for r in conn.execute(
            select(pv).where(pv.c.card_id == row_id).order_by(pv.c.position, pv.c.channel))]
        ap = table_of("approval")
        snap["approvals"] = [_plain(ap, r) for r in conn.execute(
            select(ap).where(ap.c.card_id == row_id).order_by(ap.c.id))]
        if dependents:
            ms, ep = table_of("metric_snapshot"), table_of("experiment_post")
            snap["metrics"] = [_plain(ms, r) for r in conn.execute(
                select(ms).where(ms.c.card_id == row_id).order_by(ms.c.id))]
            snap["experiment_posts"] = [_plain(ep, r) for r in conn.execute(
                select(ep).where(ep.c.card_id == row_id))]
            te, pb = table_of("time_entry"), table_of("plan_block")
            snap["time_entries"] = [_plain(te, r) for r in conn.execute(
                select(te).where(te.c.card_id == row_id).order_by(te.c.id))]
            snap["pinned_blocks"] = [_plain(pb, r) for r in conn.execute(
                select(pb).where(pb.c.card_id == row_id, pb.c.pinned == True).order_by(pb.c.id))]  # noqa: E712
    elif table_name == "board":
        bc = table_of("board_column")
        rows = conn.execute(select(bc).where(bc.c.board_id == row_id).order_by(bc.c.position))
        snap["columns"] = [_plain(bc, r) for r in rows]
    return snap


def _row_values(table: Table, state: Snapshot) -> dict[str, Any]:
    values = {}
    for column in table.columns:
        if column.name in state:
            v = state[column.name]
            if isinstance(column.type, AwareDateTime):
                v = db_datetime(v)
                # A required instant that could not be read when the snapshot was taken (see
                # organizer.integrity) comes back as now rather than failing the whole undo.
                if v is None and not column.nullable:
                    v = utcnow()
            elif isinstance(column.type, Date) and isinstance(v, str):
                v = date.fromisoformat(v)
            values[column.name] = v
    if "updated_at" in values:
        # Undo and redo are changes too: calendar clients and the feed must see time move forward
        # (SEQUENCE, LAST-MODIFIED, ETag come from it), never back to the snapshot's older value.
        values["updated_at"] = utcnow()
    return values


def _upsert(session: Session, table: Table, state: Snapshot) -> None:
    conn = session.connection()
    values = _row_values(table, state)
    exists = conn.execute(select(table.c.id).where(table.c.id == state["id"])).first()
    if exists:
        conn.execute(update(table).where(table.c.id == state["id"]).values(**values))
    else:
        conn.execute(insert(table).values(**values))


def _insert_keeping_id(session: Session, table: Table, state: Snapshot) -> None:
    conn = session.connection()
    values = _row_values(table, state)
    if conn.execute(select(table.c.id).where(table.c.id == values.get("id"))).first() is not None:
        values.pop("id")  # the id went to a newer row meanwhile: this one comes back under a new id
    conn.execute(insert(table).values(**values))


def _restore_dependents(session: Session, card_id: int, state: Snapshot, removed_at: datetime) -> None:
    """Bring back what a card's removal took with it: time entries, pinned plan blocks, metrics snapshots and its
    posts' places in experiments."""
    conn = session.connection()
    card, te, pb = table_of("card"), table_of("time_entry"), table_of("plan_block")
    for entry in state.get("time_entries", []):
        values = entry | {"card_id": card_id}
        running = conn.execute(select(te.c.id).where(te.c.ended_at.is_(None)).limit(1)).first()
        started = db_datetime(entry["started_at"])
        if entry["ended_at"] is None and running is not None and started is not None:
            # One timer at a time: another runs now, so this one stops when its card was removed.
            stopped = max(removed_at, started)
            minutes = max(0, round((stopped - started).total_seconds() / 60))
            values |= {"ended_at": db_text(stopped), "minutes": minutes}
            conn.execute(update(card).where(card.c.id == card_id)
                         .values(spent_minutes=card.c.spent_minutes + minutes))
        _insert_keeping_id(session, te, values)
    ms, ep, arm, pv = (table_of("metric_snapshot"), table_of("experiment_post"), table_of("experiment_arm"),
                       table_of("post_variant"))
    variants = {v for (v,) in conn.execute(select(pv.c.channel).where(pv.c.card_id == card_id))}
    for reading in state.get("metrics", []):
        if reading["channel"] in variants:
            _insert_keeping_id(session, ms, reading | {"card_id": card_id})
    for place in state.get("experiment_posts", []):
        # Back in its arm, unless the experiment (or the arm) is gone or the variant is no longer there.
        if place["channel"] in variants and conn.execute(
                select(arm.c.id).where(arm.c.id == place["arm_id"])).first() is not None:
            conn.execute(insert(ep).values(**_row_values(ep, place | {"card_id": card_id})))
    for block in state.get("pinned_blocks", []):
        start, end = db_datetime(block["start_at"]), db_datetime(block["end_at"])
        # The day may have been planned again without the card: planner blocks over pinned time give way.
        conn.execute(delete(pb).where(pb.c.pinned == False, pb.c.start_at < end, pb.c.end_at > start,  # noqa: E712
                                      pb.c.end_at > utcnow()))
        _insert_keeping_id(session, pb, block | {"card_id": card_id})


def restore(session: Session, table_name: str, row_id: int, state: Snapshot | None, at: datetime) -> None:
    """Write a snapshot back over the row (None: delete it), with its channels, tags, variants and dependents."""
    conn = session.connection()
    table = table_of(table_name)
    if state is None:
        conn.execute(delete(table).where(table.c.id == row_id))
        return
    if table_name == "board":
        _upsert(session, table, state)
        bc = table_of("board_column")
        keep = [c["id"] for c in state.get("columns", [])]
        for column in state.get("columns", []):
            _upsert(session, bc, column)
        conn.execute(delete(bc).where(bc.c.board_id == row_id, bc.c.id.not_in(keep)))
        return
    _upsert(session, table, state)
    if table_name == "card":
        # A board restored from an older snapshot may carry a smaller counter; never hand a number out twice.
        board = table_of("board")
        conn.execute(update(board).where(board.c.id == state["board_id"], board.c.next_number <= state["number"])
                     .values(next_number=state["number"] + 1))
        ch, tg = table_of("card_channel"), table_of("card_tag")
        conn.execute(delete(ch).where(ch.c.card_id == row_id))
        conn.execute(delete(tg).where(tg.c.card_id == row_id))
        for i, channel in enumerate(state.get("channels", [])):
            conn.execute(insert(ch).values(card_id=row_id, channel=channel, position=i))
        for tag in state.get("tags", []):
            conn.execute(insert(tg).values(card_id=row_id, tag=tag))
        if "variants" in state:  # entries older than post variants leave them as they are
            pv = table_of("post_variant")
            # Updated in place, not deleted and inserted again: a variant's metrics snapshots and experiment
            # places hang off it (ON DELETE CASCADE), and an undo of a title must not take them with it.
            channels = [v["channel"] for v in state["variants"]]
            conn.execute(delete(pv).where(pv.c.card_id == row_id, pv.c.channel.not_in(channels)))
            for variant in state["variants"]:
                values = _row_values(pv, variant | {"card_id": row_id})
                here = pv.c.card_id == row_id, pv.c.channel == values["channel"]
                if conn.execute(select(pv.c.channel).where(*here)).first() is None:
                    conn.execute(insert(pv).values(**values))
                else:
                    conn.execute(update(pv).where(*here).values(**values))
        if "approvals" in state:
            ap = table_of("approval")
            conn.execute(delete(ap).where(ap.c.card_id == row_id))
            for verdict in state["approvals"]:
                values = _row_values(ap, verdict | {"card_id": row_id})
                if conn.execute(select(ap.c.id).where(ap.c.id == values["id"])).first() is not None:
                    values.pop("id")  # the id went to another card's verdict meanwhile
                conn.execute(insert(ap).values(**values))
        _restore_dependents(session, row_id, state, at)
    session.expire_all()
