"""Drawing one card as a few lines of styled segments (titles always literal text)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style

from organizer.boardview import CardRow
from organizer.dates import format_duration, format_relative

PRIORITY_MARK = {1: "P1!", 2: "P2", 3: "", 4: "P4"}


@dataclass(frozen=True)
class Palette:
    """Rich styles for card parts, resolved from the theme once per repaint."""

    base: Style
    selected: Style
    dim: Style
    overdue: Style
    popup: Style
    urgent: Style
    roles: dict[str, Style]


def _fit(text: str, width: int) -> tuple[str, str]:
    """Split text into what fits in `width` cells and the rest."""
    if cell_len(text) <= width:
        return text, ""
    out, used = [], 0
    for i, ch in enumerate(text):
        w = cell_len(ch)
        if used + w > width:
            return "".join(out), text[i:]
        out.append(ch)
        used += w
    return "".join(out), ""


def _ellipsize(text: str, width: int) -> str:
    head, rest = _fit(text, width)
    if not rest:
        return head
    head, _ = _fit(text, max(0, width - 1))
    return head + "…"


def _line(parts: list[tuple[str, Style]], width: int, base: Style) -> list[Segment]:
    """Segments for one line, cut or padded to exactly `width` cells (1 cell of padding each side)."""
    segs, used = [Segment(" ", base)], 1
    inner = width - 1
    for text, style in parts:
        if used >= inner:
            break
        piece = _ellipsize(text, inner - used)
        segs.append(Segment(piece, base + style))
        used += cell_len(piece)
    segs.append(Segment(" " * max(0, width - used), base))
    return segs


def when_text(card: CardRow, now: datetime, tz: str) -> tuple[str, bool]:
    """The card's due (or publish) time in relative words, and whether it is overdue."""
    if card.due_at is not None:
        return "due " + format_relative(card.due_at, now=now, tz=tz), (card.due_at < now and not card.done)
    if card.publish_at is not None:
        return "pub " + format_relative(card.publish_at, now=now, tz=tz), False
    return "", False


def card_lines(card: CardRow, width: int, *, compact: bool, selected: bool, palette: Palette,
               role_badges: dict[str, str], channel_codes: dict[str, str], now: datetime,
               tz: str) -> list[list[Segment]]:
    """The lines of one card: header, title (two lines unless compact) and details."""
    base = palette.selected if selected else palette.base
    when, overdue = when_text(card, now, tz)
    mark = PRIORITY_MARK.get(card.priority, "")
    head: list[tuple[str, Style]] = [(card.ref, palette.dim)]
    if mark:
        head.append((" " + mark, palette.urgent if card.priority == 1 else palette.dim))
    if card.popup:
        head.append((" ⚡pop-up", palette.popup))
    if card.parent_ref:
        head.append((f" ↳{card.parent_ref}", palette.dim))
    role = card.role or ""
    details: list[tuple[str, Style]] = []
    if role:
        details.append((f"[{role_badges.get(role, role.upper())}]", palette.roles.get(role, palette.dim)))
    # Most telling first, since a narrow column cuts the end: when, how long, where.
    if when:
        details.append((" " + when, palette.overdue if overdue else Style()))
    if card.estimate_minutes is not None:
        details.append((" " + format_duration(card.estimate_minutes), Style()))
    if card.channels:
        details.append((" " + " ".join(channel_codes.get(c, c) for c in card.channels), palette.dim))
    inner = width - 2
    if compact:
        # Small terminals: the title gets the whole first line, the ID leads the details.
        flags = (" ⚡" if card.popup else "") + (" !" if card.priority == 1 else "")
        return [_line([(card.title, Style(bold=True))], width, base),
                _line([(card.ref + flags, palette.popup if card.popup else palette.dim), (" ", Style()), *details],
                      width, base)]
    first, rest = _fit(card.title, inner)
    if rest and rest[0] != " ":
        # Wrap at a word boundary (a space, or after a hyphen) when one is near.
        cut = max(first.rfind(" "), first.rfind("-") + 1 if "-" in first else -1)
        if cut > inner // 3:
            first, rest = first[:cut].rstrip(), first[cut:].lstrip() + rest
    second = _ellipsize(rest.lstrip(), inner) if rest else ""
    return [_line(head, width, base),
            _line([(first, Style(bold=True))], width, base),
            _line([(second, Style(bold=True))], width, base),
            _line(details or [("", Style())], width, base)]
