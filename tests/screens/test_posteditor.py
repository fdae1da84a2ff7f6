"""The post editor (screens/posteditor.py), driven by keys on the demo: counters follow the typing, a variant
over its limit shows the problem, saving is one undo step, and snapshots at 80×24 and 120×40."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static, TextArea

from organizer.config import Config
from organizer.services import cards
from organizer.storage.orm import Store
from organizer.validate import validate
from screens.posteditor import Counter, PostEditor
from tests.screens.conftest import NOW, settle

QUIET = 3600.0


@pytest.fixture
def post_card(demo_store: Store, cfg: Config) -> str:
    """A card at the top of Ideas with three channels and a master text."""
    with demo_store.write() as s:
        card = cards.add_card(s, cfg, validate({"title": "Roaster of the Year", "board": "NWC", "column": "Ideas",
                                                "channels": ["x", "linkedin", "instagram"],
                                                "post": "Shortlisted for Roaster of the Year! #coffee"},
                                               cfg, now=NOW, require_title=True))
        cards.reorder_card(s, cards.card_ref(s, card), -100)
        return cards.card_ref(s, card)


async def _open(pilot: Any) -> PostEditor:
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PostEditor)
    return screen


def _counter(screen: PostEditor, channel: str) -> str:
    return str(screen.query_one(f"#count-{channel}", Counter).content)


async def test_typing_updates_the_counter_and_an_overlong_variant_shows_the_problem(post_card: str,
                                                                                   make_app: Any) -> None:
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert screen.ref == post_card and screen.channels == ["x", "linkedin", "instagram"]
        await pilot.press("ctrl+d")  # draft every empty variant from the master
        await settle(pilot)
        x = screen.query_one("#text-x", TextArea)
        assert x.text == "Shortlisted for Roaster of the Year! #coffee"
        assert _counter(screen, "x").startswith("44/280 weighted characters")
        x.focus()
        await pilot.press("end", *" 你好")  # CJK weighs 2 on X
        await settle(pilot)
        assert _counter(screen, "x").startswith("49/280")
        x.load_text("a" * 281)
        await settle(pilot)
        assert _counter(screen, "x").startswith("281/280 weighted characters · 1 over")
        assert "1 over X's 280" in str(screen.query_one("#problems-x", Static).render())
    assert app.crash is None


async def test_saving_is_one_undo_step(post_card: str, make_app: Any, demo_store: Store, cfg: Config) -> None:
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("ctrl+d", "ctrl+s")
        await settle(pilot)
        assert not screen.dirty
        with demo_store.read() as s:
            assert [v["channel"] for v in cards.card_view(s, cfg, post_card)["variants"]] == \
                ["x", "linkedin", "instagram"]
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("u")  # the board's undo: the whole save goes back at once
        await settle(pilot)
        with demo_store.read() as s:
            assert cards.card_view(s, cfg, post_card)["variants"] == []
    assert app.crash is None


async def test_leaving_with_unsaved_text_asks_once(post_card: str, make_app: Any) -> None:
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await pilot.press("x", "y")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and any("Unsaved changes" in str(n.message) for n in app._notifications)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_post_editor_snapshot(snap_compare: Any, post_card: str, make_app: Any, size: tuple[int, int]) -> None:
    async def editor(pilot: Any) -> None:
        screen = await _open(pilot)
        await pilot.press("ctrl+d")
        await settle(pilot)
        # A blinking cursor and a toast on its timer would make the picture depend on the moment it is taken.
        for box in screen.query(TextArea):
            box.cursor_blink = False
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(make_app(watch_seconds=QUIET), terminal_size=size, run_before=editor)


async def test_f6_approves_from_the_editor(post_card: str, make_app: Any, demo_store: Store, cfg: Config) -> None:
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot)
        await pilot.press("f6")
        await settle(pilot)
        assert any("approved by" in str(n.message) for n in app._notifications)
    with demo_store.read() as s:
        assert [a["verdict"] for a in cards.card_view(s, cfg, post_card)["approvals"]] == ["approve"]
