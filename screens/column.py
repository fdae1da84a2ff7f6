"""One board column as a line-API scroll view: only the visible lines are ever drawn.

A column of 3,000 cards is one widget with a 15,000-line virtual height, not 3,000 widgets; the
view maps each screen line to (item, line within item) and renders just that strip.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from organizer.boardview import CardRow

from .cardlines import CARD_HEIGHT, Palette, card_lines


@dataclass(frozen=True, slots=True)
class Lane:
    """A swimlane heading inside a column."""

    label: str


@dataclass(frozen=True, slots=True)
class Spacer:
    """Empty room the height of `cards` cards, so that swimlanes line up across columns."""

    lane: str
    cards: int


Item = CardRow | Lane | Spacer


class ColumnView(ScrollView, can_focus=False):
    """The cards of one column, drawn line by line."""

    DEFAULT_CSS = """
    ColumnView {
        height: 1fr;
        width: 1fr;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    """
    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "card", "card--selected", "card--dim", "card--overdue", "card--popup", "card--urgent", "lane", "empty",
    }

    class Clicked(Message):
        """A card was clicked (index into the column's items), or empty space (None)."""

        def __init__(self, column: int, item: int | None, double: bool, context: bool = False) -> None:
            super().__init__()
            self.column = column
            self.item = item
            self.double = double
            self.context = context

    def __init__(self, index: int, palette_for: Callable[[ColumnView], Palette], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.index = index
        self._palette_for = palette_for
        self.items: list[Item] = []
        self.selected: int | None = None
        self.card_layout = "tall"
        self.gap = 1
        self.folded: str | None = None  # a collapsed column draws only this label, one letter a line
        self._starts: list[int] = [0]
        # Drawn strips by (card id or lane label, selected): a move or a reorder redraws only what changed.
        self._cache: dict[tuple[object, bool], tuple[Item, list[Strip]]] = {}
        self._palette: Palette | None = None
        self.context: dict[str, object] = {}

    # --- content ------------------------------------------------------------------------------
    @property
    def card_height(self) -> int:
        """Lines a card takes in this column's layout, its gap included."""
        return CARD_HEIGHT[self.card_layout] + self.gap

    def item_height(self, item: Item) -> int:
        """Lines an item takes, its gap included."""
        if isinstance(item, Lane):
            return 1
        if isinstance(item, Spacer):
            return item.cards * self.card_height
        return self.card_height

    def set_items(self, items: list[Item], selected: int | None, *, layout: str, context: dict[str, object],
                  folded: str | None = None) -> None:
        """Replace the column's content and repaint; `folded` draws a collapsed column as its label."""
        stale = (layout != self.card_layout or not self.context or folded != self.folded
                 or _minute(context.get("now")) != _minute(self.context.get("now")))
        self.items = [] if folded else items
        items = self.items
        self.selected = selected
        self.card_layout = layout
        self.folded = folded
        self.context = context
        card_height = self.card_height
        if any(not isinstance(item, CardRow) for item in items):
            starts = [0]
            for item in items:
                starts.append(starts[-1] + self.item_height(item))
        else:  # every item is a card of one height: no need to walk 3,000 of them
            starts = list(range(0, (len(items) + 1) * card_height, card_height))
        self._starts = starts
        if stale or len(self._cache) > 4 * len(items) + 200:
            # Relative times ("in 3d") move with the clock, and a cache of long-gone cards is just memory.
            self._cache.clear()
        self._fit_virtual_size()
        self.refresh()

    def _fit_virtual_size(self) -> None:
        # Changing the virtual size makes Textual lay out the whole screen again (≈50 ms with a 10,000-card
        # board). Sizing in steps of ten cards, and never below the view, means moving one card rarely does.
        step = 10 * self.card_height
        needed, view = self._starts[-1], self.size.height
        height = max(view, 1) if needed <= view else -(-needed // step) * step
        if self.virtual_size != Size(self.size.width, height):
            self.virtual_size = Size(self.size.width, height)

    def select(self, selected: int | None) -> None:
        """Move the highlight and keep it in view."""
        previous, self.selected = self.selected, selected
        for index in (previous, selected):
            if index is not None and 0 <= index < len(self.items):
                self._cache.pop((_key(self.items[index]), True), None)
                self._cache.pop((_key(self.items[index]), False), None)
        if selected is not None and 0 <= selected < len(self.items):
            top = self._starts[selected]
            self.scroll_to_region(Region(0, top, 1, self._starts[selected + 1] - top), animate=False, immediate=True)
        self.refresh()

    def item_at_line(self, line: int) -> int | None:
        """The item drawn at virtual line `line`, if any (gaps count as the card above)."""
        if line < 0 or line >= self._starts[-1]:
            return None
        return bisect_right(self._starts, line) - 1

    # --- drawing ------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        """The theme or CSS changed: styles and drawn strips are stale."""
        super().notify_style_update()
        self._cache.clear()
        self._palette = None

    def on_resize(self) -> None:
        """Widths changed: strips must be cut again."""
        self._cache.clear()
        self._fit_virtual_size()

    def _strips(self, index: int, width: int) -> list[Strip]:
        selected = index == self.selected
        item = self.items[index]
        key = (_key(item), selected)
        cached = self._cache.get(key)
        # The entry keeps its item alive and is checked by identity, so a reused id() never matches.
        if cached is not None and cached[0] is item and cached[1] and cached[1][0].cell_length == width:
            return cached[1]
        if self._palette is None:
            self._palette = self._palette_for(self)
        palette = self._palette
        if isinstance(item, Lane):
            strips = [self._lane_strip(item.label, width)]
        elif isinstance(item, Spacer):
            strips = [Strip.blank(width, self.rich_style)] * self.item_height(item)
        else:
            ctx = self.context
            lines = card_lines(item, width, layout=self.card_layout, selected=selected, palette=palette,
                               role_badges=ctx["badges"], channel_codes=ctx["codes"],  # type: ignore[arg-type]
                               now=ctx["now"], tz=ctx["tz"])  # type: ignore[arg-type]
            strips = [Strip(segs, width) for segs in lines] + [Strip.blank(width)] * self.gap
        self._cache[key] = (item, strips)
        return strips

    def _lane_strip(self, label: str, width: int) -> Strip:
        text = f" {label} ".center(width, "─")[:width]
        return Strip([Segment(text, self.get_component_rich_style("lane"))], width)

    def _lane_above(self, index: int) -> str | None:
        """The label of the swimlane that item `index` belongs to (None without lanes)."""
        for i in range(index, -1, -1):
            item = self.items[i]
            if isinstance(item, Lane):
                return item.label
        return None

    def render_line(self, y: int) -> Strip:
        """One screen line: find the item under it and draw that item's line."""
        width = self.scrollable_content_region.width
        if self.folded is not None:
            # A collapsed column: its name down the column, one letter a line.
            text = self.folded
            char = text[y] if y < len(text) else " "
            return Strip([Segment(char.center(width), self.get_component_rich_style("empty"))], width)
        line = y + self.scroll_offset.y
        index = self.item_at_line(line)
        if index is None:
            if not self.items and y == 1:
                return Strip([Segment(" (no cards)".ljust(width), self.get_component_rich_style("empty"))], width)
            return Strip.blank(width, self.rich_style)
        if y == 0 and not isinstance(self.items[index], Lane):
            # The lane heading stays on the top line while its cards scroll under it.
            label = self._lane_above(index)
            if label is not None:
                return self._lane_strip(label, width)
        strips = self._strips(index, width)
        return strips[line - self._starts[index]]

    def on_click(self, event: events.Click) -> None:
        """Tell the board which card was clicked."""
        index = self.item_at_line(event.y + self.scroll_offset.y)
        if index is not None and not isinstance(self.items[index], CardRow):
            index = None
        self.post_message(self.Clicked(self.index, index, event.chain >= 2, context=event.button == 3))


def _key(item: Item) -> object:
    """What a drawn item is cached under: the card object itself (a changed card is a new object)."""
    if isinstance(item, Lane):
        return ("lane", item.label)
    if isinstance(item, Spacer):
        return ("spacer", item.lane, item.cards)
    return id(item)


def _minute(value: object) -> object:
    return value.replace(second=0, microsecond=0) if isinstance(value, datetime) else value


def now_context(badges: dict[str, str], codes: dict[str, str], now: datetime, tz: str) -> dict[str, object]:
    """The drawing context every column shares."""
    return {"badges": badges, "codes": codes, "now": now, "tz": tz}


def role_styles(colours: dict[str, str]) -> dict[str, Style]:
    """Bold role badges in the role's colour."""
    return {key: Style(color=colour, bold=True) for key, colour in colours.items()}
