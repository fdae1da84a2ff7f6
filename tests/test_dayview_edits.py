"""Day plan hand edits in the service: a nudge snaps to the nearest free time, growing stops at the neighbour."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from organizer.config import Config
from organizer.models import PlanBlock
from organizer.services import busy, cards, dayview
from organizer.services.dayview import MIN_BLOCK, snap, stretch
from organizer.storage.orm import Store
from organizer.validate import InputError, validate

DAY = date(2026, 11, 26)


pytestmark = pytest.mark.backends


def t(hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return datetime(2026, 11, 26, h, m, tzinfo=UTC)


def m(n: int) -> timedelta:
    return timedelta(minutes=n)


def spans(*pairs: str) -> list[tuple[datetime, datetime]]:
    return [(t(a), t(b)) for a, b in (p.split("-") for p in pairs)]


# --- snap (pure) ---------------------------------------------------------------------------------------
def test_a_free_place_is_taken_as_asked() -> None:
    assert snap(t("10:00"), m(30), m(5), spans("11:00-12:00")) == t("10:05")
    assert snap(t("10:00"), m(30), m(-15), spans("09:00-09:40")) == t("09:45")
    assert snap(t("10:00"), m(30), m(0), spans("10:00-10:30")) == t("10:00")


def test_up_against_the_next_block_a_nudge_jumps_past_it() -> None:
    # 10:00–10:30 touching 10:30–11:00: +5 lands right after the neighbour, not on it.
    assert snap(t("10:00"), m(30), m(5), spans("10:30-11:00")) == t("11:00")
    assert snap(t("10:30"), m(30), m(-5), spans("10:00-10:30")) == t("09:30")


def test_past_a_run_of_blocks_to_the_first_gap_that_fits() -> None:
    taken = spans("10:30-11:00", "11:10-11:40", "11:55-12:30")  # gaps of 10 and 15 min: too short for 30
    assert snap(t("10:00"), m(30), m(5), taken) == t("12:30")
    assert snap(t("12:30"), m(30), m(-5), taken) == t("10:00")


def test_with_a_little_room_it_stops_up_against_the_neighbour() -> None:
    # 3 min free before the next block: +5 moves 3 (nearer to what was asked than jumping past, to 11:00).
    assert snap(t("10:00"), m(30), m(5), spans("10:33-11:00")) == t("10:03")
    assert snap(t("10:00"), m(30), m(-5), spans("09:00-09:57")) == t("09:57")
    # A long nudge nearer to the far side goes past: +25 wants 10:25, past the 10-minute block is 10:40.
    assert snap(t("10:00"), m(30), m(25), spans("10:30-10:40")) == t("10:40")


def test_busy_time_and_blocks_count_alike_and_reach_is_bounded() -> None:
    assert snap(t("10:00"), m(30), m(5), spans("10:30-10:45", "10:45-11:00")) == t("11:00")
    wall = [(t("10:30"), t("10:30") + timedelta(days=3))]
    assert snap(t("10:00"), m(30), m(5), wall) is None


# --- stretch (pure) ------------------------------------------------------------------------------------
def test_growing_stops_at_the_neighbour_and_shrinking_at_the_minimum() -> None:
    assert stretch(t("10:00"), t("10:30"), m(5), spans("11:00-12:00")) == t("10:35")
    assert stretch(t("10:00"), t("10:30"), m(15), spans("10:40-12:00")) == t("10:40")
    assert stretch(t("10:00"), t("10:30"), m(5), spans("10:30-12:00")) == t("10:30")
    assert stretch(t("10:00"), t("10:07"), m(-5), []) == t("10:00") + m(MIN_BLOCK)
    assert stretch(t("10:00"), t("10:03"), m(-5), []) == t("10:03")  # shorter than the minimum: left alone


# --- through the service, on a store ------------------------------------------------------------------
def _block(store: Store, cfg: Config, start: str, end: str, title: str) -> int:
    with store.write() as s:
        card = cards.add_card(s, cfg, validate({"title": title}, cfg, now=t("08:00"), require_title=True))
        block = PlanBlock(day=DAY, start_at=t(start), end_at=t(end), kind="work", card_id=card.id)
        s.add(block)
        s.flush()
        assert block.id is not None
        return block.id


def _span(store: Store, block_id: int) -> tuple[str, str, bool]:
    with store.read() as s:
        b = s.get(PlanBlock, block_id)
        assert b is not None and b.start_at is not None and b.end_at is not None
        return f"{b.start_at.astimezone(UTC):%H:%M}", f"{b.end_at.astimezone(UTC):%H:%M}", bool(b.pinned)


def test_a_nudge_into_another_block_lands_past_it_pinned(store: Store, cfg: Config) -> None:
    a = _block(store, cfg, "09:00", "09:30", "Draft")
    _block(store, cfg, "09:30", "10:00", "Record")
    with store.write() as s:
        dayview.nudge_block(s, a, 5)
    assert _span(store, a) == ("10:00", "10:30", True)
    with store.write() as s:
        dayview.nudge_block(s, a, -5)
    assert _span(store, a) == ("09:00", "09:30", True)


def test_a_nudge_into_busy_time_lands_past_it(store: Store, cfg: Config) -> None:
    a = _block(store, cfg, "09:00", "09:30", "Draft")
    with store.write() as s:
        busy.add_busy(s, t("09:30"), t("10:15"), "Meeting")
    with store.write() as s:
        dayview.nudge_block(s, a, 15)
    assert _span(store, a) == ("10:15", "10:45", True)


def test_growing_stops_at_the_next_block_and_says_so_when_it_cannot(store: Store, cfg: Config) -> None:
    a = _block(store, cfg, "09:00", "09:30", "Draft")
    _block(store, cfg, "09:40", "10:00", "Record the footage")
    with store.write() as s:
        dayview.resize_block(s, a, 15)
    assert _span(store, a) == ("09:00", "09:40", True)
    with store.write() as s, pytest.raises(InputError, match=r"Record the footage.*no room to grow"):
        dayview.resize_block(s, a, 5)
    with store.write() as s:
        dayview.resize_block(s, a, -60)
    assert _span(store, a) == ("09:00", "09:05", True)
    with store.write() as s, pytest.raises(InputError, match="at least 5 minutes"):
        dayview.resize_block(s, a, -5)
