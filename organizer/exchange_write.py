"""Writing a checked import: settling boards, columns, numbers and parents against the database, then inserting
everything in bulk with its history (one undo step).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlmodel import Session, SQLModel

import organizer.models  # noqa: F401  (it registers the tables read below from SQLModel.metadata)
from organizer import cardspec, history
from organizer.config import Config
from organizer.exchange_rows import BoardSpec, _Card
from organizer.instants import db_text
from organizer.validate import InputError, check_board_key, match_column

MAX_SHOWN = 5  # problems listed in one error message; the rest are counted
_TIMES = cardspec.INSTANT_COLUMNS
VARIANT_COLUMNS = cardspec.VARIANT_COLUMNS
_BT, _CT, _KT, _CHT, _TGT, _PVT, _APT = (SQLModel.metadata.tables[t] for t in (
    "board", "board_column", "card", "card_channel", "card_tag", "post_variant", "approval"))


def _card_ids(conn: Any, count: int) -> list[int]:
    """Ids for `count` new cards, known before they are written (steps name their piece's id, history snapshots
    name every card). SQLite: the ones after the largest (its write lock is held). PostgreSQL: taken from the
    table's own sequence, so concurrent inserts never get them and later inserts never collide with them.
    """
    if not count:
        return []
    if conn.dialect.name == "postgresql":
        return list(conn.execute(text("SELECT nextval(pg_get_serial_sequence('card', 'id')) "
                                      "FROM generate_series(1, :n)"), {"n": count}).scalars())
    first = (conn.execute(select(func.max(_KT.c.id))).scalar() or 0) + 1
    return list(range(first, first + count))


@dataclass
class _Board:
    key: str
    id: int | None
    next_number: int
    columns: list[tuple[str, bool, int | None]] = field(default_factory=list)  # name, is_done, id
    cards: dict[int, tuple[int, int | None]] = field(default_factory=dict)  # number -> (card id, parent id)
    new: BoardSpec | None = None


def _plan(session: Session, cfg: Config, specs: dict[str, BoardSpec], cards: list[_Card], renumber: bool,
          problems: list[str]) -> dict[str, _Board]:
    """Settle each card's board, column, number and parent against the database; add what is wrong to `problems`."""
    conn = session.connection()
    # FOR UPDATE (PostgreSQL; SQLite holds its write lock already): an add meanwhile waits for the import,
    # so the numbers settled here stay free.
    # The metadata's Table columns are untyped (Any): the rows are typed here as the schema has them.
    stored: Iterable[tuple[int, str, int]] = conn.execute(
        select(_BT.c.id, _BT.c.key, _BT.c.next_number).order_by(_BT.c.id).with_for_update())
    info = {k: _Board(k, i, n) for i, k, n in stored}
    if any(c.board is None for c in cards):
        default = (check_board_key(cfg.default_board) if cfg.default_board
                   else next(iter(info), None) or next(iter(specs), None) or "MAIN")
        for c in cards:
            c.board = c.board or default
    by_id = {b.id: b for b in info.values()}
    for c, card_id in zip(cards, _card_ids(conn, len(cards)), strict=True):
        c.values["id"] = card_id
    stored_columns: Iterable[tuple[int, str, bool, int]] = conn.execute(
        select(_CT.c.board_id, _CT.c.name, _CT.c.is_done, _CT.c.id).order_by(_CT.c.board_id, _CT.c.position))
    for bid, name, done, cid in stored_columns:
        by_id[bid].columns.append((name, bool(done), cid))
    if used := [info[k].id for k in {c.board for c in cards} if k in info]:
        stored_cards: Iterable[tuple[int, int, int, int | None]] = conn.execute(
            select(_KT.c.board_id, _KT.c.number, _KT.c.id, _KT.c.parent_id).where(_KT.c.board_id.in_(used)))
        for bid, number, cid, parent in stored_cards:
            by_id[bid].cards[number] = (cid, parent)
    for key in [*specs, *(c.board or "" for c in cards)]:
        if key not in info:
            spec = specs.get(key) or ("My board" if key == "MAIN" else key, "", list(cfg.columns))
            info[key] = _Board(key, None, 1, [(s.name, s.done, None) for s in spec[2]], new=spec)
    for c in (c for c in cards if c.column is not None):
        try:
            c.col_index = match_column([n for n, _, _ in info[c.board or ""].columns], c.column or "", c.board or "")
        except InputError as exc:
            problems.append(f"{c.label}: {exc}")
    in_file: dict[tuple[str, int], _Card] = {}
    clashes = []
    for b in info.values():  # next_number becomes the next free number
        b.next_number = max(b.next_number, max(b.cards, default=0) + 1)
    for c in cards:
        key, n = c.board or "", c.values["number"]
        if n is None:
            continue
        if (key, n) in in_file:
            problems.append(f"{c.label}: {key}-{n} is also {in_file[key, n].label}")
        in_file[key, n] = c
        if n in info[key].cards and not renumber:
            clashes.append((key, n))
        if renumber and info[key].id is not None:  # --renumber: cards for existing boards get new numbers
            c.values["number"] = None
        else:
            info[key].next_number = max(info[key].next_number, n + 1)
    if clashes:
        more = f" and {len(clashes) - MAX_SHOWN} more" if len(clashes) > MAX_SHOWN else ""
        shown = ", ".join(f"{k}-{n}" for k, n in sorted(clashes)[:MAX_SHOWN])
        problems.insert(0, f"card numbers already used: {shown}{more} "
                           "(import with --renumber to give the imported cards new numbers)")
    for c in (c for c in cards if c.values["number"] is None):
        b = info[c.board or ""]
        c.values["number"], b.next_number = b.next_number, b.next_number + 1
    for c in cards:
        if c.parent is None:
            continue
        key, n = (c.parent[0] or c.board or ""), c.parent[1]
        target, existing = in_file.get((key, n)), info[key].cards.get(n) if key in info else None
        if key != c.board:
            problems.append(f"{c.label}: parent {key}-{n} is on another board: steps stay on their piece's board")
        elif target is c:
            problems.append(f"{c.label}: a card cannot be its own parent")
        elif (target.parent is not None) if target else (existing and existing[1]):
            problems.append(f"{c.label}: parent {key}-{n} is a step itself: pick a top-level card")
        elif target is not None:
            c.parent_card, c.values["parent_id"] = target, target.values["id"]
        elif existing:
            c.values["parent_id"] = existing[0]
        else:
            problems.append(f"{c.label}: parent {key}-{n} is neither in the file nor on board {key}")
    return info


