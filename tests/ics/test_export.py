"""`organizer export ics`: RFC 5545 bytes, what the database holds, stable UIDs, zones, and bad input.

Every exported file is parsed back with icalendar and checked line by line. Time is frozen at Thursday
26 November 2026, 08:00 in Paris, unless a test needs another day.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from hypothesis import example, given
from hypothesis import strategies as st
from icalendar import Calendar, vText

from organizer.config import build_config
from organizer.ics.export import build_calendar, fold
from organizer.models import Board, Card, CardChannel, PlanBlock, Setting
from organizer.storage.orm import Store
from tests.test_cli import Runner, run_ok

PARIS = ZoneInfo("Europe/Paris")
MORNING = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
PROPERTY = re.compile(rb"^[A-Z][A-Z0-9-]*[;:]")


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Freeze time at Thursday morning."""
    with time_machine.travel(MORNING, tick=False) as traveller:
        yield traveller


def check_lines(data: bytes) -> list[bytes]:
    """Every physical line: CRLF-terminated, ≤ 75 octets, whole UTF-8 characters, a property or a continuation."""
    assert data.startswith(b"BEGIN:VCALENDAR\r\n") and data.endswith(b"END:VCALENDAR\r\n")
    lines = data[:-2].split(b"\r\n")
    for line in lines:
        assert b"\r" not in line and b"\n" not in line, line
        assert 0 < len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # raises if a fold split a character
        assert line.startswith(b" ") or PROPERTY.match(line), line
    return lines


def export(cli: Runner, tmp_path: Path, *args: str) -> bytes:
    """Run `organizer export ics -o FILE ARGS…`, check the file line by line, return its bytes."""
    target = tmp_path / "out.ics"
    err = cli("export", "ics", "-o", str(target), *args)
    assert err.code == 0, err.err
    data = target.read_bytes()
    check_lines(data)
    return data


def events(data: bytes) -> dict[str, Any]:
    """The VEVENTs of a calendar by UID, parsed by icalendar."""
    found = Calendar.from_ical(data).walk("VEVENT")
    by_uid = {str(e["UID"]): e for e in found}
    assert len(by_uid) == len(found), "UIDs must be unique"
    return by_uid


def spans(data: bytes) -> set[tuple[str, datetime | date, datetime | date, str]]:
    """(UID, start, end, summary) of every event; instants in UTC."""
    out = set()
    for uid, e in events(data).items():
        start, end = e.decoded("DTSTART"), e.decoded("DTEND")
        if isinstance(start, datetime):
            start, end = start.astimezone(UTC), end.astimezone(UTC)
        out.add((uid, start, end, str(e["SUMMARY"])))
    return out


def setup_cards(cli: Runner) -> None:
    """Two boards, a publish time with channels, a due time, a pop-up, a card without channels."""
    run_ok(cli, "add", "Launch post", "--role", "writer", "--channel", "linkedin,x", "--publish", "fri 10:00",
           "--due", "fri 09:00", "--estimate", "1h", "--column", "Planned")
    run_ok(cli, "boards", "add", "CEO", "Maya Okafor")
    run_ok(cli, "add", "Founder story", "--board", "CEO", "--role", "strategist", "--publish", "mon 08:30",
           "--estimate", "45m", "--column", "Planned")
    run_ok(cli, "add", "Reply to the thread", "--popup", "--role", "community", "--estimate", "20m")


