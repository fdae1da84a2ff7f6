"""What the board shows: the text filter, roles, channel, swimlanes and folded columns.

A mixin of `BoardScreen`, kept apart so the board module stays about loading, drawing and focus. The filter
box's event handlers (`@on`) stay on the screen: Textual collects them only from its own classes.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from textual.widgets import Input

from organizer.boardview import View

from . import uistate
from .boardlayout import LANE_KINDS

if TYPE_CHECKING:
    from textual.reactive import var
    from textual.screen import Screen

    from organizer.boardview import BoardData

    from .host import OrganizerHost

    class _OnTheBoard(Screen[None]):
        """What these actions use of the `BoardScreen` they live on (mypy checks the screen against it)."""

        board: BoardData | None
        view: View
        lanes: str | None
        folded: set[str]
        focused_column: var[int] = var(0)

        @property
        def org(self) -> OrganizerHost: ...

        def redraw(self, only: set[int] | None = None) -> None: ...

        def _apply_widths(self) -> bool: ...
else:
    _OnTheBoard = object


class FilterActions(_OnTheBoard):
    """Filters, swimlanes and folding; every method expects to live on a `BoardScreen`."""

    def action_fold(self) -> None:
        """Fold the focused column to a narrow strip, or unfold it; remembered for this board."""
        board = self.board
        if board is None or not board.columns:
            return
        name = board.columns[self.focused_column].name
        self.folded ^= {name}
        uistate.set_folded_columns(self.org.location, board.key, self.folded)
        self._apply_widths()
        self.redraw()

    def action_filter(self) -> None:
        """Show the text filter."""
        box = self.query_one("#filter", Input)
        box.add_class("-visible")
        box.focus()

    def _close_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.remove_class("-visible")
        self.set_focus(None)

    def action_clear_filters(self) -> None:
        """Close the filter box; a second escape clears every filter."""
        box = self.query_one("#filter", Input)
        if box.has_class("-visible"):
            self._close_filter()
            return
        if self.view.active:
            box.value = ""
            self.view = View()
            self.redraw()

    def action_toggle_role(self, n: int) -> None:
        """Toggle the n-th role in the role filter."""
        keys = self.org.cfg.role_keys()
        if n > len(keys):
            return
        self.view = replace(self.view, roles=self.view.roles ^ {keys[n - 1]})
        self.redraw()

    def action_all_roles(self) -> None:
        """Show every role again."""
        self.view = replace(self.view, roles=frozenset())
        self.redraw()

    def set_channel(self, channel: str | None) -> None:
        """Show only cards for one channel (None: all)."""
        self.view = replace(self.view, channel=channel)
        self.redraw()

    def action_channel_filter(self) -> None:
        """Pick a channel to filter by."""
        self.org.pick_channel(self.view.channel)

    def action_swimlanes(self) -> None:
        """Swimlanes across the columns: by role, then by campaign, then none."""
        self.lanes = LANE_KINDS[(LANE_KINDS.index(self.lanes) + 1) % len(LANE_KINDS)]
        self.redraw()
