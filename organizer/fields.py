"""Card fields as users type them: validation, card IDs, and the JSON porcelain.

Shared by the ORM services and the lean quick-add path, so both accept exactly the same input
and print exactly the same JSON. Stdlib and `organizer.dates` only: this is on the fast path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from organizer import dates
from organizer.config import Config

# Re-exported: the storage encoding lives in organizer.instants; older callers import it from here.
from organizer.instants import db_datetime as db_datetime
from organizer.instants import db_text as db_text
from organizer.instants import readable as readable

# C0/C1 control characters and DEL, which could drive a terminal; newlines and tabs are kept
# in notes only.
# Bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069) are stripped too: they can make a
# title read differently from what it is (a "Trojan Source" style spoof) in the board and the shell.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# In one-line text a tab or a line break separates words: it becomes a space, not nothing.
_LINE_BREAKS = re.compile(r"[\t\r\n\v\f\x85\u2028\u2029]+")
_ESCAPE_SEQ = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
_REF = re.compile(r"^\s*(?:([A-Za-z][A-Za-z0-9]{0,11})-)?(\d{1,9})\s*$")
_BOARD_KEY = re.compile(r"^[A-Z][A-Z0-9]{0,11}$")
_TAG = re.compile(r"^[^\s,;]{1,60}$")
CLEAR = "none"  # `--due none` clears a field on edit
TITLE_MAX = 500
PRIORITIES = {1: "urgent", 2: "high", 3: "normal", 4: "low"}


class InputError(ValueError):
    """Bad user input; the message names the value and what would be accepted."""


def unknown_board(key: str, known: Iterable[str]) -> InputError:
    """The one error for a board key that names no board, listing the boards there are."""
    keys = ", ".join(known) or "none yet (organizer boards add KEY NAME)"
    return InputError(f"board {key!r} does not exist: known boards are {keys}")


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Remove terminal escape sequences and control characters from user or imported text."""
    text = _ESCAPE_SEQ.sub("", text)
    if multiline:
        return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL_LINE.sub("", _LINE_BREAKS.sub(" ", text))


def parse_ref(text: str) -> tuple[str | None, int]:
    """`ACME-42` → ("ACME", 42); `42` → (None, 42)."""
    m = _REF.match(text or "")
    if not m:
        raise InputError(f"card ID {text!r} is not valid: use BOARD-NUMBER such as ACME-42, or the number alone")
    key, number = m.groups()
    return (key.upper() if key else None), int(number)


def check_board_key(key: str) -> str:
    """A board key: 1-12 letters or digits starting with a letter, stored in upper case."""
    upper = key.strip().upper()
    if not _BOARD_KEY.match(upper):
        raise InputError(
            f"board key {key!r} is not valid: use 1-12 letters or digits starting with a letter, e.g. ACME"
        )
    return upper


@dataclass
class CardFields:
    """Validated card values; None means "not given" (keep the current value on edit)."""

    title: str | None = None
    board: str | None = None
    column: str | None = None
    role: str | None = None
    channels: list[str] | None = None
    due_at: datetime | None = None
    publish_at: datetime | None = None
    estimate_minutes: int | None = None
    spent_minutes: int | None = None
    priority: int | None = None
    popup: bool | None = None
    campaign: str | None = None
    pillar: str | None = None
    tags: list[str] | None = None
    notes: str | None = None
    parent: str | None = None
    # Fields the user asked to clear (`--due none`).
    cleared: set[str] = field(default_factory=set)


def _choice(kind: str, value: str, allowed: Sequence[str]) -> str:
    v = value.strip().lower()
    if v not in allowed:
        raise InputError(f"{kind} {value!r} is not known: use one of {', '.join(allowed)}")
    return v


