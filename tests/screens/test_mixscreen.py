"""The Mix screen (F4): the board shown, its pillars and channels against the targets, in words and bars."""

from __future__ import annotations

from typing import Any

from textual.widgets import Static

from organizer.config import build_config
from organizer.storage.orm import Store
from screens.app import OrganizerApp
from screens.mixscreen import MixScreen
from tests.screens.conftest import NOW, settle

TARGETS = {"NWC": {"pillars": {"education": 40, "community": 20, "product": 15, "culture": 25}}}


def _app(db_path: Any) -> OrganizerApp:
    cfg = build_config({"timezone": "Europe/Paris", "mix": TARGETS})
    return OrganizerApp(str(db_path), cfg, clock=lambda: NOW, watch_seconds=3600)


async def test_f4_shows_the_mix_of_the_board_shown(demo_store: Store, db_path: Any) -> None:
    app = _app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MixScreen) and screen.mix is not None and screen.mix.board == "NWC"
        pillars = str(screen.query_one("#mix-pillars", Static).render())
        for name in ("education", "community", "product", "culture"):
            assert name in pillars
        assert "points over" in pillars or "points under" in pillars or "on target" in pillars
        names = [s.name for s in screen.mix.pillars]
        assert names[:4] == ["education", "community", "product", "culture"]  # targets first, the rest after
        await pilot.press("M")
        await settle(pilot)
        assert "this week" in str(screen.query_one("#mix-title", Static).render())
        await pilot.press("b")
        await settle(pilot)
        assert not isinstance(app.screen, MixScreen)
    assert app.crash is None


def test_mix_snapshot(snap_compare: Any, demo_store: Store, db_path: Any) -> None:
    async def open_mix(pilot: Any) -> None:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)

    assert snap_compare(_app(db_path), terminal_size=(120, 40), run_before=open_mix)
