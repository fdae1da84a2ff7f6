"""The board: the current board's columns side by side, keyboard-first, kept live.

The screen holds view state (focused column and card, filters, swimlanes) and draws the board
data it is given; reads come from `organizer.boardview` and writes go through the core
services in worker threads, so a keypress never waits on the disk. What the keys do to a card is in
`screens.board_actions`; the filters, swimlanes and folded columns are in `screens.board_filters`.
"""

from __future__ import annotations

import gc
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from rich.style import Style
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import HorizontalScroll
from textual.content import Content
from textual.reactive import var
from textual.screen import Screen
from textual.widgets import Input, Static

from organizer.boardview import BoardData, CardRow, View, filter_error, next_up, visible

from . import uistate
from .board_actions import CardActions
from .board_filters import FilterActions
from .boardlayout import FOLDED_WIDTH, SCROLL_MIN, column_widths, lane_items
from .cardlines import Palette, layout_for
from .column import ColumnView, Item, now_context, role_styles
from .footer import KeyFooter
from .keys import BOARD_BINDINGS, LONG_NAMES
from .panes import ColumnPane, TextLine

if TYPE_CHECKING:
    from .dataservice import DataChange
    from .host import OrganizerHost

COMPACT_BELOW = 100  # terminal columns under which cards draw in two lines


