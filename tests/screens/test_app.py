"""The whole app: every board binding that opens a dialog, the palette, help, themes, keymaps, snapshots."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input

from organizer.config import Config, build_config
from organizer.services import cards
from organizer.storage.orm import Store
from screens.app import OrganizerApp
from screens.board import BoardScreen
from screens.dialogs import ConfirmDialog, HelpScreen, PickerDialog
from screens.forms import CardForm
from tests.screens.conftest import NOW, settle


def _board(app: OrganizerApp) -> BoardScreen:
    board = app._board_screen()
    assert board is not None
    return board


def _refs(store: Store, cfg: Config) -> set[str]:
    with store.read() as s:
        from organizer.validate import CardFilter

        return {c["id"] for c in cards.list_cards(s, cfg, CardFilter(include_done=True))}


async def test_n_adds_a_card_through_the_form_in_the_focused_column(demo_store: Store, cfg: Config,
                                                                    make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("l", "n")
        await settle(pilot)
        assert isinstance(app.screen, CardForm)
        app.screen.query_one("#form-title", Input).value = "Launch [draft] teaser"
        app.screen.query_one("#form-due", Input).value = "fryday"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CardForm), "a bad date keeps the form open"
        assert app.screen.query_one("#form-title", Input).value == "Launch [draft] teaser"
        app.screen.query_one("#form-due", Input).value = "fri 14:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        card = _board(app).current_card()
        assert card is not None and card.title == "Launch [draft] teaser"
    with demo_store.read() as s:
        view = cards.card_view(s, cfg, card.ref)
    assert view["column"] == "Planned" and view["due"] == "2026-11-27T14:30:00+01:00"


async def test_e_edits_the_focused_card_and_escape_cancels(demo_store: Store, cfg: Config,
                                                           make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, CardForm)
        assert app.screen.query_one("#form-title", Input).value.startswith("Series idea")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.query_one("#form-title", Input).value = "Renamed in the app"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with demo_store.read() as s:
        assert cards.card_view(s, cfg, "NWC-1")["title"] == "Renamed in the app"


async def test_d_asks_before_deleting_and_u_brings_it_back(demo_store: Store, cfg: Config,
                                                          make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert "NWC-1" in _refs(demo_store, cfg)
        await pilot.press("d", "y")
        await settle(pilot)
        assert "NWC-1" not in _refs(demo_store, cfg)
        assert _board(app).current_card().ref == "NWC-2"  # type: ignore[union-attr]
        await pilot.press("u")
        await settle(pilot)
        assert "NWC-1" in _refs(demo_store, cfg)


async def test_c_filters_by_channel(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("c")
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"tiktok", "enter")
        await settle(pilot)
        board = _board(app)
        shown = [c for items in board.items for c in items]
        assert shown and all("tiktok" in c.channels for c in shown)  # type: ignore[union-attr]
        await pilot.press("escape")
        assert board.view.channel is None


async def test_b_switches_board(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"CEO", "enter")
        await settle(pilot)
        board = _board(app)
        assert board.board is not None and board.board.key == "CEO"
        assert board.current_card().ref.startswith("CEO-")  # type: ignore[union-attr]


async def test_shift_n_lists_next_up_per_role_and_jumps(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("N")
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"Community", "enter")
        await settle(pilot)
        card = _board(app).current_card()
        assert card is not None and card.role == "community" and card.priority == 1


async def test_question_mark_shows_every_key(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(str(w.render()) for w in app.screen.query("*") if hasattr(w, "render"))
        for words in ("New", "Move", "Filter", "Next up", "Undo", "Lanes"):
            assert words in text
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)


async def test_command_palette_runs_actions_and_switches_boards(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"board CEO")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert _board(app).board.key == "CEO"  # type: ignore[union-attr]


async def test_q_quits(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("q")
    assert not app.is_running


async def test_keys_are_remappable_from_config(demo_store: Store, db_path: Path) -> None:
    cfg = build_config({"timezone": "Europe/Paris", "keys": {"board.new": "a", "board.down": "down,ctrl+n"}})
    app = OrganizerApp(str(db_path), cfg, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+n")
        assert _board(app).current_card().ref == "NWC-2"  # type: ignore[union-attr]
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, CardForm)


async def test_theme_choice_is_saved_in_config(demo_store: Store, db_path: Path, isolated_paths: Path) -> None:
    config = isolated_paths / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('# my settings\ntimezone = "Europe/Paris"\n\n[hours]\nsat = []\n')
    from organizer.config import load_config

    app = OrganizerApp(str(db_path), load_config(config), clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.theme = "nord"
        await pilot.pause()
    saved = config.read_text()
    assert 'theme = "nord"' in saved and "# my settings" in saved
    assert load_config(config).theme == "nord"


def test_board_snapshot_120x40(snap_compare, demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=settle)


def test_board_snapshot_80x24(snap_compare, demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    async def focus_in_progress(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("l", "l", "j")

    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=focus_in_progress)


def test_board_snapshot_swimlanes(snap_compare, demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    async def lanes(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("s", "l")

    assert snap_compare(make_app(), terminal_size=(120, 40), run_before=lanes)


async def test_right_click_opens_the_card_menu(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.click(_board(app).panes[0].view, offset=(5, 1), button=3)
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        await pilot.press(*"Planned", "enter")
        await settle(pilot)
    with demo_store.read() as s:
        assert cards.card_view(s, cfg, "NWC-1")["column"] == "Planned"


async def test_help_follows_remapped_keys(demo_store: Store, db_path: Path) -> None:
    cfg = build_config({"timezone": "Europe/Paris", "keys": {"board.new": "a"}})
    app = OrganizerApp(str(db_path), cfg, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        rows = {desc: keys for _, section in help_screen.sections for keys, desc in section}
        assert rows["New"] == "a"


async def test_palette_exports_the_calendar_to_a_prompted_path(demo_store: Store, make_app,
                                                               tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from screens.dialogs import PromptDialog

    app = make_app()
    target = tmp_path / "week.ics"
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("X")
        assert isinstance(app.screen, PromptDialog)
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
    body = target.read_bytes()
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and b"NWC-" in body


async def test_refresh_calendars_reports_each_calendar(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    from organizer.services import calendars

    ics = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:m1@x\r\n"
           b"DTSTAMP:20261120T000000Z\r\nDTSTART:20261126T140000Z\r\nDTEND:20261126T150000Z\r\n"
           b"SUMMARY:Board meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    with demo_store.write() as s:
        calendars.import_calendar(s, cfg, "Work", ics, now=NOW)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("Work: not refreshable" in m for m in messages)
