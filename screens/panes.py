"""The board's building blocks: a one-line label that repaints cheaply, and a column pane."""

from __future__ import annotations

from textual.containers import Vertical
from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from .column import ColumnView


class TextLine(Widget):
    """One line of literal text that repaints without a layout pass (Static.update re-lays out the screen,
    which at 10,000 cards costs more than the whole keypress budget)."""

    DEFAULT_CSS = """
    TextLine {
        height: 1;
        width: 1fr;
    }
    """
    text: reactive[str] = reactive("", layout=False)
    # Drawn in reverse video; used for the focused column instead of a CSS class, since a class change
    # restyles the whole pane (≈15 ms a move at 10,000 cards).
    highlight: reactive[bool] = reactive(False, layout=False)

    def render(self) -> Content:
        """The text, never parsed as markup."""
        if not self.highlight:
            return Content(self.text)
        return Content(self.text.ljust(self.size.width)).stylize("reverse")


class ColumnPane(Vertical):
    """A column's header (name, count, WIP limit) above its card view."""

    def __init__(self, index: int, view: ColumnView) -> None:
        # Children are given up front so the board can fill them before they are mounted.
        self.header = TextLine(classes="column-header")
        super().__init__(self.header, view)
        self.index = index
        self.view = view

    def set_header(self, name: str, shown: int, total: int, wip: int | None, *, folded: bool = False,
                   width: int = 0) -> None:
        """Name, card count (shown of total when filtered) and WIP limit, flagged when exceeded.

        A narrow column drops the words before the figures; a folded one shows only a marker (its name runs
        down the column).
        """
        count = f"{shown}/{total}" if shown != total else str(total)
        over = wip is not None and total > wip
        self.set_class(over, "-over-limit")
        if folded:
            self.header.text = "▸" + ("▲" if over else "")
            return
        limit = f"  WIP {total}/{wip}" if wip is not None else ""
        flag = "  ▲ over limit" if over else ""
        text = f"{name}  {count}{limit}{flag}"
        room = width - 2 if width else len(text)
        if len(text) > room:  # narrow: the figures stay, the words go
            text = f"{name} {count}" + (f" WIP{total}/{wip}" if wip is not None else "") + ("▲" if over else "")
        self.header.text = text

    def set_focused(self, focused: bool) -> None:
        """Mark the focused column (its header in reverse video)."""
        self.header.highlight = focused
