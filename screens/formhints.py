"""What the card form shows beside its boxes and how it fills them: live hints for date phrases and durations,
and stored values as the text a box starts with. Pure functions over text (no widgets).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from organizer import dates
from organizer.config import Config
from organizer.validate import CLEAR

__all__ = ["duration_hint", "format_when", "when_hint"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The parsers end their messages with the full list of accepted forms; a one-line hint keeps the reason only.
_ACCEPTED_TAIL = re.compile(r"[:;] use one of .*$", re.DOTALL)
_LIST_SPLIT = re.compile(r"[,\s]+")


def format_when(moment: datetime, *, now: datetime, tz: str) -> str:
    """`Fri 27 Nov 17:30` in zone `tz`, with the year only when it is not the current one."""
    zone = ZoneInfo(tz)
    local = moment.astimezone(zone)
    # Fixed English names rather than strftime("%a"), which follows the process locale like the cards do.
    text = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]}"
    if local.year != now.astimezone(zone).year:
        text += f" {local.year}"
    return f"{text} {local:%H:%M}"


def _reason(message: str) -> str:
    return _ACCEPTED_TAIL.sub("", message)


def when_hint(text: str, cfg: Config, *, now: datetime, clearable: bool = False) -> tuple[str, bool]:
    """What a typed date phrase means, as (hint, ok): `→ Fri 27 Nov 17:30`, or why it cannot be read."""
    if not text.strip():
        return "", True
    if clearable and text.strip().lower() == CLEAR:
        return "→ cleared", True
    try:
        moment = dates.parse_when(text, now=now, tz=cfg.timezone, day_end=cfg.day_end)
    except dates.DateParseError as exc:
        return _reason(str(exc)), False
    return f"→ {format_when(moment, now=now, tz=cfg.timezone)}", True


def duration_hint(text: str, *, clearable: bool = False) -> tuple[str, bool]:
    """What a typed duration means, as (hint, ok): `→ 1h30m`, or why it cannot be read."""
    if not text.strip():
        return "", True
    if clearable and text.strip().lower() == CLEAR:
        return "→ cleared", True
    try:
        minutes = dates.parse_duration(text)
    except dates.DurationParseError as exc:
        return _reason(str(exc)), False
    return f"→ {dates.format_duration(minutes)}", True


def _split(text: str) -> list[str]:
    return [part for part in _LIST_SPLIT.split(text) if part]


def _local_text(value: object, tz: str) -> str:
    """A porcelain instant (ISO with offset) as `YYYY-MM-DD HH:MM` in the user's zone, which parse_when reads."""
    if value is None or value == "":
        return ""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:  # stored instants are UTC when they carry no offset
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _minutes_text(value: object, *, zero_is_empty: bool) -> str:
    if value is None or value == "":
        return ""
    minutes = int(str(value))
    # Spent time is stored as 0 when nothing was logged; an empty box says that more plainly.
    return "" if zero_is_empty and minutes == 0 else dates.format_duration(minutes)


def _joined(values: object) -> str:
    if not values:
        return ""
    if isinstance(values, str):
        return values
    return ", ".join(str(v) for v in values) if isinstance(values, Iterable) else str(values)
