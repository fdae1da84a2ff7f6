"""Planning from the shell: plan, capacity, pop-ups into the reserve, timers, pins, busy blocks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from organizer.storage.orm import open_store
from tests.test_cli import Runner, run_ok

# The CLI tests here run on SQLite and on PostgreSQL (see tests/conftest.py).
pytestmark = pytest.mark.backends

# Thursday 26 November 2026, 08:00 in Paris, before the working day starts.
MORNING = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Freeze time at Thursday morning."""
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def plan(cli: Runner, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(run_ok(cli, "plan", *args, "--json"))


def test_plan_json_porcelain_on_a_plain_day(cli: Runner, clock: time_machine.Coordinates) -> None:
    run_ok(cli, "add", "Draft launch post", "--role", "writer", "--estimate", "1h30", "--column", "Planned")
    data = plan(cli)
    assert data["date"] == "2026-11-26"
    assert data["available_minutes"] == 450
    assert data["reserve_minutes"] == 90
    assert data["planned_minutes"] == 90
    assert data["reserve_used_minutes"] == 0
    for key in ("blocks", "unplanned"):
        assert key in data
    work = [b for b in data["blocks"] if b["kind"] == "work"]
    assert work[0] == {"start": "2026-11-26T09:00+01:00", "end": "2026-11-26T10:30+01:00", "kind": "work",
                       "card": "MAIN-1", "title": "Draft launch post", "role": "writer", "pinned": False,
                       "minutes": 90}
    reserve = [b for b in data["blocks"] if b["kind"] == "reserve"]
    assert sum(b["minutes"] for b in reserve) == 90
    assert all(b["card"] is None for b in reserve)


def test_cards_in_the_backlog_and_without_estimates(cli: Runner, clock: time_machine.Coordinates) -> None:
    run_ok(cli, "add", "Just an idea", "--estimate", "30m")  # Ideas, no date: not planned at all
    run_ok(cli, "add", "Needs sizing", "--column", "Planned")
    data = plan(cli)
    assert [u["card"] for u in data["unplanned"]] == ["MAIN-2"]
    assert data["unplanned"][0]["reason"] == "no estimate"
    assert not [b for b in data["blocks"] if b["kind"] == "work"]


def test_busy_time_is_planned_around(cli: Runner, clock: time_machine.Coordinates) -> None:
    out = run_ok(cli, "busy", "add", "today 09:00", "2h", "Quarterly review")
    assert "Quarterly review" in out
    run_ok(cli, "add", "Report", "--role", "analyst", "--estimate", "1h", "--column", "Planned")
    data = plan(cli)
    assert data["available_minutes"] == 330
    busy = [b for b in data["blocks"] if b["kind"] == "busy"]
    assert busy[0]["start"] == "2026-11-26T09:00+01:00" and busy[0]["title"] == "Quarterly review"
    work = [b for b in data["blocks"] if b["kind"] == "work"]
    assert work[0]["start"] >= "2026-11-26T11:00+01:00"
    listed = json.loads(run_ok(cli, "busy", "list", "--json"))
    assert listed[0]["title"] == "Quarterly review" and listed[0]["source"] == "manual"
    run_ok(cli, "busy", "rm", str(listed[0]["id"]))
    assert plan(cli)["available_minutes"] == 450


def test_a_popup_goes_into_the_earliest_reserve_time(cli: Runner, clock: time_machine.Coordinates) -> None:
    run_ok(cli, "add", "Big piece", "--estimate", "6h", "--column", "Planned", "--priority", "4")
    before = plan(cli)
    clock.move_to(datetime(2026, 11, 26, 10, 0, tzinfo=UTC))  # 11:00 in Paris
    run_ok(cli, "add", "Reply to the complaint thread", "--popup", "--estimate", "20m", "--role", "community")
    data = plan(cli)
    popup = [b for b in data["blocks"] if b["kind"] == "popup"]
    assert popup and popup[0]["card"] == "MAIN-2"
    reserve_starts = sorted(b["start"] for b in before["blocks"] if b["kind"] == "reserve")
    assert popup[0]["start"] >= "2026-11-26T11:00+01:00"
    assert popup[0]["start"] in reserve_starts or popup[0]["start"] > reserve_starts[0]
    assert data["reserve_used_minutes"] == 20
    assert data["reserve_minutes"] == 90


def test_replan_and_pin(cli: Runner, clock: time_machine.Coordinates) -> None:
    run_ok(cli, "add", "Pinned piece", "--estimate", "1h", "--column", "Planned", "--priority", "3")
    first = plan(cli)
    pinned = [b for b in first["blocks"] if b["card"] == "MAIN-1"]
    assert "pinned 1 block" in run_ok(cli, "pin", "MAIN-1")
    run_ok(cli, "add", "Urgent piece", "--estimate", "1h", "--column", "Planned", "--priority", "1")
    data = plan(cli, "--replan")
    again = [b for b in data["blocks"] if b["card"] == "MAIN-1"]
    assert [(b["start"], b["end"]) for b in again] == [(b["start"], b["end"]) for b in pinned]
    assert all(b["pinned"] for b in again)
    assert "unpinned" in run_ok(cli, "pin", "MAIN-1", "--off")


def test_plan_text_timeline(cli: Runner, clock: time_machine.Coordinates) -> None:
    run_ok(cli, "busy", "add", "today 10:00", "1h", "Team meeting")
    run_ok(cli, "add", "Launch [draft] post", "--role", "writer", "--estimate", "45m", "--column", "Planned")
    out = run_ok(cli, "plan")
    assert out.startswith("Thu 26 Nov 2026 · available 6h30m")
    assert "09:00–09:45     45m  WRITE    MAIN-1  Launch [draft] post" in out
    assert "10:00–11:00      1h  busy     Team meeting" in out
    assert "reserve" in out


def test_plan_another_day_and_bad_day(cli: Runner, clock: time_machine.Coordinates) -> None:
    assert plan(cli, "sat")["available_minutes"] == 0
    assert plan(cli, "tomorrow")["date"] == "2026-11-27"
    r = cli("plan", "someday")
    assert r.code == 2 and "someday" in r.err


def test_timer_adds_time_spent_and_feeds_accuracy(cli: Runner, clock: time_machine.Coordinates) -> None:
    run_ok(cli, "add", "Caption", "--role", "writer", "--estimate", "30m")
    run_ok(cli, "add", "Thumbnail", "--role", "producer", "--estimate", "20m")
    assert "timer running on MAIN-1" in run_ok(cli, "start", "MAIN-1")
    clock.shift(45 * 60)
    out = run_ok(cli, "start", "MAIN-2")
    assert "stopped MAIN-1 (+45m)" in out
    clock.shift(10 * 60)
    assert "stopped MAIN-2 (+10m)" in run_ok(cli, "stop")
    r = cli("stop")
    assert r.code == 2 and "no timer" in r.err
    assert json.loads(run_ok(cli, "show", "MAIN-1", "--json"))["spent_minutes"] == 45
    run_ok(cli, "done", "MAIN-1")
    run_ok(cli, "done", "MAIN-2")
    acc = json.loads(run_ok(cli, "capacity", "--json"))["estimate_accuracy"]
    assert {a["role"]: a["ratio"] for a in acc} == {"writer": 1.5, "producer": 0.5}
    run_ok(cli, "undo")  # undo the last done; the time stays tracked
    assert json.loads(run_ok(cli, "show", "MAIN-2", "--json"))["spent_minutes"] == 10


def test_capacity_week(cli: Runner, clock: time_machine.Coordinates) -> None:
    run_ok(cli, "add", "Long piece", "--role", "producer", "--estimate", "10h", "--column", "Planned")
    data = json.loads(run_ok(cli, "capacity", "--week", "--json"))
    days = data["days"]
    assert [d["date"] for d in days][:3] == ["2026-11-26", "2026-11-27", "2026-11-28"]
    assert days[2]["available_minutes"] == 0  # Saturday
    assert days[0]["roles"][0] == {"role": "producer", "planned_minutes": 360, "popup_minutes": 0}
    out = run_ok(cli, "capacity", "--week")
    assert "Thu 26 Nov" in out and "producer 6h" in out


def test_dst_fall_back_day_has_no_doubled_minutes(cli: Runner, isolated_paths) -> None:  # type: ignore[no-untyped-def]
    (isolated_paths / "config.toml").write_text(
        'timezone = "Europe/Paris"\n[hours]\nsun = ["01:00-05:00"]\n')
    with time_machine.travel(datetime(2026, 10, 24, 20, 0, tzinfo=UTC), tick=False):
        data = plan(cli, "sun")
    assert data["date"] == "2026-10-25"
    assert data["available_minutes"] == 300  # 01:00–05:00 on the night clocks go back is five real hours


def test_store_has_the_plan(cli: Runner, clock: time_machine.Coordinates, db_location: str) -> None:
    run_ok(cli, "add", "Stored", "--estimate", "1h", "--column", "Planned")
    plan(cli)
    from sqlmodel import select

    from organizer.models import PlanBlock

    store = open_store(db_location)
    try:
        with store.read() as s:
            kinds = sorted({b.kind for b in s.exec(select(PlanBlock))})
    finally:
        store.close()
    assert kinds == ["reserve", "work"]
