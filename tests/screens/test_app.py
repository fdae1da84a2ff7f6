"""The app opens on the boards, renders user text literally, and quits cleanly."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual.widgets import DataTable

from organizer.config import Config
from organizer.demo import load_demo
from organizer.services import boards
from organizer.store import Store
from screens.app import OrganizerApp

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


async def test_app_lists_the_boards_and_quits(store: Store, cfg: Config) -> None:
    load_demo(store, cfg, now=NOW)
    app = OrganizerApp(store, cfg)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.query_one("#boards", DataTable)
        assert table.row_count == 2
        assert [table.get_row_at(i)[1] for i in range(2)] == ["NWC", "CEO"]
        await pilot.press("q")
    assert app.return_code == 0


async def test_board_names_render_literally(store: Store, cfg: Config) -> None:
    with store.write() as s:
        boards.create_board(s, "MK", "[@click=app.quit]x [/bold] Launch [draft]")
    app = OrganizerApp(store, cfg)
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        name = app.query_one("#boards", DataTable).get_row_at(0)[2]
        assert isinstance(name, Text) and name.plain == "[@click=app.quit]x [/bold] Launch [draft]"
        await pilot.click("#boards", offset=(12, 1))
        await pilot.pause()
        assert app.is_running  # clicking the name ran no action


def test_boards_screen_snapshot(snap_compare, store: Store, cfg: Config) -> None:  # type: ignore[no-untyped-def]
    load_demo(store, cfg, now=NOW)

    async def loaded(pilot) -> None:  # type: ignore[no-untyped-def]
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(OrganizerApp(store, cfg), terminal_size=(100, 24), run_before=loaded)
