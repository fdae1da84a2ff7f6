"""Hostile calendars: each is imported by the real CLI in a child process under a hard memory limit and a
wall-clock timeout, and must be refused (or imported) within seconds and a few hundred MB, with one line.

Before the safety work every case here hung, ate gigabytes or crashed: sub-daily VTIMEZONE observances
expanded from 1601, BYxxx cross products, walks from 1601, deep nesting, giant lines, 100,000 events.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from organizer.storage.orm import Store
from tests.ics.test_fetch import no_proxy, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow

# The child dies past these whatever the code does: a hang or a runaway must fail the test, not the machine.
HARD_TIMEOUT = 30.0
ADDRESS_SPACE = 2 * 1024**3
# What a refusal (or a legitimate import) may cost: well under the 10 s / 300 MB budget of an import.
MAX_SECONDS = 8.0
MAX_PEAK_MB = 400.0

CHILD = """
import json, resource, sys, time
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
started = time.monotonic()
from organizer.cli.main import main
code = main(sys.argv[2:])
sys.stdout.flush()
def peak_mb():
    # The high-water mark of this process's own memory (VmHWM): ru_maxrss would also count the RSS of the
    # pytest worker it was forked from (Linux keeps the larger across exec), so the figure grew with the suite.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print("\\n" + json.dumps({"code": code, "seconds": time.monotonic() - started, "peak_mb": peak_mb()}))
