"""Every real-world calendar of the shared corpus: imported exactly as an independent expansion says, or
rejected cleanly (InputError naming the file; exit 2 with one line); with --skip-bad, the readable events.

The expected occurrences are computed here with recurring-ical-events' own query on the parsed calendar
(not the importer's code path), minus cancelled, transparent and zero-length ones, over a fixed range.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from organizer.config import Config
from organizer.models import BusyEvent
from organizer.services import calendars
from organizer.storage.orm import Store
from organizer.validate import InputError
from tests.test_cli import Runner, run_bad, run_ok

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "ics-corpus"
if not CORPUS.is_dir():
    pytest.skip(f"the shared calendar corpus is not at {CORPUS} (it sits beside the repository)",
                allow_module_level=True)

FILES = sorted(CORPUS.glob("*.ics"))
START, END = datetime(2010, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 3, 2, tzinfo=UTC)
# Unreadable as a whole: refused even with --skip-bad.
UNREADABLE = {"big_bad_calendar.ics", "fuzz_testcase_invalid_month.ics"}
# Readable, with broken events: refused, or with --skip-bad (imported events, skipped events) over the range.
BROKEN_EVENTS = {
    "broken_dtstart.ics": (0, 1),
    "broken_ical.ics": (0, 1),
    "created_calendar_with_unicode_fields.ics": (1, 1),
    "end_before_start_event.ics": (0, 1),
    "invalid_duration.ics": (0, 1),
    "issue_722_missing_timezones.ics": (2, 2),
}
REJECTED = UNREADABLE | set(BROKEN_EVENTS)


def by_name(paths: list[Path]) -> Any:
    return pytest.mark.parametrize("path", paths, ids=[p.name for p in paths])


def to_utc(value: date, zone: ZoneInfo) -> datetime:
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0), zone).astimezone(UTC)
    return (value if value.tzinfo else value.replace(tzinfo=zone)).astimezone(UTC)


def expected(path: Path, tz: str) -> set[tuple[str | None, datetime, datetime]]:
    """(UID, start, end) of every busy occurrence in the range, by recurring-ical-events' public query."""
    import icalendar
    import recurring_ical_events

    zone = ZoneInfo(tz)
    found = set()
    cal = icalendar.Calendar.from_ical(path.read_bytes())
    for event in recurring_ical_events.of(cal).between(START.astimezone(zone), END.astimezone(zone)):
        if str(event.get("STATUS", "")).upper() == "CANCELLED" or str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            continue
        start, end = to_utc(event["DTSTART"].dt, zone), to_utc(event["DTEND"].dt, zone)
        if end > start:
            found.add((str(event["UID"]) if "UID" in event else None, start, end))
    return found


def imported(store: Store, name: str) -> set[tuple[str | None, datetime, datetime]]:
    """(UID without the occurrence suffix, start, end) of what an import stored; None for made-up UIDs."""
    with store.read() as s:
        found = s.exec(select(BusyEvent).where(BusyEvent.source == name))
        return {(None if e.uid.startswith("nouid-") else e.uid.rsplit("#", 1)[0], e.start_at, e.end_at)
                for e in found if e.start_at and e.end_at}


def load(store: Store, cfg: Config, path: Path, *, skip_bad: bool = False,
         accept_empty: bool = False) -> calendars.ImportResult:
    with store.write() as s:
        return calendars.import_calendar(s, cfg, "Corpus", path.read_bytes(), now=NOW, source=str(path),
                                         skip_bad=skip_bad, start=START, end=END, accept_empty=accept_empty)


def test_the_corpus_is_all_there() -> None:
    names = {p.name for p in FILES}
    assert names >= REJECTED, f"missing from the corpus: {sorted(REJECTED - names)}"
    assert len(FILES) >= 20


@by_name(FILES)
def test_each_file_imports_exactly_or_is_rejected(store: Store, cfg: Config, path: Path) -> None:
    if path.name in REJECTED:
        with pytest.raises(InputError) as exc:
            load(store, cfg, path)
        message = str(exc.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        assert imported(store, "Corpus") == set()
        return
    result = load(store, cfg, path)
    got = imported(store, "Corpus")
    assert got == expected(path, cfg.timezone)
    assert result.events == len(got) and not result.skipped


@by_name(FILES)
def test_each_file_through_the_command(cli: Runner, path: Path) -> None:
    if path.name in REJECTED:
        line = run_bad(cli, "import", "ics", str(path))
        assert line.startswith(f"organizer: {path}: ")
    else:
        assert run_ok(cli, "import", "ics", str(path), "--name", "Corpus").startswith("imported ")


@by_name([p for p in FILES if p.name in REJECTED])
def test_skip_bad_imports_the_readable_events(store: Store, cfg: Config, path: Path) -> None:
    if path.name in UNREADABLE:
        with pytest.raises(InputError, match=f"^{path}: "):
            load(store, cfg, path, skip_bad=True)
        return
    events, skipped = BROKEN_EVENTS[path.name]
    result = load(store, cfg, path, skip_bad=True)
    assert (result.events, len(result.skipped)) == (events, skipped)
    assert len(imported(store, "Corpus")) == events
    for item in result.skipped:
        assert str(item).startswith("event ") and "line " in str(item) and "\n" not in str(item)


def test_skipped_corpus_events_say_what_is_wrong(store: Store, cfg: Config) -> None:
    reasons = {}
    for name in sorted(BROKEN_EVENTS):
        # One calendar name for files in turn: one with no readable event replaces the last one's on purpose.
        reasons[name] = [str(s) for s in load(store, cfg, CORPUS / name, skip_bad=True, accept_empty=True).skipped]
    assert reasons["broken_dtstart.ics"] == [
        "event UID test-123, line 4: DTSTART cannot be read: Expected datetime, date, or time. Got: 'INVALID-DATE'"]
    assert reasons["end_before_start_event.ics"] == [
        'event "test1" (UID UYDQSG9TH4DE0WM3QFL2J, line 25): it ends (2019-03-04 08:00+01:00) before it starts '
        "(2019-03-04 08:30+01:00)"]
    assert reasons["issue_722_missing_timezones.ics"] == ["event line 9: it has no DTSTART",
                                                          "event line 15: it has no DTSTART"]
    assert reasons["invalid_duration.ics"][0].endswith("DURATION cannot be read: Impractical iCalendar duration: "
                                                       "P999999999999999999W")


def test_readable_events_of_a_broken_file_are_right(store: Store, cfg: Config) -> None:
    load(store, cfg, CORPUS / "issue_722_missing_timezones.ics", skip_bad=True)
    # 08:00 New York to 08:00 Los Angeles, and the RDATE period: 12:00-14:00 in Berlin.
    assert sorted((s, e) for _, s, e in imported(store, "Corpus")) == [
        (datetime(2014, 8, 29, 12, tzinfo=UTC), datetime(2014, 8, 29, 15, tzinfo=UTC)),
        (datetime(2024, 9, 13, 10, tzinfo=UTC), datetime(2024, 9, 13, 12, tzinfo=UTC))]
