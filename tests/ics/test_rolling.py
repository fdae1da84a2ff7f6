"""Rolling expansion: an imported calendar keeps covering the horizon as time moves on, from a kept copy.

A file import and a subscription answered 304 are expanded again from the copy kept at import;
`calendars` never says "refreshed" for a stale expansion; `events` outside the expanded window expands
on demand, and its messages name the year when the range spans years; a calendar imported before copies
were kept says so instead of failing.
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from sqlmodel import col, delete, select

from organizer.config import Config
from organizer.models import BusyEvent, CalendarSource, Setting
from organizer.services import calendars
from organizer.storage.orm import Store, open_store
from tests.ics.test_fetch import no_proxy, server  # noqa: F401 (fixtures)
from tests.test_cli import Runner, run_json, run_ok

# Monday 2 March 2026, 08:00 in Paris.
NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=400)  # Tuesday 6 April 2027


def weekly(title: str = "Sync") -> bytes:
    """A meeting every Monday at 10:00 Paris time since June 2025, without end."""
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-CALNAME:Team\r\nBEGIN:VEVENT\r\n"
            f"UID:sync@x\r\nSUMMARY:{title}\r\nDTSTART;TZID=Europe/Paris:20250602T100000\r\n"
            "DTEND;TZID=Europe/Paris:20250602T110000\r\nRRULE:FREQ=WEEKLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


@pytest.fixture
def clock() -> Iterator[time_machine.Coordinates]:
    """Frozen time; time_machine leaves the monotonic clock alone, so httpx's timeouts still work."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def file_import(cli: Runner, tmp_path: Path, data: bytes | None = None) -> str:
    path = tmp_path / "team.ics"
    path.write_bytes(data or weekly())
    assert run_ok(cli, "import", "ics", str(path), "--name", "Team").startswith('imported 57 events from "Team"')
    return str(path)


@contextmanager
def opened(db_path: Path) -> Iterator[Store]:
    """The test's database, as another process would open it."""
    store = open_store(str(db_path))
    try:
        yield store
    finally:
        store.close()


def stored(db_path: Path) -> list[tuple[int, str, datetime]]:
    """(id, uid, start) of the calendar's busy events, in time order."""
    with opened(db_path) as store, store.read() as s:
        return [(e.id or 0, e.uid, e.start_at) for e in s.exec(  # type: ignore[misc]
            select(BusyEvent).where(BusyEvent.source == "Team").order_by(BusyEvent.start_at))]


def forget_copies(db_path: Path) -> None:
    """Make the calendars look imported by an Organizer that kept no copy and no window."""
    with opened(db_path) as store, store.write() as s:
        s.exec(delete(Setting).where(col(Setting.key).like("calendar.%")))
    folder = db_path.with_name(db_path.name + ".calendars")
    for copy in folder.glob("*"):
        copy.unlink()


# --- A file import keeps covering the horizon ----------------------------------------------------------------


def test_a_file_import_is_expanded_again_from_its_copy(cli: Runner, clock: Any, tmp_path: Path, db_path: Path,
                                                       cfg: Config) -> None:
    path = file_import(cli, tmp_path)
    Path(path).unlink()  # the copy is what counts, not the file it came from
    folder = db_path.with_name(db_path.name + ".calendars")
    (copy,) = folder.iterdir()
    assert copy.read_bytes() == weekly() and stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    clock.move_to(LATER)
    with opened(db_path) as store:
        with store.read() as s:
            assert calendars.events_between(s, LATER, LATER + timedelta(days=7)) == []  # nothing expanded yet
            assert calendars.stale_calendars(s, LATER) == ["Team"]
        with store.write() as s:
            (done,) = calendars.ensure_expanded(s, cfg, LATER)
        assert (done.name, done.error, done.end) == ("Team", None, LATER + timedelta(days=365))
        with store.read() as s:
            (meeting,) = calendars.events_between(s, LATER, LATER + timedelta(days=7))
            assert (meeting.title, meeting.start) == ("Sync", datetime(2027, 4, 12, 8, 0, tzinfo=UTC))
            assert calendars.stale_calendars(s, LATER) == []
        with store.write() as s:
            assert calendars.ensure_expanded(s, cfg, LATER) == []  # done: nothing to do until stale again


