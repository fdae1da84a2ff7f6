"""The plan as a day is lived: a moving clock through a Thursday on the demo data, pop-ups from the shell,
cards done, meetings added, and the invariants checked after every event, in the CLI, the export and the app.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar

from organizer.config import Config
from organizer.demo import load_demo
from organizer.services import schedule
from organizer.storage.adapters import open_storage
from organizer.storage.orm import Store

PARIS = ZoneInfo("Europe/Paris")
pytestmark = pytest.mark.backends

THURSDAY = date(2026, 11, 26)
MORNING = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)  # 09:00 in Paris


def at(hh: int, mm: int = 0, day: date = THURSDAY) -> datetime:
    """A local Paris time on the scenario's day."""
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=PARIS)


@pytest.fixture
def day(cli: Any, store: Store, cfg: Config, db_location: str) -> Iterator[Any]:
    """The demo boards at 09:00 on Thursday, and a clock the test moves."""
    load_demo(store, cfg, now=MORNING)
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def plan(cli: Any, when: str = "today") -> dict[str, Any]:
    r = cli("plan", when, "--json")
    assert r.code == 0, r.err
    return json.loads(r.out)


def remaining(location: str) -> dict[str, int]:
    """Each open card's remaining estimate (estimate − spent), by card ID."""
    storage = open_storage(location)
    try:
        with storage.reading() as db:
            rows = db.rows("SELECT b.key, c.number, c.estimate_minutes, c.spent_minutes FROM card c "
                           "JOIN board b ON b.id = c.board_id JOIN board_column bc ON bc.id = c.column_id "
                           "WHERE NOT bc.is_done")
    finally:
        storage.close()
    return {f"{key}-{number}": max(0, (est or 0) - spent) for key, number, est, spent in rows}


def check_invariants(cli: Any, cfg: Config, db_location: str, now: datetime) -> dict[str, Any]:
    """Everything a manager relies on, checked on the whole horizon; returns today's plan."""
    sched = schedule.read(db_location, cfg, now)
    open_cards = remaining(db_location)
    booked: dict[str, int] = defaultdict(int)
    for p in sched.plans:
        blocks = sorted(p.blocks, key=lambda b: b.start)
        for a, b in itertools.pairwise(blocks):
            assert a.end <= b.start, f"{p.day}: {a.kind} {a.ref} overlaps {b.kind} {b.ref}"
        hours = cfg.hours.get(("mon", "tue", "wed", "thu", "fri", "sat", "sun")[p.day.weekday()], ())
        for blk in blocks:
            if blk.kind in ("work", "popup", "reserve") and not blk.pinned:
                local_start, local_end = blk.start.astimezone(PARIS), blk.end.astimezone(PARIS)
                assert any(s <= local_start.time() and local_end.time() <= e for s, e in hours), \
                    f"{p.day}: {blk.kind} {blk.ref} {local_start:%H:%M}–{local_end:%H:%M} outside working hours"
            if blk.kind in ("work", "popup") and blk.start >= now and blk.ref:
                booked[blk.ref] += blk.minutes
                assert blk.ref in open_cards, f"{blk.ref} is done or gone but still planned {p.day}"
        # The reserve is kept free of work: work plus max(reserve, pop-ups) never exceeds the available time.
        work = sum(b.minutes for b in p.blocks if b.kind == "work" and not b.pinned and b.start >= now)
        if p.day > now.astimezone(PARIS).date():
            assert work + max(p.reserve_minutes, p.reserve_used_minutes) <= p.available_minutes, p.day
        # `late` is exactly the placed cards whose last block ends after their due time.
        for u in p.late:
            assert any(b.ref == u.ref for b in p.blocks), u
    # Each card is planned once across the horizon: never more minutes than it has left.
    for ref, minutes in booked.items():
        assert minutes <= open_cards[ref], f"{ref} booked {minutes} min, only {open_cards[ref]} left"
    today = plan(cli)
    assert today["late"] == [{"card": u.ref, "reason": u.reason} for u in sched.plans[0].late]
    return today


def blocks_of(data: dict[str, Any], ref: str) -> list[tuple[str, str, str]]:
    return [(b["start"][11:16], b["end"][11:16], b["kind"]) for b in data["blocks"] if b["card"] == ref]


