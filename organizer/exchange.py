"""Export and import of boards and cards as JSON or CSV: checked first, then written all or nothing.

JSON: `{"format": "organizer", "version": 1, "exported", "boards", "cards"}`, the cards in their `--json`
porcelain form. CSV: one row per card, the porcelain keys as columns (lists joined by `;`, `true`/`false`,
empty cells for nulls). An import is bulk-inserted in one transaction and undone in one step.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text, update
from sqlmodel import Session, SQLModel, col

from organizer import cardspec, dates, history
from organizer.config import Config
from organizer.instants import db_text
from organizer.models import Board, BoardColumn
from organizer.refdata import ColumnSpec
from organizer.storage.orm import Store
from organizer.validate import (
    CardFilter,
    InputError,
    check_board_key,
    clean_text,
    match_column,
    parse_ref,
    unknown_board,
)
from organizer.validate import validate as validate_fields

FORMAT, VERSION = "organizer", 1
CARD_KEYS = cardspec.JSON_KEYS  # the porcelain's keys: the CSV columns, in order, and what an import accepts
MAX_SHOWN = 5  # problems listed in one error message; the rest are counted
_SPLIT = re.compile(r"[;,]")
_TRUE, _FALSE = ("true", "1", "yes", "y"), ("false", "0", "no", "n", "")
_TIMES = cardspec.INSTANT_COLUMNS
VARIANT_COLUMNS = cardspec.VARIANT_COLUMNS
BoardSpec = tuple[str, str, list[ColumnSpec]]  # name, description, columns of a board the import creates
_BT, _CT, _KT, _CHT, _TGT, _PVT, _APT = (SQLModel.metadata.tables[t] for t in (
    "board", "board_column", "card", "card_channel", "card_tag", "post_variant", "approval"))


# A cell starting with one of these runs as a formula in Excel, LibreOffice or Sheets (CSV injection:
# `=HYPERLINK(...)`, `@SUM(...)`). OWASP's advice: prefix it with a single quote, which spreadsheets show
# as text. Import strips exactly one such quote, so `organizer export csv` then `import csv` is exact.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def _cell(value: Any) -> str:
    if isinstance(value, list) and value and isinstance(value[0], dict):  # a card's variants: JSON in one cell
        return json.dumps(value, ensure_ascii=False)
    text = "" if value is None else ";".join(value) if isinstance(value, list) else str(value)
    text = text.lower() if isinstance(value, bool) else text
    # Quotes already in front are kept and one more is added, so the import's one-quote strip is exact.
    return "'" + text if text.lstrip("'").startswith(_FORMULA_START) else text


def _uncell(text: str) -> str:
    """A CSV cell as `_cell` wrote it, without the quote that keeps a formula from running."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_START) else text


