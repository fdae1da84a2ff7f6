"""The quick path: quick-add and list straight through `sqlite3`, without SQLAlchemy or pydantic.

`import sqlmodel` alone costs ~350 ms, more than the whole budget of a shell quick-add, so
`organizer add` and `organizer list` try this path first. It is written against exactly one
schema revision (`organizer.schema.SCHEMA_REVISION`) and refuses any other database with
`NotQuick`, after which the CLI takes the full path (which migrates, or explains). Tests prove
that what it writes reads back identically through the SQLModel classes and that its history
entries are the ones the services would have written, so the models stay the one source of
truth for the schema.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from organizer import paths
from organizer.cardspec import CARD_COLUMNS
from organizer.config import Config
from organizer.instants import db_text, readable
from organizer.porcelain import card_json
from organizer.schema import SCHEMA_REVISION
from organizer.validate import CardFields, CardFilter, InputError, check_board_key, match_column, unknown_board

BUSY_TIMEOUT_S = 30.0
_CARD_COLUMNS = CARD_COLUMNS  # the card table's columns, from organizer.cardspec


class NotQuick(Exception):
    """This database or request is not for the quick path; take the full one."""


# --- places: where a change was made, which is where undo looks for it ---------------------------
# They live here, not in organizer.history, because the quick paths write history without SQLAlchemy.
PLACE_MAX = 40  # history.place is VARCHAR(40)


def shell_place() -> str:
    """The place of a shell command: its terminal session, or `ORGANIZER_PLACE` when set.

    Every command typed in one terminal (and every script started from it) shares the session, so
    `organizer undo` there undoes what was done there, never what another terminal, a cron job or
    an app did meanwhile. A script that wants an undo stack of its own sets `ORGANIZER_PLACE`.
    """
    named = os.environ.get("ORGANIZER_PLACE", "").strip()
    if named:
        return f"cli:{named}"[:PLACE_MAX]
    try:
        return f"cli:{os.getsid(0)}"
    except (AttributeError, OSError):  # no sessions (Windows): one place for every shell
        return "cli"


def new_app_place() -> str:
    """A new place for one app session: its changes are the ones its undo takes back."""
    return f"tui:{os.urandom(4).hex()}"  # not uuid: importing it costs the quick-add path ~4 ms


def default_place(origin: str) -> str:
    """The place of a change made without a named place: the shell's, or the app's in general."""
    return "tui" if origin == "tui" else shell_place()


def record_history(conn: sqlite3.Connection, at: str, origin: str, place: str, summary: str,
                   changes: list[dict[str, Any]]) -> None:
    """Store one history entry in the caller's transaction, as `history.record` does.

    A new change clears the redo stack of its own place only: an unrelated change elsewhere
    must not throw away what this place could still redo.
    """
    conn.execute("DELETE FROM history WHERE place = ? AND undone = 1", (place,))
    conn.execute("INSERT INTO history (at, origin, place, summary, changes, undone) VALUES (?, ?, ?, ?, ?, 0)",
                 (at, origin, place, summary, json.dumps(changes)))


def connect(location: str) -> sqlite3.Connection:
    """Open an existing SQLite database at exactly the schema revision this module writes."""
    file = paths.sqlite_path(location)
    if file is None or not file.is_file() or file.stat().st_size == 0:
        raise NotQuick("not an existing SQLite file")
    conn = sqlite3.connect(file, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotQuick(f"unreadable: {exc}") from None
    if row is None or row[0] != SCHEMA_REVISION:
        conn.close()
        raise NotQuick(f"schema revision {row[0] if row else None}, quick path knows {SCHEMA_REVISION}")
    conn.row_factory = sqlite3.Row
    return conn


def _board(conn: sqlite3.Connection, cfg: Config, key: str | None) -> sqlite3.Row:
    key = check_board_key(key) if key else (cfg.default_board.upper() if cfg.default_board else None)
    row: sqlite3.Row | None  # the connection's row_factory is sqlite3.Row (see connect)
    if key:
        row = conn.execute("SELECT id, key, next_number FROM board WHERE key = ?", (key,)).fetchone()
        if row is None:
            keys = [r[0] for r in conn.execute("SELECT key FROM board ORDER BY id")]
            raise unknown_board(key, keys)
        return row
    row = conn.execute("SELECT id, key, next_number FROM board ORDER BY id LIMIT 1").fetchone()
    if row is None:
        raise NotQuick("no board yet: the full path creates the default one")
    return row


def _now_text() -> str:
    """The current instant in the stored text form."""
    now = db_text(datetime.now(UTC))
    assert now is not None  # db_text gives None only for None
    return now


def add(conn: sqlite3.Connection, cfg: Config, f: CardFields, *, origin: str = "cli",
        place: str | None = None) -> dict[str, Any]:
    """Insert a card in one transaction; returns its JSON porcelain. Mirrors services.cards.add_card."""
    if f.parent:
        raise NotQuick("steps are placed by the full path")
    conn.execute("BEGIN IMMEDIATE")
    try:
        board = _board(conn, cfg, f.board)
        cols = conn.execute("SELECT id, name, is_done FROM board_column WHERE board_id = ? ORDER BY position",
                            (board["id"],)).fetchall()
        column = cols[match_column([c["name"] for c in cols], f.column, board["key"])] if f.column else cols[0]
        conn.execute("UPDATE board SET next_number = next_number + 1 WHERE id = ?", (board["id"],))
        top = conn.execute("SELECT MAX(position) FROM card WHERE column_id = ?", (column["id"],)).fetchone()[0]
        now = _now_text()
        row: dict[str, Any] = {
            "board_id": board["id"], "number": board["next_number"], "column_id": column["id"],
            "position": (top or 0.0) + 1.0, "title": f.title or "", "notes": f.notes or "", "role": f.role,
            "estimate_minutes": f.estimate_minutes, "spent_minutes": f.spent_minutes or 0,
            "due_at": db_text(f.due_at), "publish_at": db_text(f.publish_at), "campaign": f.campaign,
            "pillar": f.pillar, "priority": f.priority or cfg.default_priority, "popup": int(bool(f.popup)),
            "parent_id": None, "step": None, "created_at": now, "updated_at": now,
            "completed_at": now if column["is_done"] else None,
        }
        names = ", ".join(row)
        cur = conn.execute(f"INSERT INTO card ({names}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
        row["id"] = cur.lastrowid
        channels, tags = f.channels or [], f.tags or []
        conn.executemany("INSERT INTO card_channel (card_id, channel, position) VALUES (?, ?, ?)",
                         [(row["id"], ch, i) for i, ch in enumerate(channels)])
        conn.executemany("INSERT INTO card_tag (card_id, tag) VALUES (?, ?)", [(row["id"], t) for t in tags])
        snap = {name: row[name] for name in _CARD_COLUMNS} | {"channels": channels, "tags": sorted(tags)}
        snap["popup"] = bool(row["popup"])  # as history.snapshot reads it back through the model
        ref = f"{board['key']}-{row['number']}"
        record_history(conn, now, origin, place or default_place(origin), f"add {ref}",
                       [{"table": "card", "id": row["id"], "before": None, "after": snap}])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a full disk may already have rolled the transaction back
            conn.execute("ROLLBACK")
        raise
    out = card_json(row, board_key=board["key"], column=column["name"], channels=channels, tags=sorted(tags),
                    parent_ref=None, tz=ZoneInfo(cfg.timezone))
    return out | {"steps": []}  # as services.cards.card_view shows it: a new card has no steps


def list_cards(conn: sqlite3.Connection, cfg: Config, flt: CardFilter,
               match: Callable[[Any], bool] | None = None) -> list[dict[str, Any]]:
    """Cards as their JSON porcelain, in board, column and position order. Mirrors services.cards.list_cards.

    `match` is a parsed `organizer.filterlang` filter's test (`list --filter`): it is applied after the SQL,
    to the same fields the board's `/` reads, so both show the same cards.
    """
    where: list[str] = []
    args: list[str | int | None] = []
    if flt.board:
        key = check_board_key(flt.board)
        if conn.execute("SELECT 1 FROM board WHERE key = ?", (key,)).fetchone() is None:
            keys = [r[0] for r in conn.execute("SELECT key FROM board ORDER BY id")]
            raise unknown_board(flt.board, keys)
        where.append("b.key = ?")
        args.append(key)
    if flt.role:
        where.append("c.role = ?")
        args.append(flt.role)
    if flt.column:
        names = [r[0] for r in conn.execute(
            "SELECT DISTINCT bc.name FROM board_column bc JOIN board b ON b.id = bc.board_id"
            + (" WHERE b.key = ?" if flt.board else "") + " ORDER BY bc.position", args[:1] if flt.board else [])]
        where.append("bc.name = ?")
        args.append(names[match_column(names, flt.column, flt.board.upper() if flt.board else "any board")])
    if flt.due_before:
        where.append("c.due_at IS NOT NULL AND c.due_at < ?")
        args.append(db_text(flt.due_before))
    if flt.popup is not None:
        where.append("c.popup = ?")
        args.append(int(flt.popup))
    if not flt.include_done:
        where.append("bc.is_done = 0")
    if flt.channel:
        where.append("c.id IN (SELECT card_id FROM card_channel WHERE channel = ?)")
        args.append(flt.channel)
    sql = ("SELECT c.*, b.key AS board_key, bc.name AS column_name, bc.is_done AS column_done FROM card c "
           "JOIN board b ON b.id = c.board_id JOIN board_column bc ON bc.id = c.column_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY c.board_id, bc.position, c.position")
    rows = conn.execute(sql, args).fetchall()
    channels: dict[int, list[str]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    for cid, ch in conn.execute("SELECT card_id, channel FROM card_channel ORDER BY card_id, position"):
        channels[cid].append(ch)
    for cid, tag in conn.execute("SELECT card_id, tag FROM card_tag ORDER BY card_id, tag"):
        tags[cid].append(tag)
    if match is not None:
        from organizer.filterlang import Subject, haystack

        kept = []
        for r in rows:
            card_tags = tags.get(r["id"], ())
            subject = Subject(haystack(f"{r['board_key']}-{r['number']}", r["title"], r["notes"], card_tags,
                                       r["campaign"], r["pillar"]),
                              tuple(card_tags), r["role"], r["priority"], readable(r["due_at"]),
                              bool(r["column_done"]), bool(r["popup"]), tuple(channels.get(r["id"], ())),
                              r["campaign"], r["pillar"])
            if match(subject):
                kept.append(r)
        rows = kept
    refs = {r["id"]: f"{r['board_key']}-{r['number']}" for r in rows}
    for pid in {r["parent_id"] for r in rows if r["parent_id"] and r["parent_id"] not in refs}:
        p = conn.execute("SELECT b.key, c.number FROM card c JOIN board b ON b.id = c.board_id WHERE c.id = ?",
                         (pid,)).fetchone()
        if p:
            refs[pid] = f"{p[0]}-{p[1]}"
    tz = ZoneInfo(cfg.timezone)
    return [card_json(r, board_key=r["board_key"], column=r["column_name"], channels=channels[r["id"]],
                      tags=tags[r["id"]], parent_ref=refs.get(r["parent_id"]), tz=tz) for r in rows]


def _snapshot(conn: sqlite3.Connection, card_id: int) -> dict[str, Any]:
    """A card as `history.snapshot` records it (stored text for datetimes, a bool for popup)."""
    row = conn.execute(f"SELECT {', '.join(_CARD_COLUMNS)} FROM card WHERE id = ?", (card_id,)).fetchone()
    if row is None:
        raise InputError("that card is gone (deleted meanwhile): the board has been reloaded")
    snap = {name: row[name] for name in _CARD_COLUMNS}
    snap["popup"] = bool(snap["popup"])
    snap["channels"] = [r[0] for r in conn.execute(
        "SELECT channel FROM card_channel WHERE card_id = ? ORDER BY position", (card_id,))]
    snap["tags"] = sorted(r[0] for r in conn.execute("SELECT tag FROM card_tag WHERE card_id = ?", (card_id,)))
    return snap


def move(conn: sqlite3.Connection, card_id: int, column_id: int, index: int, *, origin: str = "tui",
         place: str | None = None) -> None:
    """Move a card to row `index` of a column, in one transaction. Mirrors services.cards.move_card(index=…).

    The board calls this on its own thread: a plain SQL move commits in about a millisecond, where the
    SQLAlchemy path costs several and, in a worker thread, competes with the repaint for the GIL.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        before = _snapshot(conn, card_id)
        target = conn.execute("SELECT b.key, bc.name, bc.is_done FROM board_column bc JOIN board b "
                              "ON b.id = bc.board_id WHERE bc.id = ? AND bc.board_id = ?",
                              (column_id, before["board_id"])).fetchone()
        if target is None:
            raise InputError("that column is gone (the board changed meanwhile): the board has been reloaded")
        rows = [r[0] for r in conn.execute(
            "SELECT position FROM card WHERE column_id = ? AND id != ? ORDER BY position", (column_id, card_id))]
        if index >= len(rows):
            position = (rows[-1] if rows else 0.0) + 1.0
        else:
            above = rows[index - 1] if index > 0 else rows[index] - 2.0
            position = (above + rows[index]) / 2
        now = _now_text()
        completed = before["completed_at"]
        if column_id != before["column_id"]:
            completed = (completed or now) if target[2] else None
        conn.execute("UPDATE card SET column_id = ?, position = ?, completed_at = ?, updated_at = ? WHERE id = ?",
                     (column_id, position, completed, now, card_id))
        after = before | {"column_id": column_id, "position": position, "completed_at": completed, "updated_at": now}
        record_history(conn, now, origin, place or default_place(origin),
                       f"move {target[0]}-{before['number']} to {target[1]}",
                       [{"table": "card", "id": card_id, "before": before, "after": after}])
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:  # a full disk may already have rolled the transaction back
            conn.execute("ROLLBACK")
        raise
