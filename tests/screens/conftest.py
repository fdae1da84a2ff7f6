"""Fixtures for driving the real app headlessly on a temporary database with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from organizer.config import Config
from organizer.demo import load_demo
from organizer.storage.orm import Store
from screens.app import OrganizerApp
from screens.board import BoardScreen

# Thursday 26 November 2026, 09:00 in Paris: the clock every app test and snapshot sees.
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


@pytest.fixture
def demo_store(store: Store, cfg: Config) -> Store:
    """The demo boards, dated from the fixed clock."""
    load_demo(store, cfg, now=NOW)
    return store


@pytest.fixture
def make_app(db_path: Path, cfg: Config):  # type: ignore[no-untyped-def]
    """Build an app on the test database with the fixed clock."""

    def build(**kw: object) -> OrganizerApp:
        return OrganizerApp(str(db_path), cfg, clock=lambda: NOW, **kw)  # type: ignore[arg-type]

    return build


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait until workers are done and the screen has caught up."""
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def board_screen(app) -> BoardScreen:  # type: ignore[no-untyped-def]
    """The app's open screen, which must be the board."""
    screen = app.screen
    assert isinstance(screen, BoardScreen)
    return screen
