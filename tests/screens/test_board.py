"""The board, driven through the real app: navigation, moves, filters, lanes, live refresh."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from organizer.boardview import CardRow
from organizer.config import Config
from organizer.services import boards, cards
from organizer.storage.orm import Store
from organizer.validate import validate
from screens.column import ColumnView, Lane
from tests.screens.conftest import NOW, settle
from tests.screens.conftest import board_screen as _board


def _column_of(store: Store, cfg: Config, ref: str) -> str:
    with store.read() as s:
        return str(cards.card_view(s, cfg, ref)["column"])


async def test_opens_on_the_default_board_with_every_column(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        assert board.board is not None and board.board.key == "NWC"
        assert [c.name for c in board.board.columns] == [
            "Ideas", "Planned", "In progress", "Review", "Scheduled", "Published", "Measured"]
        assert len(board.panes) == 7
        card = board.current_card()
        assert card is not None and card.ref == "NWC-1"


async def test_arrows_and_hjkl_move_focus(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("j")
        assert board.current_card().ref == "NWC-2"  # type: ignore[union-attr]
        await pilot.press("down", "k")
        assert board.current_card().ref == "NWC-2"  # type: ignore[union-attr]
        await pilot.press("l")
        assert board.focused_column == 1
        await pilot.press("right", "left", "h")
        assert board.focused_column == 0
        await pilot.press("end")
        assert board.current_card().ref == "NWC-3"  # type: ignore[union-attr]
        await pilot.press("home")
        assert board.current_card().ref == "NWC-1"  # type: ignore[union-attr]


async def test_shift_l_and_h_move_the_card_and_focus_follows(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("L")
        await settle(pilot)
        assert _column_of(demo_store, cfg, "NWC-1") == "Planned"
        assert board.focused_column == 1 and board.current_card().ref == "NWC-1"  # type: ignore[union-attr]
        await pilot.press("shift+right")
        await settle(pilot)
        assert _column_of(demo_store, cfg, "NWC-1") == "In progress"
        await pilot.press("H")
        await settle(pilot)
        assert _column_of(demo_store, cfg, "NWC-1") == "Planned"
        assert board.current_card().ref == "NWC-1"  # type: ignore[union-attr]


async def test_moving_into_a_done_column_completes_the_card(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        ref = board.board.columns[4].cards[0].ref  # type: ignore[union-attr]
        board.focus_card_ref(ref)
        await settle(pilot)
        assert board.board.columns[board.focused_column].name == "Scheduled"  # type: ignore[union-attr]
        await pilot.press("L")
        await settle(pilot)
    with demo_store.read() as s:
        card = cards.card_view(s, cfg, ref)
    assert card["column"] == "Published" and card["completed"] is not None


async def test_shift_j_and_k_reorder_within_the_column(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("J")
        await settle(pilot)
        assert [c.ref for c in board.board.columns[0].cards][:2] == ["NWC-2", "NWC-1"]  # type: ignore[union-attr]
        assert board.current_card().ref == "NWC-1"  # type: ignore[union-attr]
        await pilot.press("K")
        await settle(pilot)
        assert [c.ref for c in board.board.columns[0].cards][:2] == ["NWC-1", "NWC-2"]  # type: ignore[union-attr]


async def test_undo_and_redo_keys(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("L")
        await settle(pilot)
        assert _column_of(demo_store, cfg, "NWC-1") == "Planned"
        await pilot.press("u")
        await settle(pilot)
        assert _column_of(demo_store, cfg, "NWC-1") == "Ideas"
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert _column_of(demo_store, cfg, "NWC-1") == "Planned"
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert _column_of(demo_store, cfg, "NWC-1") == "Ideas"


async def test_undo_in_the_app_leaves_a_move_made_from_the_cli(demo_store: Store, cfg: Config, make_app,
                                                              db_path: Path, isolated_paths: Path) -> None:  # type: ignore[no-untyped-def]
    env = dict(os.environ, ORGANIZER_DB=str(db_path), ORGANIZER_CONFIG=str(isolated_paths / "config.toml"))
    subprocess.run([sys.executable, "-m", "organizer", "move", "NWC-2", "review"], env=env, check=True,
                   capture_output=True)
    assert _column_of(demo_store, cfg, "NWC-2") == "Review"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        # The app undoes only its own session's changes; the shell's move is `organizer undo`'s to take back.
        assert _column_of(demo_store, cfg, "NWC-2") == "Review"
        assert any("organizer undo" in str(n.message) for n in app._notifications)


async def test_text_filter_narrows_and_escape_clears(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("slash")
        await pilot.press(*"roaster")
        await pilot.press("enter")
        shown = [i for items in board.items for i in items if isinstance(i, CardRow)]
        assert shown and all("roaster" in c.haystack for c in shown)
        assert "roaster" in str(app.query_one("#board-title").render())
        await pilot.press("escape")
        assert sum(len(items) for items in board.items) == sum(len(c.cards) for c in board.board.columns)  # type: ignore[union-attr]


async def test_role_keys_toggle_roles_and_zero_shows_all(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("2")  # writer
        roles = {i.role for items in board.items for i in items if isinstance(i, CardRow)}
        assert roles == {"writer"}
        await pilot.press("3")  # + producer
        roles = {i.role for items in board.items for i in items if isinstance(i, CardRow)}
        assert roles == {"writer", "producer"}
        await pilot.press("2")
        roles = {i.role for items in board.items for i in items if isinstance(i, CardRow)}
        assert roles == {"producer"}
        await pilot.press("0")
        assert not board.view.roles


async def test_swimlanes_group_cards_by_role(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("s")
        lanes = [i.label for i in board.items[1] if isinstance(i, Lane)]
        assert lanes and lanes[0] in {"Strategist", "Writer", "Producer", "Planner"}
        # Lanes are rows across the columns: each lane starts on the same line in every column.
        starts = [[v.view._starts[i] for i, item in enumerate(v.view.items) if isinstance(item, Lane)]
                  for v in board.panes]
        assert all(s == starts[0] for s in starts) and len(starts[0]) == len(lanes)
        await pilot.press("j")
        assert board.current_card() is not None  # focus skips the lane headings
        title = board.query_one("#board-title")
        assert "[lanes by role]" in str(title.render())
        await pilot.press("s")
        assert "[lanes by campaign]" in str(title.render())
        await pilot.press("s")
        assert not any(isinstance(i, Lane) for items in board.items for i in items)
        await pilot.press("escape")
        assert str(title.render()).endswith("cards")  # no empty brackets left behind


async def test_wip_limit_exceeded_is_flagged(store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        boards.create_board(s, "WIP", "Busy board")
        for i in range(6):
            cards.add_card(s, cfg, validate({"title": f"card {i}", "board": "WIP", "column": "In progress"}, cfg,
                                            now=NOW, require_title=True))
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        pane = _board(app).panes[2]
        assert pane.has_class("-over-limit")
        assert "6/5" in str(pane.query_one(".column-header").render())
        assert not _board(app).panes[3].has_class("-over-limit")


TRICKY = ["[/bold] oops", "Launch [draft]", "[@click=app.quit]x"]


async def test_titles_render_literally_and_clicks_run_nothing(store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    with store.write() as s:
        for title in TRICKY:
            cards.add_card(s, cfg, validate({"title": title}, cfg, now=NOW, require_title=True))
    app = make_app()
    async with app.run_test(size=(200, 50)) as pilot:  # wide enough that no title wraps
        await settle(pilot)
        view = _board(app).panes[0].view
        lines = ["".join(seg.text for seg in view.render_line(y)) for y in range(20)]
        text = "\n".join(lines)
        for title in TRICKY:
            assert title in text
        # Click on each title line: a markup action would quit the app.
        step = view.card_height
        for y in (1, 1 + step, 1 + 2 * step):
            await pilot.click(ColumnView, offset=(5, y))
            await pilot.pause()
        assert app.is_running
        assert _board(app).current_card().title == TRICKY[2]  # type: ignore[union-attr]


async def test_click_focuses_a_card_in_another_column(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.click(board.panes[1].view, offset=(5, 6))
        await pilot.pause()
        assert board.focused_column == 1
        assert board.current_card() == board.board.columns[1].cards[1]  # type: ignore[union-attr]


async def test_a_card_added_by_another_process_appears_within_a_second(demo_store: Store, make_app, db_path: Path,
                                                                        isolated_paths: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("l", "j")
        focused = board.current_card()
        await pilot.press("2")  # a filter that must survive the refresh
        env = dict(os.environ, ORGANIZER_DB=str(db_path), ORGANIZER_CONFIG=str(isolated_paths / "config.toml"))
        out = subprocess.run([sys.executable, "-m", "organizer", "add", "Written elsewhere", "-b", "NWC", "-r",
                              "writer"], env=env, check=True, capture_output=True, text=True).stdout.strip()
        loop = asyncio.get_running_loop()
        start = loop.time()
        while loop.time() - start < 1.0:
            await pilot.pause(0.05)
            refs = [c.ref for items in board.items for c in items if isinstance(c, CardRow)]
            if out in refs:
                break
        assert out in refs, "the new card did not appear within a second"
        assert board.view.roles == frozenset({"writer"})
        assert board.focused_column == 1
        assert focused is None or board.current_card() is None or board.current_card().role == "writer"  # type: ignore[union-attr]
