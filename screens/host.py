"""What the mode screens (board, day plan, capacity) need from the app that hosts them.

The screens refer to the app through `OrganizerHost`, never through `screens.app`: the app imports the screens
to build its modes, so a screen importing the app back (even only for typing) would be an import cycle.
`screens.app.OrganizerApp` is the one implementation; mypy checks that it conforms (see the end of app.py),
and tests/test_boundaries.py checks that every member named here exists on it.

Nothing here is imported at run time by the screens (they import it under TYPE_CHECKING); it imports nothing
of Textual's at run time either.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from textual.screen import Screen

    from organizer.boardview import BoardData, CardRow
    from organizer.config import Config

    from .dataservice import DataService


class BoardHandle(Protocol):
    """The board screen as another screen sees it (the day plan's jump to a card)."""

    board: BoardData | None

    def focus_card_ref(self, ref: str) -> None:
        """Put the cursor on a card of the board shown."""

    def reload(self, key: str | None = None, *, focus: int | str | None = None) -> None:
        """Read a board again (`key`, else the one shown) and focus a card."""


class OrganizerHost(Protocol):
    """The app's data service, clock, config and dialogs, as the mode screens call them."""

    location: str
    cfg: Config
    clock: Callable[[], datetime]
    data: DataService  # every read and write, and the `changed` signal

    def now(self) -> datetime:
        """The app's clock (fixed in snapshot tests)."""

    def register(self, screen: Screen[Any]) -> None:
        """The board mode's screen says it is there."""

    def board_screen(self) -> BoardHandle | None:
        """The board mode's screen, once it exists."""

    def save_card(self, raw: dict[str, Any], *, ref: str | None, board_key: str | None) -> str:
        """Validate and write a card from the form; returns its ID."""

    def undo_redo(self, which: str) -> None:
        """Undo or redo this app session's own changes."""

    # --- dialogs ---
    def open_card_form(self, board_key: str | None, columns: list[str], ref: str | None, column: str | None) -> None:
        """New card (ref None) or edit an existing one, in the form."""

    def open_metrics_form(self, ref: str) -> None:
        """Type in a published post's numbers."""
        ...

    def open_post_editor(self, ref: str) -> None:
        """The post editor for a card."""

    def confirm_delete(self, card: CardRow) -> None:
        """Ask, then delete a card and its steps."""

    def card_menu(self, title: str, options: list[tuple[str, str]], board: Screen[Any]) -> None:
        """A menu of actions on one card; picking one runs it on `board`."""

    def pick(self, title: str, options: list[tuple[str, str]], picked: Callable[[str | None], None], *,
             keys_hint: str | None = None) -> None:
        """Pick one of (value, label) options; `picked` gets the value, or None when cancelled."""

    def pick_channel(self, current: str | None) -> None:
        """Pick the channel the board shows."""

    def pick_board(self) -> None:
        """Pick another board."""

    def show_next_up(self, entries: list[tuple[str, CardRow | None]]) -> None:
        """What to do next, per role."""
