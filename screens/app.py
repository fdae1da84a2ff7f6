"""The Organizer app: the board as home screen, the modes, dialogs and routing; the data is `app.data`.

The app owns one `screens.dataservice.DataService`: the storage of its database, the workers every read and
write runs in, the watcher that hears other writers, and the `changed` signal each mode's screen subscribes to.
The app itself runs no SQL and holds no database handle; it routes (modes, dialogs, the form, the palette).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from organizer import paths
from organizer.config import Config, save_setting

from .app_calendars import CalendarActions
from .app_dialogs import DialogActions
from .board import BoardScreen
from .dataservice import WATCH_SECONDS, DataService

if TYPE_CHECKING:
    from pathlib import PurePath

    from textual.command import Provider

    from .host import OrganizerHost

Clock = Callable[[], datetime]


class OrganizerApp(DialogActions, CalendarActions, App[int]):
    """Terminal app over one Organizer database."""

    TITLE = "Organizer"
    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss", "board.tcss"]
    # The palette's providers, imported when the palette first opens (Textual calls these), not with the app.
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = (
        App.COMMANDS | {lambda: _providers()[0], lambda: _providers()[1]})
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("f1", "switch_mode('board')", "Board", id="app.mode_board", show=False),
        Binding("f2", "switch_mode('plan')", "Day plan", id="app.mode_plan", show=False),
        Binding("f3", "switch_mode('capacity')", "Capacity", id="app.mode_capacity", show=False),
        Binding("f4", "switch_mode('mix')", "Mix", id="app.mode_mix", show=False),
        Binding("f5", "switch_mode('analytics')", "Analytics", id="app.mode_analytics", show=False),
        Binding("R", "refresh_calendars", "Refresh calendars", id="app.refresh_calendars", show=False),
        Binding("X", "export_ics", "Export calendar", id="app.export_ics", show=False),
        Binding("question_mark", "help", "Keys", id="app.help", key_display="?"),
    ]

    def __init__(self, location: str, cfg: Config, *, clock: Clock | None = None,
                 watch_seconds: float = WATCH_SECONDS) -> None:
        super().__init__()
        self.location = location
        self.cfg = cfg
        self.clock = clock or (lambda: datetime.now(UTC))
        self.data = DataService(self, location, cfg, watch_seconds=watch_seconds)
        self._board: BoardScreen | None = None
        self.crash: str | None = None  # the one line the shell gets after an unhandled error

    # --- lifecycle ----------------------------------------------------------------------------
    # Three modes, each with its own screen stack and state: the board is home.
    DEFAULT_MODE = "board"
    MODES: ClassVar[dict[str, Any]] = {
        "board": BoardScreen,
        "plan": lambda: _day_plan_screen(),
        "capacity": lambda: _capacity_screen(),
        "mix": lambda: _mix_screen(),
        "analytics": lambda: _analytics_screen(),
    }

    def register(self, screen: Screen[Any]) -> None:
        """The board mode's screen says it is there (the palette and the dialogs reach it through the app)."""
        if isinstance(screen, BoardScreen):
            self._board = screen

    def _handle_exception(self, error: Exception) -> None:
        """An unhandled error: keep the traceback in a private log file and exit 1 with one line."""
        import os

        from .crash import one_line, write_crash_log

        self.crash = one_line(error, write_crash_log(error))
        super()._handle_exception(error)
        if not os.environ.get("ORGANIZER_DEBUG"):
            # Textual would print a long traceback with locals (card text among them) after closing.
            self._exit_renderables.clear()

    def on_mount(self) -> None:
        """Theme and keys from config, then start watching the database for other writers."""
        if self.cfg.theme in self.available_themes:
            self.theme = self.cfg.theme
        if self.cfg.keys:
            self.set_keymap(self.cfg.keys)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        self.data.start()

    def on_unmount(self) -> None:
        """Stop the watcher and close the database."""
        self.data.stop()

    def now(self) -> datetime:
        """The app's clock (fixed in snapshot tests)."""
        return self.clock()

    def _theme_changed(self, theme: Any) -> None:
        if theme.name != self.cfg.theme:
            try:
                save_setting(self.cfg.source or paths.config_file(), "theme", theme.name)
            except OSError as exc:
                self.notify(f"Theme not saved: {exc}", severity="warning", markup=False)

    def board_screen(self) -> BoardScreen | None:
        """The board mode's screen, once it exists."""
        return self._board

    _board_screen = board_screen  # the name tests/screens reach for

    # --- dialogs ------------------------------------------------------------------------------
    def open_card_form(self, board_key: str | None, columns: list[str], ref: str | None, column: str | None) -> None:
        """New card (ref None) or edit an existing one, in the form."""
        if ref is None:
            self._push_form(board_key, columns, None, column)
        else:
            self._load_card(board_key, columns, ref)

    def open_post_editor(self, ref: str) -> None:
        """The post editor for a card, once its post is read."""
        cfg = self.cfg

        def show(card: dict[str, Any]) -> None:
            from .posteditor import PostEditor

            self.push_screen(PostEditor(cfg, card))

        self.data.call(lambda s, svc: svc.cards.card_view(s, cfg, ref), show, write=False)

    def _load_card(self, board_key: str | None, columns: list[str], ref: str) -> None:
        cfg = self.cfg
        self.data.call(lambda s, svc: svc.cards.card_view(s, cfg, ref),
                       lambda card: self._push_form(board_key, columns, card, None), write=False)

    def _push_form(self, board_key: str | None, columns: list[str], initial: dict[str, Any] | None,
                   column: str | None) -> None:
        from .forms import CardForm

        ref = initial["id"] if initial else None
        heading = f"Edit {ref}" if ref else f"New card on {board_key}" if board_key else "New card"

        found: dict[str, Any] = {}
        if ref is None:
            from organizer import templates
            from organizer.validate import InputError

            try:
                found = templates.load_all(self.cfg)
            except InputError as exc:  # a broken template of the user's: the form still opens, without templates
                self.notify(str(exc), severity="warning", markup=False)

        def submit(raw: dict[str, Any]) -> str:
            name = raw.pop("template", None)
            if name:
                from organizer.validate import InputError

                if not str(raw.get("publish_at") or "").strip():
                    raise InputError("a piece from a template needs its publish time: the steps are scheduled "
                                     "back from it", field="publish_at")
                self.call_from_thread(self._preview_piece, found[name], str(raw["title"]).strip(),
                                      str(raw["publish_at"]), raw.get("channels") or None, board_key)
                return ""  # nothing written yet: the preview asks first
            return self.save_card(raw, ref=ref, board_key=board_key)

        # Saving publishes the change: the board re-reads and focuses the card saved.
        self.push_screen(CardForm(self.cfg, heading=heading, columns=columns, initial=initial, submit=submit,
                                  column=column, clock=self.clock, templates=sorted(found)))

    def save_card(self, raw: dict[str, Any], *, ref: str | None, board_key: str | None) -> str:
        """Validate and write a card from the form (runs in the form's worker thread); returns its ID."""
        return self.data.save_card(raw, ref=ref, board_key=board_key, now=self.now())

    def undo_redo(self, which: str) -> None:
        """Undo or redo this app session's own changes (the shell's are undone with `organizer undo`)."""
        verb = "Undid" if which == "undo" else "Redid"

        def done(summary: str | None) -> None:
            if summary:
                self.notify(f"{verb}: {summary}", markup=False)

        self.data.undo_redo(which, done)

    def palette_entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Every board action, every board, and the calendar actions, for the command palette."""
        board = self.board_screen()
        if board is None:
            return []
        entries = board.palette_entries()
        entries.append(("New from template… (a piece and its steps, scheduled back from its publish time)",
                        "template", self.new_from_template))
        entries.append(("Export calendar (ICS)…", "key X", self.action_export_ics))
        entries.append(("Refresh calendars", "key R", self.action_refresh_calendars))
        entries.append(("Keys: every key on this screen", "key ?", self.action_help))
        for key, name in board.board.boards if board.board else []:
            entries.append((f"Switch to board {key} — {name}", "board", lambda key=key: board.reload(key)))
        return entries

    def jump_to_card(self, ref: str) -> None:
        """Show a card on its board, whatever screen is open."""
        self.switch_mode("board")
        board = self.board_screen()
        if board is not None:
            board.focus_card_ref(ref)


def _providers() -> tuple[type[Provider], type[Provider]]:
    from .commands import CardCommands, OrganizerCommands

    return OrganizerCommands, CardCommands


def _day_plan_screen() -> Screen[Any]:
    # Imported when the mode is first opened, not with the app: the board paints sooner.
    from .dayplan import DayPlanScreen

    return DayPlanScreen()


def _mix_screen() -> Screen[Any]:
    from .mixscreen import MixScreen

    return MixScreen()


def _analytics_screen() -> Screen[Any]:
    from .analytics import AnalyticsScreen

    return AnalyticsScreen()


def _capacity_screen() -> Screen[Any]:
    from .capacity import CapacityScreen

    return CapacityScreen()


def run(location: str, cfg: Config) -> int:
    """Open the app on a database; returns the exit code (1 after a crash, never 0)."""
    app = OrganizerApp(location, cfg)
    app.run()
    if app.crash is not None:
        import sys

        print(app.crash, file=sys.stderr)
    return app.return_code or 0


if TYPE_CHECKING:
    def _conforms(app: OrganizerApp) -> OrganizerHost:
        """mypy checks here that the app is what the mode screens take it for (screens.host)."""
        return app