def _optional_text(name: str, value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    v = clean_text(value).strip()
    if len(v) > limit:
        raise InputError(f"{name} is {len(v)} characters long: at most {limit} are accepted")
    return v


def validate(raw: Mapping[str, Any], cfg: Config, *, now: datetime, require_title: bool) -> CardFields:
    """Turn typed strings (CLI flags, TUI form, import rows) into `CardFields`, or raise InputError."""
    out = CardFields()
    tz = cfg.timezone

    def clearable(name: str) -> bool:
        value = raw.get(name)
        if isinstance(value, str) and value.strip().lower() == CLEAR and not require_title:
            out.cleared.add(name)
            return True
        return value is None

    title = raw.get("title")
    if title is not None:
        title = clean_text(str(title)).strip()
        if not title:
            raise InputError("title is empty: give the card a few words, e.g. 'Draft launch post'")
        if len(title) > TITLE_MAX:
            raise InputError(f"title is {len(title)} characters long: at most {TITLE_MAX} are accepted")
        out.title = title
    elif require_title:
        raise InputError("a card needs a title")
    if raw.get("board"):
        out.board = check_board_key(str(raw["board"]))
    if raw.get("column"):
        out.column = clean_text(str(raw["column"])).strip()
    if not clearable("role"):
        out.role = _choice("role", str(raw["role"]), cfg.role_keys())
    if raw.get("channels") is not None:
        chans = [_choice("channel", c, cfg.channel_keys()) for c in raw["channels"] if str(c).strip()]
        out.channels = list(dict.fromkeys(chans))
    for name in ("due_at", "publish_at"):
        if not clearable(name):
            try:
                value = raw[name]
                out_dt = value if isinstance(value, datetime) else dates.parse_when(
                    str(value), now=now, tz=tz, day_end=cfg.day_end
                )
            except dates.DateParseError as exc:
                label = "due" if name == "due_at" else "publish"
                raise InputError(f"--{label}: {exc}") from None
            setattr(out, name, out_dt)
    for name, flag in (("estimate_minutes", "estimate"), ("spent_minutes", "spent")):
        if not clearable(name):
            value = raw[name]
            try:
                minutes = dates.parse_duration(str(value))
            except dates.DurationParseError as exc:
                raise InputError(f"--{flag}: {exc}") from None
            setattr(out, name, minutes)
    if raw.get("priority") is not None:
        p = raw["priority"]
        if isinstance(p, str) and p.strip().isdigit():
            p = int(p)
        if isinstance(p, str):
            names = {v: k for k, v in PRIORITIES.items()}
            p = names.get(p.strip().lower(), p)
        if isinstance(p, bool) or not isinstance(p, int) or p not in PRIORITIES:
            raise InputError(
                f"priority {raw['priority']!r} is not valid: use 1 (urgent), 2 (high), 3 (normal) or 4 (low)"
            )
        out.priority = p
    if raw.get("popup") is not None:
        flag = raw["popup"]
        if isinstance(flag, str):
            words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False, "": False}
            if flag.strip().lower() not in words:
                raise InputError(f"popup {flag!r} is not valid: use true or false")
            out.popup = words[flag.strip().lower()]
        else:
            out.popup = bool(flag)
    if not clearable("campaign"):
        out.campaign = _optional_text("campaign", raw["campaign"], 200) or None
    if not clearable("pillar"):
        out.pillar = _optional_text("pillar", raw["pillar"], 80) or None
    if raw.get("tags") is not None:
        tags = [clean_text(str(t)).strip().lstrip("#") for t in raw["tags"]]
        for t in tags:
            if t and not _TAG.match(t):
                raise InputError(
                    f"tag {t!r} is not valid: use one word (no spaces, commas or semicolons), up to 60 characters"
                )
        out.tags = list(dict.fromkeys(t for t in tags if t))
    if raw.get("notes") is not None:
        out.notes = clean_text(str(raw["notes"]), multiline=True)
    if not clearable("parent"):
        parse_ref(str(raw["parent"]))
        out.parent = str(raw["parent"]).strip()
    return out


@dataclass(frozen=True)
class CardFilter:
    """What `organizer list` and the board narrow cards down by."""

    board: str | None = None
    role: str | None = None
    channel: str | None = None
    column: str | None = None
    due_before: datetime | None = None
    popup: bool | None = None
    include_done: bool = False


def match_column(names: Sequence[str], wanted: str, board_key: str) -> int:
    """The index of the column `wanted` names: exact (any case), else a unique prefix of it or of a word."""
    w = wanted.strip().casefold()
    exact = [i for i, n in enumerate(names) if n.casefold() == w]

    def prefixes(name: str) -> bool:
        text = name.casefold()
        return text.startswith(w) or any(word.startswith(w) for word in text.split())

    matches = (exact or [i for i, n in enumerate(names) if prefixes(n)]) if w else []
    if len(matches) == 1:
        return matches[0]
    problem = "matches several columns" if matches else "is not a column"
    raise InputError(f"column {wanted!r} {problem} of board {board_key}: use one of {', '.join(names)}")


# --- Stored values and the JSON porcelain -----------------------------------------------------

def local_iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO-8601 with the offset, in the user's zone."""
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


def card_json(
    card: Mapping[str, Any],
    *,
    board_key: str,
    column: str,
    channels: Iterable[str],
    tags: Iterable[str],
    parent_ref: str | None,
    tz: ZoneInfo,
) -> dict[str, Any]:
    """The `--json` form of a card. A porcelain contract: fields may be added, never removed or renamed."""
    return {
        "id": f"{board_key}-{card['number']}",
        "board": board_key,
        "number": card["number"],
        "title": card["title"],
        "column": column,
        "role": card["role"],
        "channels": list(channels),
        "tags": list(tags),
        "estimate_minutes": card["estimate_minutes"],
        "spent_minutes": card["spent_minutes"],
        "due": local_iso(readable(card["due_at"]), tz),
        "publish": local_iso(readable(card["publish_at"]), tz),
        "campaign": card["campaign"],
        "pillar": card["pillar"],
        "priority": card["priority"],
        "popup": bool(card["popup"]),
        "parent": parent_ref,
        "step": card["step"],
        "notes": card["notes"],
        "created": local_iso(readable(card["created_at"]), tz),
        "updated": local_iso(readable(card["updated_at"]), tz),
        "completed": local_iso(readable(card["completed_at"]), tz),
    }