def expected(store: Store, start: datetime, end: datetime) -> set[tuple[str, datetime | date, datetime | date, str]]:
    """What the database says the calendar must hold, built from the rows (not from the exporter)."""
    from sqlmodel import select

    out = set()
    with store.read() as s:
        ws = s.get(Setting, "workspace_id").value
        cards = {c.id: c for c in s.exec(select(Card))}
        keys = {b.id: b.key for b in s.exec(select(Board))}
        refs = {c.id: f"{keys[c.board_id]}-{c.number}" for c in cards.values()}
        names = {"linkedin": "LinkedIn", "x": "X"}
        for c in cards.values():
            if c.publish_at and start <= c.publish_at < end:
                chans = [names[ch.channel] for ch in s.exec(select(CardChannel).where(CardChannel.card_id == c.id)
                                                             .order_by(CardChannel.position))]
                out.add((f"publish-{c.id}-{ws}@organizer", c.publish_at, c.publish_at + timedelta(minutes=15),
                         f"[{', '.join(chans) or 'Publish'}] {c.title}"))
            if c.due_at and start <= c.due_at < end:
                out.add((f"due-{c.id}-{ws}@organizer", c.due_at, c.due_at + timedelta(minutes=10),
                         f"Due: {refs[c.id]} {c.title}"))
        ordinal: dict[tuple[int | None, date], int] = {}
        for b in s.exec(select(PlanBlock).where(PlanBlock.start_at >= start, PlanBlock.start_at < end)
                        .order_by(PlanBlock.start_at, PlanBlock.id)):
            # Card, local day and ordinal: stable when a block moves within its day.
            day = b.start_at.astimezone(PARIS).date()
            n = ordinal[(b.card_id, day)] = ordinal.get((b.card_id, day), 0) + 1
            uid = f"block-{b.card_id or 'reserve'}-{day:%Y%m%d}-{n}-{ws}@organizer"
            title = ("Reserve (pop-ups)" if b.card_id is None else
                     f"{'Pop-up: ' if b.kind == 'popup' else ''}{refs[b.card_id]} {cards[b.card_id].title}")
            out.add((uid, b.start_at, b.end_at, title))
    return out


def test_round_trip_matches_the_database(cli: Runner, store: Store, tmp_path: Path, clock: Any) -> None:
    setup_cards(cli)
    data = export(cli, tmp_path)
    start = datetime(2026, 11, 26, tzinfo=PARIS).astimezone(UTC)
    got, want = spans(data), expected(store, start, start + timedelta(days=30))
    assert got == want
    kinds = {uid.split("-")[0] for uid, *_ in got}
    assert kinds == {"publish", "due", "block"}
    # The plan was made for the working days ahead, so blocks exist beyond today.
    assert any(s.date() > date(2026, 11, 27) for uid, s, *_ in got if uid.startswith("block-"))
    assert "[LinkedIn, X] Launch post" in {s for *_, s in got}
    assert any(s.startswith("Pop-up: MAIN-2 ") for *_, s in got)
    text = data.decode()
    for line in ("PRODID:-//Organizer//Organizer 0.1//EN", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
                 "X-WR-CALNAME:Organizer — MAIN\\, CEO", "X-WR-TIMEZONE:Europe/Paris", "TZID:Europe/Paris"):
        assert f"\r\n{line}\r\n" in text
    for e in events(data).values():
        assert {"UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "DESCRIPTION"} <= set(e)
        assert e.decoded("DTSTAMP") == MORNING


def test_an_empty_database_exports_a_valid_empty_calendar(cli: Runner, tmp_path: Path, clock: Any) -> None:
    data = export(cli, tmp_path, "--what", "publish,due")
    assert events(data) == {}
    assert [c.name for c in Calendar.from_ical(data).subcomponents] == ["VTIMEZONE"]


def test_uids_are_stable_and_sequence_grows_after_an_edit(cli: Runner, tmp_path: Path, clock: Any) -> None:
    setup_cards(cli)
    first = events(export(cli, tmp_path))
    second = events(export(cli, tmp_path))
    assert first.keys() == second.keys()
    clock.shift(timedelta(minutes=5))
    run_ok(cli, "edit", "MAIN-1", "--title", "Launch post v2", "--notes", "shorter")
    third = events(export(cli, tmp_path))
    assert first.keys() == third.keys()
    for uid, e in third.items():
        before = first[uid]
        if uid.split("-")[1] == "1":  # card 1's publish, due and plan block events
            assert e["SEQUENCE"] > before["SEQUENCE"], uid
            assert e.decoded("LAST-MODIFIED") > before.decoded("LAST-MODIFIED")
            assert "Launch post v2" in str(e["SUMMARY"]) and "shorter" in str(e["DESCRIPTION"])
        else:
            assert e["SEQUENCE"] == before["SEQUENCE"], uid


def test_text_is_escaped_and_comes_back_intact(cli: Runner, tmp_path: Path, clock: Any) -> None:
    title = r"Q&A: tips, tricks; and C:\New folder \n not a break"
    notes = "Line one, with a comma;\nline two \\ backslash\n\n  indented; last"
    run_ok(cli, "add", title, "--notes", notes, "--publish", "fri 10:00", "--role", "writer")
    data = export(cli, tmp_path, "--what", "publish")
    assert rb"Q&A: tips\, tricks\; and C:\\New folder \\n not a break" in data.replace(b"\r\n ", b"")
    (e,) = events(data).values()
    assert str(e["SUMMARY"]) == f"[Publish] {title}"
    assert str(e["DESCRIPTION"]).endswith("\n\n" + notes)
    assert "Card: MAIN-1\nRole: Writer\nColumn: Ideas" in str(e["DESCRIPTION"])
    assert [str(c) for c in e["CATEGORIES"].cats] == ["Writer", "publish"]


def test_long_non_ascii_lines_fold_at_75_octets(cli: Runner, tmp_path: Path, clock: Any) -> None:
    title = "Café crème " + "é" * 90 + " 🎉☕" * 25 + " 東京の焙煎所" * 8
    notes = ("Ünïcödé ✓ " * 40) + "\n" + "\\" * 150 + ";,"
    run_ok(cli, "add", title, "--notes", notes, "--publish", "fri 10:00")
    data = export(cli, tmp_path, "--what", "publish")
    lines = check_lines(data)
    # A character-counting folder would have written lines of 75 characters (150 octets of é).
    assert max(len(line) for line in lines) >= 70
    assert any(line.startswith(b" ") and len(line) == 75 for line in lines)
    (e,) = events(data).values()
    assert str(e["SUMMARY"]) == f"[Publish] {title}"
    assert str(e["DESCRIPTION"]).endswith(notes)


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=400))
@example("\\" * 151)
@example("a" * 66 + "\\,\\;" * 20)
@example("é" * 100 + "🎉" * 40)
def test_fold_keeps_characters_and_escapes_whole(text: str) -> None:
    line = b"SUMMARY:" + vText(text).to_ical()  # an escaped TEXT value, as the exporter folds them
    folded = fold(line)
    pieces = folded.split(b"\r\n")
    for i, piece in enumerate(pieces):
        assert len(piece) <= 75 and (i == 0 or piece.startswith(b" "))
        piece.decode("utf-8")
    assert folded.replace(b"\r\n ", b"") == line
    # No fold right after a backslash that opens an escape (some clients cannot unfold that).
    cuts = set(itertools.accumulate(len(p) - (i > 0) for i, p in enumerate(pieces[:-1])))
    i = 0
    while i < len(line):
        if line[i] == 0x5C:
            assert i + 1 not in cuts, (i, line)
            i += 1
        i += 1