def test_events_expands_stale_calendars_first_and_touches_only_what_changed(
        cli: Runner, clock: Any, tmp_path: Path, db_path: Path) -> None:
    file_import(cli, tmp_path)
    before = stored(db_path)
    clock.move_to(NOW + timedelta(days=100))  # stale: the expansion reaches 265 days ahead
    got = run_json(cli, "events", "--json")
    assert [(e["title"], e["start"]) for e in got] == [("Sync", "2026-06-15T10:00:00+02:00")]
    after = stored(db_path)
    assert after[-1][2] == datetime(2027, 6, 7, 8, 0, tzinfo=UTC)  # out to the new horizon, 365 days ahead
    # Occurrences still in the window kept their rows; those before the new window went.
    kept = {uid: ident for ident, uid, start in before if start >= NOW + timedelta(days=70)}
    assert kept and {uid: ident for ident, uid, _ in after if uid in kept} == kept
    assert min(start for _, _, start in after) >= NOW + timedelta(days=70)


def test_refreshing_a_file_import_expands_it_again(cli: Runner, clock: Any, tmp_path: Path) -> None:
    path = file_import(cli, tmp_path)
    r = cli("calendars", "refresh")
    assert r.code == 0 and r.err == f"Team: imported from {path}: import it again to update it\n"
    clock.move_to(NOW + timedelta(days=3))  # not stale yet, but a refresh keeps the horizon exact
    r = cli("calendars", "refresh")
    assert r.code == 0 and r.err == (f"Team: imported from {path}: import it again to update it (busy time "
                                     "expanded again to 05 Mar 2027 from the kept copy)\n")


# --- A subscription answered 304 --------------------------------------------------------------------------


def test_a_refresh_answered_304_expands_again(cli: Runner, clock: Any, server: Any) -> None:  # noqa: F811
    server.body = weekly()
    url = f"{server.base}/cal.ics"
    assert run_ok(cli, "import", "ics", url).startswith('imported 57 events from "Team"')
    clock.move_to(LATER)
    r = cli("calendars", "refresh")
    assert r.code == 0 and r.err == ("refreshing Team… not changed (busy time expanded again to 05 Apr 2028 "
                                     "from the kept copy)\n")
    assert server.hits.count("/cal.ics") == 2  # the 304: no second download
    got = run_json(cli, "events", "--json")
    assert [(e["title"], e["start"]) for e in got] == [("Sync", "2027-04-12T10:00:00+02:00")]
    (listed,) = run_json(cli, "calendars", "--json")
    assert (listed["expanded_to"][:10], listed["stale_since"], listed["kept"]) == ("2028-04-05", None, True)


def test_a_subscription_without_a_copy_is_fetched_in_full_once(cli: Runner, clock: Any, server: Any,  # noqa: F811
                                                               db_path: Path) -> None:
    server.body = weekly()
    run_ok(cli, "import", "ics", f"{server.base}/cal.ics")
    forget_copies(db_path)
    clock.move_to(LATER)
    r = cli("calendars", "refresh")
    assert r.code == 0 and r.err == "refreshing Team… 57 events\n"
    assert server.hits.count("/cal.ics") == 3  # 200, then 304, then the whole calendar to keep a copy
    assert cli("calendars", "refresh").err == "refreshing Team… not changed\n"
    assert len(run_json(cli, "events", "--json")) == 1


# --- What `calendars` says -----------------------------------------------------------------------------------


def test_the_list_never_says_refreshed_for_a_stale_expansion(cli: Runner, clock: Any, tmp_path: Path) -> None:
    path = file_import(cli, tmp_path)
    assert run_ok(cli, "calendars") == (f"Team      57 events  refreshed 2026-03-02 08:00  expanded to 2027-03-02  "
                                        f"{path}\n")
    clock.move_to(NOW + timedelta(days=100))
    r = cli("calendars")
    assert r.code == 0 and "refreshed" not in r.out
    assert r.out == f"Team      57 events  expansion stale since 2026-05-06 (expanded to 2027-03-02)  {path}\n"
    assert r.err == "stale calendars are expanded again from their kept copies by organizer calendars refresh\n"
    (listed,) = run_json(cli, "calendars", "--json")
    assert (listed["stale_since"][:10], listed["expanded_from"][:10], listed["kept"]) == (
        "2026-05-06", "2026-01-31", True)
    cli("calendars", "refresh")
    assert run_ok(cli, "calendars").startswith("Team      57 events  refreshed 2026-03-02 08:00  "
                                               "expanded to 2027-06-10")


# --- events outside the expanded window -------------------------------------------------------------------


