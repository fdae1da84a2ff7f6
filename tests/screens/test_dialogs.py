"""Confirm, picker and help dialogs, and the command palette provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.app import App
from textual.command import CommandPalette, DiscoveryHit, Hit
from textual.content import Content
from textual.screen import Screen
from textual.widgets import OptionList, Static

from screens.commands import OrganizerCommands, PaletteEntry
from screens.dialogs import ConfirmDialog, HelpScreen, PickerDialog

UNSET = object()


class Host(App[None]):
    """Opens one screen and records what it dismissed with; also lists palette entries."""

    COMMANDS = App.COMMANDS | {OrganizerCommands}

    def __init__(self, screen: Screen[Any] | None = None, entries: list[PaletteEntry] | None = None) -> None:
        super().__init__()
        self.opening = screen
        self.entries = entries or []
        self.result: object = UNSET

    def on_mount(self) -> None:
        if self.opening is not None:
            self.push_screen(self.opening, callback=self.record)

    def record(self, result: object) -> None:
        self.result = result

    def palette_entries(self) -> list[PaletteEntry]:
        return self.entries


@pytest.mark.parametrize(("keys", "expected"), [("y", True), ("enter", True), ("n", False), ("escape", False)])
async def test_confirm_keys(keys: str, expected: bool) -> None:
    app = Host(ConfirmDialog("Delete NWC-3 'Launch [draft]'?"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(keys)
        await pilot.pause()
    assert app.result is expected


@pytest.mark.parametrize(("button", "expected"), [("#confirm-yes", True), ("#confirm-no", False)])
async def test_confirm_buttons_click(button: str, expected: bool) -> None:
    app = Host(ConfirmDialog("[@click=app.quit]x [/bold] gone?", confirm_label="Archive"))
    async with app.run_test(size=(80, 24)) as pilot:
        assert str(app.screen.query_one("#confirm-question", Static).render()) == "[@click=app.quit]x [/bold] gone?"
        await pilot.click("#confirm-question", offset=(2, 0))  # literal text: no action to run
        assert app.is_running
        await pilot.click(button)
        await pilot.pause()
    assert app.result is expected


OPTIONS = [("ideas", "Ideas"), ("draft", "Launch [draft]"), ("trap", "[@click=app.quit]x"), ("done", "Done")]


def labels(app: App[None]) -> list[str]:
    """The option texts as displayed."""
    option_list = app.screen.query_one("#picker-options", OptionList)
    return [str(option_list.get_option_at_index(i).prompt) for i in range(option_list.option_count)]


async def test_picker_shows_labels_literally_and_enter_picks_the_current_one() -> None:
    app = Host(PickerDialog("Move NWC-3 to", OPTIONS, current="draft"))
    async with app.run_test(size=(80, 24)) as pilot:
        assert labels(app) == ["Ideas", "Launch [draft]", "[@click=app.quit]x", "Done"]
        assert app.screen.query_one("#picker-options", OptionList).highlighted == 1
        await pilot.press("down", "enter")
        await pilot.pause()
    assert app.result == "trap"


async def test_picker_click_picks() -> None:
    app = Host(PickerDialog("Move to", OPTIONS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.click("#picker-options", offset=(3, 2))  # the third row: the literal trap label
        await pilot.pause()
        assert app.is_running
    assert app.result == "trap"


async def test_picker_typing_filters_and_escape_cancels() -> None:
    app = Host(PickerDialog("Move to", OPTIONS))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*"DRA")
        assert labels(app) == ["Launch [draft]"]
        await pilot.press("z")
        assert labels(app) == []
        await pilot.press("enter")  # nothing to pick: stays open
        assert isinstance(app.screen, PickerDialog)
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


async def test_help_opens_scrolls_and_closes() -> None:
    sections = [("Board", [("h/←", "focus previous column"), ("l/→", "focus next column")])]
    sections += [(f"Section {i}", [("x", f"thing {j}") for j in range(5)]) for i in range(6)]
    for key in ("escape", "q", "question_mark"):
        app = Host(HelpScreen(sections))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = app.screen
            assert isinstance(screen, HelpScreen)
            first = str(screen.query(".help-section").first(Static).render())
            assert first.splitlines() == ["Board", "h/←  focus previous column", "l/→  focus next column"]
            body = screen.query_one("#help-body")
            assert body.max_scroll_y > 0  # taller than the screen: it scrolls
            if key == "escape":
                await pilot.press("pagedown")
                await pilot.wait_for_scheduled_animations()
                assert body.scroll_y > 0
            await pilot.press(key)
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)
        assert app.result is None


def entries(calls: list[str]) -> list[PaletteEntry]:
    """Board actions plus board switches, one with markup in its name."""

    def call(name: str) -> Callable[[], object]:
        return lambda: calls.append(name)

    return [
        ("Add card", "new card in the focused column", call("add")),
        ("Move card", "to another column", call("move")),
        ("Switch to board NWC — Northwind Coffee", "open that board", call("NWC")),
        ("Switch to board MK — [@click=app.quit]x [b]", "open [that] board", call("MK")),
    ]


async def test_provider_discover_and_search() -> None:
    calls: list[str] = []
    app = Host(entries=entries(calls))
    async with app.run_test(size=(80, 24)):
        provider = OrganizerCommands(app.screen)
        found = [hit async for hit in provider.discover()]
        assert all(isinstance(h, DiscoveryHit) for h in found)
        assert [h.text for h in found] == [name for name, _, _ in entries([])]
        assert all(isinstance(h.prompt, Content) for h in found)
        hits = [hit async for hit in provider.search("board")]
        assert all(isinstance(h, Hit) for h in hits)
        assert sorted(str(h.text) for h in hits) == [
            "Switch to board MK — [@click=app.quit]x [b]", "Switch to board NWC — Northwind Coffee",
        ]
        trap = next(h for h in hits if "MK" in str(h.text))
        assert isinstance(trap.prompt, Content) and trap.prompt.plain == trap.text
        assert str(trap.help) == "open [that] board"
        trap.command()
    assert calls == ["MK"]


async def test_palette_shows_board_names_literally_and_runs_the_entry() -> None:
    calls: list[str] = []
    app = Host(entries=entries(calls))
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_command_palette()
        await pilot.pause()
        await pilot.press(*"mk")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        await palette.workers.wait_for_complete()
        await pilot.pause(0.3)  # the palette batches results on a timer
        shown = [str(o.prompt) for o in palette.query_one(OptionList).options]
        assert "Switch to board MK — [@click=app.quit]x [b]\nopen [that] board" in shown
        await pilot.press("down", "enter")
        await pilot.pause()
    assert calls == ["MK"]