def test_dst_days_keep_local_wall_time_and_instant(cli: Runner, store: Store, tmp_path: Path) -> None:
    with time_machine.travel(datetime(2026, 9, 1, 7, 0, tzinfo=UTC), tick=False):
        run_ok(cli, "add", "Write launch post", "--role", "writer", "--estimate", "1h", "--column", "Planned")
        with store.write() as s:
            for day, utc_hour in ((date(2027, 3, 28), 7), (date(2026, 10, 25), 8)):
                start = datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)
                # Pinned: beyond the planning horizon only pinned blocks are kept.
                s.add(PlanBlock(day=day, start_at=start, end_at=start + timedelta(hours=1), kind="work", card_id=1,
                                pinned=True))
            # 02:30 happens twice on 25 October; this is the second one (CET), written in UTC.
            twice = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
            s.add(PlanBlock(day=date(2026, 10, 25), start_at=twice, end_at=twice + timedelta(minutes=30),
                            kind="reserve", pinned=True))
        data = export(cli, tmp_path, "--what", "plan", "--from", "2026-10-25", "--to", "2027-03-28")
    text = data.replace(b"\r\n ", b"").decode()
    assert "DTSTART;TZID=Europe/Paris:20270328T090000" in text
    assert "DTSTART;TZID=Europe/Paris:20261025T090000" in text
    assert "DTSTART:20261025T013000Z" in text
    starts = {e.decoded("DTSTART").astimezone(UTC) for e in events(data).values()}
    assert starts == {datetime(2027, 3, 28, 7, tzinfo=UTC), datetime(2026, 10, 25, 8, tzinfo=UTC), twice}


@pytest.mark.parametrize("zone", ["Europe/Paris", "Pacific/Auckland", "America/Los_Angeles", "Australia/Lord_Howe",
                                  "America/Santiago"])