def test_events_outside_the_window_are_expanded_on_demand(cli: Runner, clock: Any, tmp_path: Path,
                                                         db_path: Path) -> None:
    file_import(cli, tmp_path)
    before = stored(db_path)
    r = cli("events", "--from", "2028-06-01", "--to", "2028-06-08")
    assert r.code == 0 and r.err == ""
    assert r.out == "Mon 05 Jun 2028  10:00–11:00  Team  Sync\n"  # another year than today's: with the year
    r = cli("events", "--from", "2025-12-01", "--to", "2025-12-02")  # before the window
    assert r.out == "Mon 01 Dec 2025  10:00–11:00  Team  Sync\n"
    assert stored(db_path) == before  # on demand: nothing stored


def test_event_messages_name_the_year_when_the_range_spans_years(cli: Runner, clock: Any, tmp_path: Path) -> None:
    file_import(cli, tmp_path)
    assert run_ok(cli, "events", "--from", "2026-12-28", "--to", "2027-01-04") == (
        "Mon 28 Dec 2026  10:00–11:00  Team  Sync\nMon 04 Jan 2027  10:00–11:00  Team  Sync\n")
    assert run_ok(cli, "events", "--from", "2026-12-29", "--to", "2027-01-03") == (
        "no busy time from Tue 29 Dec 2026 00:00 to Mon 04 Jan 2027 00:00\n")
    assert run_ok(cli, "events", "--from", "2026-03-03", "--to", "2026-03-04") == (
        "no busy time from Tue 03 Mar 00:00 to Thu 05 Mar 00:00\n")  # this year: no need to say it


# --- Calendars imported before copies were kept -----------------------------------------------------------------


def test_a_calendar_without_a_copy_says_so(cli: Runner, clock: Any, tmp_path: Path, db_path: Path,
                                           cfg: Config) -> None:
    path = file_import(cli, tmp_path)
    forget_copies(db_path)
    assert run_ok(cli, "calendars") == (f"Team      57 events  refreshed 2026-03-02 08:00  expanded to 2027-03-02, "
                                        f"no copy kept: re-import to keep it current  {path}\n")
    clock.move_to(LATER)
    assert run_ok(cli, "calendars") == (f"Team      57 events  expansion stale since 2026-05-06 (expanded to "
                                        f"2027-03-02), no copy kept: re-import to keep it current  {path}\n")
    r = cli("events")
    assert r.code == 0 and r.out == "no busy time from Tue 06 Apr 00:00 to Tue 13 Apr 00:00\n"
    assert r.err == ('"Team": busy time known from 31 Jan 2026 to 02 Mar 2027 only (no copy of it is kept: '
                     "import it again to keep it current)\n")
    r = cli("calendars", "refresh")
    assert r.code == 0 and r.err == (f"Team: imported from {path}: import it again to update it (no copy of it is "
                                     "kept, so it is not expanded as time moves on)\n")
    with opened(db_path) as store, store.write() as s:
        assert calendars.ensure_expanded(s, cfg, LATER) == []
    # Importing it again keeps a copy from then on.
    file_import(cli, tmp_path)
    assert "no copy" not in run_ok(cli, "calendars")


def test_copies_follow_the_imports(store: Store, cfg: Config, db_path: Path, clock: Any) -> None:
    folder = db_path.with_name(db_path.name + ".calendars")
    for title in ("One", "Two", "Three"):
        with store.write() as s:
            calendars.import_calendar(s, cfg, "Team", weekly(title), now=NOW)
    # The copy of the last import, and the one before it (pruned by the next import, in case of a rollback).
    assert sorted(p.read_bytes() for p in folder.iterdir()) == sorted([weekly("Two"), weekly("Three")])
    with store.write() as s:
        calendars.import_calendar(s, cfg, "Other", weekly("Three"), now=NOW)  # same bytes: one copy
        ident = s.exec(select(CalendarSource.id).where(CalendarSource.name == "Team")).one()
        record = json.loads(s.get(Setting, f"calendar.{ident}.expansion").value)  # type: ignore[union-attr]
    assert (record["start"], record["end"]) == ("2026-01-31T07:00:00+00:00", "2027-03-02T07:00:00+00:00")
    with store.write() as s:
        calendars.remove_calendar(s, "Team")
        calendars.remove_calendar(s, "Other")
    with store.write() as s:
        calendars.import_calendar(s, cfg, "New", weekly("Four"), now=NOW)
    assert [p.read_bytes() for p in folder.iterdir()] == [weekly("Four")]