def exported(cli: Any, tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "week.ics"
    r = cli("export", "ics", "--what", "plan", "--to", "+7d", "-o", str(out))
    assert r.code == 0, r.err
    return {str(e["UID"]): e for e in Calendar.from_ical(out.read_bytes()).walk("VEVENT")}


def test_a_thursday_with_popups_meetings_and_done_cards(day: Any, cli: Any, cfg: Config, db_location: str,
                                                        tmp_path: Path) -> None:
    first = check_invariants(cli, cfg, db_location, MORNING)
    # The demo's P1 complaint reply, due 12:00, goes first, not after P3 work.
    assert blocks_of(first, "NWC-15")[0][0] == "09:00"

    # 09:15 — a journalist's DM: P1, due 11:00, 20 minutes. Placed at once, before its deadline.
    day.move_to(at(9, 15))
    r = cli("add", "Urgent: journalist DM", "--popup", "-e", "20m", "-r", "community", "-P", "1", "--due",
            "today 11:00")
    assert r.code == 0 and "planned thu 09:" in r.err and "LATE" not in r.err, r.err
    ref = r.out.strip()
    today = check_invariants(cli, cfg, db_location, at(9, 15))
    (start, end, kind), = blocks_of(today, ref)
    assert kind == "popup" and start >= "09:15" and end <= "11:00"
    assert ref not in [u["card"] for u in today["late"]]

    # 10:30 — a second pop-up from the shell, P2 due 14:00, 40 minutes: before its deadline too.
    day.move_to(at(10, 30))
    r = cli("add", "Fix the broken link in the newsletter", "--popup", "-e", "40m", "-P", "2", "--due", "14:00")
    second = r.out.strip()
    today = check_invariants(cli, cfg, db_location, at(10, 30))
    assert blocks_of(today, second) and blocks_of(today, second)[-1][1] <= "14:00"

    # 11:05 — a card is marked done: its blocks leave the plan and the exported week.
    victim = next(b["card"] for b in today["blocks"] if b["kind"] == "work" and b["start"][11:16] > "13:00")
    day.move_to(at(11, 5))
    before = exported(cli, tmp_path)
    victim_id = next(str(e["SUMMARY"]) for e in before.values() if victim in str(e["SUMMARY"]))
    assert cli("done", victim).code == 0
    today = check_invariants(cli, cfg, db_location, at(11, 5))
    assert not blocks_of(today, victim)
    assert all(str(e["SUMMARY"]) != victim_id for e in exported(cli, tmp_path).values())

    # 12:00 — a meeting lands at 14:00: nothing is planned into it.
    day.move_to(at(12))
    assert cli("busy", "add", "today 14:00", "1h", "Crisis call with the agency").code == 0
    today = check_invariants(cli, cfg, db_location, at(12))
    for b in today["blocks"]:
        if b["kind"] in ("work", "popup"):
            assert b["end"][11:16] <= "14:00" or b["start"][11:16] >= "15:00", b

    # Viewing other days changes nothing: the same plan, and no write at all.
    watch = open_storage(db_location)
    version = watch.data_version()
    plan(cli, "tomorrow"), plan(cli, "mon"), plan(cli, "yesterday")
    assert plan(cli) == today
    assert watch.data_version() == version
    watch.close()

    # 13:45 — a P3 pop-up without a due time waits for a reserve slot (today's is spent: tomorrow's) and
    # pushes no work.
    day.move_to(at(13, 45))
    assert plan(cli)["reserve_over_minutes"] > 0
    r = cli("add", "Answer a supplier's question", "--popup", "-e", "15m", "-P", "3")
    low = r.out.strip()
    assert "planned fri 1" in r.err and "moved" not in r.err, r.err
    today = check_invariants(cli, cfg, db_location, at(13, 45))
    assert not blocks_of(today, low)
    assert [b[2] for b in blocks_of(plan(cli, "tomorrow"), low)] == ["popup"]

    # Ten minutes into a work block after 15:00, a P1 pop-up due 20 minutes later cuts that block; the rest
    # of its work is planned later.
    block = next(b for b in plan(cli)["blocks"] if b["kind"] == "work" and b["start"][11:16] >= "15:00"
                 and b["minutes"] >= 25)
    hh, mm = int(block["start"][11:13]), int(block["start"][14:16]) + 10
    cut_at = at(hh + mm // 60, mm % 60)
    day.move_to(cut_at)
    due = cut_at + timedelta(minutes=25)
    r = cli("add", "Correct the wrong price in the live post", "--popup", "-e", "20m", "-P", "1", "--due",
            f"{due:%H:%M}")
    urgent = r.out.strip()
    today = check_invariants(cli, cfg, db_location, cut_at)
    start = f"{cut_at:%H:%M}"
    assert blocks_of(today, urgent) == [(start, f"{cut_at + timedelta(minutes=20):%H:%M}", "popup")]
    assert f"interrupted at {start} for pop-up {urgent}" in r.err, r.err
    assert blocks_of(today, block["card"])[0] == (block["start"][11:16], start, "work")

    # The app shows the very same plan as the CLI.
    assert_app_agrees(cfg, db_location, cut_at, today)


def assert_app_agrees(cfg: Config, db_location: str, now: datetime, data: dict[str, Any]) -> None:
    import asyncio

    from screens.app import OrganizerApp
    from tests.screens.conftest import settle

    async def run() -> list[tuple[str, str, str, str | None]]:
        app = OrganizerApp(db_location, cfg, clock=lambda: now, watch_seconds=3600)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await pilot.press("f2")
            await settle(pilot)
            screen = app.screen
            return [(f"{b.start.astimezone(PARIS):%H:%M}", f"{b.end.astimezone(PARIS):%H:%M}", b.kind, b.ref)
                    for b in screen.blocks]  # type: ignore[attr-defined]

    shown = asyncio.run(run())
    assert shown == [(b["start"][11:16], b["end"][11:16], b["kind"], b["card"]) for b in data["blocks"]]


def test_capacity_reads_the_same_plan_and_one_overcommitted_rule(day: Any, cli: Any, cfg: Config) -> None:
    today = plan(cli)
    cap = json.loads(cli("capacity", "--week", "--json").out)["days"][0]
    assert (cap["planned_minutes"], cap["reserve_minutes"], cap["reserve_used_minutes"], cap["available_minutes"]) \
        == (today["planned_minutes"], today["reserve_minutes"], today["reserve_used_minutes"],
            today["available_minutes"])
    assert cap["overcommitted"] == today["overcommitted"]
    assert [u["card"] for u in cap["late"]] == [u["card"] for u in today["late"]]
    again = json.loads(cli("capacity", "--week", "--json").out)["days"]
    assert [d["overcommitted"] for d in again] == [d["overcommitted"] for d in
                                                   json.loads(cli("capacity", "--week", "--json").out)["days"]]


def test_no_card_is_booked_on_two_days_when_days_are_viewed_one_by_one(day: Any, cli: Any, cfg: Config,
                                                                       db_location: str) -> None:
    seen: dict[str, set[str]] = defaultdict(set)
    for offset in range(0, 8):
        data = plan(cli, (THURSDAY + timedelta(days=offset)).isoformat())
        for b in data["blocks"]:
            if b["kind"] in ("work", "popup") and b["card"]:
                seen[b["card"]].add(data["date"])
    remaining_now = remaining(db_location)
    sched = schedule.read(db_location, cfg, MORNING)
    minutes: dict[str, int] = defaultdict(int)
    for p in sched.plans:
        for b in p.blocks:
            if b.kind in ("work", "popup") and b.ref:
                minutes[b.ref] += b.minutes
    for ref, total in minutes.items():
        assert total <= remaining_now[ref], (ref, total, seen[ref])


WEEKLY = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:standup@test\r
DTSTART;TZID=Europe/Paris:20261102T093000\r
DTEND;TZID=Europe/Paris:20261102T100000\r
RRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR\r
SUMMARY:Stand-up\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_the_plan_keeps_seeing_an_imported_calendar_as_time_moves_on(cli: Any, tmp_path: Path) -> None:
    source = tmp_path / "team.ics"
    source.write_text(WEEKLY, newline="")
    with time_machine.travel(MORNING, tick=False) as traveller:
        assert cli("import", "ics", str(source), "--name", "Team").code == 0
        assert [b["title"] for b in plan(cli)["blocks"] if b["kind"] == "busy"] == ["Stand-up"]
        # Fourteen months later nothing was refreshed: the plan expands the kept copy again by itself.
        later = date(2028, 1, 27)
        traveller.move_to(datetime(later.year, later.month, later.day, 8, tzinfo=UTC))
        busy = [b for b in plan(cli)["blocks"] if b["kind"] == "busy"]
        assert [(b["title"], b["start"][11:16]) for b in busy] == [("Stand-up", "09:30")]
