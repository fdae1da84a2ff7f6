"""Generate a believable Organizer export file (the `organizer export json` format) for benchmarks.

Two boards (a coffee roaster's brand account and its CEO's ghost-written voice) with the default
seven-column workflow, cards spread over about three years of work: titles built from the tasks
each role really does, channels that fit the format, campaigns, pillars, tags, estimates, due and
publish times in the configured zone. The output is deterministic for a given seed and day.

Run on its own: `.venv/bin/python bench/dataset.py OUT.json [--cards 10000] [--seed 42]`.
`bench/run.py` runs it as a subprocess so that the harness itself stays small.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Paris"
ROLES = ("strategist", "writer", "producer", "planner", "community", "analyst")
CHANNELS = ("x", "linkedin", "instagram", "facebook", "tiktok", "youtube", "mastodon", "bluesky", "threads")
# (name, WIP limit, done) — the shipped default workflow.
COLUMNS: tuple[tuple[str, int | None, bool], ...] = (
    ("Ideas", None, False),
    ("Planned", None, False),
    ("In progress", 5, False),
    ("Review", 4, False),
    ("Scheduled", None, False),
    ("Published", None, True),
    ("Measured", None, True),
)
# Share of a board's cards per column; In progress and Review are filled up to their WIP limits
# (a team working at its limit) and the rest spread by these weights.
COLUMN_WEIGHTS = {"Ideas": 0.16, "Planned": 0.13, "Scheduled": 0.09, "Published": 0.34, "Measured": 0.28}

BOARDS: tuple[dict[str, Any], ...] = (
    {
        "key": "NWC",
        "name": "Northwind Coffee",
        "description": "Specialty roaster, two cafés and a web shop. Seasonal blends, roastery events, "
                       "subscriptions and wholesale.",
        "share": 0.62,
        "channels": ("instagram", "tiktok", "facebook", "youtube", "x", "threads", "bluesky", "mastodon",
                     "linkedin"),
        "channel_weights": (30, 20, 14, 9, 8, 7, 5, 3, 4),
        "topics": (
            "Winter Blend", "Summer cold brew", "the Huila harvest", "Sidama naturals", "Open Roastery Saturday",
            "the subscription box", "our decaf", "latte art class", "the new café on Quay Street", "oat milk",
            "brew ratios", "grinder settings", "the roast profile", "Dani's cupping notes", "holiday gift sets",
            "the espresso tasting flight", "compostable bags", "the barista championship", "wholesale partners",
            "pour-over at home", "the loyalty card", "single-origin Kenya", "the seasonal menu",
        ),
        "campaigns": (
            "Winter Blend launch", "Open Roastery Saturday", "Summer cold brew", "Subscription spring push",
            "Holiday gift guide", "10 years of Northwind", "Café opening: Quay Street", "Black Friday (no discount)",
        ),
        "pillars": ("education", "product", "community", "behind the scenes", "culture", "promotion"),
    },
    {
        "key": "CEO",
        "name": "Maya Okafor — CEO voice",
        "description": "Ghost-written LinkedIn posts, newsletter, interviews and comment replies for "
                       "Northwind's CEO. Short sentences, numbers first, no hype.",
        "share": 0.38,
        "channels": ("linkedin", "x", "bluesky", "threads", "mastodon", "youtube"),
        "channel_weights": (55, 15, 10, 8, 6, 6),
        "topics": (
            "direct trade prices", "hiring our first head of roasting", "why we pay farmers 40% above market",
            "the B Corp audit", "opening a second café", "wholesale margins", "burnout in hospitality",
            "what a roaster costs", "the 4-day week pilot", "climate and coffee yields", "the Q3 numbers",
            "lessons from a failed product", "pricing a bag of coffee", "hiring for attitude", "family business",
            "supplier visits in Colombia", "the packaging switch", "mentoring young founders",
        ),
        "campaigns": (
            "Founder story series", "Direct trade report", "B Corp journey", "Hiring season", "Year in numbers",
        ),
        "pillars": ("thought leadership", "culture", "transparency", "hiring", "industry"),
    },
)

# Per role: title templates ({t} a topic, {n} a number, {day} a weekday) and the formats they use.
TASKS: dict[str, tuple[str, ...]] = {
    "strategist": (
        "Brief for {t}: goal, audience, one message", "Content plan for {t}, next 4 weeks",
        "Decide the angle for {t}", "Pitch a creator collab around {t}", "Quarterly pillar mix review",
        "Series idea: {n} short posts on {t}", "Kill or keep: the weekly {day} format",
    ),
    "writer": (
        "Write launch post for {t}", "Draft carousel copy: {n} facts about {t}", "Reel caption: {t}",
        "Newsletter section on {t}", "Thread: what we learnt about {t}", "Rewrite the post on {t}, shorter",
        "Alt text for the photos of {t}", "Write the {day} Q&A answers on {t}",
    ),
    "producer": (
        "Shoot a vertical video on {t}", "Edit a 30s cut: {t}", "Design {n} carousel slides on {t}",
        "Burn in subtitles: video on {t}", "Photograph {t} for the feed", "Thumbnail for the video on {t}",
        "Record a voice-over on {t}",
    ),
    "planner": (
        "Schedule the posts on {t} for {day}", "Book the {day} slot for {t}", "Line up publish times for {t}",
        "Move the posts on {t} after the holiday", "Build next week's calendar around {t}",
    ),
    "community": (
        "Reply to comments on {t}", "Moderate the {day} live on {t}", "Answer DMs about {t}",
        "Thank the top {n} commenters on {t}", "Repost customer photos: {t}", "Community round-up: {t}",
    ),
    "analyst": (
        "Report: how the posts on {t} did", "Weekly numbers for {day}", "Compare reach of {t} across networks",
        "Measure saves and shares on {t}", "A/B test result: hooks for {t}", "UTM links for {t}",
    ),
}
ROLE_WEIGHTS = (10, 30, 20, 12, 16, 12)
ESTIMATES = {
    "strategist": (30, 45, 60, 90, 120), "writer": (20, 30, 45, 60, 90), "producer": (45, 60, 90, 120, 180, 240),
    "planner": (10, 15, 20, 30), "community": (15, 20, 30, 45), "analyst": (30, 45, 60, 90),
}
TAGS = ("video", "launch", "series", "event", "people", "evergreen", "ugc", "ads", "accessibility", "recap",
        "newsletter", "experiment", "creators", "press", "seasonal", "q-and-a", "giveaway", "hiring")
NOTES = (
    "", "", "", "", "",
    "Check the figures with finance before it goes out.",
    "Keep it under 150 words; numbers first.",
    "Maya wants to read it on her phone before approval.",
    "Reuse the B-roll from the last shoot if the light works.",
    "Link in bio, not in the caption.\nAsk legal about the giveaway rules.",
    "Two versions: one for the feed, one cut down for Stories.",
    "Waiting on photos from the Quay Street café.",
    "Tag the farm's account; they reposted last time.",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")


def _iso(dt: datetime | None, tz: ZoneInfo) -> str | None:
    return None if dt is None else dt.astimezone(tz).isoformat(timespec="seconds")


def _working_time(rng: random.Random, day: datetime) -> datetime:
    """A plausible working time on `day` (a local midnight), moved off weekends."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.replace(hour=rng.choice((9, 10, 11, 14, 15, 16, 17)), minute=rng.choice((0, 0, 15, 30, 45)))


