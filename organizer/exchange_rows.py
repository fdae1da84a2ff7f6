"""Reading an export (JSON or CSV) and checking its cards and boards against everything but the database.

Also the CSV cell codec shared with the export: lists joined by `;`, `true`/`false`, empty cells for nulls,
and a quote in front of a cell a spreadsheet would run as a formula.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from organizer import cardspec, dates
from organizer.config import Config
from organizer.refdata import ColumnSpec
from organizer.validate import InputError, check_board_key, clean_text, parse_ref
from organizer.validate import validate as validate_fields

FORMAT, VERSION = "organizer", 1
CARD_KEYS = cardspec.JSON_KEYS  # the porcelain's keys: the CSV columns, in order, and what an import accepts
_SPLIT = re.compile(r"[;,]")
_TRUE, _FALSE = ("true", "1", "yes", "y"), ("false", "0", "no", "n", "")
BoardSpec = tuple[str, str, list[ColumnSpec]]  # name, description, columns of a board the import creates


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

