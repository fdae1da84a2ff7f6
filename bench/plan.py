"""Day-planner benchmarks: in-process timings of `organizer.planner`, no database and no subprocess.

Run `.venv/bin/python bench/plan.py` (options: `--runs N`, `--seed S`). Each figure is the median of
`--runs` timed calls (20 by default) after 2 warm-up calls; the table also shows the fastest and the
slowest call. Like bench/run.py it informs and does not gate: a missed target prints FAIL, the exit
status stays 0.

1. one day, 300 candidate cards: `plan_day` for a Monday with busy events and pinned blocks; target ≤ 20 ms.
2. ten working days, 3,000 cards: `plan_range` over 14 calendar days from that Monday; target ≤ 300 ms.
3. replan after a pop-up: figure 1's inputs plus one 60-minute urgent pop-up, replanned at 10:30. The
   day's two open pop-ups already hold most of the reserve, so the new one takes work time and the
   planner runs its second pass to report the work it moved (the last line says how many); target ≤ 20 ms.

The cards are deterministic for a seed: estimates from 15 minutes to 4 hours, priorities 1–4, due and
publish times spread over the range, about one card in ten a step of a two-to-four-step chain, 0.5 %
open pop-ups of 15 to 60 minutes (about one a working day: open pop-ups do not pile up), three busy events a
working day and two pinned blocks.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from organizer.planner import Busy, Fixed, Settings, WorkItem, plan_day, plan_range

TZ = ZoneInfo("Europe/Paris")
MONDAY = date(2026, 11, 23)
WEEKDAY = ((clock(9), clock(12, 30)), (clock(13, 30), clock(17, 30)))
SETTINGS = Settings(tz="Europe/Paris", hours={d: WEEKDAY for d in ("mon", "tue", "wed", "thu", "fri")})
ROLES = ("writer", "designer", "producer", "editor", "analyst", "community")


def local(day: date, minutes: int) -> datetime:
    """A Paris wall-clock time `minutes` after midnight on `day`."""
    return datetime.combine(day, clock(0)).replace(tzinfo=TZ) + timedelta(minutes=minutes)


def make_cards(count: int, days: int, rng: random.Random) -> list[WorkItem]:
    """`count` open cards whose dates fall within `days` days from MONDAY."""
    cards: list[WorkItem] = []
    card = 1000
    while len(cards) < count:
        card += 1
        chain = rng.random() < 0.04 and count - len(cards) >= 5
        steps = rng.randint(2, 4) if chain else 0
        parent = card
        for n in range(steps + 1):
            cid = card + n
            when = local(MONDAY + timedelta(days=rng.randrange(days)), rng.randrange(9 * 60, 18 * 60))
            popup = not steps and rng.random() < 0.005
            cards.append(WorkItem(
                card_id=cid,
                ref=f"NWC-{cid}",
                title=f"card {cid}",
                role=rng.choice(ROLES),
                minutes=(rng.choice((15, 20, 30, 45, 60)) if popup else
                         0 if rng.random() < 0.05 else rng.choice((15, 20, 30, 45, 60, 90, 120, 180, 240))),
                priority=rng.choice((1, 2, 2, 3, 3, 3, 4, 4)),
                due_at=when if rng.random() < 0.4 else None,
                publish_at=when + timedelta(hours=2) if rng.random() < 0.25 else None,
                parent_id=parent if n else None,
                step=n if n else None,
                popup=popup,
                created_at=local(MONDAY, 0) - timedelta(minutes=rng.randrange(0, 500_000)),
            ))
        card += steps
    return cards[:count]


def make_busy(days: int, rng: random.Random) -> list[Busy]:
    """Three events on each working day: meetings of 30 to 90 minutes, some overlapping."""
    busy: list[Busy] = []
    for d in range(days):
        day = MONDAY + timedelta(days=d)
        if day.weekday() < 5:
            for n in range(3):
                start = local(day, rng.randrange(9 * 60, 17 * 60))
                busy.append(Busy(start, start + timedelta(minutes=rng.choice((30, 45, 60, 90))), f"meeting {n}"))
    return busy


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    """Milliseconds per call, after 2 warm-up calls."""
    for _ in range(2):
        fn()
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples


def main(argv: list[str] | None = None) -> int:
    """Run the three figures and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    day_cards = make_cards(300, 5, rng)
    day_busy = make_busy(1, rng)
    pinned = [Fixed(local(MONDAY, 9 * 60), local(MONDAY, 9 * 60 + 45), "work", day_cards[0].card_id, "pinned draft"),
              Fixed(local(MONDAY, 15 * 60), local(MONDAY, 15 * 60 + 30), "work", None, "pinned review")]
    week_cards = make_cards(3000, 14, rng)
    week_busy = make_busy(14, rng)
    popup = WorkItem(99999, "NWC-99999", "crisis reply", "community", 60, 1, None, None, None, None, True,
                     local(MONDAY, 13 * 60 + 55))
    morning, replan_at = local(MONDAY, 8 * 60 + 47), local(MONDAY, 10 * 60 + 30)

    figures = [
        ("one day, 300 cards", 20.0,
         lambda: plan_day(day_cards, day_busy, pinned, SETTINGS, day=MONDAY, now=morning)),
        ("10 working days, 3,000 cards", 300.0,
         lambda: plan_range(week_cards, week_busy, pinned, SETTINGS, start=MONDAY, days=14, now=morning)),
        ("replan after a pop-up (300 cards)", 20.0,
         lambda: plan_day([*day_cards, popup], day_busy, pinned, SETTINGS, day=MONDAY, now=replan_at)),
    ]
    replan = plan_day([*day_cards, popup], day_busy, pinned, SETTINGS, day=MONDAY, now=replan_at)
    week = plan_range(week_cards, week_busy, pinned, SETTINGS, start=MONDAY, days=14, now=morning)

    print(f"organizer.planner benchmarks: median of {args.runs} runs (ms), seed {args.seed}")
    print(f"{'figure':<36} {'median':>8} {'min':>8} {'max':>8} {'target':>8}  result")
    for name, target, fn in figures:
        samples = timed(fn, args.runs)
        median = statistics.median(samples)
        verdict = "PASS" if median <= target else "FAIL"
        print(f"{name:<36} {median:8.2f} {min(samples):8.2f} {max(samples):8.2f} {target:8.0f}  {verdict}")
    placed = sum(1 for p in week for b in p.blocks if b.kind == "work")
    print(f"\nreplan: {len(replan.moved)} card(s) moved for the pop-up, {replan.reserve_used_minutes} reserve minutes "
          f"used; 10 days: {placed} work blocks, {len(week[0].unplanned)} cards unplanned")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
