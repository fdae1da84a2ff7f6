"""Capacity, driven through the real app: the two-week heatmap, overcommitted days, reserve and estimates."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from organizer.config import Config, build_config
from organizer.models import PlanBlock
from organizer.planner import Capacity
from organizer.services import busy, cards
from organizer.storage.orm import Store
from screens.app import OrganizerApp
from screens.board import BoardScreen
from screens.capacity import CapacityScreen, level, weekly
from tests.screens.conftest import NOW, settle

# The app hears its own writes as changes (a second connection commits), and a board reload still running
# when a test ends fails on the torn-down board; tests that do not watch for other writers poll rarely.
QUIET = 3600


async def _open(pilot, key: str = "f3") -> CapacityScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CapacityScreen)
    assert screen.data is not None
    return screen


def _text(screen: CapacityScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_fourteen_days_from_today_with_a_row_per_role(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert [c.day for c in screen.data.loads] == [  # type: ignore[union-attr]
            date(2026, 11, 26) + timedelta(days=i) for i in range(14)]
        grid = _text(screen, "#heatmap").splitlines()
        assert grid[0].split() == ["Thu", "26", "Fri", "27", "Sat", "28", "Sun", "29", "Mon", "30", "Tue", "1",
                                   "Wed", "2", "Thu", "3", "Fri", "4", "Sat", "5", "Sun", "6", "Mon", "7", "Tue", "8",
                                   "Wed", "9"]
        labels = [line[:17].strip() for line in grid[2:12]]
        assert labels == ["STRAT strategist", "WRITE writer", "PROD  producer", "PLAN  planner", "COMM  community",
                          "DATA  analyst", "busy", "reserve", "total", "available"]
        busy_row = next(line for line in grid if line.startswith("busy"))
        assert busy_row[17:24] == "░   60 "  # the weekly meeting, shaded by its share of the day
        saturday = next(line for line in grid if line.startswith("total"))[17 + 2 * 7: 17 + 3 * 7]
        assert saturday.strip() == "·"  # no working time at the weekend


async def test_an_overcommitted_day_is_flagged_with_its_reasons(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        flags = _text(screen, "#heatmap").splitlines()[1]
        assert flags[17:23] == "▲ over"  # today: overdue cards
        assert "▲ Thu 26 Nov: late: CEO-10, NWC-20, NWC-17" in _text(screen, "#capacity-over")


async def test_load_over_the_available_time_is_overcommitted(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    tz = ZoneInfo("Europe/Paris")
    with demo_store.write() as s:  # work pinned on Saturday, a day without working hours
        card = cards.find_card(s, "NWC-16")
        s.add(PlanBlock(day=date(2026, 11, 28), start_at=datetime(2026, 11, 28, 10, 0, tzinfo=tz),
                        end_at=datetime(2026, 11, 28, 11, 0, tzinfo=tz), kind="work", card_id=card.id, pinned=True))
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert "▲ Sat 28 Nov: load 1h > 0m available" in _text(screen, "#capacity-over")
        assert _text(screen, "#heatmap").splitlines()[1][17 + 2 * 7:][:6] == "▲ over"


async def test_reserve_per_week_and_the_hint(demo_store: Store, db_path: Path) -> None:
    cfg = build_config({"timezone": "Europe/Paris", "reserve_ratio": 0.0})
    app = OrganizerApp(str(db_path), cfg, clock=lambda: NOW, watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        reserve = _text(screen, "#capacity-reserve")
        assert reserve.splitlines()[1].startswith("W48  Thu 26–Sun 29 Nov  pop-ups 55m of ")
        assert "W49" in reserve and "W50" in reserve
        assert "over the 3 weeks shown: raise the reserve?" in reserve


async def test_no_hint_when_the_reserve_covers_the_popups(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        reserve = _text(screen, "#capacity-reserve")
        assert "raise the reserve" not in reserve and "within the 20 % reserve" in reserve


def test_weekly_hint_wording() -> None:
    def day(d: date, available: int, popups: int) -> Capacity:
        return Capacity(d, available, 0, available, 0, available // 5, min(popups, available // 5), popups, 0, ())

    monday = date(2026, 11, 2)
    loads = [day(monday + timedelta(days=i), 400 if i % 7 < 5 else 0, 124 if i % 7 < 5 else 0) for i in range(28)]
    lines, hint = weekly(loads, 0.2)
    assert len(lines) == 4 and lines[0].startswith("W45  Mon 2–Sun 8 Nov  pop-ups 10h20m of 33h20m available = 31 %")
    assert hint == "pop-ups took 31 % over the 4 weeks shown: raise the reserve? (reserve_ratio is 20 %)"
    assert [level(x) for x in (0, 0.1, 0.3, 0.6, 1.0, 1.2)] == [0, 1, 2, 3, 4, 5]


async def test_estimate_accuracy_per_role(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        accuracy = _text(screen, "#capacity-accuracy")
        # The demo's board and its quarter of published posts (organizer.demo_analytics), at the fixed clock.
        assert "WRITE writer 105 % of estimate over 57 cards (36h55m estimated, 38h55m spent)" in accuracy
        assert "COMM  community 113 % of estimate over 8 cards " in accuracy


async def test_refresh_and_live_changes_reload(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert screen.data.loads[7].busy_minutes == 0  # type: ignore[union-attr]
        tz = ZoneInfo("Europe/Paris")
        with demo_store.write() as s:
            busy.add_busy(s, datetime(2026, 12, 3, 9, 0, tzinfo=tz), datetime(2026, 12, 3, 10, 0, tzinfo=tz), "Shoot")
        await pilot.pause(0.3)
        await settle(pilot)
        assert screen.data.loads[7].busy_minutes == 60  # type: ignore[union-attr]
        first = screen.data
        await pilot.press("r")
        await settle(pilot)
        assert screen.data is not first and screen.data.loads == first.loads  # type: ignore[union-attr]
        for _ in range(3):  # let the board's reload for that change finish before the app closes
            await pilot.pause(0.2)
            await settle(pilot)


async def test_capacity_does_not_rewrite_the_plan(demo_store: Store, make_app, db_path: Path) -> None:  # type: ignore[no-untyped-def]
    from organizer.services import schedule

    schedule.read(str(db_path), build_config({"timezone": "Europe/Paris"}), NOW)  # the plan is current
    watch = sqlite3.connect(db_path)  # PRAGMA data_version moves when another connection commits
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        version = watch.execute("PRAGMA data_version").fetchone()[0]
        await _open(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert watch.execute("PRAGMA data_version").fetchone()[0] == version
    watch.close()


async def test_escape_and_b_go_back_to_the_board(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot)
        await pilot.press("escape")
        assert isinstance(app.screen, BoardScreen)
        await _open(pilot, "C")
        await pilot.press("b")
        assert isinstance(app.screen, BoardScreen)


async def test_p_opens_the_day_plan_and_c_stays(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    from screens.dayplan import DayPlanScreen

    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, "C")
        await pilot.press("C")
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, DayPlanScreen)


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)], ids=["80x24", "120x40", "200x50"])
def test_capacity_snapshot(snap_compare, demo_store: Store, make_app, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def capacity(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot)

    assert snap_compare(make_app(watch_seconds=QUIET), terminal_size=size, run_before=capacity)


async def test_a_narrow_terminal_shows_fewer_days_unwrapped_and_arrows_bring_the_others(
        demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        grid = _text(screen, "#heatmap").splitlines()
        assert all(len(line) <= 77 for line in grid), grid
        assert grid[0].split()[:2] == ["Thu", "26"] and len(grid[0].split()) == 2 * 9  # 9 of the 14 days
        assert [line[:10].strip() for line in grid[2:12]] == [
            "STRAT", "WRITE", "PROD", "PLAN", "COMM", "DATA", "busy", "reserve", "total", "available"]
        assert "9 of 14 days" in _text(screen, "#capacity-title")
        for _ in range(6):
            await pilot.press("l")
        await settle(pilot)
        grid = _text(screen, "#heatmap").splitlines()
        assert grid[0].split()[:2] == ["Tue", "1"] and grid[0].split()[-2:] == ["Wed", "9"]  # the last 9 days
        await pilot.press("left")
        await settle(pilot)
        assert _text(screen, "#heatmap").splitlines()[0].split()[:2] == ["Mon", "30"]


def test_grid_layout_and_legend() -> None:
    from screens.capacity import CELL, LABEL, SHORT_LABEL, layout, legend

    assert layout(LABEL + 14 * CELL, 14) == (LABEL, 14)
    assert layout(77, 14) == (SHORT_LABEL, 9)
    assert layout(20, 14) == (SHORT_LABEL, 1)
    text = legend()
    assert "█! over" in text and "▲ over: the day is overcommitted" in text and "red" not in text


async def test_over_the_day_is_marked_in_text_and_colours_survive_256_and_16_colours(
        demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    from rich.color import ColorSystem

    from screens.capacity import Heatmap

    tz = ZoneInfo("Europe/Paris")
    with demo_store.write() as s:  # two hours of work pinned on a Saturday: over the day's (zero) time
        card = cards.find_card(s, "NWC-16")
        s.add(PlanBlock(day=date(2026, 11, 28), start_at=datetime(2026, 11, 28, 10, 0, tzinfo=tz),
                        end_at=datetime(2026, 11, 28, 12, 0, tzinfo=tz), kind="work", card_id=card.id, pinned=True))
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        total = next(line for line in _text(screen, "#heatmap").splitlines() if line.startswith("total"))
        assert total[17 + 2 * 7:][:6] == "█! 120"  # the mark says "over" without colour
        heat = screen.query_one(Heatmap)
        eight = [heat.get_component_rich_style(f"heatmap--l{n}").bgcolor.downgrade(  # type: ignore[union-attr]
            ColorSystem.EIGHT_BIT) for n in range(1, 6)]
        sixteen = [heat.get_component_rich_style(f"heatmap--l{n}").bgcolor.downgrade(  # type: ignore[union-attr]
            ColorSystem.STANDARD).number for n in range(1, 6)]
        assert len({c.number for c in eight}) == 5  # five distinct 256-colour cells
        reds = {1, 9}  # red and bright red in 16 colours
        assert sixteen[4] in reds and not reds & set(sixteen[:4]), sixteen
        r, g, b = eight[4].get_truecolor()
        assert r > 150 and g < 50 and b < 50  # over is red in 256 colours
        for colour in eight[:4]:
            r, g, b = colour.get_truecolor()
            assert b >= r and g >= r, colour  # the others are blue / cyan, never reddish
