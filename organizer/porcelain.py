"""The JSON porcelain of a card (`--json`, exports): its keys and order come from `organizer.cardspec`.

Stdlib only besides the card declaration: the quick-add path prints it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from organizer import cardspec
from organizer.instants import readable


def local_iso(value: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO-8601 with the offset, in the user's zone."""
    return None if value is None else value.astimezone(tz).isoformat(timespec="seconds")


# How `card_json` writes each porcelain key: (key, column, how), from organizer.cardspec.
_JSON_PLAN: tuple[tuple[str, str, str], ...] = tuple(
    (f.json, f.column or "", f.shown) for f in cardspec.FIELDS if f.json
)


def card_json(
    card: Mapping[str, Any],
    *,
    board_key: str,
    column: str,
    channels: Iterable[str],
    tags: Iterable[str],
    parent_ref: str | None,
    tz: ZoneInfo,
    variants: Iterable[Mapping[str, Any]] = (),
    approvals: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The `--json` form of a card. A porcelain contract: fields may be added, never removed or renamed.

    Its keys and their order are `organizer.cardspec.JSON_KEYS`; `card` is the card's row (column → value).
    """
    given: dict[str, Any] = {"ref": f"{board_key}-{card['number']}", "board": board_key, "column": column,
                             "channels": list(channels), "tags": list(tags), "parent": parent_ref,
                             "variants": [variant_json(v, tz) for v in variants],
                             "approvals": [{"by": a["by"], "verdict": a["verdict"], "note": a["note"],
                                            "at": local_iso(readable(a["at"]), tz)} for a in approvals]}
    out: dict[str, Any] = {}
    for key, name, how in _JSON_PLAN:
        if how == "value":
            out[key] = card[name]
        elif how == "instant":
            out[key] = local_iso(readable(card[name]), tz)
        elif how == "bool":
            out[key] = bool(card[name])
        else:
            out[key] = given[how]
    return out


# A variant's porcelain keys, in order (its row's columns, the publish time shown in the user's zone).
VARIANT_KEYS = ("channel", "text", "first_comment", "alt_text", "publish", "status", "url")


def variant_json(row: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """One post variant as the porcelain shows it (inside a card's `variants`)."""
    return {"channel": row["channel"], "text": row["text"], "first_comment": row["first_comment"],
            "alt_text": row["alt_text"], "publish": local_iso(readable(row["publish_at"]), tz),
            "status": row["status"], "url": row["url"]}