def test_vtimezone_onsets_are_the_real_transitions(zone: str, store: Store) -> None:
    cfg = build_config({"timezone": zone})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with store.write() as s:
        s.add(PlanBlock(day=date(2026, 6, 1), start_at=start, end_at=start + timedelta(hours=1), kind="reserve"))
    with store.write() as s:
        data = build_calendar(s, cfg, boards=None, what={"plan"}, start=start, end=datetime(2028, 1, 1, tzinfo=UTC),
                              now=start)
    check_lines(data)
    (vtz,) = Calendar.from_ical(data).walk("VTIMEZONE")
    assert str(vtz["TZID"]) == zone
    changes = 0
    for obs in vtz.subcomponents:
        before, after = obs["TZOFFSETFROM"].td, obs["TZOFFSETTO"].td
        rdates = obs.get("RDATE", [])
        onsets = [obs["DTSTART"].dt, *(d.dt for r in (rdates if isinstance(rdates, list) else [rdates])
                                       for d in r.dts)]
        for onset in onsets:
            if before == after:
                continue
            # RFC 5545 §3.6.5: the onset is a local time in the offset in force before it.
            instant = (onset - before).replace(tzinfo=UTC)
            assert instant.astimezone(ZoneInfo(zone)).utcoffset() == after, (obs.name, onset)
            assert (instant - timedelta(seconds=1)).astimezone(ZoneInfo(zone)).utcoffset() == before, onset
            changes += 1
    assert changes >= 3


@pytest.mark.parametrize(("zone", "day"), [("Pacific/Auckland", date(2026, 12, 1)),
                                           ("America/Los_Angeles", date(2026, 12, 1)),
                                           ("Pacific/Auckland", date(2027, 4, 4))])
def test_a_midnight_due_is_an_all_day_event_on_the_local_day(cli: Runner, isolated_paths: Path, tmp_path: Path,
                                                             zone: str, day: date) -> None:
    (isolated_paths / "config.toml").write_text(f'timezone = "{zone}"\n')
    with time_machine.travel(datetime(2026, 11, 26, 7, 0, tzinfo=UTC), tick=False):
        run_ok(cli, "add", "Quarterly report", "--due", f"{day} 00:00", "--role", "analyst")
        run_ok(cli, "add", "Late evening post", "--due", f"{day} 23:30")
        data = export(cli, tmp_path, "--what", "due", "--from", str(day), "--to", str(day))
    text = data.decode()
    assert f"DTSTART;VALUE=DATE:{day:%Y%m%d}\r\n" in text
    assert f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}\r\n" in text
    found = {str(e["SUMMARY"]): e for e in events(data).values()}
    allday, timed = found["Due: MAIN-1 Quarterly report"], found["Due: MAIN-2 Late evening post"]
    assert allday.decoded("DTSTART") == day and allday.decoded("DTEND") == day + timedelta(days=1)
    local = timed.decoded("DTSTART")
    assert local.tzinfo is not None and (local.date(), local.hour, local.minute) == (day, 23, 30)
    assert f"TZID:{zone}" in text and str(allday["TRANSP"]) == "TRANSPARENT"


def test_transparency_and_categories(cli: Runner, tmp_path: Path, clock: Any) -> None:
    setup_cards(cli)
    for uid, e in events(export(cli, tmp_path)).items():
        cats = [str(c) for c in e["CATEGORIES"].cats]
        if uid.startswith("block-reserve-"):
            assert (str(e["SUMMARY"]), str(e["TRANSP"]), cats) == ("Reserve (pop-ups)", "OPAQUE", ["reserve"])
        elif uid.startswith("block-"):
            assert str(e["TRANSP"]) == "OPAQUE" and cats[0] in {"Writer", "Strategist", "Community manager"}
        else:
            assert str(e["TRANSP"]) == "TRANSPARENT"
            assert cats[-1] == uid.split("-")[0]
            if uid.startswith("publish-"):
                assert e.decoded("DTEND") - e.decoded("DTSTART") == timedelta(minutes=15)


