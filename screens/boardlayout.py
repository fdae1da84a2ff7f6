"""How the board is laid out, as pure functions: column widths from the terminal's width, and swimlanes
as rows aligned across the columns. The board screen (screens/board.py) applies them.
"""

from __future__ import annotations

from organizer.boardview import CardRow, swimlanes

from .column import Item, Lane, Spacer

__all__ = ["FIT_MIN", "FOLDED_WIDTH", "LANE_KINDS", "SCROLL_MIN", "column_widths", "lane_items"]

FIT_MIN = 16  # narrowest column (cells, its border included) when every column is on screen at once
SCROLL_MIN = 24  # column width when they do not all fit and the board scrolls sideways
FOLDED_WIDTH = 3  # a folded column: its border and two cells for its name, a letter a line
LANE_KINDS = (None, "role", "campaign")  # what `s` cycles through


def column_widths(total: int, folded: list[bool]) -> list[int]:
    """Each column's width in cells for a board `total` cells wide.

    Every unfolded column shares the width when each gets at least FIT_MIN (7 columns from 112 cells up);
    otherwise the board scrolls sideways with as many whole columns of at least SCROLL_MIN as fit on screen.
    """
    open_count = folded.count(False)
    room = max(0, total - FOLDED_WIDTH * folded.count(True))
    if open_count == 0:
        return [FOLDED_WIDTH] * len(folded)
    if open_count * FIT_MIN <= room:
        share, extra = divmod(room, open_count)
    else:
        per_screen = max(1, room // SCROLL_MIN)
        share, extra = max(SCROLL_MIN, room // per_screen), 0
    widths, n = [], 0
    for is_folded in folded:
        if is_folded:
            widths.append(FOLDED_WIDTH)
        else:
            widths.append(share + (1 if n < extra else 0))
            n += 1
    return widths


def lane_items(columns: list[list[CardRow]], key: str, role_order: list[str],
               role_names: dict[str, str]) -> list[list[Item]]:
    """Swimlanes as rows across columns: each lane starts on the same line in every column.

    `key` is "role" (in the configured role order, no role last) or "campaign" (A to Z, none last). A lane is
    as tall as its fullest column; shorter columns are padded with a Spacer.
    """
    groups: list[dict[str | None, list[CardRow]]] = []
    seen: list[str | None] = []
    for cards in columns:
        if key == "role":
            grouped = dict(swimlanes(cards, role_order))
        else:
            grouped = {}
            for card in cards:
                grouped.setdefault(card.campaign or None, []).append(card)
        groups.append(grouped)
        seen += [k for k in grouped if k not in seen]
    named = [k for k in seen if k is not None]
    order: list[str | None] = []
    if key == "role":
        order += [r for r in role_order if r in seen] + [r for r in named if r not in role_order]
    else:
        order += sorted(named)
    if None in seen:
        order.append(None)
    out: list[list[Item]] = [[] for _ in columns]
    for lane in order:
        label = (role_names.get(lane, lane) if key == "role" else lane) if lane else f"no {key}"
        tallest = max(len(g.get(lane, [])) for g in groups)
        for ci, grouped in enumerate(groups):
            cards = grouped.get(lane, [])
            out[ci].append(Lane(label))
            out[ci].extend(cards)
            if len(cards) < tallest:
                out[ci].append(Spacer(label, tallest - len(cards)))
    return out