def _columns_for(rng: random.Random, count: int) -> list[str]:
    """Column names for `count` cards of one board, oldest card first (done work is older)."""
    fixed = {"In progress": min(5, count), "Review": min(4, max(0, count - 5))}
    rest = count - sum(fixed.values())
    spread = {n: int(rest * w) for n, w in COLUMN_WEIGHTS.items()}
    spread["Measured"] += rest - sum(spread.values())
    per = {**spread, **fixed}
    order = ("Measured", "Published", "Scheduled", "Review", "In progress", "Planned", "Ideas")
    # Mostly chronological (old cards are measured, new ones are ideas) with some shuffling
    # between neighbours, as real boards have old ideas and quickly published pop-ups.
    out = [name for name in order for _ in range(per[name])]
    for i in range(len(out) - 1):
        if rng.random() < 0.15:
            j = min(len(out) - 1, i + rng.randint(1, 40))
            out[i], out[j] = out[j], out[i]
    return out


def _card(rng: random.Random, board: dict[str, Any], number: int, column: str, created: datetime,
          now: datetime, tz: ZoneInfo) -> dict[str, Any]:
    role = rng.choices(ROLES, weights=ROLE_WEIGHTS)[0]
    title = rng.choice(TASKS[role]).format(t=rng.choice(board["topics"]), n=rng.randint(3, 10),
                                           day=rng.choice(WEEKDAYS))
    n_channels = rng.choices((0, 1, 2, 3), weights=(8, 50, 28, 14))[0]
    channels: list[str] = []
    while len(channels) < n_channels:
        ch = rng.choices(board["channels"], weights=board["channel_weights"])[0]
        if ch not in channels:
            channels.append(ch)
    tags = sorted(set(rng.sample(TAGS, rng.choices((0, 1, 2, 3), weights=(30, 40, 22, 8))[0])))
    done = column in ("Published", "Measured")
    estimate = rng.choice(ESTIMATES[role]) if rng.random() < 0.85 else None
    if done:
        spent = max(5, round((estimate or 30) * rng.uniform(0.6, 1.8) / 5) * 5)
    elif column in ("In progress", "Review", "Scheduled"):
        spent = round((estimate or 30) * rng.uniform(0.1, 0.9) / 5) * 5
    else:
        spent = 0
    day = created.replace(hour=0, minute=0, second=0, microsecond=0)
    due = None
    if column != "Ideas" or rng.random() < 0.2:
        lead = rng.randint(1, 21)
        due = _working_time(rng, day + timedelta(days=lead))
        if not done and due < now:  # open work is due from today on, mostly
            due = _working_time(rng, now.replace(hour=0, minute=0) + timedelta(days=rng.randint(0, 30)))
    publish = None
    if column in ("Scheduled", "Published", "Measured") or (column in ("Planned", "In progress", "Review")
                                                              and rng.random() < 0.5):
        base = due or _working_time(rng, day + timedelta(days=rng.randint(2, 14)))
        publish = base + timedelta(days=rng.randint(0, 3), hours=rng.choice((0, 1, 2)))
        if not done and publish < now:
            publish = _working_time(rng, now.replace(hour=0, minute=0) + timedelta(days=rng.randint(1, 30)))
        elif done and publish > now:
            publish = created + timedelta(days=1)
    updated = created + timedelta(hours=rng.randint(0, 24 * (30 if done else 10)))
    updated = min(updated, now)
    completed = updated if done else None
    return {
        "id": f"{board['key']}-{number}",
        "board": board["key"],
        "number": number,
        "title": title,
        "column": column,
        "role": role,
        "channels": channels,
        "tags": tags,
        "estimate_minutes": estimate,
        "spent_minutes": spent,
        "due": _iso(due, tz),
        "publish": _iso(publish, tz),
        "campaign": rng.choice(board["campaigns"]) if rng.random() < 0.45 else None,
        "pillar": rng.choice(board["pillars"]) if rng.random() < 0.7 else None,
        "priority": rng.choices((1, 2, 3, 4), weights=(5, 20, 60, 15))[0],
        "popup": rng.random() < 0.06,
        "parent": None,
        "step": None,
        "notes": rng.choice(NOTES),
        "created": _iso(created, tz),
        "updated": _iso(updated, tz),
        "completed": _iso(completed, tz),
    }


