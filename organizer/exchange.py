"""Export and import of boards and cards as JSON or CSV: checked first, then written all or nothing.

JSON: `{"format": "organizer", "version": 1, "exported", "boards", "cards"}`, the cards in their `--json`
porcelain form. CSV: one row per card, the porcelain keys as columns (lists joined by `;`, `true`/`false`,
empty cells for nulls). An import is bulk-inserted in one transaction and undone in one step.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import col

from organizer import history
from organizer.config import Config
from organizer.exchange_rows import CARD_KEYS as CARD_KEYS
from organizer.exchange_rows import FORMAT as FORMAT
from organizer.exchange_rows import VERSION as VERSION
from organizer.exchange_rows import BoardSpec as BoardSpec
from organizer.exchange_rows import _Card, _cell, _parse_csv, _parse_json, _read_board, _read_card
from organizer.exchange_write import _TIMES as _TIMES
from organizer.exchange_write import MAX_SHOWN as MAX_SHOWN
from organizer.exchange_write import VARIANT_COLUMNS as VARIANT_COLUMNS
from organizer.exchange_write import _plan, _write
from organizer.models import Board, BoardColumn
from organizer.storage.orm import Store
from organizer.validate import CardFilter, InputError, clean_text, unknown_board


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
