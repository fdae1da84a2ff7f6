"""The Organizer app: the board as home screen, dialogs, live refresh, and the write path.

Reads go through the lean `sqlite3` board model so the first paint never waits for SQLAlchemy;
writes go through the core services in worker threads, and every write lands in the shared
undo history.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from organizer import lean, paths
from organizer.boardview import BoardData, CardRow, load_board
from organizer.config import Config, save_setting
from organizer.fields import InputError
from screens.board import BoardScreen

Clock = Callable[[], datetime]
WATCH_SECONDS = 0.5  # how often the app asks SQLite whether another process wrote


class OrganizerApp(App[int]):
    """Terminal app over one Organizer database."""

    TITLE = "Organizer"
    CSS_PATH: ClassVar[list[str | Path]] = ["app.tcss", "board.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("f1", "switch_mode('board')", "Board", id="app.mode_board", show=False),
        Binding("f2", "switch_mode('plan')", "Day plan", id="app.mode_plan", show=False),
        Binding("f3", "switch_mode('capacity')", "Capacity", id="app.mode_capacity", show=False),
        Binding("R", "refresh_calendars", "Refresh calendars", id="app.refresh_calendars", show=False),
        Binding("X", "export_ics", "Export calendar", id="app.export_ics", show=False),
        Binding("question_mark", "help", "Keys", id="app.help", key_display="?"),
    ]

    def __init__(self, location: str, cfg: Config, *, clock: Clock | None = None,
                 watch_seconds: float = WATCH_SECONDS) -> None:
        super().__init__()
        from screens.commands import OrganizerCommands

        self.COMMANDS = App.COMMANDS | {OrganizerCommands}
        self.location = location
        self.cfg = cfg
        self.clock = clock or (lambda: datetime.now(UTC))
        self.watch_seconds = watch_seconds
        self._store: Any = None
        self._store_lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None
        self._data_version: int | None = None
        self.board_loads = 0  # how many times a board was drawn from fresh data (tests and benchmarks read it)
        self._board: BoardScreen | None = None
        self._listeners: list[Screen[Any]] = []

    # --- lifecycle ----------------------------------------------------------------------------
    # Three modes, each with its own screen stack and state: the board is home.
    DEFAULT_MODE = "board"
    MODES: ClassVar[dict[str, Any]] = {
        "board": BoardScreen,
        "plan": lambda: __import__("screens.dayplan", fromlist=["DayPlanScreen"]).DayPlanScreen(),
        "capacity": lambda: __import__("screens.capacity", fromlist=["CapacityScreen"]).CapacityScreen(),
    }

    def register(self, screen: Screen[Any]) -> None:
        """A mode's screen asks to hear about data changes (its `data_changed()` is called)."""
        if isinstance(screen, BoardScreen):
            self._board = screen
        if screen not in self._listeners:
            self._listeners.append(screen)

    def on_mount(self) -> None:
        """Theme and keys from config, then start watching the database for other writers."""
        if self.cfg.theme in self.available_themes:
            self.theme = self.cfg.theme
        if self.cfg.keys:
            self.set_keymap(self.cfg.keys)
        self.theme_changed_signal.subscribe(self, self._theme_changed)
        file = paths.sqlite_path(self.location)
        if file is not None and file.exists():
            self._watch = sqlite3.connect(file, check_same_thread=False)
            self._data_version = self._version()
            self.set_interval(self.watch_seconds, self._poll)

    def on_unmount(self) -> None:
        """Close database handles."""
        if self._watch is not None:
            self._watch.close()
        if self._store is not None:
            self._store.close()

    def now(self) -> datetime:
        """The app's clock (fixed in snapshot tests)."""
        return self.clock()

    def _theme_changed(self, theme: Any) -> None:
        if theme.name != self.cfg.theme:
            try:
                save_setting(self.cfg.source or paths.config_file(), "theme", theme.name)
            except OSError as exc:
                self.notify(f"Theme not saved: {exc}", severity="warning", markup=False)

    # --- live refresh -------------------------------------------------------------------------
    def _version(self) -> int:
        assert self._watch is not None
        return int(self._watch.execute("PRAGMA data_version").fetchone()[0])

    def _poll(self) -> None:
        # PRAGMA data_version changes when another connection commits: a few microseconds to ask,
        # so the board reloads only when something really changed.
        version = self._version()
        if version != self._data_version:
            self._data_version = version
            self.data_changed()

    def data_changed(self) -> None:
        """Tell every mode's screen that the database changed (they reload what they show)."""
        for screen in self._listeners:
            screen.data_changed()  # type: ignore[attr-defined]

    def _board_screen(self) -> BoardScreen | None:
        return self._board

    def db_call(self, work_fn: Callable[[Any, SimpleNamespace], Any], done: Callable[[Any], None] | None = None,
                *, write: bool = True, keep: bool = True) -> None:
        """Run `work_fn(session, services)` in a worker (one transaction); `done(result)` on the main thread.

        `keep=False` rolls the transaction back (to plan without storing). Bad input (InputError) becomes
        an error notification and `done` is not called.
        """
        self._db_call(work_fn, done, write, keep)

    @work(thread=True, group="db")
    def _db_call(self, work_fn: Callable[[Any, SimpleNamespace], Any], done: Callable[[Any], None] | None,
                 write: bool, keep: bool) -> None:
        services = self._services()
        store = self.get_store()
        context = store.write() if write and keep else store.scratch() if write else store.read()
        try:
            with context as session:
                result = work_fn(session, services)
        except (InputError, services.history.NothingToUndo) as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        if done is not None:
            self.call_from_thread(done, result)

    def board_loaded(self, screen: BoardScreen) -> None:
        """Called after each board redraw from fresh data; warms the write path once."""
        self.board_loads += 1
        if self.board_loads == 1:
            self._warm_up()

    @work(thread=True, group="warm-up")
    def _warm_up(self) -> None:
        # SQLAlchemy and the services load after the first paint, so the first write is quick.
        self.get_store()

    # --- data ---------------------------------------------------------------------------------
    def read_board(self, key: str | None) -> BoardData | None:
        """Read a board through the lean path (called from worker threads)."""
        conn = lean.connect(self.location)
        try:
            return load_board(conn, self.cfg, key)
        finally:
            conn.close()

    def get_store(self) -> Any:
        """The SQLAlchemy store, opened on first use (thread-safe)."""
        with self._store_lock:
            if self._store is None:
                from organizer.store import open_store

                self._store = open_store(self.location)
            return self._store

    @staticmethod
    def _services() -> SimpleNamespace:
        from organizer import history
        from organizer.services import boards, busy, cards, dayview, plan, timer

        return SimpleNamespace(cards=cards, boards=boards, history=history, plan=plan, dayview=dayview,
                               timer=timer, busy=busy)

    def write(self, change: Callable[[Any, SimpleNamespace], Any], *, focus: int | str | None = None,
              done: Callable[[Any], None] | None = None, reload: bool = True) -> None:
        """Run one user action in a write transaction in a worker, then reload the board.

        `reload=False` is for actions the board has already shown (a move, a reorder): re-reading
        10,000 cards to confirm them would cost more than the action. A failed write reloads anyway,
        to take back what the board showed.
        """
        self._write(change, focus, done, reload)

    @work(thread=True, group="writes")
    def _write(self, change: Callable[[Any, SimpleNamespace], Any], focus: int | str | None,
               done: Callable[[Any], None] | None, reload: bool) -> None:
        services = self._services()
        try:
            with self.get_store().write() as session:
                result = change(session, services)
        except (InputError, services.history.NothingToUndo) as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            result, reload = None, True
        self.call_from_thread(self._after_write, result, focus, done, reload)

    def _after_write(self, result: Any, focus: int | str | None, done: Callable[[Any], None] | None,
                     reload: bool) -> None:
        if self._watch is not None:
            # Our own commit is not news: do not let the poll reload everything for it.
            self._data_version = self._version()
        if done is not None:
            done(result)
        board = self._board_screen()
        if board is not None and reload:
            board.reload(focus=focus)
        for screen in self._listeners:
            if screen is not board:
                screen.data_changed()  # type: ignore[attr-defined]

    # --- dialogs ------------------------------------------------------------------------------
    def open_card_form(self, board_key: str | None, columns: list[str], ref: str | None, column: str | None) -> None:
        """New card (ref None) or edit an existing one, in the form."""
        if ref is None:
            self._push_form(board_key, columns, None, column)
        else:
            self._load_card(board_key, columns, ref)

    @work(thread=True, group="reads")
    def _load_card(self, board_key: str | None, columns: list[str], ref: str) -> None:
        services = self._services()
        with self.get_store().read() as session:
            card = services.cards.card_view(session, self.cfg, ref)
        self.call_from_thread(self._push_form, board_key, columns, card, None)

    def _push_form(self, board_key: str | None, columns: list[str], initial: dict[str, Any] | None,
                   column: str | None) -> None:
        from screens.forms import CardForm

        ref = initial["id"] if initial else None
        heading = f"Edit {ref}" if ref else f"New card on {board_key}" if board_key else "New card"

        def submit(raw: dict[str, Any]) -> str:
            return self.save_card(raw, ref=ref, board_key=board_key)

        def saved(result: str | None) -> None:
            board = self._board_screen()
            if result and board is not None:
                board.reload(board.board.key if board.board else None, focus=result)

        self.push_screen(CardForm(self.cfg, heading=heading, columns=columns, initial=initial, submit=submit,
                                  column=column, clock=self.clock), saved)

    def save_card(self, raw: dict[str, Any], *, ref: str | None, board_key: str | None) -> str:
        """Validate and write a card from the form (runs in the form's worker thread); returns its ID."""
        from organizer.fields import validate

        services = self._services()
        if ref is None and board_key and not raw.get("board"):
            raw = {**raw, "board": board_key}
        fields = validate(raw, self.cfg, now=self.now(), require_title=ref is None)
        with self.get_store().write() as session:
            if ref is None:
                card = services.cards.add_card(session, self.cfg, fields, origin="tui")
            else:
                card = services.cards.edit_card(session, self.cfg, ref, fields, origin="tui")
            return str(services.cards.card_ref(session, card))

    def confirm_delete(self, card: CardRow) -> None:
        """Ask, then delete a card and its steps."""
        from screens.dialogs import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.write(lambda s, svc: svc.cards.remove_card(s, card.ref, origin="tui"),
                           done=lambda removed: removed and self.notify(
                               f"Deleted {', '.join(removed)} (u to undo)", markup=False))

        self.push_screen(ConfirmDialog(f"Delete {card.ref} “{card.title}”?"), answered)

    def undo_redo(self, which: str) -> None:
        """Undo or redo through the shared history."""
        def change(session: Any, svc: SimpleNamespace) -> str:
            return str(svc.history.undo(session) if which == "undo" else svc.history.redo(session))

        verb = "Undid" if which == "undo" else "Redid"
        self.write(change, done=lambda summary: summary and self.notify(f"{verb}: {summary}", markup=False))

    def card_menu(self, title: str, options: list[tuple[str, str]], board: BoardScreen) -> None:
        """A menu of actions on one card; picking one runs it on the board."""
        from screens.dialogs import PickerDialog

        def picked(action: str | None) -> None:
            if action:
                self.call_later(board.run_action, action)

        self.push_screen(PickerDialog(title, options), picked)

    def pick_channel(self, current: str | None) -> None:
        """Choose a channel to filter the board by."""
        from screens.dialogs import PickerDialog

        options = [("", "All channels"), *((c.key, f"{c.name} ({c.code})") for c in self.cfg.channels)]

        def picked(value: str | None) -> None:
            board = self._board_screen()
            if value is not None and board is not None:
                board.set_channel(value or None)

        self.push_screen(PickerDialog("Filter by channel", options, current=current or ""), picked)

    def pick_board(self) -> None:
        """Switch to another board."""
        from screens.dialogs import PickerDialog

        board = self._board_screen()
        if board is None or board.board is None:
            return
        options = [(key, f"{key} · {name}") for key, name in board.board.boards]

        def picked(value: str | None) -> None:
            if value and board is not None:
                board.reload(value)

        self.push_screen(PickerDialog("Switch board", options, current=board.board.key), picked)

    def show_next_up(self, entries: list[tuple[str, CardRow | None]]) -> None:
        """The most pressing card for each role; picking one jumps to it."""
        from screens.dialogs import PickerDialog

        names = {r.key: r.name for r in self.cfg.roles}
        options = [(card.ref, f"{names.get(role, role)}: {card.ref} {card.title}")
                   for role, card in entries if card is not None]
        if not options:
            self.notify("No open cards with a role on this board.")
            return

        def picked(ref: str | None) -> None:
            board = self._board_screen()
            if ref and board is not None:
                board.focus_card_ref(ref)

        self.push_screen(PickerDialog("Next up, per role", options), picked)

    def action_help(self) -> None:
        """Every key, grouped, as currently bound (remapped keys included)."""
        from screens.dialogs import HelpScreen

        keys: dict[str, list[str]] = {}
        described: dict[str, tuple[str, str]] = {}
        roles = {f"board.role{i}": r.name for i, r in enumerate(self.cfg.roles, start=1)}
        for key, active in self.screen.active_bindings.items():
            binding = active.binding
            if binding.action in ("focus_next", "focus_previous"):
                continue
            bid = binding.id or binding.action
            keys.setdefault(bid, []).append(self.get_key_display(binding.with_key(key)))
            description = binding.description or binding.action
            if bid in roles:
                description = f"show or hide {roles[bid]} cards"
            prefix = bid.split(".", 1)[0]
            section = {"board": "Board", "plan": "Day plan", "capacity": "Capacity"}.get(prefix, "App")
            described[bid] = (section, description)
        sections: dict[str, list[tuple[str, str]]] = {}
        for bid, (section, description) in sorted(described.items(), key=lambda kv: kv[1][0] == "App"):
            sections.setdefault(section, []).append((" ".join(dict.fromkeys(keys[bid])), description))
        sections.setdefault("App", []).append(("ctrl+p", "command palette: every action, every board"))
        sections["Mouse"] = [("click", "focus a card"), ("double-click", "edit it"),
                             ("right-click", "actions on it"), ("footer keys", "run that action")]
        self.push_screen(HelpScreen(list(sections.items())))

    # --- calendars ----------------------------------------------------------------------------
    def action_refresh_calendars(self) -> None:
        """Fetch subscribed calendars again, with progress in notifications."""
        self.notify("Refreshing calendars…")
        self._refresh_calendars()

    @work(thread=True, group="calendars", exclusive=True)
    def _refresh_calendars(self) -> None:
        from organizer.services import calendars

        def progress(name: str, outcome: Any) -> None:
            if outcome is None:
                self.call_from_thread(self.notify, f"Refreshing {name}…", markup=False)
                return
            failed = outcome.status == "failed"
            events = f"{outcome.result.events} events" if outcome.result is not None else ""
            text = " ".join(x for x in (f"{name}: {outcome.status}", events, outcome.error or outcome.detail) if x)
            self.call_from_thread(self.notify, text, severity="error" if failed else "information", markup=False)

        # Not through db_call: network waits must not hold a write transaction; refresh opens its own.
        outcomes = calendars.refresh(self.get_store(), self.cfg, None, now=self.now, progress=progress)
        if not outcomes:
            self.call_from_thread(self.notify, "No calendars yet: organizer import ics FILE|URL adds one.")
        self.call_from_thread(self._after_write, None, None, None, True)

    def action_export_ics(self) -> None:
        """Ask for a path, then write the next 30 days' publish times, plan and due dates there."""
        from screens.dialogs import PromptDialog

        def answered(path: str | None) -> None:
            if path:
                self._export_ics(path)

        self.push_screen(PromptDialog("Export the calendar (next 30 days) to:", value="organizer.ics",
                                      hint="An .ics file any calendar app can import; press enter to write it."),
                         answered)

    @work(thread=True, group="calendars")
    def _export_ics(self, path: str) -> None:
        import os
        from datetime import timedelta

        from organizer.calendar.export import export_calendar

        now = self.now()
        start = datetime.combine(now.astimezone(ZoneInfo(self.cfg.timezone)).date(), datetime.min.time(),
                                 ZoneInfo(self.cfg.timezone))
        target = Path(path).expanduser()
        try:
            result = export_calendar(self.location, self.cfg, boards=None, what={"publish", "plan", "due"},
                                     start=start, end=start + timedelta(days=30), now=now)
            partial = target.with_name(f".{target.name}.partial")
            partial.write_bytes(result.body)
            os.replace(partial, target)
        except (OSError, InputError) as exc:
            self.call_from_thread(self.notify, f"Not exported: {exc}", severity="error", markup=False)
            return
        self.call_from_thread(self.notify, f"Exported {result.events} events to {target}", markup=False)

    def palette_entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Every board action, every board, and the calendar actions, for the command palette."""
        board = self._board_screen()
        if board is None:
            return []
        entries = board.palette_entries()
        entries.append(("Export calendar (ICS)…", "app.export_ics (X)", self.action_export_ics))
        entries.append(("Refresh calendars", "app.refresh_calendars (R)", self.action_refresh_calendars))
        entries.append(("Day plan", "app.mode_plan (p, F2)", lambda: self.switch_mode("plan")))
        entries.append(("Capacity", "app.mode_capacity (C, F3)", lambda: self.switch_mode("capacity")))
        for key, name in board.board.boards if board.board else []:
            entries.append((f"Switch to board {key} — {name}", "board", lambda key=key: board.reload(key)))
        return entries


def run(location: str, cfg: Config) -> int:
    """Open the app on a database; returns the exit code."""
    OrganizerApp(location, cfg).run()
    return 0