def generate(cards: int = 10_000, seed: int = 42, now: datetime | None = None) -> dict[str, Any]:
    """An export document with `cards` cards over two boards; deterministic for a seed and a day."""
    rng = random.Random(seed)
    tz = ZoneInfo(TIMEZONE)
    now = (now or datetime.now(UTC)).astimezone(tz).replace(hour=8, minute=0, second=0, microsecond=0)
    start = now - timedelta(days=3 * 365)
    counts = [round(cards * b["share"]) for b in BOARDS]
    counts[-1] = cards - sum(counts[:-1])
    out_cards: list[dict[str, Any]] = []
    for board, count in zip(BOARDS, counts, strict=True):
        span = (now - start).total_seconds()
        # Creation times spread over three years, in card-number order.
        offsets = sorted(rng.random() * span for _ in range(count))
        for number, (column, offset) in enumerate(zip(_columns_for(rng, count), offsets, strict=True), start=1):
            created = _working_time(rng, (start + timedelta(seconds=offset)).replace(hour=0, minute=0))
            created = min(created, now)
            out_cards.append(_card(rng, board, number, column, created, now, tz))
    return {
        "format": "organizer",
        "version": 1,
        "exported": _iso(now, tz),
        "boards": [
            {"key": b["key"], "name": b["name"], "description": b["description"],
             "columns": [{"name": name, "wip": wip, "done": done} for name, wip, done in COLUMNS]}
            for b in BOARDS
        ],
        "cards": out_cards,
    }


def main(argv: list[str] | None = None) -> int:
    """Write the export file given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("output", type=Path)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    doc = generate(args.cards, args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", encoding="utf-8") as fh:
        json.dump(doc, fh, ensure_ascii=False, indent=2)
        fh.write("\n")
    done = sum(1 for c in doc["cards"] if c["completed"])
    print(f"{args.output}: {len(doc['cards'])} cards, {len(doc['boards'])} boards, {done} in done columns",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