def export(store: Store, cfg: Config, fmt: str, out: TextIO, *, board: str | None = None) -> int:
    """Write all boards and cards (done ones too), or one board's, as JSON or CSV; return the card count."""
    from organizer.services.cards import list_cards

    if fmt not in ("json", "csv"):
        raise InputError(f"format {fmt!r} is not known: use json or csv")
    with store.read() as session:
        every: list[Board] = list(session.execute(select(Board).order_by(col(Board.id))).scalars())
        boards = [b for b in every if board is None or b.key == board.strip().upper()]
        if board is not None and not boards:
            raise unknown_board(board, (b.key for b in every))
        cards = list_cards(session, cfg, CardFilter(include_done=True, board=boards[0].key if board else None))
        cols: dict[int, list[dict[str, Any]]] = defaultdict(list)
        board_columns: Iterable[BoardColumn] = session.execute(
            select(BoardColumn).order_by(col(BoardColumn.board_id), col(BoardColumn.position))).scalars()
        for c in board_columns:
            cols[c.board_id].append({"name": c.name, "wip": c.wip_limit, "done": bool(c.is_done)})
        docs = [{"key": b.key, "name": b.name, "description": b.description, "columns": cols[b.id or 0]}
                for b in boards]
    if fmt == "json":
        stamp = datetime.now(ZoneInfo(cfg.timezone)).isoformat(timespec="seconds")
        json.dump({"format": FORMAT, "version": VERSION, "exported": stamp, "boards": docs, "cards": cards},
                  out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        writer = csv.writer(out)
        writer.writerow(CARD_KEYS)
        writer.writerows([_cell(c.get(k)) for k in CARD_KEYS] for c in cards)
    return len(cards)


def _parse_json(text: str, source: str) -> tuple[list[Any], list[tuple[str, Any]]]:
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError says where: "line 3 column 5 (char 40)"
        raise InputError(f"{source} is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InputError(f'{source} is not an Organizer export: expected a JSON object with "format": "{FORMAT}" '
                         "(organizer export json writes one)")
    if doc.get("version") != VERSION:
        raise InputError(f"{source} is export version {doc.get('version')!r}: this Organizer reads version {VERSION}")
    boards, cards = doc.get("boards", []), doc.get("cards", [])
    if not isinstance(boards, list) or not isinstance(cards, list):
        raise InputError(f'{source}: "boards" and "cards" must be JSON arrays')
    return boards, [(f"card {i}", c) for i, c in enumerate(cards, 1)]


def _parse_csv(text: str, source: str) -> list[tuple[str, Any]]:
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))  # notes have no length limit
    delimiter = max((",", ";", "\t"), key=text.split("\n", 1)[0].count)  # spreadsheets in some locales use ;
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise InputError(f"{source} is not valid CSV: line {reader.line_num}: {exc}") from None
    header = [h.strip().lower() for h in rows[0]]
    if "title" not in header:
        raise InputError(f"{source} has no 'title' column: its first row must name the columns, "
                         "e.g. board,column,title (organizer export csv writes them all)")
    if bad := [h for h in header if h not in CARD_KEYS or header.count(h) > 1]:
        problem = "appears twice" if bad[0] in CARD_KEYS else f"is unknown: known columns are {', '.join(CARD_KEYS)}"
        raise InputError(f"{source}: column {bad[0]!r} in the first row {problem}")
    out: list[tuple[str, Any]] = []
    for n, row in enumerate(rows[1:], 2):  # row numbers as a spreadsheet shows them
        if any(cell.strip() for cell in row):
            out.append((f"row {n}", dict(zip(header, map(_uncell, row), strict=False)) if len(row) <= len(header)
                        else f"it has {len(row)} cells but the first row names {len(header)} columns"))
    return out


def _text(value: Any, name: str) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return str(value)
    raise InputError(f"{name} {value!r} is not text")


