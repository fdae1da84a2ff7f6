"""Card fields as users type them: validation of every field and filter, card IDs, the input errors.

Shared by the ORM services and the quick paths (`organizer.storage.quick`), so both accept exactly the same
input. Stdlib and `organizer.dates` only: this is on the quick-add path. The JSON a card is printed as is
`organizer.porcelain`; how instants are stored is `organizer.instants`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from organizer import cardspec, dates
from organizer.cardspec import FieldSpec
from organizer.config import Config

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
    """Bad user input; the message names the value and what would be accepted.

    `field` is the card field it is about (a `cardspec.FieldSpec.name` such as `due_at`), when there is one:
    the card form focuses that field's box.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


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
            f"board key {key!r} is not valid: use 1-12 letters or digits starting with a letter, e.g. ACME",
            field="board",
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
    post: str | None = None  # the master text of the card's post
    # Fields the user asked to clear (`--due none`).
    cleared: set[str] = field(default_factory=set)


def _choice(kind: str, value: str, allowed: Sequence[str], field: str) -> str:
    v = value.strip().lower()
    if v not in allowed:
        raise InputError(f"{kind} {value!r} is not known: use one of {', '.join(allowed)}", field=field)
    return v


def _read_title(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    title = clean_text(str(value)).strip()
    if not title:
        raise InputError("title is empty: give the card a few words, e.g. 'Draft launch post'", field=spec.name)
    if len(title) > TITLE_MAX:
        raise InputError(f"title is {len(title)} characters long: at most {TITLE_MAX} are accepted", field=spec.name)
    return title


def _read_board(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    return check_board_key(str(value)) if value else None


def _read_column(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    return clean_text(str(value)).strip() if value else None


def _read_role(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    return _choice("role", str(value), cfg.role_keys(), spec.name)


def _read_channels(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    chans = [_choice("channel", c, cfg.channel_keys(), spec.name) for c in value if str(c).strip()]
    return list(dict.fromkeys(chans))


def _read_when(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    if isinstance(value, datetime):
        return value
    try:
        return dates.parse_when(str(value), now=now, tz=cfg.timezone, day_end=cfg.day_end)
    except dates.DateParseError as exc:
        raise InputError(f"{_flag(spec)}: {exc}", field=spec.name) from None


def _read_duration(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    try:
        return dates.parse_duration(str(value))
    except dates.DurationParseError as exc:
        raise InputError(f"{_flag(spec)}: {exc}", field=spec.name) from None


def _read_priority(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    p = value
    if isinstance(p, str) and p.strip().isdigit():
        p = int(p)
    if isinstance(p, str):
        names = {v: k for k, v in PRIORITIES.items()}
        p = names.get(p.strip().lower(), p)
    if isinstance(p, bool) or not isinstance(p, int) or p not in PRIORITIES:
        raise InputError(f"priority {value!r} is not valid: use 1 (urgent), 2 (high), 3 (normal) or 4 (low)",
                         field=spec.name)
    return p


def _read_flag(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    if not isinstance(value, str):
        return bool(value)
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False, "": False}
    if value.strip().lower() not in words:
        raise InputError(f"{spec.name} {value!r} is not valid: use true or false", field=spec.name)
    return words[value.strip().lower()]


def _read_text(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    assert spec.limit is not None  # every text field declares its limit (organizer.cardspec)
    v = clean_text(value).strip()
    if len(v) > spec.limit:
        raise InputError(f"{spec.name} is {len(v)} characters long: at most {spec.limit} are accepted",
                         field=spec.name)
    return v or None


def _read_tags(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    tags = [clean_text(str(t)).strip().lstrip("#") for t in value]
    for t in tags:
        if t and not _TAG.match(t):
            raise InputError(
                f"tag {t!r} is not valid: use one word (no spaces, commas or semicolons), up to 60 characters",
                field=spec.name,
            )
    return list(dict.fromkeys(t for t in tags if t))


def _read_notes(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    return clean_text(str(value), multiline=True)


def _read_ref(spec: FieldSpec, value: Any, cfg: Config, now: datetime) -> Any:
    try:
        parse_ref(str(value))
    except InputError as exc:
        raise InputError(str(exc), field=spec.name) from None
    return str(value).strip()


def _flag(spec: FieldSpec) -> str:
    return spec.cli.label if spec.cli else spec.name


# One reader per `FieldSpec.kind`: a typed value (never None) in, the validated value out, or InputError.
_READERS: dict[str, Callable[[FieldSpec, Any, Config, datetime], Any]] = {
    "title": _read_title, "board": _read_board, "column": _read_column, "role": _read_role,
    "channels": _read_channels, "when": _read_when, "duration": _read_duration, "priority": _read_priority,
    "flag": _read_flag, "text": _read_text, "tags": _read_tags, "notes": _read_notes, "ref": _read_ref,
}


def validate(raw: Mapping[str, Any], cfg: Config, *, now: datetime, require_title: bool) -> CardFields:
    """Turn typed strings (CLI flags, TUI form, import rows) into `CardFields`, or raise InputError.

    Each field of `organizer.cardspec.INPUTS` is read by the reader of its kind, in the spec's order; an
    InputError names the field it is about (`exc.field`). With `require_title` false (an edit), a clearable
    field given as `none` is added to `cleared`.
    """
    out = CardFields()
    for spec in cardspec.INPUTS:
        value = raw.get(spec.name)
        if value is None:
            if spec.kind == "title" and require_title:
                raise InputError("a card needs a title", field=spec.name)
            continue
        if (spec.clearable and not require_title and isinstance(value, str)
                and value.strip().lower() == CLEAR):
            out.cleared.add(spec.name)
            continue
        setattr(out, spec.name, _READERS[spec.kind or ""](spec, value, cfg, now))
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
    raise InputError(f"column {wanted!r} {problem} of board {board_key}: use one of {', '.join(names)}",
                     field="column")
