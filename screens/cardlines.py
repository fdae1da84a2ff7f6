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
    out: list[str] = []
    used = 0
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


# How many lines a card takes in each layout (its gap not included). `compact` is for small terminals;
# `tall` gives the time its own line so that a narrow column never cuts the due time or the estimate;
# `wide` keeps every detail on one line when a column has room for it.
CARD_HEIGHT = {"compact": 2, "wide": 4, "tall": 5}
WIDE_FROM = 36  # cells of column width from which the details share one line
TERSE_BELOW = 15  # text cells under which times are written short on every card ("tmrw 10:30", "pub sat 10:00")


def layout_for(width: int, *, compact: bool) -> str:
    """The card layout for a column `width` cells wide (see CARD_HEIGHT)."""
    if compact:
        return "compact"
    return "wide" if width >= WIDE_FROM else "tall"


_SHORT_DAYS = (("tomorrow", "tmrw"), ("yesterday", "yday"))


def _short_forms(when: str) -> tuple[str, ...]:
    """`when` and shorter ways to say it: abbreviated day words, then without "due" (due is the default)."""
    forms = [when]
    short = when
    for word, abbr in _SHORT_DAYS:
        short = short.replace(word, abbr)
    if short != when:
        forms.append(short)
    if short.startswith("due "):
        forms.append(short[4:])
    return tuple(forms)


@dataclass
class _Part:
    """One piece of a line: its ways of being said (longest first) and whether it may be left out."""

    forms: tuple[str, ...]
    style: Style
    drop: int | None = None  # order in which optional parts go when the line is too narrow (1 first)
    form: int = 0

    @property
    def text(self) -> str:
        return self.forms[self.form]


def _pack(parts: list[_Part], inner: int) -> list[tuple[str, Style]]:
    """Fit parts into `inner` cells: shorten what can be shortened, then leave out optional parts (the lowest
    `drop` first). The due time and the estimate are never optional; only when even they do not fit is
    the line cut with an ellipsis.
    """
    live = [p for p in parts if p.text]

    def width() -> int:
        return sum(cell_len(p.text) for p in live) + max(0, len(live) - 1)

    optional = sorted((p for p in live if p.drop is not None), key=lambda p: p.drop or 0)
    while width() > inner:
        shorter = next((p for p in live if p.form + 1 < len(p.forms)), None)
        if optional and (shorter is None or optional[0].drop == 1):
            live.remove(optional.pop(0))
        elif shorter is not None:
            shorter.form += 1
        else:
            break
    out: list[tuple[str, Style]] = []
    for i, p in enumerate(live):
        out.append(((" " if i else "") + p.text, p.style))
    return out


def _title_lines(title: str, inner: int, count: int) -> list[str]:
    """The title over `count` lines, wrapped at word boundaries where one is near, the last line ellipsized."""
    lines: list[str] = []
    rest = title
    for n in range(count):
        if n == count - 1:
            lines.append(_ellipsize(rest.lstrip(), inner) if rest else "")
            break
        first, rest = _fit(rest.lstrip(), inner)
        if rest and rest[0] != " ":
            # Wrap at a word boundary (a space, or after a hyphen) when one is near.
            cut = max(first.rfind(" "), first.rfind("-") + 1 if "-" in first else -1)
            if cut > inner // 3:
                first, rest = first[:cut].rstrip(), first[cut:].lstrip() + rest
        lines.append(first)
    return lines


APPROVAL_WORDS = {"approved": "✔ approved", "rejected": "✗ rejected", "needed": "⧗ needs approval"}


def channel_text(card: CardRow, codes: dict[str, str]) -> str:
    """The card's channels by code; one with a variant says whether it fits that network: `X✓ LI✗ IG`."""
    fits = dict(card.variants)
    return " ".join(codes.get(c, c) + ("" if c not in fits else "✓" if fits[c] else "✗") for c in card.channels)


def card_lines(card: CardRow, width: int, *, layout: str, selected: bool, palette: Palette,
               role_badges: dict[str, str], channel_codes: dict[str, str], now: datetime,
               tz: str) -> list[list[Segment]]:
    """The lines of one card in `layout` (see CARD_HEIGHT): header, title, and the details, where a narrow
    column leaves out channels first, then shortens the time, then the role; never the time or the estimate.
    """
    base = palette.selected if selected else palette.base
    when, overdue = when_text(card, now, tz)
    mark = PRIORITY_MARK.get(card.priority, "")
    role = card.role or ""
    role_part = _Part((f"[{role_badges.get(role, role.upper())}]",) if role else ("",),
                      palette.roles.get(role, palette.dim), drop=2)
    when_part = _Part(_short_forms(when) if when else ("",), palette.overdue if overdue else Style())
    estimate = _Part((format_duration(card.estimate_minutes),) if card.estimate_minutes is not None else ("",),
                     Style())
    channels = _Part((channel_text(card, channel_codes),), palette.dim, drop=1)
    inner = width - 2
    if layout == "compact":
        # Small terminals: the title gets the whole first line, the ID leads the details.
        flags = (" ⚡" if card.popup else "") + (" !" if card.priority == 1 else "")
        ref = _Part((card.ref + flags,), palette.popup if card.popup else palette.dim)
        return [_line([(card.title, Style(bold=True))], width, base),
                _line(_pack([ref, role_part, when_part, estimate, channels], inner), width, base)]
    head = [_Part((card.ref,), palette.dim)]
    if mark:
        head.append(_Part((mark,), palette.urgent if card.priority == 1 else palette.dim))
    if card.popup:
        head.append(_Part(("⚡pop-up", "⚡"), palette.popup))
    if card.parent_ref:
        head.append(_Part((f"↳{card.parent_ref}",), palette.dim, drop=1))
    if card.approval:  # said in words, not only a sign: "✔ approved", "✗ rejected", "⧗ needs approval"
        head.append(_Part((APPROVAL_WORDS[card.approval], APPROVAL_WORDS[card.approval][0]),
                          palette.urgent if card.approval == "rejected" else palette.dim, drop=2))
    title = [_line([(text, Style(bold=True))], width, base) for text in _title_lines(card.title, inner, 2)]
    if layout == "wide":
        # Most telling first: who, when, how long, where.
        details = _pack([role_part, when_part, estimate, channels], inner) or [("", Style())]
        return [_line(_pack(head, inner), width, base), *title, _line(details, width, base)]
    # tall: the time has a line of its own; the estimate leads the next one. In a column too narrow for
    # "due tomorrow 17:30", every card uses the short form, so that cards side by side read alike.
    if inner < TERSE_BELOW:
        when_part.form = len(when_part.forms) - 1
    return [_line(_pack(head, inner), width, base), *title,
            _line(_pack([when_part], inner) or [("", Style())], width, base),
            _line(_pack([estimate, role_part, channels], inner) or [("", Style())], width, base)]