"""

# The child runs on the real clock: events are placed a few days from now, inside the planning horizon.
SOON = f"{datetime.now(UTC) + timedelta(days=3):%Y%m%d}"
LATER = f"{datetime.now(UTC) + timedelta(days=4):%Y%m%d}"
HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//hostile//EN\r\n"
TAIL = "END:VCALENDAR\r\n"


def event(body: str, uid: str = "e@x") -> str:
    """A VEVENT with a UID and a summary around `body` (CRLF lines)."""
    lines = [f"UID:{uid}", "SUMMARY:Meeting", *body.strip().splitlines()]
    return "BEGIN:VEVENT\r\n" + "".join(f"{line}\r\n" for line in lines) + "END:VEVENT\r\n"


def calendar(*parts: str) -> bytes:
    """A VCALENDAR around components."""
    return (HEAD + "".join(parts) + TAIL).encode()


def zone(rule: str, tzid: str = "Hostile/Zone") -> str:
    """A VTIMEZONE whose two observances start in 1601 and repeat by `rule`."""
    observance = ("BEGIN:{kind}\r\nDTSTART:1601010{day}T000000\r\nRRULE:{rule}\r\nTZOFFSETFROM:{frm}\r\n"
                  "TZOFFSETTO:{to}\r\nEND:{kind}\r\n")
    return (f"BEGIN:VTIMEZONE\r\nTZID:{tzid}\r\n"
            + observance.format(kind="STANDARD", day=1, rule=rule, frm="+0100", to="+0000")
            + observance.format(kind="DAYLIGHT", day=2, rule=rule, frm="+0000", to="+0100")
            + "END:VTIMEZONE\r\n")


ZONED = f"DTSTART;TZID=Hostile/Zone:{SOON}T090000\nDTEND;TZID=Hostile/Zone:{SOON}T100000"
ALL = {"BYMONTH": range(1, 13), "BYMONTHDAY": range(1, 29), "BYHOUR": range(24), "BYMINUTE": range(60),
       "BYSECOND": range(60)}


def by(*names: str) -> str:
    """BYxxx parts listing every value, e.g. by("BYHOUR") -> ";BYHOUR=0,1,…,23"."""
    return "".join(f";{name}={','.join(map(str, ALL[name]))}" for name in names)


def nested(depth: int) -> str:
    return "".join(f"BEGIN:X-N{i}\r\n" for i in range(depth)) + "".join(
        f"END:X-N{i}\r\n" for i in reversed(range(depth)))


def many_events(count: int) -> bytes:
    return calendar(*(f"BEGIN:VEVENT\r\nUID:{i}\r\nDTSTART:{SOON}T090000Z\r\nEND:VEVENT\r\n"
                      for i in range(count)))


HOSTILE: dict[str, tuple[bytes, str]] = {
    # The 470-byte calendar of the issue: a zone lookup expanded 1601 to now, second by second.
    "zone repeating secondly": (calendar(zone("FREQ=SECONDLY"), event(ZONED)), "time zone"),
    "zone repeating minutely": (calendar(zone("FREQ=MINUTELY"), event(ZONED)), "time zone"),
    "zone repeating hourly": (calendar(zone("FREQ=HOURLY"), event(ZONED)), "time zone"),
    "zone with a BYxxx cross product": (
        calendar(zone("FREQ=YEARLY" + by("BYMONTH", "BYMONTHDAY", "BYHOUR", "BYMINUTE")), event(ZONED)),
        "time zone"),
    "daily rule with every hour, minute and second": (
        calendar(event(f"DTSTART:{SOON}T000000Z\nDURATION:PT1S\nRRULE:FREQ=DAILY"
                       + by("BYHOUR", "BYMINUTE", "BYSECOND"))), "times a day"),
    "yearly rule with a cross product and a huge COUNT": (
        calendar(event(f"DTSTART:{SOON}T000000Z\nDURATION:PT1M\nRRULE:FREQ=YEARLY;COUNT=2000000000"
                       + by("BYMONTH", "BYMONTHDAY", "BYHOUR", "BYMINUTE"))), "times a"),
    "hourly since 1601 with a huge COUNT": (
        calendar(event("DTSTART:16010101T000000Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY;COUNT=2000000000")), "since 1601"),
    "hourly since 1601": (calendar(event("DTSTART:16010101T000000Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY")),
                          "since 1601"),
    "thousands of nested components": (
        calendar(event(f"DTSTART:{SOON}T090000Z\nDTEND:{SOON}T100000Z").replace(
            "END:VEVENT", nested(5000) + "END:VEVENT")), "nested"),
    "a 15 MB summary": (calendar(event(f"DTSTART:{SOON}T090000Z\nDTEND:{SOON}T100000Z").replace(
        "SUMMARY:Meeting", "SUMMARY:" + "x" * 15_000_000)), "SUMMARY"),
    "a 12 MB EXDATE line": (calendar(event(f"DTSTART:{SOON}T090000Z\nDTEND:{SOON}T100000Z\nRRULE:FREQ=DAILY\n"
                                           "EXDATE:" + ",".join(["20200101T000000Z"] * 700_000))), "EXDATE"),
    "120,000 events": (many_events(120_000), "events"),
}


def run_import(tmp_path: Path, data: bytes, *args: str) -> tuple[dict[str, float], str, str]:
    """`organizer import ics FILE ARGS` in a child under the hard limits: (numbers, stdout, stderr).

    The test asks for the `store` fixture: the database exists and is migrated before the child opens it.
    """
    path = tmp_path / "hostile.ics"
    path.write_bytes(data)
    return run_cli("import", "ics", str(path), *args)


def run_cli(*argv: str) -> tuple[dict[str, float], str, str]:
    """`organizer ARGV` in a child under the hard limits: (numbers, stdout, stderr)."""
    try:
        done = subprocess.run([sys.executable, "-c", CHILD, str(ADDRESS_SPACE), *argv],
                              capture_output=True, text=True, timeout=HARD_TIMEOUT, cwd=Path(__file__).parents[2])
    except subprocess.TimeoutExpired:
        pytest.fail(f"the import still ran after {HARD_TIMEOUT:g} s")
    out, _, last = done.stdout.rstrip("\n").rpartition("\n")
    assert last.startswith("{"), f"the child died (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(last), out, done.stderr


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_calendar_is_refused_quickly_in_one_line(store: Store, tmp_path: Path, case: str) -> None:
    data, reason = HOSTILE[case]
    numbers, out, err = run_import(tmp_path, data, "--name", "Work")
    assert numbers["seconds"] < MAX_SECONDS and numbers["peak_mb"] < MAX_PEAK_MB, numbers
    assert numbers["code"] == 2, (out, err)
    assert err.startswith("organizer: ") and err.count("\n") == 1 and len(err) < 400, err
    assert reason in err, err


def test_a_giant_description_is_dropped_not_fatal(store: Store, tmp_path: Path) -> None:
    """An inline attachment or a pasted novel in DESCRIPTION is nothing the busy time needs."""
    data = calendar(event(f"DTSTART:{SOON}T090000Z\nDTEND:{SOON}T100000Z\nDESCRIPTION:" + "y" * 10_000_000),
                    event(f"DTSTART:{LATER}T090000Z\nDTEND:{LATER}T100000Z\nATTACH;ENCODING=BASE64;VALUE=BINARY:"
                          + "QUJD" * 1_500_000, uid="f@x"))
    numbers, out, err = run_import(tmp_path, data, "--name", "Work")
    assert numbers["seconds"] < MAX_SECONDS and numbers["peak_mb"] < MAX_PEAK_MB, numbers
    assert numbers["code"] == 0, err
    assert out.startswith('imported 2 events from "Work"')


def test_the_skip_bad_path_is_as_safe(store: Store, tmp_path: Path) -> None:
    """With --skip-bad the hostile series are skipped, the good event imported, all within the budget."""
    data = calendar(zone("FREQ=SECONDLY"), event(ZONED, uid="z@x"),
                    event(f"DTSTART:{SOON}T000000Z\nDURATION:PT1S\nRRULE:FREQ=DAILY"
                          + by("BYHOUR", "BYMINUTE", "BYSECOND"), uid="d@x"),
                    event("DTSTART:16010101T000000Z\nDURATION:PT1M\nRRULE:FREQ=HOURLY", uid="h@x"),
                    event(f"DTSTART:{SOON}T090000Z\nDTEND:{SOON}T100000Z", uid="good@x"))
    numbers, out, err = run_import(tmp_path, data, "--name", "Work", "--skip-bad")
    assert numbers["seconds"] < MAX_SECONDS and numbers["peak_mb"] < MAX_PEAK_MB, numbers
    assert numbers["code"] == 0, err
    assert out.startswith('imported 1 event from "Work" (3 skipped)'), out


def test_refresh_is_as_safe_and_keeps_the_last_good_import(store: Store, server: Any) -> None:  # noqa: F811
    """`calendars refresh` reads a feed gone hostile under the same limits, and keeps the previous events."""
    server.body = calendar(event(f"DTSTART:{SOON}T090000Z\nDTEND:{SOON}T100000Z"))
    numbers, out, err = run_cli("import", "ics", f"{server.base}/cal.ics", "--name", "Team")
    assert numbers["code"] == 0 and out.startswith('imported 1 event from "Team"'), err
    server.version, server.body = 2, HOSTILE["zone repeating secondly"][0]
    numbers, out, err = run_cli("calendars", "refresh", "Team")
    assert numbers["seconds"] < MAX_SECONDS and numbers["peak_mb"] < MAX_PEAK_MB, numbers
    assert numbers["code"] == 2 and err.startswith("refreshing Team… failed: ") and "time zone" in err, err
    soon = f"{datetime.now(UTC) + timedelta(days=3):%Y-%m-%d}"
    numbers, out, err = run_cli("events", "--json", "--from", soon, "--to", soon)
    assert [e["title"] for e in json.loads(out)] == ["Meeting"], err
