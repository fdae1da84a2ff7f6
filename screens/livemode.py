"""A mode screen that shows what it computes from the database, and computes it again when that may have changed.

The Mix (F4) and Analytics (F5) modes: each reloads when mounted, when the data changes while it is shown
(another terminal, a worker), and when the user comes back to it (the board shown may be another one now).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen

if TYPE_CHECKING:
    from .dataservice import DataChange
    from .host import OrganizerHost


class LiveMode(Screen[None]):
    """A mode screen kept current: subclasses say how to `reload`."""

    @property
    def org(self) -> OrganizerHost:
        """The app, as the screens see it."""
        return self.app  # type: ignore[return-value]

    def board_key(self) -> str | None:
        """The key of the board the board mode shows (None: no board yet)."""
        board = self.org.board_screen()
        return board.board.key if board is not None and board.board is not None else None

    def on_mount(self) -> None:
        """Load, and hear about changes."""
        self.org.data.changed.subscribe(self, self.data_changed)
        self.reload()

    def data_changed(self, change: DataChange | None = None) -> None:
        """Reload when shown (coming back to the mode reloads anyway)."""
        if self.is_current:
            self.reload()

    def on_screen_resume(self) -> None:
        """Back on this mode: the board shown may be another one now."""
        self.reload()

    def reload(self) -> None:
        """Compute what the screen shows (in a worker) and show it."""
        raise NotImplementedError
