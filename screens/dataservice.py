"""The app's one way to its database: every read and write in a worker, and one signal for every change.

Screens never touch the database. They ask this service (`app.data`) to read a board, to run a change through
the core services, to move a card; it runs the work in Textual thread workers (`exit_on_error=False`: a failure
is shown as a notification and the board reloads, the app never crashes on it) and answers on the UI thread.
Writes run one at a time in the order they were asked for, so a quick run of moves lands as it was shown.

Changes are published on one signal, `changed`, with a `DataChange`: after each of this app's own writes, and
whenever another writer changed the data. A watcher thread learns the latter from the storage's change feed
(`organizer.storage.contract.ChangeFeed`: SQLite's `PRAGMA data_version` on a connection of its own, PostgreSQL's
LISTEN/NOTIFY), never from the UI thread. The board draws a move before it is committed (the worker commits it,
and a failure reloads the board), so a move key repaints at once whatever the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from textual.signal import Signal

from organizer.storage.adapters import open_storage
from organizer.storage.contract import Storage
from organizer.storage.quick import new_app_place
from organizer.validate import InputError

if TYPE_CHECKING:
    from textual.app import App

    from organizer.boardview import BoardData
    from organizer.cardsearch import CardHit
    from organizer.config import Config
    from organizer.storage.contract import ChangeFeed

WATCH_SECONDS = 0.5  # how long the watcher waits between two looks (PostgreSQL wakes at once on a NOTIFY)


@dataclass(frozen=True)
class DataChange:
    """What the `changed` signal says: whose change, which card to focus, whether the board must re-read."""

    own: bool  # this app's write (False: another process or client)
    focus: int | str | None = None
    reload: bool = True  # False when the board already shows the change (a move, a reorder)


class Services:
    """The core services a change runs with, imported by the worker that first needs them (they load SQLAlchemy)."""

    def __init__(self) -> None:
        from organizer import history
        from organizer.services import approvals, boards, busy, calendars, cards, dayview, plan, posts, schedule, timer

        self.history = history
        self.cards, self.boards, self.busy, self.calendars, self.posts = cards, boards, busy, calendars, posts
        self.dayview, self.plan, self.schedule, self.timer = dayview, plan, schedule, timer
        self.approvals = approvals
        from organizer.services import templates

        self.templates = templates


Change = Callable[[Any, Services], Any]  # (ORM session, services) -> result


class Failure(NamedTuple):
    """What to tell the user when a read or write did not go through."""

    message: str
    title: str | None  # "Not saved" for a failure; None for a refusal (bad input, nothing to undo)


class _Lane:
    """Writes one at a time, in the order they were asked for, each in its own worker."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._next = 0
        self._serving = 0

    def ticket(self) -> int:
        """A place in the queue (taken on the UI thread, so in the order the user acted)."""
        with self._cond:
            self._next += 1
            return self._next - 1

    def drain(self, timeout: float) -> bool:
        """Wait until every write asked for has run (at most `timeout` seconds); False if some have not."""
        with self._cond:
            return self._cond.wait_for(lambda: self._serving >= self._next, timeout)

    @contextmanager
    def turn(self, ticket: int) -> Iterator[None]:
        """Wait for this ticket's turn; the next one's begins when this block ends, however it ends."""
        with self._cond:
            self._cond.wait_for(lambda: self._serving >= ticket)
        try:
            yield
        finally:
            with self._cond:
                self._serving = max(self._serving, ticket + 1)
                self._cond.notify_all()