def _write(session: Session, cards: list[_Card], info: dict[str, _Board], now: datetime) -> list[dict[str, Any]]:
    """Insert the new boards, then the cards with explicit ids, channels and tags in bulk; return the changes."""
    conn = session.connection()
    changes = []
    for b in info.values():
        if b.new is None:
            conn.execute(update(_BT).where(_BT.c.id == b.id, _BT.c.next_number < b.next_number)
                         .values(next_number=b.next_number))
            continue
        inserted = conn.execute(insert(_BT).values(key=b.key, name=b.new[0], description=b.new[1],
                                                   next_number=b.next_number, created_at=now)).inserted_primary_key
        assert inserted is not None  # a one-row INSERT has its primary key
        b.id = inserted[0]
        conn.execute(insert(_CT), [{"board_id": b.id, "name": s.name, "position": i, "wip_limit": s.wip,
                                    "is_done": s.done} for i, s in enumerate(b.new[2])])
        made: Iterable[tuple[int, str, bool]] = conn.execute(
            select(_CT.c.id, _CT.c.name, _CT.c.is_done).where(_CT.c.board_id == b.id).order_by(_CT.c.position))
        b.columns = [(n, d, i) for i, n, d in made]
        changes.append(history.change("board", b.id, None, history.snapshot(session, "board", b.id)))
    tops: dict[int, float | None] = dict(
        conn.execute(select(_KT.c.column_id, func.max(_KT.c.position)).group_by(_KT.c.column_id)).all())
    for c in cards:  # positions in file order, below what each column already holds
        b = info[c.board or ""]
        _, done, column_id = b.columns[c.col_index]
        assert column_id is not None  # stored columns, and a new board's read back above
        tops[column_id] = position = (tops.get(column_id) or 0.0) + 1.0
        c.values.update(board_id=b.id, column_id=column_id, position=position)
        if c.values["completed_at"] is None and done:
            c.values["completed_at"] = now
    outside = {c.values["parent_id"] for c in cards if c.values["parent_id"] and not c.parent_card}
    last: dict[int, int] = dict(conn.execute(select(_KT.c.parent_id, func.max(_KT.c.step)).where(  # steps go on
        _KT.c.parent_id.in_(outside)).group_by(_KT.c.parent_id)).all()) if outside else {}
    for v in (c.values for c in cards if c.values["parent_id"] and c.values["step"]):
        last[v["parent_id"]] = max(last.get(v["parent_id"]) or 0, v["step"])
    ordered = sorted(cards, key=lambda c: c.parent_card is not None)  # pieces first: foreign keys, and redo
    channels: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    variants: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    for c in ordered:
        v = c.values
        if v["parent_id"] and not v["step"]:
            v["step"] = last[v["parent_id"]] = (last.get(v["parent_id"]) or 0) + 1
        snap = {column.name: v[column.name] for column in _KT.columns} | {name: db_text(v[name]) for name in _TIMES}
        rows = [{"card_id": v["id"], **variant} for variant in c.variants]
        variants.extend(rows)
        shown = [{name: db_text(r[name]) if name == "publish_at" else r[name] for name in VARIANT_COLUMNS}
                 for r in rows]
        verdicts.extend({"card_id": v["id"], **a} for a in c.approvals)
        changes.append(history.change("card", v["id"], None, snap | {"channels": c.channels, "tags": sorted(c.tags),
                                                                      "variants": shown, "approvals": []}))
        channels.extend({"card_id": v["id"], "channel": ch, "position": i} for i, ch in enumerate(c.channels))
        tags.extend({"card_id": v["id"], "tag": t} for t in c.tags)
    for table, values in ((_KT, [c.values for c in ordered]), (_CHT, channels), (_TGT, tags), (_PVT, variants),
                          (_APT, verdicts)):
        if values:
            conn.execute(insert(table), values)
    judged = {v["card_id"] for v in verdicts}
    for change in changes:  # verdict ids come from the database: the history's snapshots read them back
        if change["id"] in judged and (fresh := history.snapshot(session, "card", change["id"])) is not None:
            change["after"]["approvals"] = fresh["approvals"]
    return changes
