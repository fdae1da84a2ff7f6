"""Subscriptions: a feed that comes back empty keeps the calendar's events unless --accept-empty, and the
calendar list shows a subscription URL as its host only unless --show-url (the path is the password)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from organizer.cli import ics_import_commands
from organizer.cli.main import build_parser
from organizer.config import Config
from organizer.ics.fetch import Fetched
from organizer.models import BusyEvent, CalendarSource
from organizer.services import calendars
from organizer.storage.orm import Store
from tests.ics.test_fetch import calendar, clock, no_proxy, server  # noqa: F401 (fixtures)
from tests.test_cli import Runner, run_json, run_ok

NOW = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
URL = "https://calendar.example.com/private-3f9a1c/basic.ics"
EMPTY = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nX-WR-CALNAME:Team\r\nEND:VCALENDAR\r\n"
ONLY_CANCELLED = calendar("Stand-up").replace(b"SUMMARY:", b"STATUS:CANCELLED\r\nSUMMARY:")


def titles(store: Store, source: str = "Team") -> list[str]:
    with store.read() as s:
        return [e.title for e in s.exec(select(BusyEvent).where(BusyEvent.source == source))]


def load(store: Store, cfg: Config, data: bytes, **kw: Any) -> calendars.ImportResult:
    with store.write() as s:
        return calendars.import_calendar(s, cfg, "Team", data, now=NOW, source="team.ics", **kw)


def registered(*argv: str) -> bool:
    """Whether the command-line grammar (organizer/cli/main.py) knows these arguments yet."""
    try:
        build_parser().parse_args(list(argv))
    except Exception:  # argparse's usage error, whatever its class
        return False
    return True


# --- An empty calendar does not wipe a full one --------------------------------------------------------------


@pytest.mark.parametrize("empty", [EMPTY, ONLY_CANCELLED], ids=["no events", "only cancelled ones"])
def test_an_empty_reimport_keeps_the_events_unless_accepted(store: Store, cfg: Config, empty: bytes) -> None:
    load(store, cfg, calendar("Stand-up"))
    with pytest.raises(calendars.EmptyCalendar) as exc:
        load(store, cfg, empty)
    assert str(exc.value) == ('team.ics: no events between 31 Jan 2026 and 02 Mar 2027, so "Team" keeps its 3 '
                              "events (--accept-empty empties it)")
    assert titles(store) == ["Stand-up"] * 3
    result = load(store, cfg, empty, accept_empty=True)
    assert (result.events, result.replaced, titles(store)) == (0, 3, [])
    assert load(store, cfg, empty).events == 0  # nothing left to protect


def test_a_first_import_may_be_empty(store: Store, cfg: Config) -> None:
    assert load(store, cfg, EMPTY).events == 0


def fetcher(data: bytes | None) -> Any:
    def fetch(url: str, *, etag: str | None = None, last_modified: str | None = None) -> Fetched:
        return Fetched(url, data, '"v2"', "Tue, 03 Mar 2026 07:00:00 GMT")
    return fetch


def test_refresh_keeps_a_calendar_whose_feed_came_back_empty(store: Store, cfg: Config) -> None:
    with store.write() as s:
        calendars.import_calendar(s, cfg, "Team", calendar("Stand-up"), url=URL, etag='"v1"', now=NOW)
    seen: list[tuple[str, Any]] = []
    outcomes = calendars.refresh(store, cfg, now=lambda: NOW, fetch=fetcher(EMPTY),
                                 progress=lambda name, outcome: seen.append((name, outcome)))
    (outcome,) = outcomes
    assert (outcome.status, outcome.error, outcome.result) == ("kept", None, None)
    assert outcome.detail == ('no events between 31 Jan 2026 and 02 Mar 2027, so "Team" keeps its 3 events '
                              "(organizer calendars refresh 'Team' --accept-empty empties it)")
    assert URL not in outcome.detail and seen[-1] == ("Team", outcome)
    assert titles(store) == ["Stand-up"] * 3
    with store.read() as s:  # not marked as refreshed: the next refresh fetches it in full again
        assert s.exec(select(CalendarSource.etag)).one() == '"v1"'
    (outcome,) = calendars.refresh(store, cfg, now=lambda: NOW, fetch=fetcher(EMPTY), accept_empty=True)
    assert (outcome.status, outcome.result.events if outcome.result else None, titles(store)) == ("updated", 0, [])


def test_refresh_command_reports_the_kept_calendar(cli: Runner, clock: Any, server: Any) -> None:  # noqa: F811
    run_ok(cli, "import", "ics", f"{server.base}/cal.ics")
    server.version, server.body = 2, EMPTY
    r = cli("calendars", "refresh", "Team")
    assert r.code == 2 and r.err == (
        'refreshing Team… kept: no events between 31 Jan 2026 and 02 Mar 2027, so "Team" keeps its 3 events '
        "(organizer calendars refresh 'Team' --accept-empty empties it)\n")
    assert len(run_json(cli, "events", "--json")) == 3
    r = cli("calendars", "refresh")
    assert r.code == 1 and " kept: " in r.err


# --- The list hides the secret part of subscription URLs -----------------------------------------------------


@pytest.mark.parametrize(("url", "shown"), [
    (URL, "https://calendar.example.com/…"),
    ("https://user:pw@cal.example.com:8443/feed?token=abc", "https://cal.example.com:8443/…"),
    ("http://[::1]:8080/x.ics", "http://[::1]:8080/…"),
    ("file:///home/me/cal.ics", "file:///home/me/cal.ics"),
    (None, None),
])
def test_shown_url(url: str | None, shown: str | None) -> None:
    assert calendars.shown_url(url) == shown


def listed(cfg: Config, db_path: Any, capsys: pytest.CaptureFixture[str], **flags: Any) -> tuple[str, str]:
    args = argparse.Namespace(calendars_command="list", **flags)
    assert ics_import_commands.cmd_calendars(args, cfg, str(db_path)) == 0
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_the_list_shows_the_host_only_unless_asked(store: Store, cfg: Config, db_path: Any, clock: Any,  # noqa: F811
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    with store.write() as s:
        calendars.import_calendar(s, cfg, "Team", calendar("Stand-up"), url=URL, now=NOW)
    out, err = listed(cfg, db_path, capsys, json=False)
    assert "https://calendar.example.com/…" in out and "private-3f9a1c" not in out + err
    assert err == "subscription URLs are shortened (they are passwords): --show-url shows them\n"
    out, _ = listed(cfg, db_path, capsys, json=True)
    assert "private-3f9a1c" not in out and '"url": "https://calendar.example.com/…"' in out
    out, err = listed(cfg, db_path, capsys, json=False, show_url=True)
    assert URL in out and not err
    out, _ = listed(cfg, db_path, capsys, json=True, show_url=True)
    assert URL in out


@pytest.mark.skipif(not registered("calendars", "--show-url"), reason="organizer/cli/main.py does not "
                    "register calendars --show-url / calendars list --show-url yet")
def test_show_url_on_the_command_line(cli: Runner, clock: Any, server: Any) -> None:  # noqa: F811
    url = f"{server.base}/cal.ics"
    run_ok(cli, "import", "ics", url)
    assert url not in run_ok(cli, "calendars")
    assert url in run_ok(cli, "calendars", "--show-url")
    assert url in run_ok(cli, "calendars", "list", "--show-url")
    assert [c["url"] for c in run_json(cli, "calendars", "--json", "--show-url")] == [url]


@pytest.mark.skipif(not registered("calendars", "refresh", "--accept-empty") or not registered(
    "import", "ics", "x.ics", "--accept-empty"), reason="organizer/cli/main.py does not register --accept-empty "
                    "for calendars refresh and import ics yet")
def test_accept_empty_on_the_command_line(cli: Runner, clock: Any, server: Any,  # noqa: F811
                                          tmp_path: Any) -> None:
    run_ok(cli, "import", "ics", f"{server.base}/cal.ics")
    server.version, server.body = 2, EMPTY
    r = cli("calendars", "refresh", "Team", "--accept-empty")
    assert r.code == 0 and r.err == "refreshing Team… 0 events\n"
    path = tmp_path / "team.ics"
    path.write_bytes(calendar("Stand-up"))
    run_ok(cli, "import", "ics", str(path), "--name", "Local")
    path.write_bytes(EMPTY)
    r = cli("import", "ics", str(path), "--name", "Local")
    assert r.code == 2 and r.err.endswith('so "Local" keeps its 3 events (--accept-empty empties it)\n')
    assert run_ok(cli, "import", "ics", str(path), "--name", "Local", "--accept-empty").startswith(
        'imported 0 events from "Local", replacing 3')
