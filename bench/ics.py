"""Calendar export benchmarks: `organizer export ics` as a whole process, the way bench/run.py measures.

Run `.venv/bin/python bench/ics.py` (options: `--runs N`, `--heavy-runs N`, `--keep`, `--profile`). Two figures:

1. a month of one person's plan and publish times (about 600 events): `organizer export ics -o FILE` with the
   default range (today and the next 30 days); target: median wall ≤ 400 ms.
2. 10,000 events: the 10,000-card benchmark database with a year of stored plan, `organizer export ics
   --from DAY --to DAY -o FILE` over the span that holds at least 10,000 events; target: median ≤ 2.5 s.

The databases are made like bench/run.py makes its own: bench/dataset.py writes the cards (seeded,
deterministic for a day), `organizer --db DB import json FILE` loads them. Plan blocks are then written
straight into `plan_block`, as `organizer plan` stores them: every working day (09:00-12:30, 13:30-17:30
in Paris) gets 45-minute reserve blocks before 12:30 and 17:30 and work blocks of 25 to 90 minutes on
open cards in between. Every working day of the export's next two weeks has its plan, so the export
plans nothing itself: the figures are the export alone. Environment, warm-ups and statistics are
bench/run.py's (see bench/README.md); the first run's file is checked (parsed back by icalendar, every
line ≤ 75 octets) before anything is timed. `--profile` runs the 10,000-event export once under cProfile.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))  # bench/run.py's harness, imported as `run`

from run import OUT_DIR, Bench, Env, Target, checkpoint_copy, make_env, measure, table  # noqa: E402

TZ = ZoneInfo("Europe/Paris")
HOURS = ((time(9), time(12, 30)), (time(13, 30), time(17, 30)))
RESERVE = 45


def db_text(dt: datetime) -> str:
    """An instant as SQLAlchemy stores it on SQLite (naive UTC text)."""
    return dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def build(env: Env, name: str, cards: int, seed: int) -> Path:
    """A database of `cards` generated cards, imported through the CLI."""
    data = OUT_DIR / f"ics-cards-{cards}.json"
    subprocess.run([sys.executable, str(BENCH_DIR / "dataset.py"), str(data), "--cards", str(cards), "--seed",
                    str(seed)], check=True, capture_output=True, env=env.variables)
    db = env.tmp / f"{name}.db"
    subprocess.run(env.organizer("--db", str(db), "import", "json", str(data)), check=True, capture_output=True,
                   env=env.variables, stdin=subprocess.DEVNULL)
    return db


def add_plan(db: Path, first: date, days: int, rng: random.Random) -> int:
    """Store a plan for every working day from `first`: reserve before 12:30 and 17:30, work in between."""
    with sqlite3.connect(db) as conn:
        open_cards = [r[0] for r in conn.execute("SELECT c.id FROM card c JOIN board_column bc ON bc.id = "
                                                 "c.column_id WHERE bc.is_done = 0 ORDER BY c.id")]
        rows = []
        for n in range(days):
            day = first + timedelta(days=n)
            if day.weekday() >= 5:
                continue
            for start, end in HOURS:
                at = datetime.combine(day, start, TZ)
                stop = datetime.combine(day, end, TZ) - timedelta(minutes=RESERVE)
                while at + timedelta(minutes=25) <= stop:
                    until = min(stop, at + timedelta(minutes=rng.choice((25, 30, 45, 60, 90))))
                    rows.append((day.isoformat(), db_text(at), db_text(until), "work", rng.choice(open_cards)))
                    at = until
                rows.append((day.isoformat(), db_text(stop), db_text(stop + timedelta(minutes=RESERVE)), "reserve",
                             None))
        conn.executemany("INSERT INTO plan_block (day, start_at, end_at, kind, card_id, event_id, pinned) "
                         "VALUES (?, ?, ?, ?, ?, NULL, 0)", rows)
    checkpoint_copy(db, db.with_suffix(".tmp"))
    db.with_suffix(".tmp").replace(db)
    return len(rows)


def events_between(db: Path, start: datetime, end: datetime) -> int:
    """How many events the export of [start, end) holds (publish, open due, plan), counted in SQL."""
    a, b = db_text(start), db_text(end)
    with sqlite3.connect(db) as conn:
        publish = conn.execute("SELECT COUNT(*) FROM card WHERE publish_at >= ? AND publish_at < ?", (a, b))
        due = conn.execute("SELECT COUNT(*) FROM card c JOIN board_column bc ON bc.id = c.column_id WHERE "
                           "bc.is_done = 0 AND due_at >= ? AND due_at < ?", (a, b))
        plan = conn.execute("SELECT COUNT(*) FROM plan_block WHERE start_at >= ? AND start_at < ?", (a, b))
        return sum(q.fetchone()[0] for q in (publish, due, plan))


def check_file(path: Path) -> str:
    """Parse the export back and check its lines; returns a note with the event count."""
    from icalendar import Calendar

    data = path.read_bytes()
    lines = data[:-2].split(b"\r\n")
    if not data.endswith(b"\r\n") or any(len(line) > 75 for line in lines):
        raise SystemExit(f"{path}: a line is not CRLF-terminated or is longer than 75 octets")
    for line in lines:
        line.decode("utf-8")
    count = len(Calendar.from_ical(data).walk("VEVENT"))
    return f"{count:,} events, {len(data) / 2**20:.1f} MiB"


def profile(env: Env, argv: list[str]) -> None:
    """The 10,000-event export once under cProfile: the 15 functions with the most time of their own."""
    out = subprocess.run([sys.executable, "-m", "cProfile", "-s", "tottime", "-m", "organizer", *argv[1:]],
                         capture_output=True, text=True, env=env.variables, cwd=env.tmp, stdin=subprocess.DEVNULL)
    lines = out.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n".join(lines[max(0, start - 4):start + 16]))


def main(argv: list[str] | None = None) -> int:
    """Build both databases, measure both figures, print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=20, help="measured runs of the month export (default 20)")
    p.add_argument("--heavy-runs", type=int, default=7, help="measured runs of the 10,000-event export (default 7)")
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--month-cards", type=int, default=950, help="cards behind the month figure (default 950)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--keep", action="store_true", help="keep the temporary folder")
    p.add_argument("--profile", action="store_true", help="also profile the 10,000-event export once")
    args = p.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="organizer-bench-ics-"))
    rng = random.Random(args.seed)
    try:
        env = make_env(tmp)
        today = datetime.now(TZ).date()
        print(f"… building the month database ({args.month_cards} cards)", file=sys.stderr)
        month = build(env, "month", args.month_cards, args.seed)
        add_plan(month, today, 31, rng)
        midnight = datetime.combine(today, time(0), TZ)
        month_events = events_between(month, midnight, datetime.combine(today + timedelta(days=30), time(0), TZ))
        print("… building the 10,000-card database with a year of plan", file=sys.stderr)
        big = build(env, "big", 10_000, args.seed)
        add_plan(big, today - timedelta(days=365), 365 + 31, rng)
        back = next(d for d in range(30, 3 * 365, 7) if events_between(
            big, midnight - timedelta(days=d), midnight + timedelta(days=31)) >= 10_000)
        span = (str(today - timedelta(days=back)), str(today + timedelta(days=30)))

        out = tmp / "organizer.ics"
        benches = [
            Bench("month", f"month of one person (~{month_events} events)",
                  env.organizer("--db", str(month), "export", "ics", "-o", str(out)),
                  runs=args.runs, warmup=args.warmup, figure="1", target=Target(median_ms=400)),
            Bench("big", "10,000 events", env.organizer("--db", str(big), "export", "ics", "--from", span[0],
                                                         "--to", span[1], "-o", str(out)),
                  runs=args.heavy_runs, warmup=1, figure="2", target=Target(median_ms=2500)),
        ]
        results = []
        for bench in benches:
            # One checked run first: the right number of events, a file icalendar reads back.
            subprocess.run(bench.argv, check=True, capture_output=True, env=env.variables, cwd=tmp)
            note = check_file(out)
            result = measure(env, bench)
            result.note = f"{note}; command: organizer {' '.join(bench.argv[1:])}"
            results.append(result)
        print(f"\nOrganizer calendar export · {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · whole process, "
              f"{env.rss_method} for RSS · TZ=Europe/Paris\n")
        print(table(results))
        for r in results:
            print(f"  {r.figure} {r.label}: {r.note}")
        if args.profile:
            print()
            profile(env, benches[1].argv)
        return 1 if any(r.status == "ERROR" for r in results) else 0
    finally:
        if args.keep:
            print(f"temporary folder kept: {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
