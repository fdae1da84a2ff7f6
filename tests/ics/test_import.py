"""Calendar import: expansion rules, validation, atomic re-import, and the import/calendars/events commands."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlmodel import select

from organizer.config import Config, build_config
from organizer.models import BusyEvent
from organizer.services import calendars
from organizer.storage.orm import Store
from organizer.validate import InputError
from tests.test_cli import Runner, run_bad, run_json, run_ok

# Monday 2 March 2026, 08:00 in Paris (UTC+1 until the 29th).
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def ics(*events: str, head: str = "") -> bytes:
    """A VCALENDAR around VEVENT bodies (one property a line)."""
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n{head}{body}END:VCALENDAR\n".encode()


def load(store: Store, cfg: Config, data: bytes, name: str | None = "Work", **kw: Any) -> calendars.ImportResult:
    with store.write() as s:
        return calendars.import_calendar(s, cfg, name, data, now=NOW, source="test.ics", **kw)


def rows(store: Store, source: str = "Work") -> list[BusyEvent]:
    with store.read() as s:
        return list(s.exec(select(BusyEvent).where(BusyEvent.source == source).order_by(BusyEvent.start_at)))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


WEEKLY = ("UID:sync@x\nSUMMARY:Sync\nDTSTART;TZID=Europe/Paris:20260302T100000\n"
          "DTEND;TZID=Europe/Paris:20260302T110000\nRRULE:FREQ=WEEKLY;COUNT=5\n"
          "EXDATE;TZID=Europe/Paris:20260309T100000")
MOVED = ("UID:sync@x\nSUMMARY:Sync (moved)\nRECURRENCE-ID;TZID=Europe/Paris:20260316T100000\n"
         "DTSTART;TZID=Europe/Paris:20260317T140000\nDTEND;TZID=Europe/Paris:20260317T150000")


def test_weekly_rule_with_exdate_and_a_moved_instance(store: Store, cfg: Config) -> None:
    result = load(store, cfg, ics(WEEKLY, MOVED))
    assert result.events == 4 and not result.skipped
    got = [(e.uid, e.title, e.start_at, e.end_at) for e in rows(store)]
    assert got == [
        ("sync@x#20260302T090000Z", "Sync", utc(2026, 3, 2, 9), utc(2026, 3, 2, 10)),
        ("sync@x#20260316T090000Z", "Sync (moved)", utc(2026, 3, 17, 13), utc(2026, 3, 17, 14)),
        ("sync@x#20260323T090000Z", "Sync", utc(2026, 3, 23, 9), utc(2026, 3, 23, 10)),
        # Paris moved to summer time on the 29th: still 10:00 there, an hour earlier in UTC.
        ("sync@x#20260330T080000Z", "Sync", utc(2026, 3, 30, 8), utc(2026, 3, 30, 9)),
    ]


def test_rdate_and_stable_uids_on_reimport(store: Store, cfg: Config) -> None:
    data = ics("UID:r@x\nSUMMARY:Review\nDTSTART:20260304T100000Z\nDTEND:20260304T110000Z\nRDATE:20260306T150000Z")
    load(store, cfg, data)
    first = [(e.uid, e.start_at) for e in rows(store)]
    assert first == [("r@x#20260304T100000Z", utc(2026, 3, 4, 10)), ("r@x#20260306T150000Z", utc(2026, 3, 6, 15))]
    result = load(store, cfg, data)
    assert result.replaced == 2 and [(e.uid, e.start_at) for e in rows(store)] == first


def test_cancelled_instances_and_events_block_nothing(store: Store, cfg: Config) -> None:
    cancelled_instance = MOVED.replace("SUMMARY:Sync (moved)", "SUMMARY:Sync\nSTATUS:CANCELLED")
    result = load(store, cfg, ics(WEEKLY, cancelled_instance,
                                  "UID:c@x\nSUMMARY:Off\nSTATUS:CANCELLED\nDTSTART:20260305T100000Z\nDTEND:20260305T110000Z"))
    assert result.events == 3 and result.cancelled == 2
    assert utc(2026, 3, 16, 9) not in [e.start_at for e in rows(store)]


@pytest.mark.parametrize(("zone", "start"), [("Pacific/Auckland", utc(2026, 3, 9, 11)),
                                             ("America/Los_Angeles", utc(2026, 3, 10, 7))])
def test_all_day_event_is_the_whole_local_day(store: Store, zone: str, start: datetime) -> None:
    cfg = build_config({"timezone": zone})
    load(store, cfg, ics("UID:d@x\nSUMMARY:Offsite\nDTSTART;VALUE=DATE:20260310\nDTEND;VALUE=DATE:20260311"))
    (event,) = rows(store)
    assert (event.start_at, event.end_at, event.all_day, event.uid) == (start, start + timedelta(days=1), True,
                                                                        "d@x#20260310")
    with store.read() as s:
        (seen,) = calendars.events_between(s, start, start + timedelta(days=1))
    from zoneinfo import ZoneInfo

    local = seen.start.astimezone(ZoneInfo(zone))
    assert (local.date().isoformat(), local.hour, seen.end.astimezone(ZoneInfo(zone)).hour) == ("2026-03-10", 0, 0)


def test_all_day_without_dtend_and_with_duration(store: Store, cfg: Config) -> None:
    load(store, cfg, ics("UID:a@x\nSUMMARY:Leave\nDTSTART;VALUE=DATE:20260310",
                         "UID:b@x\nSUMMARY:Trip\nDTSTART;VALUE=DATE:20260312\nDURATION:P2D"))
    assert [(e.start_at, e.end_at) for e in rows(store)] == [(utc(2026, 3, 9, 23), utc(2026, 3, 10, 23)),
                                                            (utc(2026, 3, 11, 23), utc(2026, 3, 13, 23))]


def test_floating_time_is_read_in_the_users_zone(store: Store) -> None:
    data = ics("UID:f@x\nSUMMARY:Call\nDTSTART:20260305T143000\nDTEND:20260305T150000")
    load(store, build_config({"timezone": "Europe/Paris"}), data)
    assert rows(store)[0].start_at == utc(2026, 3, 5, 13, 30)
    load(store, build_config({"timezone": "America/New_York"}), data)
    assert rows(store)[0].start_at == utc(2026, 3, 5, 19, 30)


def test_x_wr_timezone_sets_floating_times_and_recurrences(store: Store, cfg: Config) -> None:
    head = "X-WR-CALNAME:US team\nX-WR-TIMEZONE:America/New_York\n"
    load(store, cfg, ics("UID:n@x\nSUMMARY:Lunch\nDTSTART:20260305T120000\nDTEND:20260305T130000",
                         "UID:w@x\nSUMMARY:Standup\nDTSTART:20260302T150000Z\nDTEND:20260302T153000Z\n"
                         "RRULE:FREQ=WEEKLY;COUNT=2", head=head), name=None)
    got = [(e.title, e.start_at) for e in rows(store, "US team")]
    # 10:00 in New York both weeks: EST, then EDT after 8 March.
    assert got == [("Standup", utc(2026, 3, 2, 15)), ("Lunch", utc(2026, 3, 5, 17)), ("Standup", utc(2026, 3, 9, 14))]


def test_duration_no_dtend_and_transparent(store: Store, cfg: Config) -> None:
    result = load(store, cfg, ics("UID:d@x\nSUMMARY:Workshop\nDTSTART:20260305T090000Z\nDURATION:PT1H30M",
                                  "UID:z@x\nSUMMARY:Reminder\nDTSTART:20260305T120000Z",
                                  "UID:t@x\nSUMMARY:Focus\nTRANSP:TRANSPARENT\nDTSTART:20260305T130000Z\n"
                                  "DTEND:20260305T140000Z"))
    assert (result.events, result.zero_length, result.transparent) == (1, 1, 1)
    assert [(e.title, e.start_at, e.end_at) for e in rows(store)] == [
        ("Workshop", utc(2026, 3, 5, 9), utc(2026, 3, 5, 10, 30))]


def test_titles_and_names_lose_control_characters_and_escapes(store: Store, cfg: Config) -> None:
    data = ics("UID:e@x\nSUMMARY:\x1b[31mRed\x1b[0m alert\x07 \x1b]0;pwned\x07now\nDTSTART:20260305T090000Z\n"
               "DTEND:20260305T100000Z", head="X-WR-CALNAME:Team\x1b[2J\x9b calendar\n")
    result = load(store, cfg, data, name=None)
    assert result.name == "Team calendar"
    assert rows(store, "Team calendar")[0].title == "Red alert now"


@pytest.mark.parametrize(("event", "reason"), [
    ("UID:b@x\nSUMMARY:Bad\nDTSTART:2026-03-05", "DTSTART cannot be read"),
    ("UID:b@x\nSUMMARY:Bad\nDTEND:20260305T100000Z", "it has no DTSTART"),
    ("UID:b@x\nSUMMARY:Bad\nDTSTART:20260305T100000Z\nDURATION:PT1X", "DURATION cannot be read"),
    ("UID:b@x\nSUMMARY:Bad\nDTSTART:20260305T100000Z\nDURATION:-PT1H", "DURATION -PT1H is negative"),
    ("UID:b@x\nSUMMARY:Bad\nDTSTART:20260305T100000Z\nDTEND:20260305T090000Z", "ends (2026-03-05 09:00+00:00) before"),
    ("UID:b@x\nSUMMARY:Bad\nDTSTART;TZID=Mars/Olympus:20260305T100000", "unknown time zone TZID='Mars/Olympus'"),
    ("UID:b@x\nSUMMARY:Bad\nDTSTART:20260305T100000Z\nRRULE:FREQ=MINUTELY", "repeats minutely without a small COUNT"),
])
def test_a_broken_event_is_named_or_skipped(store: Store, cfg: Config, event: str, reason: str) -> None:
    good = "UID:g@x\nSUMMARY:Good\nDTSTART:20260305T130000Z\nDTEND:20260305T140000Z"
    with pytest.raises(InputError) as exc:
        load(store, cfg, ics(good, event))
    message = str(exc.value)
    assert message.startswith('test.ics: event "Bad" (UID b@x, line 10): ') and reason in message
    assert "\n" not in message and "--skip-bad" in message
    result = load(store, cfg, ics(good, event), skip_bad=True)
    assert result.events == 1 and [str(s) for s in result.skipped] == [message.split(";")[0].split(": ", 1)[1]]


@pytest.mark.parametrize(("data", "expected"), [
    (b"", "test.ics: not a calendar: it is empty"),
    (b"<html>Sign in</html>", "test.ics: not a calendar: it starts with '<html>Sign in</html>'"),
    (b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\n", "test.ics: cannot be read as a calendar: it is cut short"),
    ("BEGIN:VCALENDAR\nX-WR-CALNAME:caf\xe9\nEND:VCALENDAR\n".encode("latin-1"), "test.ics: not UTF-8 text"),
    (ics(head="X-WR-TIMEZONE:Mars/Olympus\n"), "test.ics: X-WR-TIMEZONE 'Mars/Olympus' is not a known time zone"),
    (ics(head="CALSCALE:CHINESE\n"), "test.ics: CALSCALE CHINESE is not supported"),
])
def test_unreadable_calendars_are_refused_even_with_skip_bad(store: Store, cfg: Config, data: bytes,
                                                             expected: str) -> None:
    with pytest.raises(InputError, match="^" + expected.replace("(", r"\(").replace("'", "'")):
        load(store, cfg, data, skip_bad=True)


def test_reimport_replaces_atomically(store: Store, cfg: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    load(store, cfg, ics(WEEKLY, MOVED))
    before = [(e.uid, e.title, e.start_at) for e in rows(store)]
    result = load(store, cfg, ics(WEEKLY, MOVED))
    assert result.replaced == 4 and [(e.uid, e.title, e.start_at) for e in rows(store)] == before
    broken = ics(WEEKLY.replace("SUMMARY:Sync", "SUMMARY:Renamed"), "UID:b@x\nDTSTART:nonsense")
    with pytest.raises(InputError):
        load(store, cfg, broken)
    with pytest.raises(RuntimeError, match="disk full"), monkeypatch.context() as patch:
        # A failure after the old rows are deleted: the transaction takes the deletion back.
        patch.setattr(calendars, "insert", lambda table: (_ for _ in ()).throw(RuntimeError("disk full")))
        load(store, cfg, ics(WEEKLY))
    with pytest.raises(InputError, match="reserved"):
        load(store, cfg, ics(WEEKLY), name="Manual")
    assert [(e.uid, e.title, e.start_at) for e in rows(store)] == before
    with store.read() as s:
        assert [(c.name, c.events) for c in calendars.list_calendars(s)] == [("Work", 4)]


# --- The commands ---------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Freeze time on Monday morning."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_import_command_names_and_summary(cli: Runner, clock: Any, tmp_path: Path) -> None:
    path = write(tmp_path, "team-sync.ics", ics(WEEKLY, MOVED, "UID:t@x\nSUMMARY:Focus\nTRANSP:TRANSPARENT\n"
                                                "DTSTART:20260305T130000Z\nDTEND:20260305T140000Z"))
    out = run_ok(cli, "import", "ics", path, "--name", "Work")
    assert out == 'imported 4 events from "Work" (not busy: 1 transparent)\n'
    # The same file again keeps the name it was given, and replaces its events.
    assert run_ok(cli, "import", "ics", path).startswith('imported 4 events from "Work", replacing 4')
    other = write(tmp_path, "holidays.ics", ics("UID:h@x\nSUMMARY:Off\nDTSTART;VALUE=DATE:20260310"))
    assert '"holidays"' in run_ok(cli, "import", "ics", other)
    listed = run_json(cli, "calendars", "--json")
    assert [(c["name"], c["events"], c["file"], c["url"]) for c in listed] == [
        ("Work", 4, path, None), ("holidays", 1, other, None)]
    assert listed[0]["refreshed"] == "2026-03-02T08:00:00+01:00"
    assert "Work" in run_ok(cli, "calendars")
    r = cli("calendars", "refresh")
    assert r.code == 0 and f"Work: imported from {path}: import it again to update it" in r.err
    assert run_ok(cli, "calendars", "remove", "holidays") == 'removed calendar "holidays" and its 1 event\n'
    assert "not imported (known: Work)" in run_bad(cli, "calendars", "remove", "holidays")


def test_import_from_stdin(cli: Runner, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(ics(WEEKLY, head="X-WR-CALNAME:Piped\n"))))
    assert run_ok(cli, "import", "ics", "-").startswith('imported 4 events from "Piped"')


def test_import_errors_exit_2_with_one_line(cli: Runner, clock: Any, tmp_path: Path) -> None:
    assert "does not exist" in run_bad(cli, "import", "ics", str(tmp_path / "nope.ics"))
    page = write(tmp_path, "page.ics", b"<!doctype html>")
    assert run_bad(cli, "import", "ics", page) == (
        f"organizer: {page}: not a calendar: it starts with '<!doctype html>', not BEGIN:VCALENDAR")
    broken = write(tmp_path, "broken.ics", ics(WEEKLY, "UID:b@x\nSUMMARY:Bad\nDTSTART:nonsense"))
    line = run_bad(cli, "import", "ics", broken)
    assert line.startswith(f'organizer: {broken}: event "Bad" (UID b@x, line 12): DTSTART cannot be read')
    assert "reserved" in run_bad(cli, "import", "ics", page, "--name", "manual")
    assert run_json(cli, "events", "--json") == []


def test_skip_bad_lists_what_it_skipped(cli: Runner, clock: Any, tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.ics", ics(WEEKLY, "UID:b@x\nSUMMARY:Bad\nDTSTART:nonsense"))
    r = cli("import", "ics", broken, "--skip-bad", "--name", "Work")
    assert r.code == 0 and r.out == 'imported 4 events from "Work" (1 skipped)\n'
    assert r.err.startswith('skipped event "Bad" (UID b@x, line 12): DTSTART cannot be read')
    # A broken re-import without --skip-bad leaves the earlier import as it was.
    worse = write(tmp_path, "worse.ics", ics(WEEKLY.replace("COUNT=5", "COUNT=2"), "UID:b@x\nDTSTART:x"))
    run_bad(cli, "import", "ics", worse, "--name", "Work")
    assert len(run_json(cli, "events", "--json", "--from", "2026-03-01", "--to", "2026-04-01")) == 4


def test_events_show_what_the_planner_sees(cli: Runner, clock: Any, tmp_path: Path) -> None:
    run_ok(cli, "busy", "add", "tue 14:00", "1h", "Dentist")
    run_ok(cli, "import", "ics", write(tmp_path, "w.ics", ics(WEEKLY, MOVED)), "--name", "Work")
    found = run_json(cli, "events", "--json")
    assert [(e["start"], e["end"], e["title"], e["source"]) for e in found] == [
        ("2026-03-02T10:00:00+01:00", "2026-03-02T11:00:00+01:00", "Sync", "Work"),
        ("2026-03-03T14:00:00+01:00", "2026-03-03T15:00:00+01:00", "Dentist", "manual")]
    assert found[0]["uid"] == "sync@x#20260302T090000Z"
    # A day without a time is the whole day (--to includes it); a time is that instant.
    assert [e["title"] for e in run_json(cli, "events", "--json", "--from", "today", "--to", "today")] == ["Sync"]
    assert [e["title"] for e in run_json(cli, "events", "--json", "--from", "today 10:59", "--to", "tue")] == [
        "Sync", "Dentist"]
    assert [e["title"] for e in run_json(cli, "events", "--json", "--from", "today 11:00", "--to", "tue")] == [
        "Dentist"]
    march = run_json(cli, "events", "--json", "--from", "2026-03-16", "--to", "2026-03-17")
    assert [e["title"] for e in march] == ["Sync (moved)"]
    text = run_ok(cli, "events")
    assert "Mon 02 Mar  10:00–11:00  Work    Sync" in text and "Dentist" in text
    assert "is not after" in run_bad(cli, "events", "--from", "fri", "--to", "wed")
    assert "--from" in run_bad(cli, "events", "--from", "someday")


def test_plan_has_the_meeting_as_busy_time(cli: Runner, clock: Any, tmp_path: Path) -> None:
    run_ok(cli, "import", "ics", write(tmp_path, "w.ics", ics(WEEKLY)), "--name", "Work")
    plan = json.loads(run_ok(cli, "plan", "--json"))
    busy = [(b["start"], b["end"], b["title"]) for b in plan["blocks"] if b["kind"] == "busy"]
    assert busy == [("2026-03-02T10:00+01:00", "2026-03-02T11:00+01:00", "Sync")]
    run_ok(cli, "calendars", "remove", "Work")
    plan = json.loads(run_ok(cli, "plan", "--json"))
    assert not [b for b in plan["blocks"] if b["kind"] == "busy"]