def _int(value: Any, name: str, high: int, *, low: int = 1, duration: bool = False) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        if isinstance(value, str):
            value = dates.parse_duration(value) if duration else int(value) if value.strip().isdigit() else value
    except dates.DurationParseError as exc:
        raise InputError(f"{name}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"{name} {value!r} is not valid: use a whole number from {low} to {high}")
    number: int = value  # checked just above: an int (not a bool) in range
    return number


def _list(value: Any, name: str) -> list[str] | None:
    items = [v for v in _SPLIT.split(value) if v.strip()] if isinstance(value, str) else value
    if items is not None and not (isinstance(items, list) and all(isinstance(v, str) for v in items)):
        raise InputError(f"{name} {value!r} is not a list of words")
    return items


def _bool(value: Any, name: str) -> bool:
    text = "" if value is None else str(value).strip().lower()  # str(True) is "True"
    if text not in _TRUE and text not in _FALSE:
        raise InputError(f"{name} {value!r} is not valid: use true or false")
    return text in _TRUE


def _when(value: Any, name: str, cfg: Config, now: datetime) -> datetime | None:
    if (text := _text(value, name)) is None:
        return None
    try:  # ISO-8601 with an offset is what exports hold, and fast to read
        if (dt := datetime.fromisoformat(text.strip())).utcoffset() is not None:
            return dt
    except ValueError:
        pass
    try:  # else anything `organizer add --due` accepts
        return dates.parse_when(text, now=now, tz=cfg.timezone, day_end=cfg.day_end)
    except dates.DateParseError as exc:
        raise InputError(f"{name}: {exc}") from None


@dataclass(eq=False)
class _Card:
    label: str
    board: str | None
    column: str | None
    parent: tuple[str | None, int] | None  # (board key or None, number) as the file gives it
    values: dict[str, Any]  # the card's row: number and step as given; the rest is filled in before writing
    channels: list[str]
    tags: list[str]
    variants: list[dict[str, Any]]
    approvals: list[dict[str, Any]]
    col_index: int = 0
    parent_card: _Card | None = None


def _read_card(raw: Mapping[str, Any], label: str, cfg: Config, now: datetime) -> _Card:
    """Check one card's values against everything but the database; InputError names the first bad one."""
    if unknown := [k for k in raw if k not in CARD_KEYS and k != "steps"]:  # `show --json` adds steps
        raise InputError(f"unknown field {unknown[0]!r}: known fields are {', '.join(CARD_KEYS)}")
    board = check_board_key(key) if (key := _text(raw.get("board"), "board")) else None
    number = _int(raw.get("number"), "number", 999_999_999)
    if ident := _text(raw.get("id"), "id"):
        key, num = parse_ref(ident)
        if (key and board and key != board) or (number is not None and num != number):
            raise InputError(f"id {ident!r} does not match board {board} and number {number}")
        board, number = board or (check_board_key(key) if key else None), num
    if not isinstance(raw.get("title"), str | None):
        raise InputError(f"title {raw['title']!r} is not text")
    texts = {k: _text(raw.get(k), k) for k in ("role", "priority", "notes", "campaign", "pillar", "post")}
    f = validate_fields({"title": raw.get("title"), "channels": _list(raw.get("channels"), "channels"),
                         "tags": _list(raw.get("tags"), "tags"), **texts}, cfg, now=now, require_title=True)
    parent, step = _text(raw.get("parent"), "parent"), _int(raw.get("step"), "step", 999_999)
    if step is not None and not parent:
        raise InputError(f"step {step} is given without a parent")
    values = {
        "number": number, "step": step, "parent_id": None, "title": f.title, "notes": f.notes or "",
        "post": f.post or "", "role": f.role,
        "estimate_minutes": _int(raw.get("estimate_minutes"), "estimate_minutes", 60_000, low=0, duration=True),
        "spent_minutes": _int(raw.get("spent_minutes"), "spent_minutes", 60_000, low=0, duration=True) or 0,
        "due_at": _when(raw.get("due"), "due", cfg, now), "publish_at": _when(raw.get("publish"), "publish", cfg, now),
        "campaign": f.campaign, "pillar": f.pillar, "priority": f.priority or cfg.default_priority,
        "popup": _bool(raw.get("popup"), "popup"), "created_at": _when(raw.get("created"), "created", cfg, now) or now,
        "updated_at": _when(raw.get("updated"), "updated", cfg, now) or now,
        "completed_at": _when(raw.get("completed"), "completed", cfg, now),
    }
    column = clean_text(_text(raw.get("column"), "column") or "").strip() or None
    variants = _variants(raw.get("variants"), cfg, now)
    approvals = _approvals(raw.get("approvals"), cfg, now)
    channels = list(dict.fromkeys([*(f.channels or []), *(v["channel"] for v in variants)]))
    return _Card(label, board, column, parse_ref(parent) if parent else None, values, channels, f.tags or [],
                 variants, approvals)


def _objects(raw: Any, name: str, shape: str) -> list[dict[str, Any]]:
    """A list of objects from an import: as JSON gives it, or as JSON text in one CSV cell; [] when empty."""
    if raw is None or raw == "" or raw == []:
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            raise InputError(f"{name} is not a JSON list of {shape} objects") from None
    if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
        raise InputError(f"{name} is not a list of {shape} objects")
    return raw


def _approvals(raw: Any, cfg: Config, now: datetime) -> list[dict[str, Any]]:
    """A card's verdicts from an import: [{"by", "verdict", "note", "at"}, …] (or that list as JSON text)."""
    out = []
    for item in _objects(raw, "approvals", '{"by", "verdict", "note", "at"}'):
        by, verdict = _text(item.get("by"), "by"), _text(item.get("verdict"), "verdict")
        if not by or verdict not in ("approve", "reject"):
            raise InputError(f"approvals: {item!r} needs a by and a verdict (approve or reject)")
        out.append({"by": clean_text(by)[:80], "verdict": verdict,
                    "note": clean_text(_text(item.get("note"), "note") or "", multiline=True),
                    "at": _when(item.get("at"), "at", cfg, now) or now})
    return out


def _variants(raw: Any, cfg: Config, now: datetime) -> list[dict[str, Any]]:
    """A card's variants from an import: a list of objects (JSON), or that list as JSON text (a CSV cell)."""
    from organizer.posts.variants import read_variant

    out: list[dict[str, Any]] = []
    for position, item in enumerate(_objects(raw, "variants", '{"channel", "text", …}')):
        f = read_variant(item, cfg, now=now)
        if any(v["channel"] == f.channel for v in out):
            raise InputError(f"variants: {f.channel} appears twice")
        out.append({"channel": f.channel, "position": position, "text": f.text or "",
                    "first_comment": f.first_comment or "", "alt_text": f.alt_text or "",
                    "publish_at": f.publish_at, "status": f.status or "draft", "url": f.url})
    return out


def _read_board(raw: Any, cfg: Config) -> tuple[str, BoardSpec]:
    if not isinstance(raw, dict) or not _text(raw.get("key"), "key"):
        raise InputError('a board needs a "key", e.g. {"key": "ACME", "name": "Acme Coffee"}')
    key = check_board_key(str(raw["key"]))
    cols = raw.get("columns") or []
    if not isinstance(cols, list) or not all(isinstance(c, dict) for c in cols):
        raise InputError('"columns" must be a list of {"name", "wip", "done"}')
    specs: list[ColumnSpec] = []
    for c in cols:
        name = clean_text(_text(c.get("name"), "column name") or "").strip()
        if not 0 < len(name) <= 80 or name.casefold() in {s.name.casefold() for s in specs}:
            raise InputError(f"column {c.get('name')!r} needs a name of 1-80 characters unlike the others'")
        specs.append(ColumnSpec(name, _int(c.get("wip"), "wip", 999), _bool(c.get("done"), "done")))
    return key, (clean_text(_text(raw.get("name"), "name") or key).strip()[:200] or key,
                 clean_text(_text(raw.get("description"), "description") or "", multiline=True),
                 specs or list(cfg.columns))


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


def import_text(store: Store, cfg: Config, fmt: str, text: str, *, renumber: bool = False,
                source: str = "FILE", progress: Callable[[str, int, int], None] | None = None) -> int:
    """Import an export: check every row, then write all in one transaction (one undo step), or nothing.

    InputError names `source`, the bad rows and values. A card number already used on its board is refused
    unless `renumber`, which gives the cards bound for an existing board fresh numbers. `progress(phase, done,
    total)` is told how far the check has got (phase `checking`, every 250 cards) and when the write starts
    (`writing`).
    """
    if fmt not in ("json", "csv"):
        raise InputError(f"format {fmt!r} is not known: use json or csv")
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte order mark, when read from stdin
    if not text.strip():
        raise InputError(f"{source} is empty: nothing to import")
    board_items, card_items = _parse_json(text, source) if fmt == "json" else ([], _parse_csv(text, source))
    now = datetime.now(UTC)
    problems: list[str] = []
    specs: dict[str, BoardSpec] = {}
    cards: list[_Card] = []
    for i, raw in enumerate(board_items, 1):
        try:
            key, spec = _read_board(raw, cfg)
            if specs.setdefault(key, spec) is not spec:
                raise InputError(f"board {key} appears twice in the file")
        except InputError as exc:
            problems.append(f"board {i}: {exc}")
    total = len(card_items)
    for n, (label, raw) in enumerate(card_items):
        if progress is not None and n % 250 == 0:
            progress("checking", n, total)
        ident = raw.get("id") if isinstance(raw, dict) else None
        label = f"{label} ({clean_text(str(ident)).strip()[:40]})" if isinstance(ident, str | int) and ident else label
        try:
            if not isinstance(raw, dict):
                raise InputError(raw if isinstance(raw, str) else "expected a JSON object with the card's fields")
            cards.append(_read_card(raw, label, cfg, now))
        except InputError as exc:
            problems.append(f"{label}: {exc}")
    if not cards and not specs and not problems:
        raise InputError(f"{source} holds no cards: nothing to import")
    if progress is not None:
        progress("writing", total, total)
    with store.write() as session:
        info = _plan(session, cfg, specs, cards, renumber, problems)
        if problems:
            more = f"; and {len(problems) - MAX_SHOWN} more" if len(problems) > MAX_SHOWN else ""
            raise InputError(f"{source}: {'; '.join(problems[:MAX_SHOWN])}{more}")
        history.record(session, f"import {len(cards)} cards from {source}", _write(session, cards, info, now), "cli")
    return len(cards)
