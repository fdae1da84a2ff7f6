"""The Organizer app. In this first cut it opens on the list of boards; the board view comes next."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.widgets import DataTable, Footer, Header, Static

from organizer.config import Config
from organizer.services import boards as board_service
from organizer.services.boards import BoardSummary
from organizer.store import Store, open_store


class OrganizerApp(App[int]):
    """Terminal app over one Organizer database."""

    TITLE = "Organizer"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("r", "refresh_boards", "Refresh", id="app.refresh"),
    ]

    def __init__(self, store: Store, cfg: Config) -> None:
        super().__init__()
        self.store = store
        self.cfg = cfg

    def compose(self) -> ComposeResult:
        """Header, the boards table, a status line and the footer."""
        yield Header()
        yield Static("Boards", id="boards-title")
        table: DataTable[str | int] = DataTable(id="boards", cursor_type="row", zebra_stripes=True)
        table.add_columns("", "Key", "Board", "Open", "Total")
        yield table
        yield Static("", id="status", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Apply the configured theme and load the boards in the background."""
        if self.cfg.theme in self.available_themes:
            self.theme = self.cfg.theme
        self.action_refresh_boards()

    def action_refresh_boards(self) -> None:
        """Reload the board list."""
        self._load_boards()

    @work(thread=True, exclusive=True, group="db")
    def _load_boards(self) -> None:
        with self.store.read() as session:
            found = board_service.summaries(session, self.cfg)
        self.call_from_thread(self._show_boards, found)

    def _show_boards(self, found: list[BoardSummary]) -> None:
        table = self.query_one("#boards", DataTable)
        table.clear()
        for b in found:
            # Board names are user text: Content keeps them literal, never markup.
            table.add_row("*" if b.is_default else "", b.key, Text(b.name), b.open_cards, b.cards, key=b.key)
        name = self.store.sqlite_file.name if self.store.sqlite_file else self.store.location
        status = f"{len(found)} boards · {name}" if found else "No boards yet: `organizer add TITLE` creates one."
        self.query_one("#status", Static).update(Content(status))


def run(location: str, cfg: Config) -> int:
    """Open the app on a database; returns the exit code."""
    store = open_store(location)
    try:
        OrganizerApp(store, cfg).run()
    finally:
        store.close()
    return 0
