"""A mode screen that shows what it computes from the database, and computes it again when that may have changed.

The Mix (F4) and Analytics (F5) modes: each loads when first shown, when the data changes while it is shown
(another terminal, a worker), and when the user comes back to it (the board shown may be another one now).
One computation at a time: Textual resumes a mode screen more than once as it first appears, and a report
over thousands of posts built three times in parallel would take three times as long to show. A request
made while one runs is kept if it asks for something else (another board or range, or data that changed)
and run once the first is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

if TYPE_CHECKING:
    from .dataservice import Change, DataChange
    from .host import OrganizerHost


class LiveMode(Screen[None]):
    """A mode screen kept current: subclasses say what to compute (`load`) and what it depends on (`wanted`)."""

    def __init__(self) -> None:
        super().__init__()
        self._loading_for: Hashable | None = None  # what the computation in flight was asked for
        self._again = False  # a later request that the one in flight does not answer

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
            self.reload(changed=True)

    def on_screen_resume(self) -> None:
        """Shown (again): the board shown may be another one now."""
        self.reload()

    def reload(self, *, changed: bool = False) -> None:
        """Compute what the screen shows in a worker and show it; one at a time (see the module docstring)."""
        wanted = self.wanted()
        if self._loading_for is not None:
            self._again = self._again or changed or wanted != self._loading_for
            return
        loaded = self.load()
        if loaded is None:
            return
        work, show = loaded
        self._loading_for = wanted

        def shown(result: Any) -> None:
            self._finished()
            show(result)

        # A failure (reported by the data service) frees the screen for the next load too.
        self.org.data.call(work, shown, write=False, failed=self._finished)

    def _finished(self) -> None:
        self._loading_for = None
        if self._again:
            self._again = False
            self.reload()

    def wanted(self) -> Hashable:
        """What the computation depends on besides the data (the board shown, the range)."""
        return self.board_key()

    def load(self) -> tuple[Change, Callable[[Any], None]] | None:
        """The work to run in a worker and what shows its result (None: nothing to load, e.g. no board)."""
        raise NotImplementedError
