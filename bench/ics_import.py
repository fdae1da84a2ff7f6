"""Calendar import benchmark: `organizer import ics FILE` on a year of a busy recurring calendar.

Run `.venv/bin/python bench/ics_import.py` (options: --runs, --warmup, --keep, --write FILE). It generates
a calendar relative to today: 8 weekly meetings recurring on 1-5 weekdays each (with EXDATEs, a moved
instance and a cancelled instance per series) and 200 single meetings, about 2,000 busy occurrences over
the import horizon (30 days back, 365 ahead). Each measured run is a whole `organizer` process, with the
bench's own config and a fresh copy of an empty, migrated database (helpers from bench/run.py). Target:
median ≤ 1 s. Context rows: re-importing over the same calendar (replace), `events --json` for a week,
and `calendars list`. Results go to bench/out/ics-import-results.json.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from run import (
    OUT_DIR,
    Bench,
    CommandFailed,
    Target,
    _git_revision,
    checkpoint_copy,
    cpu_seconds,
    make_env,
    measure,
    others_cpu,
    restore,
    table,
)

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
# (title, weekdays, local start hour, minutes): 31 weekday slots a week, ~1,750 occurrences a year.
SERIES = (
    ("Daily stand-up", 5, 9, 15), ("Community check-in", 5, 11, 30), ("Inbox sweep", 5, 16, 30),
    ("Content sync", 4, 10, 45), ("Creative review", 4, 14, 60), ("Analytics huddle", 3, 15, 30),
    ("Client call", 3, 13, 60), ("Editorial planning", 2, 10, 90),
)
SINGLES = 200
TARGET_MS = 1000


def _stamp(dt: datetime) -> str:
    return dt.strftime("%Y%m%dT%H%M%S")


def busy_calendar(today: date, seed: int = 7) -> str:
    """A busy work calendar in Europe/Paris (X-WR-TIMEZONE and TZID), starting 60 days before `today`."""
    rng = random.Random(seed)
    first = today - timedelta(days=60 + today.weekday())  # a Monday
    out = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Organizer bench//EN", "X-WR-CALNAME:Bench work",
           "X-WR-TIMEZONE:Europe/Paris"]
    for n, (title, days, hour, minutes) in enumerate(SERIES):
        uid = f"series-{n}@bench"
        start = datetime.combine(first, datetime.min.time()).replace(hour=hour)
        byday = ",".join(WEEKDAYS[:days])
        exdates = ",".join(_stamp(start + timedelta(weeks=w)) for w in (10, 20, 30))
        out += ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{title}", f"DTSTART;TZID=Europe/Paris:{_stamp(start)}",
                f"DTEND;TZID=Europe/Paris:{_stamp(start + timedelta(minutes=minutes))}",
                f"RRULE:FREQ=WEEKLY;BYDAY={byday}", f"EXDATE;TZID=Europe/Paris:{exdates}", "END:VEVENT"]
        moved, dropped = start + timedelta(weeks=12), start + timedelta(weeks=14)
        out += ["BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{title} (moved)",
                f"RECURRENCE-ID;TZID=Europe/Paris:{_stamp(moved)}",
                f"DTSTART;TZID=Europe/Paris:{_stamp(moved + timedelta(hours=2))}",
                f"DTEND;TZID=Europe/Paris:{_stamp(moved + timedelta(hours=2, minutes=minutes))}", "END:VEVENT",
                "BEGIN:VEVENT", f"UID:{uid}", f"SUMMARY:{title}", "STATUS:CANCELLED",
                f"RECURRENCE-ID;TZID=Europe/Paris:{_stamp(dropped)}",
                f"DTSTART;TZID=Europe/Paris:{_stamp(dropped)}",
                f"DTEND;TZID=Europe/Paris:{_stamp(dropped + timedelta(minutes=minutes))}", "END:VEVENT"]
    for n in range(SINGLES):
        day = today + timedelta(days=rng.randrange(-25, 360))
        start = datetime(day.year, day.month, day.day, rng.randrange(8, 18), rng.choice((0, 30)), tzinfo=UTC)
        out += ["BEGIN:VEVENT", f"UID:single-{n}@bench", f"SUMMARY:Meeting {n} with a partner",
                f"DTSTART:{_stamp(start)}Z", f"DTEND:{_stamp(start + timedelta(minutes=rng.choice((30, 60))))}Z",
                "DESCRIPTION:Agenda: numbers\\, next steps\\, owners.", "END:VEVENT"]
    out.append("END:VCALENDAR")
    return "\r\n".join(out) + "\r\n"


def expect_imported(minimum: int) -> Callable[[str], str]:
    """`organizer import ics` says how many events it imported: at least `minimum`."""

    def check(text: str) -> str:
        m = re.search(r"imported (\d+) events", text)
        if not m or int(m.group(1)) < minimum:
            raise CommandFailed(f"expected 'imported N events' with N ≥ {minimum}, got {text.strip()[:120]!r}")
        return text.strip()

    return check


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description="Calendar import benchmark (see the module docstring).")
    p.add_argument("--runs", type=int, default=15, help="measured runs per command (default 15)")
    p.add_argument("--warmup", type=int, default=2, help="uncounted runs first (default 2)")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (its path is printed)")
    p.add_argument("--write", metavar="FILE", help="only write the generated calendar to FILE")
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the calendar, measure the import and the context rows, print the table."""
    args = parse_args(argv)
    text = busy_calendar(datetime.now(UTC).date())
    if args.write:
        Path(args.write).write_text(text, encoding="utf-8", newline="")
        return 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="organizer-ics-bench-"))
    started, before = time.perf_counter(), cpu_seconds()
    try:
        env = make_env(tmp)
        ics = tmp / "busy.ics"
        ics.write_text(text, encoding="utf-8", newline="")
        empty, built = tmp / "empty.db", tmp / "built.db"
        made = subprocess.run(env.organizer("--db", str(built), "boards"), capture_output=True, text=True,
                              env=env.variables, stdin=subprocess.DEVNULL)
        if made.returncode != 0:
            raise SystemExit(f"cannot create an empty database: {made.stderr.strip()}")
        checkpoint_copy(built, empty)
        runs = {"runs": args.runs, "warmup": args.warmup}
        first = measure(env, Bench("import_ics", "import ics (new calendar, ~2,000 occurrences)",
                                   env.organizer("import", "ics", str(ics)), figure="1",
                                   target=Target(median_ms=TARGET_MS), prepare=lambda: restore(empty, env.db),
                                   check=expect_imported(1500), **runs))
        restore(empty, env.db)
        subprocess.run(env.organizer("import", "ics", str(ics)), env=env.variables, capture_output=True, check=True)
        loaded = tmp / "loaded.db"
        checkpoint_copy(env.db, loaded)
        results = [first, measure(env, Bench("reimport_ics", "import ics again (replaces the calendar)",
                                             env.organizer("import", "ics", str(ics)), prepare=lambda: restore(
                                                 loaded, env.db), check=expect_imported(1500), **runs))]
        restore(loaded, env.db)
        results.append(measure(env, Bench("events_json", "events --json (7 days)",
                                          env.organizer("events", "--json"), **runs)))
        results.append(measure(env, Bench("calendars", "calendars list", env.organizer("calendars"), **runs)))
    finally:
        if args.keep:
            print(f"temporary folder kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    # CPU the rest of the machine used meanwhile, in cores: figures from a busy machine read high.
    others = others_cpu(before, started)
    load = "?" if others is None else f"{others:.2f}"
    print(f"Calendar import benchmark · {datetime.now(UTC).isoformat(timespec='seconds')} · git {_git_revision()} · "
          f"Python {sys.version.split()[0]} · other processes used {load} CPUs")
    print(f"command: organizer import ics FILE   (FILE: {len(SERIES)} weekly series + {SINGLES} single events, "
          "generated by bench/ics_import.py)\n")
    print(table(results))
    print()
    for r in results:
        if r.note:
            print(f"  {r.figure or '·'} {r.label}: {r.note}")
    (OUT_DIR / "ics-import-results.json").write_text(
        json.dumps({"other_processes_cpu_cores": others, "results": [asdict(r) for r in results]}, indent=2,
                   ensure_ascii=False) + "\n",
        encoding="utf-8")
    return 1 if any(r.status == "ERROR" for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
