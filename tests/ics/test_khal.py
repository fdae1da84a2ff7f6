"""An exported calendar read by a real client: khal imports it and lists every event at the right local time.

khal runs as a subprocess with its own config, vdir and cache under the test's temporary folder, and with
TZ set to a third zone, so the times it prints can only come from the file and the khal config.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from organizer.models import PlanBlock
from organizer.storage.orm import Store
from tests.test_cli import Runner, run_ok

KHAL = Path(sys.executable).parent / "khal"
KHAL_CMD = str(KHAL) if KHAL.exists() else shutil.which("khal")
pytestmark = pytest.mark.skipif(KHAL_CMD is None, reason="khal is not installed (pip install -e '.[test]')")
LINE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}))? (\d{4}-\d{2}-\d{2})(?: (\d{2}:\d{2}))? (.+)$")


def khal(tmp: Path, zone: str, *args: str) -> str:
    """Run khal with a config whose local and default zone is `zone`; returns stdout."""
    config = tmp / f"khal-{zone.replace('/', '-')}.conf"
    config.write_text(f"""[calendars]
[[organizer]]
path = {tmp / 'vdir'}/
type = calendar

[sqlite]
path = {tmp / f"khal-{zone.replace('/', '-')}.db"}

[locale]
local_timezone = {zone}
default_timezone = {zone}
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
""")
    (tmp / "vdir").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env |= {"XDG_CONFIG_HOME": str(tmp / "xdg-config"), "XDG_DATA_HOME": str(tmp / "xdg-data"),
            "TZ": "Asia/Kolkata", "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    assert KHAL_CMD is not None
    done = subprocess.run([KHAL_CMD, "-c", str(config), *args], capture_output=True, text=True, env=env,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    return done.stdout


def listed(tmp: Path, zone: str, first: str, last: str) -> set[tuple[str, ...]]:
    """(start date, start time, end date, end time, title) of every event khal lists between two days."""
    out = khal(tmp, zone, "list", "--format", "{start} {end} {title}", "--day-format", "", first, last)
    return {tuple(g or "" for g in m.groups()) for line in out.splitlines() if (m := LINE.match(line))}


def test_khal_lists_the_export_at_local_times(cli: Runner, store: Store, tmp_path: Path) -> None:
    # After the exported range: the export then plans no days ahead, so the file holds exactly these rows.
    with time_machine.travel(datetime(2027, 5, 3, 7, 0, tzinfo=UTC), tick=False):
        run_ok(cli, "add", "Launch post, v2; final", "--role", "writer", "--channel", "linkedin,x",
               "--publish", "2026-11-27 10:00", "--due", "2026-11-27 09:00", "--notes", "Line one\nline two")
        run_ok(cli, "add", "Quarterly report", "--role", "analyst", "--due", "2026-11-28 00:00")
        run_ok(cli, "add", "Café crème — une très longue histoire de torréfaction " + "é" * 40 + " ☕🎉")
        with store.write() as s:
            for day, utc_hour in ((date(2026, 11, 30), 8), (date(2027, 3, 28), 7), (date(2026, 10, 25), 8)):
                at = datetime(day.year, day.month, day.day, utc_hour, tzinfo=UTC)  # 09:00 in Paris each time
                s.add(PlanBlock(day=day, start_at=at, end_at=at + timedelta(minutes=90), kind="work", card_id=3))
            at = datetime(2026, 11, 30, 11, tzinfo=UTC)
            s.add(PlanBlock(day=date(2026, 11, 30), start_at=at, end_at=at + timedelta(minutes=30), kind="reserve"))
        target = tmp_path / "organizer.ics"
        run_ok(cli, "export", "ics", "-o", str(target), "--from", "2026-10-01", "--to", "2027-04-30")

    khal(tmp_path, "Europe/Paris", "import", "--batch", "-a", "organizer", str(target))
    assert len(list((tmp_path / "vdir").glob("*.ics"))) == 7
    title = "MAIN-3 Café crème — une très longue histoire de torréfaction " + "é" * 40 + " ☕🎉"
    paris = listed(tmp_path, "Europe/Paris", "2026-10-24", "2027-03-29")
    assert paris == {
        ("2026-10-25", "09:00", "2026-10-25", "10:30", title),
        ("2026-11-27", "09:00", "2026-11-27", "09:10", "Due: MAIN-1 Launch post, v2; final"),
        ("2026-11-27", "10:00", "2026-11-27", "10:15", "[LinkedIn, X] Launch post, v2; final"),
        ("2026-11-28", "", "2026-11-28", "", "Due: MAIN-2 Quarterly report"),
        ("2026-11-30", "09:00", "2026-11-30", "10:30", title),
        ("2026-11-30", "12:00", "2026-11-30", "12:30", "Reserve (pop-ups)"),
        ("2027-03-28", "09:00", "2027-03-28", "10:30", title),
    }
    # The same file seen from New York: the instants hold across both DST changes, the all-day date does not move.
    york = listed(tmp_path, "America/New_York", "2026-10-24", "2027-03-29")
    assert {(d, t, s) for d, t, _, _, s in york} == {
        ("2026-10-25", "04:00", title), ("2026-11-27", "03:00", "Due: MAIN-1 Launch post, v2; final"),
        ("2026-11-27", "04:00", "[LinkedIn, X] Launch post, v2; final"),
        ("2026-11-28", "", "Due: MAIN-2 Quarterly report"),
        ("2026-11-30", "03:00", title), ("2026-11-30", "06:00", "Reserve (pop-ups)"), ("2027-03-28", "03:00", title),
    }