def test_what_and_board_filters(cli: Runner, tmp_path: Path, clock: Any) -> None:
    setup_cards(cli)
    only = events(export(cli, tmp_path, "--what", "publish"))
    assert len(only) == 2 and all(uid.startswith("publish-") for uid in only)
    ceo = export(cli, tmp_path, "--board", "ceo")
    assert b"X-WR-CALNAME:Organizer \xe2\x80\x94 CEO\r\n" in ceo
    titles = {str(e["SUMMARY"]) for e in events(ceo).values()}
    assert titles == {"[Publish] Founder story", "CEO-1 Founder story"}
    both = events(export(cli, tmp_path, "--board", "MAIN", "--board", "CEO", "--what", "publish,due"))
    assert {uid.split("-")[0] for uid in both} == {"publish", "due"} and len(both) == 3


def test_default_range_is_today_and_thirty_days(cli: Runner, tmp_path: Path, clock: Any) -> None:
    for when in ("yesterday 10:00", "today 00:00", "+29d 23:00", "+30d 00:00"):
        run_ok(cli, "add", f"Post {when}", "--publish", when)
    got = {str(e["SUMMARY"]) for e in events(export(cli, tmp_path, "--what", "publish")).values()}
    assert got == {"[Publish] Post today 00:00", "[Publish] Post +29d 23:00"}
    dated = {str(e["SUMMARY"]) for e in events(export(
        cli, tmp_path, "--what", "publish", "--from", "yesterday", "--to", "2026-12-26")).values()}
    assert dated == {"[Publish] Post yesterday 10:00", "[Publish] Post today 00:00", "[Publish] Post +29d 23:00",
                     "[Publish] Post +30d 00:00"}


def test_stdout_and_the_orm_path_give_the_same_calendar(cli: Runner, store: Store, db_path: Path, clock: Any) -> None:
    setup_cards(cli)
    out = run_ok(cli, "export", "ics")
    assert out.startswith("BEGIN:VCALENDAR\r\n")
    check_lines(out.encode())
    cfg = build_config({"timezone": "Europe/Paris"})
    start, end = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 12, 30, tzinfo=UTC)
    args: dict[str, Any] = {"boards": None, "what": {"publish", "plan", "due"}, "start": start, "end": end,
                            "now": MORNING}
    with store.write() as s:
        through_orm = build_calendar(s, cfg, **args)
    conn = sqlite3.connect(db_path)
    try:
        assert build_calendar(conn, cfg, **args) == through_orm
    finally:
        conn.close()


@pytest.mark.parametrize(("args", "named"), [
    (("--what", "publish,meetings"), "'meetings'"),
    (("--what", ","), "names nothing"),
    (("--from", "someday"), "someday"),
    (("--to", "2026-11-01"), "--to '2026-11-01'"),
    (("--board", "NOPE"), "known boards are MAIN, CEO"),
    (("--board", "not a key"), "'not a key'"),
])
def test_bad_input_is_exit_2_in_one_line(cli: Runner, tmp_path: Path, clock: Any, args: tuple[str, ...],
                                         named: str) -> None:
    setup_cards(cli)
    target = tmp_path / "keep.ics"
    target.write_bytes(b"old")
    r = cli("export", "ics", "-o", str(target), *args)
    assert r.code == 2 and r.out == ""
    assert r.err.count("\n") == 1 and r.err.startswith("organizer: ") and named in r.err, r.err
    assert target.read_bytes() == b"old" and not list(tmp_path.glob(".*.partial"))


def test_undo_never_moves_sequence_or_last_modified_backwards(cli: Runner, tmp_path: Path, clock: Any) -> None:
    setup_cards(cli)
    first = events(export(cli, tmp_path))
    clock.shift(timedelta(minutes=5))
    run_ok(cli, "edit", "MAIN-1", "--title", "Launch post v2")
    edited = events(export(cli, tmp_path))
    clock.shift(timedelta(minutes=5))
    run_ok(cli, "undo")
    undone = events(export(cli, tmp_path))
    for uid in (u for u in first if u.split("-")[1] == "1"):
        # The title is back, but for calendar clients the undo is a newer change, never an older one.
        assert undone[uid]["SEQUENCE"] > edited[uid]["SEQUENCE"] > first[uid]["SEQUENCE"], uid
        assert undone[uid].decoded("LAST-MODIFIED") > edited[uid].decoded("LAST-MODIFIED"), uid
    assert any("Launch post" in str(e["SUMMARY"]) and "v2" not in str(e["SUMMARY"]) for e in undone.values())
