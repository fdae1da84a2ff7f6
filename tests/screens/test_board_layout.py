"""The board fits the terminal, and the keys a newcomer needs: D done, m move to, f fold, the footer."""

from __future__ import annotations

import re

import pytest

from organizer.config import Config
from organizer.services import cards
from organizer.storage.orm import Store
from screens.boardlayout import FIT_MIN, FOLDED_WIDTH, SCROLL_MIN, column_widths
from screens.dialogs import PickerDialog
from screens.footer import KeyFooter, fit_keys
from screens.uistate import folded_columns
from tests.screens.conftest import board_screen as _board
from tests.screens.conftest import settle


@pytest.mark.parametrize("width", [112, 120, 160, 200, 250])
def test_every_column_shares_the_width_when_they_fit(width: int) -> None:
    widths = column_widths(width, [False] * 7)
    assert sum(widths) == width and max(widths) - min(widths) <= 1 and min(widths) >= FIT_MIN


@pytest.mark.parametrize("width", [40, 80, 100, 111])
def test_narrow_terminals_scroll_with_whole_columns(width: int) -> None:
    widths = column_widths(width, [False] * 7)
    assert len(set(widths)) == 1 and widths[0] >= SCROLL_MIN
    assert (width // widths[0]) * widths[0] <= width  # whole columns fill the screen


def test_folded_columns_give_their_width_to_the_others() -> None:
    widths = column_widths(120, [False, False, False, False, False, True, True])
    assert widths[5:] == [FOLDED_WIDTH, FOLDED_WIDTH]
    assert sum(widths) == 120 and min(widths[:5]) == 120 // 5 - 2


async def test_all_seven_columns_are_whole_on_screen_at_120x40(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        assert len(board.panes) == 7
        for pane in board.panes:
            region = pane.region
            assert region.x >= 0 and region.right <= 120 and region.width >= FIT_MIN, (pane.index, region)
        # Every card keeps its due time and its estimate on screen.
        view = board.panes[1].view
        text = "\n".join("".join(seg.text for seg in view.render_line(y)) for y in range(view.card_height))
        assert re.search(r"\b\d\d:\d\d\b", text) and "1h" in text, text


async def test_the_focused_column_is_whole_on_screen_when_the_board_scrolls(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        board = _board(app)
        for _ in range(6):
            await pilot.press("l")
            await settle(pilot)
            pane = board.panes[board.focused_column]
            columns = board.query_one("#columns")
            x = pane.region.x - columns.region.x
            assert x >= 0 and x + pane.region.width <= 80, (board.focused_column, pane.region)


async def test_d_marks_the_card_done(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        card = board.current_card()
        assert card is not None and card.ref == "NWC-1"
        await pilot.press("D")
        await settle(pilot)
        assert board.current_card() is not None and board.current_card().ref == "NWC-1"  # type: ignore[union-attr]
        assert board.board is not None and board.board.columns[board.focused_column].is_done
    with demo_store.read() as s:
        view = cards.card_view(s, cfg, "NWC-1")
    assert view["column"] == "Published"


async def test_m_moves_to_a_column_picked_by_name(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, PickerDialog)
        assert "esc cancel" in str(app.screen.query_one(".dialog-keys").render())
        await pilot.press(*"sched", "enter")
        await settle(pilot)
    with demo_store.read() as s:
        assert cards.card_view(s, cfg, "NWC-1")["column"] == "Scheduled"


async def test_f_folds_a_column_and_the_board_remembers(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        board = _board(app)
        assert board.panes[0].region.width == FOLDED_WIDTH
        assert sum(p.region.width for p in board.panes) == 120
    assert folded_columns(app.location, "NWC") == {"Ideas"}
    again = make_app()
    async with again.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert _board(again).panes[0].region.width == FOLDED_WIDTH
        await pilot.press("f")
        await settle(pilot)
        assert _board(again).panes[0].region.width > FOLDED_WIDTH
    assert folded_columns(again.location, "NWC") == set()


def test_footer_keeps_help_when_narrow() -> None:
    keys = [("n", "New"), ("e", "Edit"), ("D", "Done"), ("m", "Move to")]
    pinned = [("?", "Keys"), ("^p", "palette")]
    assert fit_keys(keys, pinned, 200) == keys + pinned
    assert fit_keys(keys, pinned, 34) == [("n", "New"), ("e", "Edit"), *pinned]
    assert fit_keys(keys, pinned, 33) == [("n", "New"), *pinned]
    assert fit_keys(keys, pinned, 5) == pinned


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)])
async def test_footer_shows_help_at_every_size(demo_store: Store, make_app, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        text = str(app.screen.query_one(KeyFooter).render())
        assert "? Keys" in text and text.startswith(" n New")
        assert len(text) <= size[0]


def test_board_snapshot_200x50(snap_compare, demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(), terminal_size=(200, 50), run_before=settle)


async def test_palette_finds_a_card_by_a_word_of_its_notes_on_another_board(demo_store: Store, cfg: Config,
                                                                             make_app) -> None:  # type: ignore[no-untyped-def]
    from organizer.validate import validate
    from tests.screens.conftest import NOW

    with demo_store.write() as s:
        card = cards.add_card(s, cfg, validate({"title": "Thank the bakery", "board": "CEO",
                                                "notes": "mention the quokka mural"}, cfg, now=NOW,
                                               require_title=True))
        ref = cards.card_ref(s, card)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert _board(app).board.key == "NWC"  # type: ignore[union-attr]
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"quokka")
        await pilot.pause(0.5)  # the palette debounces, and the card search runs in a thread
        await pilot.press("enter")
        await settle(pilot)
        board = _board(app)
        assert board.board is not None and board.board.key == "CEO"
        assert board.current_card() is not None and board.current_card().ref == ref  # type: ignore[union-attr]


def test_palette_names_actions_by_what_they_do_with_their_keys(demo_store: Store) -> None:
    from screens.keys import BOARD_BINDINGS, LONG_NAMES

    ids = {b.id for b in BOARD_BINDINGS if getattr(b, "show", True)}  # type: ignore[union-attr]
    assert ids <= set(LONG_NAMES)


async def test_slash_takes_the_filter_language_and_names_a_bad_term(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    from textual.widgets import Input

    from organizer.boardview import CardRow

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        board = _board(app)
        await pilot.press("slash", *"@writer !2")
        await pilot.pause()
        shown = [i for items in board.items for i in items if isinstance(i, CardRow)]
        assert shown and all(c.role == "writer" and c.priority == 2 for c in shown)
        assert "@writer !2" in str(board.query_one("#board-title").render())
        box = board.query_one("#filter", Input)
        assert not box.has_class("-invalid-filter")
        await pilot.press("space", "!", "7")
        await pilot.pause()
        assert box.has_class("-invalid-filter") and "'!7'" in str(box.border_subtitle)
        # The bad term is left out, the rest still filters.
        assert [i for items in board.items for i in items if isinstance(i, CardRow)] == shown
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert sum(isinstance(i, CardRow) for items in board.items for i in items) == sum(
            len(c.cards) for c in board.board.columns)  # type: ignore[union-attr]
