"""The Organizer app: the board as home screen, dialogs, live refresh, and the write path.

The board and the palette's card search read plain SQL (`organizer.boardview`, `organizer.cardsearch`
over `organizer.storage.plain.Db`), in worker threads: on a SQLite file through the quick `sqlite3` path, so
the first paint never waits for SQLAlchemy; on PostgreSQL (or a SQLite file the quick path refuses)
through the store's connection. Writes go through the core services in worker threads, and every
write lands in the shared undo history; a move on a SQLite file commits at once on the UI thread
(`quick.move`), elsewhere it takes the same worker path as every other write.

Live refresh asks SQLite's `PRAGMA data_version` on the UI thread (microseconds, no I/O wait); on a
database server it asks `Store.data_version` in a worker, since that is a round trip to the server.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen

from organizer import paths
from organizer.boardview import BoardData, load_board
from organizer.cardsearch import CardHit, search_cards
from organizer.config import Config, save_setting
from organizer.storage import quick
from organizer.storage.plain import Db
from organizer.validate import InputError
from screens.app_calendars import CalendarActions
from screens.app_dialogs import DialogActions
from screens.board import BoardScreen

if TYPE_CHECKING:
    from pathlib import PurePath

    from textual.command import Provider

    from screens.host import OrganizerHost

Clock = Callable[[], datetime]
WATCH_SECONDS = 0.5  # how often the app asks the database whether another process wrote
MOVE_LOCK_WAIT_MS = 50  # a move on the UI thread waits no longer than this for another writer


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
        self.watch_seconds = watch_seconds
        self._store: Any = None
        self._store_lock = threading.Lock()
        self._watch: sqlite3.Connection | None = None  # SQLite: asked on the UI thread
        self._watch_server = False  # another database: asked in a worker (`_poll_server`)
        self._polling = False
        self._data_version: int | None = None
        self.board_loads = 0  # how many times a board was drawn from fresh data (tests and benchmarks read it)
        self._board: BoardScreen | None = None
        self._lean: sqlite3.Connection | None = None
        self._not_quick = False  # the quick path refused this database: moves take the write path
        self._listeners: list[Screen[Any]] = []
        # This session's place in the history: its undo takes back its own changes, not the shell's.
        self.place = quick.new_app_place()
        self.crash: str | None = None  # the one line the shell gets after an unhandled error

    # --- lifecycle ----------------------------------------------------------------------------
    # Three modes, each with its own screen stack and state: the board is home.
    DEFAULT_MODE = "board"
    MODES: ClassVar[dict[str, Any]] = {
        "board": BoardScreen,
        "plan": lambda: _day_plan_screen(),
        "capacity": lambda: _capacity_screen(),
    }

    def register(self, screen: Screen[Any]) -> None:
        """A mode's screen asks to hear about data changes (its `data_changed()` is called)."""
        if isinstance(screen, BoardScreen):
            self._board = screen
        if screen not in self._listeners:
            self._listeners.append(screen)

    def _handle_exception(self, error: Exception) -> None:
        """An unhandled error: keep the traceback in a private log file and exit 1 with one line."""
        import os

        from screens.crash import one_line, write_crash_log

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
        file = paths.sqlite_path(self.location)
        if file is not None and file.exists():
            self._watch = sqlite3.connect(file, check_same_thread=False)
            self._data_version = self._version()
            self.set_interval(self.watch_seconds, self._poll)
        elif file is None:
            self._watch_server = True
            self._poll_server()  # the first answer is the starting point
            self.set_interval(self.watch_seconds, self._poll_server)

    def on_unmount(self) -> None:
        """Close database handles."""
        if self._watch is not None:
            self._watch.close()
        if self._lean is not None:
            self._lean.close()
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

    def _poll_server(self) -> None:
        if not self._polling:  # a slow server: never more than one question on the way
            self._polling = True
            self._ask_server()

    @work(thread=True, group="watch")
    def _ask_server(self) -> None:
        # Store.data_version is a round trip to the server: never on the UI thread.
        from sqlalchemy.exc import SQLAlchemyError

        try:
            version = self.get_store().data_version()
        except SQLAlchemyError:
            return  # the server is away for a moment: ask again at the next tick
        finally:
            self._polling = False
        if self._data_version is None:
            self._data_version = version
        elif version != self._data_version:
            self._data_version = version
            self.call_from_thread(self.data_changed)

    def _own_write_seen(self) -> None:
        """After this app's own commit (in a worker): on a server, move the baseline past it, so it is not news.

        A poll that lands between the commit and this only costs one reload more.
        """
        if self._watch_server and self._data_version is not None:
            from sqlalchemy.exc import SQLAlchemyError

            with suppress(SQLAlchemyError):
                self._data_version = self.get_store().data_version()

    def data_changed(self) -> None:
        """Tell every mode's screen that the database changed (they reload what they show)."""
        for screen in self._listeners:
            screen.data_changed()  # type: ignore[attr-defined]

    def board_screen(self) -> BoardScreen | None:
        """The board mode's screen, once it exists."""
        return self._board

    _board_screen = board_screen  # the name tests/screens reach for

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
                services.history.set_place(session, self.place)
                result = work_fn(session, services)
        except (InputError, services.history.NothingToUndo) as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            return
        if write and keep:
            self._own_write_seen()
        if done is not None:
            self.call_from_thread(done, result)

    def board_loaded(self, screen: Screen[Any]) -> None:
        """Called after each board redraw from fresh data; warms the write path once."""
        self.board_loads += 1
        if self.board_loads == 1:
            self._warm_up()

    @work(thread=True, group="warm-up")
    def _warm_up(self) -> None:
        # SQLAlchemy and the services load after the first paint, so the first write is quick.
        self.get_store()
        self._warn_unreadable()

    def _warn_unreadable(self) -> None:
        # Values nothing can read show as empty on the board; say which card and field, once per start.
        from organizer import integrity

        try:
            conn = quick.connect(self.location)
        except quick.NotQuick:
            return
        try:
            problems = integrity.unreadable_cards(integrity.for_sqlite3(conn))
        finally:
            conn.close()
        if problems:
            more = f" (and {len(problems) - 3} more: organizer list shows them all)" if len(problems) > 3 else ""
            text = "\n".join(p.message() for p in problems[:3]) + more
            self.call_from_thread(self.notify, text, title="Unreadable values", severity="warning",
                                  timeout=30, markup=False)

    # --- data ---------------------------------------------------------------------------------
    @contextmanager
    def reading(self) -> Iterator[Db]:
        """One read transaction for plain SQL (in worker threads only: on a server each query is a round trip).

        A SQLite file at the quick path's revision is read through `sqlite3`, without SQLAlchemy; any other
        database through the store, at REPEATABLE READ on PostgreSQL, so every query sees the same moment.
        """
        try:
            conn = quick.connect(self.location)
        except quick.NotQuick:
            conn = None
        if conn is not None:
            try:
                conn.execute("BEGIN")  # one snapshot for every query (the quick connection autocommits)
                yield Db(conn)
            finally:
                conn.close()  # rolls the read transaction back
            return
        store = self.get_store()
        with store.read() as session:
            if store.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield Db(session)

    def read_board(self, key: str | None) -> BoardData | None:
        """Read a board (called from worker threads)."""
        with self.reading() as db:
            return load_board(db, self.cfg, key)

    def get_store(self) -> Any:
        """The SQLAlchemy store, opened on first use (thread-safe)."""
        with self._store_lock:
            if self._store is None:
                from organizer.storage.orm import open_store

                self._store = open_store(self.location)
            return self._store

    @staticmethod
    def _services() -> SimpleNamespace:
        from organizer import history
        from organizer.services import boards, busy, cards, dayview, plan, timer

        return SimpleNamespace(cards=cards, boards=boards, history=history, plan=plan, dayview=dayview,
                               timer=timer, busy=busy)

    def move_now(self, card_id: int, column_id: int, index: int, fallback: Callable[[], None]) -> None:
        """Commit a card move at once, on this thread, through plain SQL (about a millisecond).

        The lock is waited for briefly only: if another process holds it, the move goes to a worker
        (`fallback`) rather than freezing the screen.
        """
        if self._lean is None:
            if self._not_quick:  # PostgreSQL, or a SQLite file at another revision: the write path
                fallback()
                return
            try:
                self._lean = quick.connect(self.location)
            except quick.NotQuick:
                self._not_quick = True
                fallback()
                return
            self._lean.execute(f"PRAGMA busy_timeout = {MOVE_LOCK_WAIT_MS}")
        try:
            quick.move(self._lean, card_id, column_id, index, place=self.place)
        except InputError as exc:
            self.notify(str(exc), severity="error", markup=False)
            self._after_write(None, card_id, None, True)
            return
        except sqlite3.OperationalError:
            fallback()
            return
        self._after_write(None, card_id, None, False)

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
                services.history.set_place(session, self.place)
                result = change(session, services)
        except (InputError, services.history.NothingToUndo) as exc:
            self.call_from_thread(self.notify, str(exc), severity="error", markup=False)
            result, reload = None, True
        else:
            self._own_write_seen()
        self.call_from_thread(self._after_write, result, focus, done, reload)

    def _after_write(self, result: Any, focus: int | str | None, done: Callable[[Any], None] | None,
                     reload: bool) -> None:
        if self._watch is not None:
            # Our own commit is not news: do not let the poll reload everything for it.
            self._data_version = self._version()
        if done is not None:
            done(result)
        board = self.board_screen()
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
            board = self.board_screen()
            if result and board is not None:
                board.reload(board.board.key if board.board else None, focus=result)

        self.push_screen(CardForm(self.cfg, heading=heading, columns=columns, initial=initial, submit=submit,
                                  column=column, clock=self.clock), saved)

    def save_card(self, raw: dict[str, Any], *, ref: str | None, board_key: str | None) -> str:
        """Validate and write a card from the form (runs in the form's worker thread); returns its ID."""
        from organizer.validate import validate

        services = self._services()
        if ref is None and board_key and not raw.get("board"):
            raw = {**raw, "board": board_key}
        fields = validate(raw, self.cfg, now=self.now(), require_title=ref is None)
        with self.get_store().write() as session:
            services.history.set_place(session, self.place)
            if ref is None:
                card = services.cards.add_card(session, self.cfg, fields, origin="tui")
            else:
                card = services.cards.edit_card(session, self.cfg, ref, fields, origin="tui")
            saved = str(services.cards.card_ref(session, card))
        self._own_write_seen()
        return saved

    def undo_redo(self, which: str) -> None:
        """Undo or redo this app session's own changes (the shell's are undone with `organizer undo`)."""
        def change(session: Any, svc: SimpleNamespace) -> str:
            step = svc.history.undo if which == "undo" else svc.history.redo
            return str(step(session, self.place))

        verb = "Undid" if which == "undo" else "Redid"

        def done(summary: str | None) -> None:
            if summary:
                self.notify(f"{verb}: {summary}", markup=False)

        self.write(change, done=done)

    def palette_entries(self) -> list[tuple[str, str, Callable[[], object]]]:
        """Every board action, every board, and the calendar actions, for the command palette."""
        board = self.board_screen()
        if board is None:
            return []
        entries = board.palette_entries()
        entries.append(("Export calendar (ICS)…", "key X", self.action_export_ics))
        entries.append(("Refresh calendars", "key R", self.action_refresh_calendars))
        entries.append(("Keys: every key on this screen", "key ?", self.action_help))
        for key, name in board.board.boards if board.board else []:
            entries.append((f"Switch to board {key} — {name}", "board", lambda key=key: board.reload(key)))
        return entries

    def search_cards(self, query: str) -> list[CardHit]:
        """Cards on every board matching `query` (called from a worker thread by the palette)."""
        with self.reading() as db:
            return search_cards(db, query)

    def jump_to_card(self, ref: str) -> None:
        """Show a card on its board, whatever screen is open."""
        self.switch_mode("board")
        board = self.board_screen()
        if board is not None:
            board.focus_card_ref(ref)


def _providers() -> tuple[type[Provider], type[Provider]]:
    from screens.commands import CardCommands, OrganizerCommands

    return OrganizerCommands, CardCommands


def _day_plan_screen() -> Screen[Any]:
    # Imported when the mode is first opened, not with the app: the board paints sooner.
    from screens.dayplan import DayPlanScreen

    return DayPlanScreen()


def _capacity_screen() -> Screen[Any]:
    from screens.capacity import CapacityScreen

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
