"""The quick paths: add, list and move cards in plain SQL, without SQLAlchemy or pydantic.

`import sqlmodel` alone costs ~350 ms, more than the whole budget of a shell quick-add, so `organizer add`
and `list`, and the board's moves, try these first: on a SQLite file through `sqlite3`, on PostgreSQL through
libpq (`organizer.storage.libpq`), both as `organizer.storage.plain.Db` with the same SQL. They are written
against exactly one schema revision (`organizer.schema.SCHEMA_REVISION`) and refuse any other database with
`NotQuick`, after which the caller takes the full path (which migrates, or explains). Tests prove, on both
databases, that what they write reads back identically through the SQLModel classes and that their history
entries are the ones the services would have written, so the models stay the one source of truth.
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
from organizer.cardspec import APPROVAL_COLUMNS, CARD_COLUMNS, VARIANT_COLUMNS
from organizer.config import Config
from organizer.instants import db_datetime, db_text, readable
from organizer.porcelain import card_json
from organizer.schema import SCHEMA_REVISION
from organizer.storage.plain import Db
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


def record_history(db: Db, at: datetime, origin: str, place: str, summary: str,
                   changes: list[dict[str, Any]]) -> None:
    """Store one history entry in the caller's transaction, as `history.record` does.

    A new change clears the redo stack of its own place only: an unrelated change elsewhere
    must not throw away what this place could still redo.
    """
    db.rows("DELETE FROM history WHERE place = :place AND undone = :yes", {"place": place, "yes": True}, fetch=False)
    db.rows("INSERT INTO history (at, origin, place, summary, changes, undone) "
            "VALUES (:at, :origin, :place, :summary, :changes, :no)",
            {"at": at, "origin": origin, "place": place, "summary": summary, "changes": json.dumps(changes),
             "no": False}, fetch=False)


def sqlite_file(location: str) -> str:
    """The SQLite file of a location, for a plain `sqlite3` connection (`NotQuick` for another database)."""
    file = paths.sqlite_path(location)
    if file is None:
        raise NotQuick("not a SQLite file")
    return str(file)


def connect_sqlite(location: str) -> sqlite3.Connection:
    """Open an existing SQLite file at exactly the schema revision these paths write (autocommit, `sqlite3.Row`)."""
    file = paths.sqlite_path(location)
    if file is None or not file.is_file() or file.stat().st_size == 0:
        raise NotQuick("not an existing SQLite file")
    conn = sqlite3.connect(file, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = NORMAL")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise NotQuick(f"unreadable: {exc}") from None
    if row is None or row[0] != SCHEMA_REVISION:
        conn.close()
        raise NotQuick(f"schema revision {row[0] if row else None}, the quick path knows {SCHEMA_REVISION}")
    conn.row_factory = sqlite3.Row
    return conn


def connect(location: str) -> Db:
    """Open an existing database at exactly this schema revision: a SQLite file, or PostgreSQL through libpq.

    Anything else (a missing file, another revision, a server that refuses, no libpq here) is `NotQuick`: the
    full path opens it, migrating or explaining.
    """
    if paths.sqlite_path(location) is not None or "://" not in location or location.startswith("sqlite:"):
        return Db(connect_sqlite(location))
    from organizer.storage import libpq

    if not location.startswith(("postgresql", "postgres:")) or not libpq.available():
        raise NotQuick("not a database the quick path speaks to")
    try:
        conn = libpq.Connection(location)
    except (libpq.PqError, ValueError) as exc:
        raise NotQuick(f"cannot connect: {exc}") from None
    try:
        _, rows = conn.execute("SELECT version_num FROM alembic_version")
    except libpq.PqError as exc:
        conn.close()
        raise NotQuick(f"unreadable: {exc}") from None
    if not rows or rows[0][0] != SCHEMA_REVISION:
        conn.close()
        raise NotQuick(f"schema revision {rows[0][0] if rows else None}, the quick path knows {SCHEMA_REVISION}")
    return Db(conn)


def _board(db: Db, cfg: Config, key: str | None) -> dict[str, Any]:
    key = check_board_key(key) if key else (cfg.default_board.upper() if cfg.default_board else None)
    if key:
        found = db.dicts("SELECT id, key FROM board WHERE key = :key", {"key": key})
        if not found:
            raise unknown_board(key, [r[0] for r in db.rows("SELECT key FROM board ORDER BY id")])
        return found[0]
    found = db.dicts("SELECT id, key FROM board ORDER BY id LIMIT 1")
    if not found:
        raise NotQuick("no board yet: the full path creates the default one")
    return found[0]


def _stored(value: Any) -> Any:
    """A value as a history snapshot keeps it: instants in the stored text form, whatever the database gave."""
    return db_text(value) if isinstance(value, datetime) else value


def add(db: Db, cfg: Config, f: CardFields, *, origin: str = "cli", place: str | None = None) -> dict[str, Any]:
    """Insert a card in one transaction; returns its JSON porcelain. Mirrors services.cards.add_card."""
    if f.parent:
        raise NotQuick("steps are placed by the full path")
    with db.transaction(write=True):
        board, column = _where(db, cfg, f)
        now = datetime.now(UTC)
        row, snap = _insert(db, cfg, board, column, f, now)
        ref = f"{board['key']}-{row['number']}"
        record_history(db, now, origin, place or default_place(origin), f"add {ref}",
                       [{"table": "card", "id": row["id"], "before": None, "after": snap}])
    out = card_json(row, board_key=board["key"], column=column["name"], channels=snap["channels"],
                    tags=snap["tags"], parent_ref=None, tz=ZoneInfo(cfg.timezone))
    return out | {"steps": [], "experiments": []}  # as services.cards.card_view shows it: a new card has neither


def add_piece(db: Db, cfg: Config, piece: CardFields, steps: list[CardFields], *, summary: str,
              origin: str = "cli", place: str | None = None) -> list[str]:
    """A card with a (draft) variant per channel and its steps as ordered child cards, as one history entry.

    The plain-SQL twin of services.templates.create (`organizer new`): the card IDs, the piece's first.
    """
    with db.transaction(write=True):
        board, column = _where(db, cfg, piece)
        now = datetime.now(UTC)
        row, snap = _insert(db, cfg, board, column, piece, now)
        db.many("INSERT INTO post_variant (card_id, channel, position, text, first_comment, alt_text, publish_at, "
                "status, url) VALUES (:card, :channel, :position, '', '', '', NULL, 'draft', NULL)",
                [{"card": row["id"], "channel": ch, "position": i} for i, ch in enumerate(snap["channels"])])
        snap["variants"] = [{"card_id": row["id"], "channel": ch, "position": i, "text": "", "first_comment": "",
                             "alt_text": "", "publish_at": None, "status": "draft", "url": None}
                            for i, ch in enumerate(snap["channels"])]
        changes = [{"table": "card", "id": row["id"], "before": None, "after": snap}]
        refs = [f"{board['key']}-{row['number']}"]
        for number, step in enumerate(steps, start=1):
            child, child_snap = _insert(db, cfg, board, column, step, now, parent_id=row["id"], step=number)
            changes.append({"table": "card", "id": child["id"], "before": None, "after": child_snap})
            refs.append(f"{board['key']}-{child['number']}")
        record_history(db, now, origin, place or default_place(origin), summary, changes)
    return refs


def set_dues(db: Db, dues: list[tuple[int, datetime]], *, summary: str, origin: str = "cli",
             place: str | None = None) -> None:
    """Give cards new due times, as one history entry (rescheduling a piece's steps)."""
    with db.transaction(write=True):
        now = datetime.now(UTC)
        changes = []
        for card_id, due in dues:
            before = _snapshot(db, card_id)
            db.rows("UPDATE card SET due_at = :due, updated_at = :now WHERE id = :id",
                    {"due": due, "now": now, "id": card_id}, fetch=False)
            changes.append({"table": "card", "id": card_id, "before": before, "after": _snapshot(db, card_id)})
        if changes:
            record_history(db, now, origin, place or default_place(origin), summary, changes)


def _where(db: Db, cfg: Config, f: CardFields) -> tuple[dict[str, Any], dict[str, Any]]:
    """The board and column a new card goes to (the board's first column unless named)."""
    board = _board(db, cfg, f.board)
    cols = db.dicts("SELECT id, name, is_done FROM board_column WHERE board_id = :board ORDER BY position",
                    {"board": board["id"]})
    column = cols[match_column([c["name"] for c in cols], f.column, board["key"])] if f.column else cols[0]
    return board, column


def _insert(db: Db, cfg: Config, board: dict[str, Any], column: dict[str, Any], f: CardFields, now: datetime, *,
            parent_id: int | None = None, step: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Insert one card with its channels and tags; returns its row and its history snapshot."""
    # One atomic step: two adds at once (two processes, or a server's clients) never share a number.
    number = db.rows("UPDATE board SET next_number = next_number + 1 WHERE id = :board "
                     "RETURNING next_number - 1", {"board": board["id"]})[0][0]
    top = db.rows("SELECT MAX(position) FROM card WHERE column_id = :column", {"column": column["id"]})[0][0]
    row: dict[str, Any] = {
        "board_id": board["id"], "number": number, "column_id": column["id"],
        "position": (top or 0.0) + 1.0, "title": f.title or "", "notes": f.notes or "", "post": f.post or "",
        "role": f.role,
        "estimate_minutes": f.estimate_minutes, "spent_minutes": f.spent_minutes or 0,
        "due_at": f.due_at, "publish_at": f.publish_at, "campaign": f.campaign,
        "pillar": f.pillar, "priority": f.priority or cfg.default_priority, "popup": bool(f.popup),
        "parent_id": parent_id, "step": step, "created_at": now, "updated_at": now,
        "completed_at": now if column["is_done"] else None,
    }
    names = ", ".join(row)
    row["id"] = db.rows(f"INSERT INTO card ({names}) VALUES ({', '.join(':' + n for n in row)}) RETURNING id",
                        row)[0][0]
    channels, tags = f.channels or [], f.tags or []
    db.many("INSERT INTO card_channel (card_id, channel, position) VALUES (:card, :channel, :position)",
            [{"card": row["id"], "channel": ch, "position": i} for i, ch in enumerate(channels)])
    db.many("INSERT INTO card_tag (card_id, tag) VALUES (:card, :tag)",
            [{"card": row["id"], "tag": t} for t in tags])
    snap = {name: _stored(row[name]) for name in _CARD_COLUMNS} | {"channels": channels, "tags": sorted(tags),
                                                                   "variants": [], "approvals": []}
    return row, snap


def list_cards(db: Db, cfg: Config, flt: CardFilter,
               match: Callable[[Any], bool] | None = None) -> list[dict[str, Any]]:
    """Cards as their JSON porcelain, in board, column and position order. Mirrors services.cards.list_cards.

    `match` is a parsed `organizer.filterlang` filter's test (`list --filter`): it is applied after the SQL,
    to the same fields the board's `/` reads, so both show the same cards.
    """
    with db.transaction(write=False):
        return _list_cards(db, cfg, flt, match)


def _list_cards(db: Db, cfg: Config, flt: CardFilter, match: Callable[[Any], bool] | None) -> list[dict[str, Any]]:
    where: list[str] = []
    args: dict[str, Any] = {}
    if flt.board:
        args["board"] = check_board_key(flt.board)
        if not db.rows("SELECT 1 FROM board WHERE key = :board", args):
            raise unknown_board(flt.board, [r[0] for r in db.rows("SELECT key FROM board ORDER BY id")])
        where.append("b.key = :board")
    if flt.role:
        where.append("c.role = :role")
        args["role"] = flt.role
    if flt.column:
        names = [r[0] for r in db.rows(
            "SELECT bc.name FROM board_column bc JOIN board b ON b.id = bc.board_id"
            + (" WHERE b.key = :board" if flt.board else "") + " ORDER BY bc.position",
            {"board": args["board"]} if flt.board else None)]
        names = list(dict.fromkeys(names))  # each name once, in board order
        where.append("bc.name = :column")
        args["column"] = names[match_column(names, flt.column, flt.board.upper() if flt.board else "any board")]
    if flt.due_before:
        where.append("c.due_at IS NOT NULL AND c.due_at < :due_before")
        args["due_before"] = flt.due_before
    if flt.popup is not None:
        where.append("c.popup = :popup")
        args["popup"] = bool(flt.popup)
    if not flt.include_done:
        where.append("NOT bc.is_done")
    if flt.channel:
        where.append("c.id IN (SELECT card_id FROM card_channel WHERE channel = :channel)")
        args["channel"] = flt.channel
    sql = ("SELECT c.*, b.key AS board_key, bc.name AS column_name, bc.is_done AS column_done FROM card c "
           "JOIN board b ON b.id = c.board_id JOIN board_column bc ON bc.id = c.column_id"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY c.board_id, bc.position, c.position")
    rows = db.dicts(sql, args, bulk=True)
    channels: dict[int, list[str]] = defaultdict(list)
    tags: dict[int, list[str]] = defaultdict(list)
    for cid, ch in db.rows("SELECT card_id, channel FROM card_channel ORDER BY card_id, position", bulk=True):
        channels[cid].append(ch)
    for cid, tag in db.rows("SELECT card_id, tag FROM card_tag ORDER BY card_id, tag", bulk=True):
        tags[cid].append(tag)
    variants: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for variant in db.dicts(f"SELECT {', '.join(VARIANT_COLUMNS)} FROM post_variant ORDER BY card_id, position",
                            bulk=True):
        variants[variant["card_id"]].append(variant)
    approvals: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for verdict in db.dicts(f"SELECT {', '.join(APPROVAL_COLUMNS)} FROM approval ORDER BY card_id, id", bulk=True):
        approvals[verdict["card_id"]].append(verdict)
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
        p = db.rows("SELECT b.key, c.number FROM card c JOIN board b ON b.id = c.board_id WHERE c.id = :id",
                    {"id": pid})
        if p:
            refs[pid] = f"{p[0][0]}-{p[0][1]}"
    tz = ZoneInfo(cfg.timezone)
    return [card_json(r, board_key=r["board_key"], column=r["column_name"], channels=channels[r["id"]],
                      tags=tags[r["id"]], parent_ref=refs.get(r["parent_id"]), tz=tz, variants=variants[r["id"]],
                      approvals=approvals[r["id"]])
            for r in rows]


def _snapshot(db: Db, card_id: int) -> dict[str, Any]:
    """A card as `history.snapshot` records it (stored text for instants, a bool for popup)."""
    found = db.dicts(f"SELECT {', '.join(_CARD_COLUMNS)} FROM card WHERE id = :id", {"id": card_id})
    if not found:
        raise InputError("that card is gone (deleted meanwhile): the board has been reloaded")
    snap = {name: _stored(value) for name, value in found[0].items()}
    snap["popup"] = bool(snap["popup"])
    snap["channels"] = [r[0] for r in db.rows(
        "SELECT channel FROM card_channel WHERE card_id = :id ORDER BY position", {"id": card_id})]
    snap["tags"] = sorted(r[0] for r in db.rows("SELECT tag FROM card_tag WHERE card_id = :id", {"id": card_id}))
    snap["variants"] = [{name: _stored(value) for name, value in v.items()} for v in db.dicts(
        f"SELECT {', '.join(VARIANT_COLUMNS)} FROM post_variant WHERE card_id = :id ORDER BY position, channel",
        {"id": card_id})]
    snap["approvals"] = [{name: _stored(value) for name, value in v.items()} for v in db.dicts(
        f"SELECT {', '.join(APPROVAL_COLUMNS)} FROM approval WHERE card_id = :id ORDER BY id", {"id": card_id})]
    return snap


def move(db: Db, card_id: int, column_id: int, index: int, *, origin: str = "tui", place: str | None = None,
         cfg: Any = None) -> None:
    """Move a card to row `index` of a column, in one transaction. Mirrors services.cards.move_card(index=…).

    On a SQLite file the board calls this on its own thread: a plain SQL move commits in about a millisecond,
    where the SQLAlchemy path costs several and, in a worker thread, competes with the repaint for the GIL.
    """
    with db.transaction(write=True):
        if not db.sqlite:  # lock the card's row first: two moves of one card at once are applied one after the other
            db.rows("SELECT id FROM card WHERE id = :id FOR UPDATE", {"id": card_id})
        before = _snapshot(db, card_id)
        target = db.rows("SELECT b.key, bc.name, bc.is_done FROM board_column bc JOIN board b "
                         "ON b.id = bc.board_id WHERE bc.id = :column AND bc.board_id = :board",
                         {"column": column_id, "board": before["board_id"]})
        if not target:
            raise InputError("that column is gone (the board changed meanwhile): the board has been reloaded")
        board_key, column_name, done = target[0]
        if cfg is not None and column_id != before["column_id"]:
            _check_gate(db, cfg, board_key, before, column_id, column_name)
        rows = [r[0] for r in db.rows("SELECT position FROM card WHERE column_id = :column AND id != :id "
                                      "ORDER BY position", {"column": column_id, "id": card_id})]
        if index >= len(rows):
            position = (rows[-1] if rows else 0.0) + 1.0
        else:
            above = rows[index - 1] if index > 0 else rows[index] - 2.0
            position = (above + rows[index]) / 2
        now = datetime.now(UTC)
        completed = db_datetime(before["completed_at"])
        if column_id != before["column_id"]:
            completed = (completed or now) if done else None
        db.rows("UPDATE card SET column_id = :column, position = :position, completed_at = :completed, "
                "updated_at = :now WHERE id = :id",
                {"column": column_id, "position": position, "completed": completed, "now": now, "id": card_id},
                fetch=False)
        after = before | {"column_id": column_id, "position": position, "completed_at": _stored(completed),
                          "updated_at": _stored(now)}
        record_history(db, now, origin, place or default_place(origin), f"move {board_key}-{before['number']} to "
                       f"{column_name}", [{"table": "card", "id": card_id, "before": before, "after": after}])


def _check_gate(db: Db, cfg: Any, board_key: str, before: dict[str, Any], column_id: int, column_name: str) -> None:
    """The approval gate (organizer.approval) on a move to another column."""
    from organizer import approval

    rule = approval.rule(cfg, board_key, db)
    if not rule.required:
        return
    columns = db.rows("SELECT id, name, is_done FROM board_column WHERE board_id = :board ORDER BY position",
                      {"board": before["board_id"]})
    target = next(i for i, c in enumerate(columns) if c[0] == column_id)
    if approval.gated([(c[1], bool(c[2])) for c in columns], target):
        approval.check_move(rule, f"{board_key}-{before['number']}", column_name,
                            [(a["by"], a["verdict"]) for a in before["approvals"]])


def data_version(db: Db) -> int:
    """A number that changes when another connection commits (SQLite), or on any change to this database's data
    (PostgreSQL: the sequence the statement triggers of migration 0007 advance)."""
    if db.sqlite:
        return int(db.rows("PRAGMA data_version")[0][0])
    return int(db.rows("SELECT last_value FROM organizer_data_version")[0][0] or 0)
