"""The app's data service (screens/dataservice.py): writes land in order, failures are shown, quitting keeps them.

Driven through the real app and keys, on the demo; the database is then read back through the services.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from organizer import templates
from organizer.config import Config
from organizer.services import cards
from organizer.storage.orm import Store
from organizer.validate import CardFilter
from tests.screens.conftest import board_screen, settle


def _column_cards(store: Store, cfg: Config, column: str) -> list[str]:
    with store.read() as s:
        return [c["id"] for c in cards.list_cards(s, cfg, CardFilter(board="NWC", column=column,
                                                                           include_done=True))]


async def test_a_quick_run_of_moves_lands_as_the_board_shows_it(demo_store: Store, cfg: Config,
                                                              make_app: Any) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = board_screen(app)
        ref = board.current_card().ref  # type: ignore[union-attr]
        await pilot.press("L", "L", "H", "L", "J")  # right, right, back, right, then one down: no pause between
        await settle(pilot)
        shown = [(col.name, [c.ref for c in col.cards]) for col in board.board.columns]  # type: ignore[union-attr]
        assert app.crash is None
    where = next(name for name, refs in shown if ref in refs)
    assert where != shown[0][0]
    assert _column_cards(demo_store, cfg, where) == next(refs for name, refs in shown if name == where)


async def test_a_failed_write_is_shown_and_the_board_takes_the_move_back(demo_store: Store, cfg: Config,
                                                                         make_app: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = board_screen(app)
        ref = board.current_card().ref  # type: ignore[union-attr]
        first = board.board.columns[0].name  # type: ignore[union-attr]

        def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("the disk went away")

        monkeypatch.setattr(app.data.storage, "move_card", broken)
        await pilot.press("L")
        await settle(pilot)
        notes = [(str(n.title), str(n.message)) for n in app._notifications]
        assert any(title == "Not saved" and "the disk went away" in message for title, message in notes), notes
        # The board re-read the database: the card is back where it is stored.
        assert ref in [c.ref for c in board.board.columns[0].cards]  # type: ignore[union-attr]
        assert app.crash is None and app.is_running
    assert ref in _column_cards(demo_store, cfg, first)


async def test_quitting_right_after_a_move_keeps_it(demo_store: Store, cfg: Config, make_app: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = board_screen(app)
        ref = board.current_card().ref  # type: ignore[union-attr]
        second = board.board.columns[1].name  # type: ignore[union-attr]
        move = app.data.storage.move_card

        def slow(*args: Any, **kwargs: Any) -> None:
            time.sleep(0.5)  # a slow disk or server: the move is still on its way when the app closes
            move(*args, **kwargs)

        monkeypatch.setattr(app.data.storage, "move_card", slow)
        await pilot.press("L")
        await pilot.press("q")
    # The app closed only once the move had landed (a worker thread dies with the process after `organizer`).
    assert ref in _column_cards(demo_store, cfg, second)


async def test_the_boards_moves_stop_at_the_approval_gate_and_a_approves(demo_store: Store, db_path: Any) -> None:
    from organizer.config import build_config
    from screens.app import OrganizerApp
    from tests.screens.conftest import NOW

    cfg = build_config({"timezone": "Europe/Paris", "user": "Sam", "approval": {"NWC": {"required": 1}}})
    app = OrganizerApp(str(db_path), cfg, clock=lambda: NOW, watch_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = board_screen(app)
        review = next(i for i, c in enumerate(board.board.columns) if c.name == "Review")  # type: ignore[union-attr]
        for _ in range(review):
            await pilot.press("l")
        card = board.current_card()
        assert card is not None and card.approval == "needed"
        await pilot.press("L")
        await settle(pilot)
        assert any("needs approval" in str(n.message) for n in app._notifications)
        assert card.ref in [c.ref for c in board.board.columns[review].cards]  # type: ignore[union-attr]
        await pilot.press("a")
        await settle(pilot)
        assert board.current_card().approval == "approved"  # type: ignore[union-attr]
        await pilot.press("L")
        await settle(pilot)
        assert card.ref in [c.ref for c in board.board.columns[review + 1].cards]  # type: ignore[union-attr]
    assert app.crash is None


async def test_new_from_template_previews_the_backward_schedule_then_creates(demo_store: Store, make_app: Any,
                                                                             cfg: Any) -> None:
    from screens.dialogs import PreviewDialog, PromptDialog

    app = make_app(watch_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.new_from_template()
        await pilot.pause()
        await pilot.press(*"newsletter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        await pilot.press(*"December issue", "enter")
        await settle(pilot)
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("ctrl+u", *"2026-12-14 10:00", "enter")  # ctrl+u empties the suggested time
        await settle(pilot)
        preview = app.screen
        assert isinstance(preview, PreviewDialog)
        assert "December issue" in preview.question and "Write: December issue" in preview.question
        await pilot.press("y")
        await settle(pilot)
        assert any("Created NWC-" in str(n.message) for n in app._notifications)
    with demo_store.read() as s:
        made = cards.list_cards(s, cfg, CardFilter(board="NWC", include_done=True))
        piece = next(c for c in made if c["title"] == "December issue")
        assert piece["publish"].startswith("2026-12-14T10:00")
        assert len(cards.card_view(s, cfg, piece["id"])["steps"]) == 4


async def test_moving_a_pieces_publish_time_in_the_form_offers_to_reschedule(cli: Any, make_app: Any) -> None:
    import asyncio
    import json
    from datetime import UTC, datetime

    from screens.dialogs import ConfirmDialog

    made = json.loads(cli("new", "newsletter", "December issue", "--publish", "2026-12-04 10:00", "--json").out)
    last = made["steps"][-1]["id"]
    before = json.loads(cli("show", last, "--json").out)["due"]
    app = make_app(watch_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        # As the form saves: in a worker thread.
        await asyncio.to_thread(app.data.save_card, {"publish_at": "2026-12-11 10:00"}, ref=made["card"],
                                board_key=None, now=datetime.now(UTC))
        await settle(pilot)
        assert isinstance(app.screen, ConfirmDialog) and "4 unfinished step(s)" in app.screen.question
        await pilot.press("y")
        await settle(pilot)
    after = json.loads(cli("show", last, "--json").out)["due"]
    assert after > before and after.startswith("2026-12-1")


def test_template_preview_snapshot(snap_compare: Any, demo_store: Store, make_app: Any) -> None:
    async def preview(pilot: Any) -> None:
        await settle(pilot)
        pilot.app.new_from_template()
        await pilot.pause()
        await pilot.press(*"video-30s", "enter")
        await settle(pilot)
        await pilot.press(*"Winter Blend reel", "enter")
        await settle(pilot)
        await pilot.press("ctrl+u", *"2026-12-04 08:30", "enter")
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(make_app(watch_seconds=3600), terminal_size=(120, 40), run_before=preview)


async def test_the_template_preview_says_what_moves_to_make_room(demo_store: Store, cfg: Config, make_app: Any) -> None:
    from screens.dialogs import PreviewDialog

    app = make_app(watch_seconds=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app._preview_piece(templates.find(app.cfg, "video-30s"), "Winter Blend reel", "2026-11-27 17:00")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, PreviewDialog), app.screen
        assert "To make room, the plan moves less urgent work:" in dialog.question
        # A short terminal: the schedule scrolls, the buttons stay in view.
        assert dialog.query_one("#confirm-yes").region.bottom <= 24
        await pilot.press("y")
        await settle(pilot)
    with demo_store.read() as s:
        made = [c for c in cards.list_cards(s, cfg, CardFilter()) if c["title"] == "Winter Blend reel"]
    assert len(made) == 1


async def test_the_new_card_form_makes_a_piece_from_a_template(demo_store: Store, make_app: Any) -> None:
    from textual.widgets import Input, Select

    from screens.dialogs import PreviewDialog
    from screens.forms import CardForm

    app = make_app(watch_seconds=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CardForm) and "newsletter" in form.templates
        form.query_one("#form-title", Input).value = "December issue"
        form.query_one("#form-template", Select).value = "newsletter"
        await pilot.press("ctrl+s")  # no publish time yet: refused, the form keeps what was typed
        await settle(pilot)
        assert app.screen is form and "needs its publish time" in str(form.query_one("#form-error").render())
        form.query_one("#form-publish", Input).value = "2026-12-14 10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PreviewDialog) and "Write: December issue" in app.screen.question
