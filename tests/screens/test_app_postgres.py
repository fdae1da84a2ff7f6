"""The app on PostgreSQL: the board paints the demo, moves and undo commit, the palette finds cards, live refresh.

The same app as on SQLite, over a PostgreSQL database (`pg_db` in tests/conftest.py: skipped when the server
cannot be reached, failed under `$CI`). There the board, the card search and a move go through libpq (the
PostgreSQL adapter's plain paths), the rest through the ORM, and live refresh LISTENs for the NOTIFY that every
change sends (migration 0008), so a change elsewhere shows at once, not at the watcher's next look.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from organizer.boardview import load_board
from organizer.config import Config
from organizer.demo import load_demo
from organizer.services import cards
from organizer.storage.orm import Store, open_store
from organizer.storage.plain import Db
from organizer.validate import validate
from screens.app import OrganizerApp
from screens.board import BoardScreen
from screens.column import ColumnView
from tests.screens.conftest import NOW, settle
from tests.screens.conftest import board_screen as _board


@pytest.fixture
def pg_demo(pg_db: str, cfg: Config) -> Iterator[Store]:
    """The demo boards in the test's PostgreSQL database."""
    store = open_store(pg_db)
    load_demo(store, cfg, now=NOW)
    yield store
    store.close()


def _app(store: Store, cfg: Config, **kw: float) -> OrganizerApp:
    return OrganizerApp(store.location, cfg, clock=lambda: NOW, **kw)



def _column_of(store: Store, cfg: Config, ref: str) -> str:
    with store.read() as s:
        return str(cards.card_view(s, cfg, ref)["column"])


def _refs(board: BoardScreen) -> list[list[str]]:
    assert board.board is not None
    return [[c.ref for c in column.cards] for column in board.board.columns]


async def test_the_board_paints_the_demo_and_a_move_commits(pg_demo: Store, cfg: Config) -> None:
    with pg_demo.read() as s:
        expected = load_board(Db(s), cfg, "NWC")
    assert expected is not None and sum(len(c.cards) for c in expected.columns) > 10
    app = _app(pg_demo, cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        assert board.board is not None and board.board.key == "NWC"
        assert _refs(board) == [[c.ref for c in column.cards] for column in expected.columns]
        assert len(board.panes) == 7
        drawn = "\n".join(view.render_line(y).text for view in board.query(ColumnView) for y in range(12))
        assert all(ref in drawn for ref in ("NWC-1", "NWC-4", "NWC-7")), drawn
        await pilot.press("L")
        await settle(pilot)
        assert _column_of(pg_demo, cfg, "NWC-1") == "Planned"
        assert board.current_card() is not None and board.current_card().ref == "NWC-1"  # type: ignore[union-attr]
        board.reload()
        await settle(pilot)
        assert "NWC-1" in _refs(board)[1] and "NWC-1" not in _refs(board)[0]
        await pilot.press("u")
        await settle(pilot)
        assert _column_of(pg_demo, cfg, "NWC-1") == "Ideas"
        assert "NWC-1" in _refs(board)[0]
    assert app.crash is None


async def test_the_palette_finds_a_card_on_another_board(pg_demo: Store, cfg: Config) -> None:
    with pg_demo.write() as s:
        card = cards.add_card(s, cfg, validate({"title": "Thank the bakery", "board": "CEO",
                                                "notes": "mention the Quokka mural"}, cfg, now=NOW,
                                               require_title=True))
        ref = cards.card_ref(s, card)
    app = _app(pg_demo, cfg)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert [hit.ref for hit in app.data.search_cards("quokka")] == [ref]
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"quokka")
        await pilot.pause(0.5)  # the palette debounces, and the card search runs in a thread
        await pilot.press("enter")
        await settle(pilot)
        board = _board(app)
        assert board.board is not None and board.board.key == "CEO"
        assert board.current_card() is not None and board.current_card().ref == ref  # type: ignore[union-attr]
    assert app.crash is None


async def test_a_card_added_elsewhere_shows_without_a_keypress(pg_demo: Store, cfg: Config) -> None:
    app = _app(pg_demo, cfg, watch_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        # Store.data_version counts this database's changes only (migration 0007's sequence), so the
        # tests writing to other databases meanwhile reload nothing: see test_store's data-version test.
        other = open_store(pg_demo.location)
        try:
            with other.write() as s:
                card = cards.add_card(s, cfg, validate({"title": "From another terminal"}, cfg, now=NOW,
                                                       require_title=True))
                ref = cards.card_ref(s, card)
        finally:
            other.close()
        for _ in range(40):
            await pilot.pause(0.05)
            if ref in _refs(board)[0]:
                break
        assert ref in _refs(board)[0]
    assert app.crash is None


async def test_a_change_elsewhere_wakes_the_app_at_once_not_at_the_next_look(pg_demo: Store, cfg: Config) -> None:
    app = _app(pg_demo, cfg, watch_seconds=30)  # the watcher would look only every 30 s: the NOTIFY wakes it
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.pause(0.3)  # the watcher is listening
        board = _board(app)
        other = open_store(pg_demo.location)
        try:
            with other.write() as s:
                ref = cards.card_ref(s, cards.add_card(s, cfg, validate({"title": "Heard at once"}, cfg, now=NOW,
                                                                        require_title=True)))
        finally:
            other.close()
        for _ in range(60):
            await pilot.pause(0.05)
            if ref in _refs(board)[0]:
                break
        assert ref in _refs(board)[0]
    assert app.crash is None
