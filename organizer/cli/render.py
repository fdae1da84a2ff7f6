"""Plain-text output for the CLI: card tables and card details, from the JSON porcelain dicts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from organizer.dates import format_duration, format_relative


def _when(value: str | None, now: datetime, tz: str) -> str:
    return format_relative(datetime.fromisoformat(value), now=now, tz=tz) if value else ""


def card_table(cards: list[dict[str, Any]], tz: str) -> str:
    """A fixed-width table, one card a line, the title last so long titles do not break columns."""
    if not cards:
        return "no cards match"
    now = datetime.now(UTC)
    rows = [("ID", "COLUMN", "ROLE", "DUE", "EST", "P", "TITLE")]
    for c in cards:
        flags = (" !popup" if c["popup"] else "") + (f" ↳{c['parent']}" if c["parent"] else "")
        rows.append((c["id"], c["column"], c["role"] or "-", _when(c["due"], now, tz) or "-",
                     format_duration(c["estimate_minutes"]) if c["estimate_minutes"] is not None else "-",
                     str(c["priority"]), c["title"] + flags))
    width = _cell_width(rows)
    widths = [max(width(r[i]) for r in rows) for i in range(6)]
    return "\n".join("  ".join(v + " " * (w - width(v)) for v, w in zip(r[:6], widths, strict=True)) + "  " + r[6]
                     for r in rows)


def _cell_width(rows: Sequence[tuple[str, ...]]) -> Callable[[str], int]:
    """How many terminal cells a value takes: len() for ASCII, wcwidth for the rest (a column named 公開 or
    Publié, a role with an emoji). wcwidth is imported only then: it costs ~45 ms, and `list` is a quick path.
    """
    if all(v.isascii() for r in rows for v in r[:6]):
        return len
    from wcwidth import wcswidth

    def cells(text: str) -> int:
        width: int = wcswidth(text)
        return width if width >= 0 else len(text)  # -1: a character with no width defined; count it as one

    return cells


def card_details(card: dict[str, Any], tz: str) -> str:
    """Every field of one card, a line each."""
    now = datetime.now(UTC)
    est = card["estimate_minutes"]
    estimate = format_duration(est) if est is not None else "-"
    lines = [
        f"{card['id']}  {card['title']}",
        f"  column    {card['column']}",
        f"  role      {card['role'] or '-'}",
        f"  channels  {', '.join(card['channels']) or '-'}",
        f"  due       {card['due'] or '-'}" + (f"  ({_when(card['due'], now, tz)})" if card["due"] else ""),
        f"  publish   {card['publish'] or '-'}" + (f"  ({_when(card['publish'], now, tz)})" if card["publish"] else ""),
        f"  estimate  {estimate}   spent {format_duration(card['spent_minutes'])}",
        f"  priority  {card['priority']}" + ("   pop-up" if card["popup"] else ""),
        f"  campaign  {card['campaign'] or '-'}   pillar {card['pillar'] or '-'}",
        f"  tags      {', '.join(card['tags']) or '-'}",
    ]
    if card.get("parent"):
        lines.append(f"  step {card['step']} of {card['parent']}")
    if card.get("steps"):
        lines.append(f"  steps     {', '.join(card['steps'])}")
    lines.append(f"  created   {card['created']}   updated {card['updated']}"
                 + (f"   completed {card['completed']}" if card["completed"] else ""))
    if card["notes"]:
        lines += ["", *("  " + line for line in card["notes"].splitlines())]
    return "\n".join(lines)
