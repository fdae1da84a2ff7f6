"""The Day plan, driven through the real app: timeline, edits, days, zoom, pop-ups, timer, live refresh."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, select
from textual.binding import Binding

from organizer.config import Config, build_config
from organizer.dates import format_duration
from organizer.models import PlanBlock
from organizer.services import busy, cards, dayview
from organizer.storage.orm import Store
from organizer.validate import validate
from screens.app import OrganizerApp
from screens.board import BoardScreen
from screens.capacity import CapacityScreen
from screens.dataservice import DataChange
from screens.dayplan import DayPlanScreen
from screens.forms import CardForm
from screens.timeline import TimelineView
from tests.screens.conftest import NOW, settle

# The app hears its own writes as changes (a second connection commits), and a board reload still running
# when a test ends fails on the torn-down board; tests that do not watch for other writers poll rarely.
QUIET = 3600

PARIS = ZoneInfo("Europe/Paris")
TODAY = date(2026, 11, 26)


async def _open(pilot, key: str = "f2") -> DayPlanScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DayPlanScreen)
    assert screen.view is not None
    return screen


async def _press(pilot, *keys: str) -> None:  # type: ignore[no-untyped-def]
    for key in keys:
        await pilot.press(key)
        await settle(pilot)


def _text(screen: DayPlanScreen) -> str:
    """Every line of the timeline, as drawn (scrolled or not)."""
    timeline = screen.query_one(TimelineView)
    top = timeline.scroll_offset.y
    return "\n".join("".join(seg.text for seg in timeline.render_line(i - top)) for i in range(len(timeline.lines)))


def _local(moment: datetime) -> str:
    return f"{moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(PARIS):%H:%M}"


def _stored(store: Store, ref: str) -> list[tuple[str, str, bool]]:
    """A card's stored blocks today as (start, end, pinned), local times."""
    with store.read() as s:
        card = cards.find_card(s, ref)
        rows = s.exec(select(PlanBlock).where(PlanBlock.card_id == card.id).order_by(col(PlanBlock.start_at)))
        return [(_local(b.start_at), _local(b.end_at), bool(b.pinned)) for b in rows if b.start_at and b.end_at]


def _select(screen: DayPlanScreen, ref: str) -> None:
    assert screen.select_block(ref), f"{ref} has no block today"


def _messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


