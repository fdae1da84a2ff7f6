"""Template and mix benchmarks (issue 13), whole process, on 10,000 cards with a busy imported calendar.

    .venv/bin/python bench/templates.py            # 11 runs of each figure
    .venv/bin/python bench/templates.py --runs 21

Figures (medians, each run on a fresh copy of the database so nothing piles up):
  1  `organizer new video-30s "Winter Blend reel" --publish "<next friday> 08:30" -c instagram,tiktok`: the
     backward schedule through the plan of 10,000 cards and a calendar with a meeting every working day
     (target ≤ 300 ms), three weeks out, past the horizon the 10,000 cards keep full;
  1b the same for a week from Friday at P1, inside that full horizon, on a copy with no other P1 work and no
     pop-up: the piece fits only by taking the time of less urgent work, so the plan is tried up to three
     times (same target);
  2  `organizer mix --month` over the same 10,000 cards (target ≤ 300 ms);
beside `organizer --version` in the same run, for the machine's noise. Exit 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from run import make_env

ROOT = Path(__file__).resolve().parent.parent


def _ics(start: datetime, days: int) -> str:
    """A calendar with a one-hour meeting at 10:00 UTC on every weekday."""
    events = []
    for i in range(days):
        day = start + timedelta(days=i)
        if day.weekday() >= 5:
            continue
        a = day.replace(hour=10, minute=0, second=0, microsecond=0)
        events.append(f"BEGIN:VEVENT\r\nUID:bench-{i}@organizer\r\nDTSTAMP:20261101T000000Z\r\n"
                      f"DTSTART:{a:%Y%m%dT%H%M%SZ}\r\nDTEND:{a + timedelta(hours=1):%Y%m%dT%H%M%SZ}\r\n"
                      f"SUMMARY:Team meeting\r\nEND:VEVENT\r\n")
    return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n" + "".join(events) + "END:VCALENDAR\r\n"


def _median(argv: list[str], env: dict[str, str], runs: int, prepare: object = None) -> float:
    times = []
    for i in range(runs + 1):
        if callable(prepare):
            prepare()
        start = time.perf_counter()
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        elapsed = (time.perf_counter() - start) * 1000
        if proc.returncode not in (0,):
            raise SystemExit(f"{' '.join(argv[1:])} failed: {proc.stderr.strip()[-300:]}")
        if i:
            times.append(elapsed)
    return statistics.median(times)


def main() -> int:
    """Build the data, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    import dataset

    with tempfile.TemporaryDirectory(prefix="organizer-templates-bench-") as folder:
        tmp = Path(folder)
        env = make_env(tmp)
        data = tmp / "cards.json"
        import json

        data.write_text(json.dumps(dataset.generate(10_000, 42)), encoding="utf-8")
        subprocess.run(env.organizer("import", "json", str(data)), env=env.variables, check=True,
                       capture_output=True)
        cal = tmp / "meetings.ics"
        cal.write_text(_ics(datetime.now(UTC) - timedelta(days=7), 60), encoding="utf-8")
        subprocess.run(env.organizer("import", "ics", str(cal), "--name", "Team"), env=env.variables, check=True,
                       capture_output=True)
        subprocess.run(env.organizer("plan"), env=env.variables, check=True, capture_output=True)  # current
        pristine = tmp / "pristine.db"
        shutil.copy(env.db, pristine)

        # The same workspace with no P1 work and no pop-ups (placed before any work), so a P1 piece outranks
        # all of it: the slow path succeeds.
        outranking = tmp / "no-p1.db"
        shutil.copy(env.db, outranking)
        conn = sqlite3.connect(outranking)
        with conn:
            conn.execute("UPDATE card SET priority = 2, popup = 0 WHERE priority = 1 OR popup = 1")
        conn.close()  # closed, so the write is in the file the copies below take (not only in its WAL)
        subprocess.run(env.organizer("plan"), env=env.variables | {"ORGANIZER_DB": str(outranking)}, check=True,
                       capture_output=True)
        shutil.copy(outranking, pristine.with_name("no-p1-pristine.db"))

        def restore(source: Path = pristine) -> None:
            shutil.copy(source, env.db)
            for suffix in ("-wal", "-shm"):
                Path(f"{env.db}{suffix}").unlink(missing_ok=True)

        def restore_outranking() -> None:
            restore(pristine.with_name("no-p1-pristine.db"))

        today = datetime.now(UTC).date()
        # A Friday past the plan's horizon: 10,000 cards keep the next two weeks full.
        friday = today + timedelta(days=(4 - today.weekday()) % 7 + 21)
        # And one within it, at P1: the piece must take the time of less urgent work (the slow path).
        soon = today + timedelta(days=(4 - today.weekday()) % 7 + 7)
        figures = {
            "organizer --version": _median(env.organizer("--version"), env.variables, args.runs),
            "1 new video-30s (10,000 cards, busy calendar)": _median(
                env.organizer("new", "video-30s", "Winter Blend reel", "--publish", f"{friday} 08:30",
                              "-c", "instagram,tiktok"), env.variables, args.runs, restore),
            "1b new video-30s -P 1 in a full week (moves work)": _median(
                env.organizer("new", "video-30s", "Winter Blend reel", "--publish", f"{soon} 08:30",
                              "-c", "instagram,tiktok", "-P", "1"), env.variables, args.runs, restore_outranking),
            "2 mix --month (10,000 cards)": _median(env.organizer("mix", "--month"), env.variables, args.runs),
        }
    print(f"templates and mix · {args.runs} runs · medians")
    for name, ms in figures.items():
        target = "  (target ≤ 300 ms)" if name[0].isdigit() else ""
        print(f"  {name:<48} {ms:7.1f} ms{target}")
    return 1 if any(ms > 300 for name, ms in figures.items() if name[0].isdigit()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