class DataService:
    """The storage of one app, its workers, its change watcher and its `changed` signal."""

    def __init__(self, app: App[Any], location: str, cfg: Config, *, watch_seconds: float = WATCH_SECONDS) -> None:
        self.app = app
        self.cfg = cfg
        self.storage: Storage = open_storage(location)
        self.watch_seconds = watch_seconds
        # This session's place in the history: its undo takes back its own changes, not the shell's.
        self.place = new_app_place()
        self.changed: Signal[DataChange] = Signal(app, "data-changed")
        self._lane = _Lane()
        self._services: Services | None = None
        self._feed: ChangeFeed | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._loads = 0

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start watching for other writers (a thread with a connection of its own)."""
        self._watcher = threading.Thread(target=self._watch, name="organizer-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Let the writes asked for land, stop the watcher and release every connection."""
        self._lane.drain(timeout=30)  # a move or an edit made just before quitting is kept
        self._stopping.set()
        feed = self._feed
        if feed is not None:
            feed.close()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        self.storage.close()

    def _watch(self) -> None:
        try:
            self._feed = self.storage.changes()
        except Exception:  # no feed (the server is away): this session goes without live refresh
            return
        while not self._stopping.is_set():
            try:
                changed = self._feed.wait(self.watch_seconds)
            except Exception:  # the server went away for a moment: look again after a pause
                self._stopping.wait(self.watch_seconds)
                continue
            if changed and not self._stopping.is_set():
                self._publish_from_thread(DataChange(own=False))

    def _publish_from_thread(self, change: DataChange) -> None:
        with suppress(RuntimeError):  # the app is closing
            self.app.call_from_thread(self.changed.publish, change)

    def _own_write_seen(self) -> None:
        # After this app's commit: the watcher must not report it as another writer's.
        feed = self._feed
        if feed is not None:
            with suppress(Exception):  # a reload too many is the worst that can follow
                feed.seen()

    # --- reads --------------------------------------------------------------------------------
    def read_board(self, key: str | None) -> BoardData | None:
        """Read a board (from a worker thread: the board's loader)."""
        return self.storage.load_board(self.cfg, key)

    def search_cards(self, query: str) -> list[CardHit]:
        """Cards of every board matching `query` (from a worker thread: the palette's search)."""
        return self.storage.search_cards(query)

    def board_loaded(self) -> None:
        """The board drew fresh data: the first time, load the write path in the background."""
        self._loads += 1
        if self._loads == 1:
            self._in_worker(self._warm_up, "warm-up")

    def _warm_up(self) -> None:
        # SQLAlchemy and the services load after the first paint, so the first write is quick.
        self.services()
        self._warn_unreadable()

    def _warn_unreadable(self) -> None:
        # Values nothing can read show as empty on the board; say which card and field, once per start.
        from organizer import integrity

        with self.storage.reading() as db:
            problems = integrity.unreadable_cards(db.rows, db.dialect)
        if problems:
            more = f" (and {len(problems) - 3} more: organizer list shows them all)" if len(problems) > 3 else ""
            text = "\n".join(p.message() for p in problems[:3]) + more
            self.app.call_from_thread(self.app.notify, text, title="Unreadable values", severity="warning",
                                      timeout=30, markup=False)

    def services(self) -> Services:
        """The core services (imported on first use) with the store opened (migrated if needed)."""
        if self._services is None:
            self.storage.store()
            self._services = Services()
        return self._services

    def announce(self) -> None:
        """From a worker that wrote through the store itself (calendar refresh): publish it as this app's change."""
        self._own_write_seen()
        self._publish_from_thread(DataChange(own=True))

    # --- writes -------------------------------------------------------------------------------
    def call(self, change: Change, done: Callable[[Any], None] | None = None, *, write: bool = True,
             keep: bool = True, failed: Callable[[], None] | None = None) -> None:
        """Run `change(session, services)` in a worker, in one transaction; `done(result)` on the UI thread.

        `write=False` reads; `keep=False` rolls the transaction back (to plan without storing). Bad input
        becomes an error notification and `done` is not called; `failed()` is, on the UI thread.
        """
        ticket = self._lane.ticket() if write and keep else None
        self._in_worker(lambda: self._call(change, done, write, keep, ticket, failed), "db")

    def _call(self, change: Change, done: Callable[[Any], None] | None, write: bool, keep: bool,
              ticket: int | None, failed: Callable[[], None] | None = None) -> None:
        with self._lane.turn(ticket) if ticket is not None else _no_turn():
            ok, result, failure = self._run(change, "write" if write and keep else "scratch" if write else "read")
        self._tell(failure)
        if ok and done is not None:
            self.app.call_from_thread(done, result)
        elif not ok and failed is not None:
            self.app.call_from_thread(failed)

    def write(self, change: Change, *, focus: int | str | None = None, done: Callable[[Any], None] | None = None,
              reload: bool = True) -> None:
        """Run one user action in a write transaction in a worker, then publish it (the board re-reads).

        `reload=False` is for actions the board already shows (a move, a reorder): re-reading 10,000 cards to
        confirm them would cost more than the action. A failed write reloads anyway, to take back what was shown.
        """
        ticket = self._lane.ticket()
        self._in_worker(lambda: self._write(change, focus, done, reload, ticket), "writes")

    def _write(self, change: Change, focus: int | str | None, done: Callable[[Any], None] | None, reload: bool,
               ticket: int) -> None:
        with self._lane.turn(ticket):
            ok, result, failure = self._run(change, "write")
        self._tell(failure)
        self.app.call_from_thread(self._written, result if ok else None, focus, done, reload or not ok)

    def move(self, card_id: int, column_id: int, index: int) -> None:
        """Commit a move the board already shows (plain SQL where the database allows, else the services)."""
        ticket = self._lane.ticket()
        # After the frame that shows the move: a worker starting now would take the GIL from the repaint in
        # 5 ms slices (the interpreter's switch interval) and the screen would show the move later.
        self.app.call_after_refresh(self._in_worker, lambda: self._move(card_id, column_id, index, ticket), "writes")

    def _move(self, card_id: int, column_id: int, index: int, ticket: int) -> None:
        with self._lane.turn(ticket):
            ok, _, failure = self._guarded(lambda: self.storage.move_card(card_id, column_id, index, place=self.place,
                                                                          cfg=self.cfg))
            if ok:
                self._own_write_seen()
        self._tell(failure)
        self.app.call_from_thread(self._written, None, card_id, None, not ok)

    def save_card(self, raw: dict[str, Any], *, ref: str | None, board_key: str | None, now: Any) -> str:
        """Validate and write a card from the form (in the form's worker thread); returns its ID.

        Bad input raises `InputError` back to the form, which keeps what was typed and shows the message.
        """
        from organizer.validate import validate

        if ref is None and board_key and not raw.get("board"):
            raw = {**raw, "board": board_key}
        fields = validate(raw, self.cfg, now=now, require_title=ref is None)
        svc = self.services()
        with self._lane.turn(self._lane.ticket()), self.storage.write() as session:
            svc.history.set_place(session, self.place)
            if ref is None:
                card = svc.cards.add_card(session, self.cfg, fields, origin="tui")
            else:
                card = svc.cards.edit_card(session, self.cfg, ref, fields, origin="tui")
            saved = str(svc.cards.card_ref(session, card))
            waiting = svc.cards.open_steps_with_due(session, card) if ref and fields.publish_at else 0
        self._own_write_seen()
        self._publish_from_thread(DataChange(own=True, focus=saved))
        offer = getattr(self.app, "offer_reschedule", None)  # the app asks; the data service only notices
        if waiting and offer is not None:
            with suppress(RuntimeError):
                self.app.call_from_thread(offer, saved, waiting)
        return saved

    def undo_redo(self, which: str, done: Callable[[str | None], None]) -> None:
        """Undo or redo this app session's own changes (the shell's are undone with `organizer undo`)."""
        def change(session: Any, svc: Services) -> str:
            step = svc.history.undo if which == "undo" else svc.history.redo
            return str(step(session, self.place))

        self.write(change, done=done)

    # --- the work itself ------------------------------------------------------------------------
    def _in_worker(self, fn: Callable[[], None], group: str) -> None:
        # A failure is reported by the work itself (`_guarded`); `exit_on_error=False` keeps anything else
        # that escapes from closing the app.
        self.app.run_worker(fn, thread=True, group=group, exit_on_error=False)

    def _run(self, change: Change, how: str) -> tuple[bool, Any, Failure | None]:
        def run() -> Any:
            svc = self.services()
            context = getattr(self.storage, how)()
            with context as session:
                svc.history.set_place(session, self.place)
                return change(session, svc)

        ok, result, failure = self._guarded(run)
        if ok and how == "write":
            self._own_write_seen()
        return ok, result, failure

    def _guarded(self, run: Callable[[], Any]) -> tuple[bool, Any, Failure | None]:
        """Run `run()`; a refusal or a failure is returned as what to tell the user (a crash log for a failure).

        Told by `_tell` once the write's turn is over: the UI thread may be waiting for the queue to drain.
        """
        from organizer.history import NothingToUndo

        try:
            return True, run(), None
        except (InputError, NothingToUndo) as exc:
            return False, None, Failure(str(exc), None)
        except Exception as exc:
            from .crash import one_line, write_crash_log

            return False, None, Failure(one_line(exc, write_crash_log(exc)), "Not saved")

    def _tell(self, failure: Failure | None) -> None:
        if failure is not None:
            with suppress(RuntimeError):  # the app is closing: the crash log keeps the failure
                self.app.call_from_thread(self.app.notify, failure.message, title=failure.title or "",
                                          severity="error", timeout=30 if failure.title else None, markup=False)

    def _written(self, result: Any, focus: int | str | None, done: Callable[[Any], None] | None,
                 reload: bool) -> None:
        if done is not None:
            done(result)
        self.changed.publish(DataChange(own=True, focus=focus, reload=reload))


@contextmanager
def _no_turn() -> Iterator[None]:
    yield