class BoardScreen(CardActions, FilterActions, Screen[None]):
    """The home screen: one board, its columns, its cards."""

    # The board itself takes the keys; nothing inside should grab focus on its own.
    AUTO_FOCUS = ""
    BINDINGS: ClassVar[list[BindingType]] = BOARD_BINDINGS

    focused_column: var[int] = var(0)

    def __init__(self) -> None:
        super().__init__()
        self.board: BoardData | None = None
        self.view = View()
        self.lanes: str | None = None  # None, "role" or "campaign"
        self.folded: set[str] = set()  # names of the columns folded on this board
        self.widths: list[int] = []
        self.items: list[list[Item]] = []
        self.rows: dict[int, int] = {}  # selected item per column
        self.panes: list[ColumnPane] = []
        self._want_card: int | str | None = None  # card id (or ref) to focus after the next load
        self._palette_cache: tuple[object, Palette] | None = None

    @property
    def org(self) -> OrganizerHost:
        """The app, as the screens see it (screens.host: not screens.app, which imports this module)."""
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        """Title line, the hidden filter box, the columns, the footer."""
        yield TextLine(id="board-title")
        yield Input(placeholder="filter: words #tag @role !1 due:today pillar: campaign: channel: is:popup "
                                "(enter keeps it, esc closes)", id="filter")
        columns = HorizontalScroll(id="columns")
        columns.can_focus = False
        yield columns
        yield KeyFooter()

    def data_changed(self, change: DataChange) -> None:
        """The data changed: reload, keeping focus and filters (unless this board already shows the change)."""
        if change.reload:
            self.reload(focus=change.focus)

    def on_mount(self) -> None:
        """Load the default board, and hear about every change to the data."""
        self.org.register(self)
        self.org.data.changed.subscribe(self, self.data_changed)
        self.set_class(self.app.size.width < COMPACT_BELOW, "-compact")
        self.reload()

    def on_resize(self) -> None:
        """Share the width among the columns again; compact cards on small terminals."""
        compact = self.app.size.width < COMPACT_BELOW
        self.set_class(compact, "-compact")
        if self._apply_widths() and self.board is not None:
            self.redraw()

    def _apply_widths(self) -> bool:
        """Size the columns for the terminal's width; True when any width changed."""
        if not self.panes or self.board is None:
            return False
        widths = column_widths(self.app.size.width, [c.name in self.folded for c in self.board.columns])
        if widths == self.widths:
            return False
        self.widths = widths
        for pane, width in zip(self.panes, widths, strict=True):
            pane.styles.width = width
            pane.set_class(width == FOLDED_WIDTH and pane.index < len(self.board.columns)
                           and self.board.columns[pane.index].name in self.folded, "-folded")
        self.call_after_refresh(self._show_focus)
        return True

    # --- loading ------------------------------------------------------------------------------
    def reload(self, key: str | None = None, *, focus: int | str | None = None) -> None:
        """Read the board (this one, or `key`) in a worker and redraw, keeping focus and filters."""
        if focus is not None:
            self._want_card = focus
        elif self._want_card is None:
            card = self.current_card()
            self._want_card = card.id if card else None
        self._load(key or (self.board.key if self.board else None))

    @work(thread=True, exclusive=True, group="board-load")
    def _load(self, key: str | None) -> None:
        data = self.org.data.read_board(key)
        self.app.call_from_thread(self._loaded, data)

    def _loaded(self, data: BoardData | None) -> None:
        if not self.is_attached or not self.query("#board-title"):
            return  # the app closed while the board was loading
        switched = data is None or self.board is None or data.key != self.board.key
        self.board = data
        if switched:
            self.folded = uistate.folded_columns(self.org.location, data.key) if data is not None else set()
            self._build_panes()
        self.redraw()
        # A board of 10,000 cards is long-lived data: move it out of the garbage collector's sight, or every
        # full collection walks it (80 ms here) in the middle of a keypress.
        gc.freeze()
        self.org.data.board_loaded()

    def _build_panes(self) -> None:
        container = self.query_one("#columns", HorizontalScroll)
        container.remove_children()
        self.panes = []
        self.rows = {}
        if self.board is None:
            container.mount(Static("No boards yet. Press n to add a card: it creates your first board.",
                                   classes="empty-board"))
            return
        for i, _ in enumerate(self.board.columns):
            view = ColumnView(i, self._palette)
            self.panes.append(ColumnPane(i, view))
        container.mount_all(self.panes)
        self.widths = []
        self._apply_widths()
        self.focused_column = min(self.focused_column, len(self.panes) - 1)

    def _palette(self, view: ColumnView) -> Palette:
        # Every column has the same component styles: resolve them once per theme, not per column.
        key = (self.app.theme, view.rich_style)
        if self._palette_cache is not None and self._palette_cache[0] == key:
            return self._palette_cache[1]
        palette = self._resolve_palette(view)
        self._palette_cache = (key, palette)
        return palette

    def _resolve_palette(self, view: ColumnView) -> Palette:
        style = view.get_component_rich_style
        colours = {r.key: r.colour for r in self.org.cfg.roles}
        return Palette(base=view.rich_style, selected=view.rich_style + style("card--selected"),
                       dim=style("card--dim"), overdue=style("card--overdue"), popup=style("card--popup"),
                       urgent=style("card--urgent"), roles=role_styles(colours) or {"": Style()})

    # --- drawing ------------------------------------------------------------------------------
    def redraw(self, only: set[int] | None = None) -> None:
        """Recompute what each column shows (filters, lanes) and repaint; `only` limits it to some columns."""
        board = self.board
        title = self.query_one("#board-title", TextLine)
        if board is None:
            title.text = "Organizer — no boards yet"
            return
        if len(self.panes) != len(board.columns):
            self._build_panes()
        cfg = self.org.cfg
        now = self.org.now()
        if only is None or len(self.items) != len(board.columns) or self.lanes:
            # Lanes line up across columns, so a change in one column can move every other.
            only = set(range(len(board.columns)))
            self.items = [[] for _ in board.columns]
        if self.lanes:
            shown_cards = [visible(column.cards, self.view, cfg=cfg, now=now) for column in board.columns]
            self.items = lane_items(shown_cards, self.lanes, list(cfg.role_keys()), {r.key: r.name for r in cfg.roles})
        else:
            for ci, column in enumerate(board.columns):
                if ci in only:
                    self.items[ci] = list(visible(column.cards, self.view, cfg=cfg, now=now))
        total = sum(len(c.cards) for c in board.columns)
        shown = sum(isinstance(i, CardRow) for items in self.items for i in items) if self.view.active else total
        want = self._want_card
        self._want_card = None
        if want is not None:
            self._focus_item(want, only)
        parts = [p for p in (self.view.describe(), f"lanes by {self.lanes}" if self.lanes else "") if p]
        counts = f"{shown} of {total} cards" if self.view.active else f"{total} cards"
        title.text = f"{board.key} · {board.name}   {counts}" + (f"   [{' · '.join(parts)}]" if parts else "")
        context = now_context({r.key: r.badge for r in cfg.roles}, {c.key: c.code for c in cfg.channels},
                              self.org.now(), cfg.timezone)
        compact = self.has_class("-compact")
        for ci, (pane, column) in enumerate(zip(self.panes, board.columns, strict=True)):
            if ci not in only and ci != self.focused_column:
                pane.set_focused(False)
                continue
            items = self.items[ci]
            row = self._clamp(ci, self.rows.get(ci, 0))
            self.rows[ci] = row
            count = sum(isinstance(i, CardRow) for i in items) if self.lanes else len(items)
            folded = column.name in self.folded
            width = self.widths[ci] if ci < len(self.widths) else SCROLL_MIN
            pane.set_header(column.name, count, len(column.cards), column.wip_limit, folded=folded, width=width)
            pane.view.set_items(items, row if ci == self.focused_column else None,
                                layout=layout_for(width - 2, compact=compact), context=context,
                                folded=f"{column.name} {count}" if folded else None)
            pane.set_focused(ci == self.focused_column)
        self._show_focus()

    def _focus_item(self, want: int | str, first: set[int]) -> None:
        # The columns just redrawn are where a moved card is; look there before walking the whole board.
        order = sorted(first) + [ci for ci in range(len(self.items)) if ci not in first]
        for ci in order:
            for ri, item in enumerate(self.items[ci]):
                if isinstance(item, CardRow) and (item.id == want or item.ref == want):
                    self.focused_column, self.rows[ci] = ci, ri
                    return

    def _clamp(self, ci: int, row: int) -> int:
        items = self.items[ci] if ci < len(self.items) else []
        if 0 <= row < len(items) and isinstance(items[row], CardRow):
            return row
        cards = [i for i, item in enumerate(items) if isinstance(item, CardRow)]
        if not cards:
            return 0
        if row in cards:
            return row
        after = [i for i in cards if i >= row]
        return after[0] if after else cards[-1]

    def _show_focus(self) -> None:
        if not self.panes:
            return
        pane = self.panes[min(self.focused_column, len(self.panes) - 1)]
        self.query_one("#columns", HorizontalScroll).scroll_to_widget(pane, animate=False, immediate=True)
        pane.view.select(self.rows.get(self.focused_column, 0) if self.current_card() else None)
        self._sync_lanes(pane.view)

    def _sync_lanes(self, leader: ColumnView) -> None:
        """With swimlanes, every column scrolls with the focused one, so the lanes stay side by side."""
        if not self.lanes:
            return
        y = leader.scroll_offset.y
        for pane in self.panes:
            if pane.view is not leader and pane.view.scroll_offset.y != y:
                pane.view.scroll_to(y=y, animate=False, immediate=True)

    def watch_focused_column(self, old: int, new: int) -> None:
        """Move the column highlight."""
        if old < len(self.panes):
            self.panes[old].set_focused(False)
            self.panes[old].view.select(None)
        if new < len(self.panes):
            self.panes[new].set_focused(True)
            self._show_focus()
            # A column that was just laid out (a board switch, `N`) has its place only after the next refresh.
            self.call_after_refresh(self._show_focus)

    def current_card(self) -> CardRow | None:
        """The focused card, if any."""
        if not self.items or self.focused_column >= len(self.items):
            return None
        items = self.items[self.focused_column]
        row = self.rows.get(self.focused_column, 0)
        item = items[row] if 0 <= row < len(items) else None
        return item if isinstance(item, CardRow) else None

    def focus_card_ref(self, ref: str) -> None:
        """Jump to a card by ID (opening its board), clearing filters that would hide it."""
        self.view = View()
        key = ref.rsplit("-", 1)[0].upper()
        self.reload(key if self.board is None or self.board.key != key else None, focus=ref)

    # --- navigation ---------------------------------------------------------------------------
    def action_focus_column(self, step: int) -> None:
        """Focus the previous/next column, keeping roughly the same height."""
        if not self.panes:
            return
        self.focused_column = max(0, min(len(self.panes) - 1, self.focused_column + step))

    def action_focus_card(self, step: int) -> None:
        """Focus the card above/below (skipping lane headings)."""
        ci = self.focused_column
        if ci >= len(self.items):
            return
        cards = [i for i, item in enumerate(self.items[ci]) if isinstance(item, CardRow)]
        if not cards:
            return
        here = cards.index(self.rows.get(ci, cards[0])) if self.rows.get(ci) in cards else 0
        self.rows[ci] = cards[max(0, min(len(cards) - 1, here + step))]
        self.panes[ci].view.select(self.rows[ci])
        self._sync_lanes(self.panes[ci].view)

    @on(ColumnView.Clicked)
    def _clicked(self, event: ColumnView.Clicked) -> None:
        self.focused_column = event.column
        if event.item is not None:
            self.rows[event.column] = event.item
            self.panes[event.column].view.select(event.item)
            if event.context:
                self.card_menu()
            elif event.double:
                self.action_edit_card()

    # --- the filter box (its actions are in screens.board_filters) ----------------------------
    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.view = replace(self.view, text=event.value)
        # A term that cannot be read yet (`due:tom` while typing) is left out of the filter and named here.
        error = filter_error(event.value, self.org.cfg, now=self.org.now()) if event.value.strip() else None
        box = self.query_one("#filter", Input)
        box.border_subtitle = Content(error) if error else Content("words #tag @role !1 due:today … (? for all)")
        box.set_class(error is not None, "-invalid-filter")
        self.redraw()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self._close_filter()

    # --- the board as a whole -----------------------------------------------------------------
    def action_next_up(self) -> None:
        """Show the most pressing open card for each role."""
        if self.board is not None:
            self.org.show_next_up(next_up(self.board, self.org.cfg.role_keys()))

    def action_switch_board(self) -> None:
        """Pick another board."""
        self.org.pick_board()

    def palette_entries(self) -> list[tuple[str, str, Any]]:
        """Every board action, for the command palette."""
        entries: list[tuple[str, str, Any]] = []
        # The keys as bound now (remaps included), by binding id.
        keys: dict[str, list[str]] = {}
        for key, active in self.active_bindings.items():
            if active.binding.id:
                keys.setdefault(active.binding.id, []).append(self.app.get_key_display(active.binding.with_key(key)))
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id in ("board.left", "board.right", "board.up", "board.down", "board.page_up",
                              "board.page_down", "board.first", "board.last"):
                continue  # moving the focus is not something to look up
            name = LONG_NAMES.get(binding.id or "", binding.description)
            if binding.id and binding.id.startswith("board.role") and binding.id[-1].isdigit():
                roles = self.org.cfg.roles
                n = int(binding.id[-1])
                if n > len(roles):
                    continue
                name = f"Show or hide {roles[n - 1].name} cards"
            shown = " ".join(dict.fromkeys(keys.get(binding.id or "", [binding.key_display or binding.key])))
            entries.append((name, f"key {shown}", lambda action=binding.action: self.run_action(action)))
        return entries