async def test_shows_the_meeting_and_work_blocks_with_the_services_figures(demo_store: Store, cfg: Config,
                                                                            make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        meeting = next(b for b in screen.blocks if b.kind == "busy")
        assert meeting.title == "Weekly content meeting" and _local(meeting.start) == "10:00"
        assert any(b.kind == "work" for b in screen.blocks)
        text = _text(screen)
        assert "10:00–11:00 busy    Weekly content meeting" in text
        assert "10:00 ┼" in text and "09:00 ┿━━ now" in text  # hour labels in the gutter, the now line
        with demo_store.write() as s:
            fresh = dayview.day_view(s, cfg, TODAY, now=NOW)
        p = fresh.plan
        assert (p.planned_minutes, p.available_minutes, p.reserve_minutes, p.reserve_used_minutes) == (
            screen.view.plan.planned_minutes, screen.view.plan.available_minutes,  # type: ignore[union-attr]
            screen.view.plan.reserve_minutes, screen.view.plan.reserve_used_minutes)  # type: ignore[union-attr]
        header = str(screen.query_one("#plan-header").render())
        assert header.startswith("Thu 26 Nov · today")
        assert f"planned {format_duration(p.planned_minutes)} of {format_duration(p.available_minutes)}" in header
        assert (f"{format_duration(p.reserve_used_minutes)} used · {format_duration(fresh.reserve_left_minutes)} "
                "left") in header
        issues = str(screen.query_one("#plan-issues").render())
        assert "Not planned" in issues and "estimate used up" in issues


async def test_cursor_moves_between_blocks(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert screen.cursor == 0
        await _press(pilot, "j", "down")
        assert screen.cursor == 2
        await _press(pilot, "k")
        assert screen.cursor == 1
        await _press(pilot, "up", "up")
        assert screen.cursor == 0
        assert screen.current_block().ref in str(screen.query_one("#plan-focus").render())  # type: ignore[union-attr,operator]


async def test_nudges_move_the_stored_block_and_pin_it(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        assert _stored(demo_store, "NWC-14") == [("17:00", "17:05", False)]
        _select(screen, "NWC-14")  # the reserve follows it: room to move later
        await _press(pilot, "plus")
        assert _stored(demo_store, "NWC-14") == [("17:05", "17:10", True)]
        await _press(pilot, "minus")
        assert _stored(demo_store, "NWC-14") == [("17:00", "17:05", True)]
        await _press(pilot, "shift+down")  # into the reserve after it: placeholders give way to a hand edit
        assert _stored(demo_store, "NWC-14") == [("17:15", "17:20", True)]
        await _press(pilot, "K")
        assert _stored(demo_store, "NWC-14") == [("17:00", "17:05", True)]
        assert screen.current_block().ref == "NWC-14" and screen.current_block().pinned  # type: ignore[union-attr]
        assert "📌" in _text(screen)


async def test_a_nudge_into_another_block_snaps_past_it(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        _select(screen, "NWC-20")  # right after CEO-10: earlier means before it
        (start, end, _), ceo = _stored(demo_store, "NWC-20")[0], _stored(demo_store, "CEO-10")[0]
        assert start == ceo[1]
        await _press(pilot, "minus")
        moved = _stored(demo_store, "NWC-20")[0]
        length = datetime.strptime(end, "%H:%M") - datetime.strptime(start, "%H:%M")
        assert moved[1] <= ceo[0] and moved[2] is True  # before CEO-10, pinned
        assert datetime.strptime(moved[1], "%H:%M") - datetime.strptime(moved[0], "%H:%M") == length
        assert _stored(demo_store, "CEO-10")[0] == ceo  # the other block stays
        assert not any("overlap" in m for m in _messages(app))
        block = screen.current_block()
        assert block is not None and block.ref == "NWC-20" and _local(block.start) == moved[0]
        screen.cursor = next(i for i, b in enumerate(screen.blocks) if b.kind == "busy")
        await _press(pilot, "plus")
        assert any("calendar" in m for m in _messages(app))


async def test_resize_changes_the_end_and_split_gives_two_blocks(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        _select(screen, "CEO-7")
        await _press(pilot, "x")
        halves = _stored(demo_store, "CEO-7")
        assert halves[0][:1] == ("16:00",) and halves[-1][1] == "16:45" and len(halves) == 2
        assert all(pinned for *_, pinned in halves) and halves[0][1] == halves[1][0]
        assert screen.current_block().ref == "CEO-7"  # type: ignore[union-attr]
        assert _stored(demo_store, "NWC-14") == [("17:00", "17:05", False)]
        _select(screen, "NWC-14")  # the reserve follows it: room to grow
        await _press(pilot, "right_square_bracket", "right_square_bracket")
        assert _stored(demo_store, "NWC-14") == [("17:00", "17:15", True)]
        await _press(pilot, "left_square_bracket")
        assert _stored(demo_store, "NWC-14") == [("17:00", "17:10", True)]
        assert screen.current_block().start.astimezone(PARIS).strftime("%H:%M") == "17:00"  # type: ignore[union-attr]


async def test_shift_p_pins_and_unpins_and_p_does_not(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, "p")
        _select(screen, "NWC-10")
        await _press(pilot, "p")  # `p` means the Day plan everywhere: here it stays, and pins nothing
        assert app.screen is screen and _stored(demo_store, "NWC-10")[0][2] is False
        await _press(pilot, "P")
        assert _stored(demo_store, "NWC-10")[0][2] is True
        assert screen.current_block().pinned  # type: ignore[union-attr]
        await _press(pilot, "P")
        assert _stored(demo_store, "NWC-10")[0][2] is False
        assert not screen.current_block().pinned  # type: ignore[union-attr]


async def test_s_no_longer_splits(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        _select(screen, "CEO-7")
        before = _stored(demo_store, "CEO-7")
        await _press(pilot, "s")
        assert _stored(demo_store, "CEO-7") == before


async def test_mode_keys_mean_the_same_as_on_the_board(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, "p")
        await _press(pilot, "C")
        assert isinstance(app.screen, CapacityScreen)
        await _press(pilot, "C")
        assert isinstance(app.screen, CapacityScreen)
        await _press(pilot, "p")
        assert isinstance(app.screen, DayPlanScreen)
        await _press(pilot, "b")
        assert isinstance(app.screen, BoardScreen)


async def test_days_and_zoom(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        timeline = screen.query_one(TimelineView)
        await _press(pilot, "right")
        assert screen.day == date(2026, 11, 27) and screen.view.plan.day == screen.day  # type: ignore[union-attr]
        assert str(screen.query_one("#plan-header").render()).startswith("Fri 27 Nov · tomorrow")
        assert "now" not in _text(screen)
        await _press(pilot, "l", "h", "left", "left")
        assert screen.day == date(2026, 11, 25)
        await _press(pilot, "t")
        assert screen.day == TODAY
        assert timeline.rows_per_hour == 6
        lines = len(timeline.lines)
        await _press(pilot, "z")
        assert timeline.rows_per_hour == 12 and len(timeline.lines) > lines
        await _press(pilot, "z")
        assert timeline.rows_per_hour == 12  # 5 minutes a line is the finest
        await _press(pilot, "Z", "Z", "Z", "Z")
        assert timeline.rows_per_hour == 2
        assert "30 min a line" in str(screen.query_one("#plan-legend").render())
        # Every block keeps its labelled line, even where several start within one line's half hour.
        assert all(timeline.first_line(i) is not None for i in range(len(screen.blocks)))


async def test_a_weekend_day_says_there_is_no_working_time(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await _press(pilot, "l", "l")
        assert screen.day == date(2026, 11, 28) and not screen.blocks
        assert "no working time" in "".join(s.text for s in screen.query_one(TimelineView).render_line(1))


async def test_enter_jumps_to_the_card_on_its_board(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        _select(screen, "NWC-17")
        await _press(pilot, "enter")
        board = app.screen
        assert isinstance(board, BoardScreen)
        assert board.current_card().ref == "NWC-17"  # type: ignore[union-attr]
        screen = await _open(pilot, "p")
        _select(screen, "CEO-8")
        await _press(pilot, "enter")
        assert board.board.key == "CEO" and board.current_card().ref == "CEO-8"  # type: ignore[union-attr]


async def test_n_adds_a_popup_into_the_reserve(demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        used = screen.view.plan.reserve_used_minutes  # type: ignore[union-attr]
        await _press(pilot, "n")
        form = app.screen
        assert isinstance(form, CardForm)
        form.query_one("#form-title").value = "Press [bold]x[/bold]"  # type: ignore[attr-defined]
        form.query_one("#form-estimate").value = "10m"  # type: ignore[attr-defined]
        await _press(pilot, "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        block = next(b for b in screen.blocks if b.title == "Press [bold]x[/bold]")
        assert block.kind == "popup" and block.minutes == 10
        assert screen.view.plan.reserve_used_minutes == used + 10  # type: ignore[union-attr]
        assert screen.current_block() == block
        assert f"{block.ref}  Press [bold]x[/bold]" in _text(screen)
        # A P3 pop-up without a due time waits for the reserve's next slot (the end-of-day share here).
        assert any(m.startswith(f"Pop-up {block.ref} planned 17:") for m in _messages(app)), _messages(app)
        with demo_store.read() as s:
            assert cards.card_view(s, cfg, block.ref)["popup"] is True  # type: ignore[arg-type]


async def test_an_urgent_popup_from_elsewhere_is_placed_now_and_says_what_moved(
        demo_store: Store, cfg: Config, make_app) -> None:  # type: ignore[no-untyped-def]
    from organizer.services import schedule

    with demo_store.write() as s:
        schedule.in_session(s, cfg, NOW)  # the plan as it stood, then an urgent pop-up from another place
        new = cards.add_card(s, cfg, validate({"title": "Statement on the outage", "popup": "true", "priority": "1",
                                                "estimate_minutes": "40m", "board": "NWC", "due_at": "09:45"},
                                               cfg, now=NOW, require_title=True))
        ref = cards.card_ref(s, new)
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        first = screen.blocks[0]
        assert (first.ref, first.kind, _local(first.start)) == (ref, "popup", "09:00")
        assert screen.view.moved and all(m.ref != ref for m in screen.view.moved)  # type: ignore[union-attr]
        assert not any("Plan moved" in str(n.title) for n in app._notifications)  # found on opening: not news
        await _press(pilot, "r")  # re-plan now: nothing changed, nothing moves
        assert any(m == "Replanned: nothing moved" for m in _messages(app))
        with demo_store.write() as s:  # another process: a second urgent pop-up, and the plan made there
            cards.add_card(s, cfg, validate({"title": "Second statement", "popup": "true", "priority": "1",
                                             "estimate_minutes": "30m", "board": "NWC", "due_at": "10:00"},
                                            cfg, now=NOW, require_title=True))
            schedule.in_session(s, cfg, NOW + timedelta(minutes=1))
        app.data.changed.publish(DataChange(own=False))
        await settle(pilot)
        assert any("Plan moved" in str(n.title) for n in app._notifications)


async def test_space_starts_and_stops_the_timer(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        _select(screen, "NWC-17")
        await _press(pilot, "space")
        assert screen.view.timer is not None and screen.view.timer[0] == "NWC-17"  # type: ignore[union-attr]
        assert "⏱ NWC-17 0m" in str(screen.query_one("#plan-header").render())
        await _press(pilot, "space")
        assert screen.view.timer is None  # type: ignore[union-attr]
        assert any(m == "Stopped NWC-17 (+0m)" for m in _messages(app))


async def test_escape_and_b_go_back_to_the_board(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot)
        await _press(pilot, "escape")
        assert isinstance(app.screen, BoardScreen)
        await _open(pilot, "p")
        await _press(pilot, "b")
        assert isinstance(app.screen, BoardScreen)


async def test_busy_titles_render_literally(demo_store: Store, make_app) -> None:  # type: ignore[no-untyped-def]
    title = "[@click=app.quit]x [/bold]"
    start = datetime(2026, 11, 26, 16, 0, tzinfo=PARIS)
    with demo_store.write() as s:
        busy.add_busy(s, start, start + timedelta(minutes=30), title)
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        index = next(i for i, b in enumerate(screen.blocks) if b.title == title)
        assert f"16:00–16:30 busy    {title}" in _text(screen)
        screen.cursor = index
        screen.query_one(TimelineView).select(index)
        await pilot.pause()
        line = screen.query_one(TimelineView).first_line(index)
        offset = line - screen.query_one(TimelineView).scroll_offset.y  # type: ignore[operator]
        await pilot.click(TimelineView, offset=(30, offset + 1))  # + 1: the border
        await settle(pilot)
        assert app.is_running
        screen.action_move_cursor(0)
        assert title in str(screen.query_one("#plan-focus").render())


async def test_a_popup_added_elsewhere_appears_within_a_second(demo_store: Store, make_app, db_path: Path,
                                                                isolated_paths: Path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        env = dict(os.environ, ORGANIZER_DB=str(db_path), ORGANIZER_CONFIG=str(isolated_paths / "config.toml"))
        out = subprocess.run([sys.executable, "-m", "organizer", "add", "Crisis reply", "-b", "NWC", "--popup", "-e",
                              "20m"], env=env, check=True, capture_output=True, text=True).stdout.strip()
        # The app plans with its fixed clock (today 09:00): the pop-up lands in that day's plan, placed or not.
        loop = asyncio.get_running_loop()
        start = loop.time()
        refs: list[str] = []
        while loop.time() - start < 1.0:
            await pilot.pause(0.05)
            view = screen.view
            refs = [b.ref for b in view.blocks if b.ref] + [u.ref for u in view.plan.unplanned]  # type: ignore[union-attr]
            if out in refs:
                break
        assert out in refs, "the pop-up did not appear within a second"
        for _ in range(3):  # let the echo of the last reload pass before the app closes
            await pilot.pause(0.3)
            await settle(pilot)


def test_every_binding_has_a_unique_id() -> None:
    for screen, prefix in ((DayPlanScreen, "plan."), (CapacityScreen, "capacity.")):
        ids = [b.id for b in screen.BINDINGS if isinstance(b, Binding)]
        assert len(ids) == len(screen.BINDINGS) == len(set(ids))
        assert all(i and i.startswith(prefix) for i in ids)


async def test_keys_are_remapped_by_binding_id(demo_store: Store, db_path: Path) -> None:
    cfg = build_config({"timezone": "Europe/Paris", "keys": {"plan.zoom_in": "i", "plan.pin": "y"}})
    app = OrganizerApp(str(db_path), cfg, clock=lambda: NOW, watch_seconds=QUIET)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot)
        await _press(pilot, "i")
        assert screen.query_one(TimelineView).rows_per_hour == 12
        _select(screen, "NWC-10")
        await _press(pilot, "y")  # a remap made for the old `p` still pins, by its id
        assert _stored(demo_store, "NWC-10")[0][2] is True


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)], ids=["80x24", "120x40", "200x50"])
def test_day_plan_snapshot(snap_compare, demo_store: Store, make_app, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def plan(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot)
        await _press(pilot, "j", "j")

    assert snap_compare(make_app(watch_seconds=QUIET), terminal_size=size, run_before=plan)


@pytest.mark.parametrize("width", [80, 120, 200])
async def test_the_header_fits_and_keeps_what_matters(demo_store: Store, make_app, width: int) -> None:  # type: ignore[no-untyped-def]
    app = make_app(watch_seconds=QUIET)
    async with app.run_test(size=(width, 24)) as pilot:
        screen = await _open(pilot)
        _select(screen, "NWC-17")
        await _press(pilot, "space")  # a running timer is always shown
        header = screen.query_one("#plan-header")
        text = str(header.render())
        assert len(text.rstrip()) <= width - 2 and "…" not in text, text
        p = screen.view.plan  # type: ignore[union-attr]
        assert text.startswith("Thu 26 Nov · today")
        assert format_duration(p.planned_minutes) in text and format_duration(p.available_minutes) in text
        assert "left" in text or "over!" in text
        assert "⏱ NWC-17 0m" in text
        legend = str(screen.query_one("#plan-legend").render())
        assert "10 min a line" in legend and len(legend.rstrip()) <= width - 2
