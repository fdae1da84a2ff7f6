"""CLI handlers for planning: plan, capacity, timers, pins and manual busy blocks."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from organizer.cli.common import emit, open_db
from organizer.config import Config
from organizer.dates import day_bounds, format_duration, parse_duration, parse_when
from organizer.validate import InputError


def _day(text: str | None, cfg: Config, now: datetime) -> date:
    if not text:
        return now.astimezone(ZoneInfo(cfg.timezone)).date()
    try:
        return parse_when(text, now=now, tz=cfg.timezone, day_end=cfg.day_end).date()
    except ValueError as exc:
        raise InputError(f"day: {exc}") from None


def plan_json(plan: Any, tz: ZoneInfo, moved: list[Any] | None = None) -> dict[str, Any]:
    """The `plan --json` porcelain for one day: fields may be added, never removed or renamed."""
    from organizer.planner import overcommitted

    def iso(dt: datetime) -> str:
        return dt.astimezone(tz).isoformat(timespec="minutes")

    moves = [*plan.moved, *(moved or [])]
    return {
        "date": plan.day.isoformat(),
        "available_minutes": plan.available_minutes,
        "planned_minutes": plan.planned_minutes,
        "reserve_minutes": plan.reserve_minutes,
        "reserve_used_minutes": plan.reserve_used_minutes,
        "reserve_left_minutes": plan.reserve_left_minutes,
        "reserve_over_minutes": plan.reserve_over_minutes,
        "overcommitted": overcommitted(plan),
        "blocks": [{"start": iso(b.start), "end": iso(b.end), "kind": b.kind, "card": b.ref, "title": b.title,
                    "role": b.role, "pinned": b.pinned, "minutes": b.minutes} for b in plan.blocks],
        "unplanned": [{"card": u.ref, "reason": u.reason} for u in plan.unplanned],
        "late": [{"card": u.ref, "reason": u.reason} for u in plan.late],
        "moved": [{"card": m.ref, "from": m.from_day.isoformat(), "to": m.to_day.isoformat() if m.to_day else None,
                   "reason": m.reason} for m in moves],
    }


def reserve_line(data: dict[str, Any]) -> str:
    """The reserve in words: what is left, or how far pop-ups went over it."""
    fd = format_duration
    total, used, over = data["reserve_minutes"], data["reserve_used_minutes"], data["reserve_over_minutes"]
    if over:
        return f"reserve {fd(total)}: {fd(used)} used, {fd(over)} over (pop-ups took planned work time)"
    return f"reserve {fd(total)}: {fd(used)} used, {fd(data['reserve_left_minutes'])} left"


def plan_text(data: dict[str, Any], cfg: Config) -> str:
    """A day's plan as a timeline: time, length, role, card and title; busy time and reserve shown."""
    badges = {r.key: r.badge for r in cfg.roles}
    day = date.fromisoformat(data["date"])
    lines = [f"{day:%a %d %b %Y} · available {format_duration(data['available_minutes'])} · planned "
             f"{format_duration(data['planned_minutes'])} · {reserve_line(data)}"
             + ("  ⚠ overcommitted" if data["overcommitted"] else "")]
    if not data["blocks"]:
        lines.append("  no working time this day")
    for b in data["blocks"]:
        start, end = b["start"][11:16], b["end"][11:16]
        kind = {"work": badges.get(b["role"] or "", "WORK"), "busy": "busy", "reserve": "reserve",
                "popup": "POP-UP"}[b["kind"]]
        label = f"{b['card']}  {b['title']}" if b["card"] else b["title"] or "(kept free for pop-ups)"
        pin = "  📌" if b["pinned"] else ""
        lines.append(f"  {start}–{end}  {format_duration(b['minutes']):>6}  {kind:<7}  {label}{pin}")
    for title, key in (("Moved by the last change", "moved"), ("Late (no arrangement meets the due time)", "late"),
                       ("Not planned", "unplanned")):
        if data[key]:
            lines.append(f"{title}:")
            for u in data[key]:
                lines.append(f"  {u['card']}  {u['reason']}")
    return "\n".join(lines)


def cmd_plan(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Print a day's plan (today by default) from the one stored schedule, re-planned first if stale."""
    from organizer.services import schedule

    now = datetime.now(UTC)
    day = _day(args.day, cfg, now)
    sched = schedule.read(location, cfg, now, force=args.replan)
    plan = sched.day(day)
    if plan is None:
        plan = _view(location, cfg, sched, day, now)
    moved = [m for m in sched.moved if m.from_day == day] if sched.replanned else []
    data = plan_json(plan, ZoneInfo(cfg.timezone), moved)
    if args.json:
        emit(data)
    else:
        print(plan_text(data, cfg))
    return 0


def _view(location: str, cfg: Config, sched: Any, day: date, now: datetime) -> Any:
    """A day outside the horizon (history behind, busy time ahead), read without storing anything."""
    from organizer.services import schedule
    from organizer.storage import quick
    from organizer.storage.plain import Db

    try:
        conn = quick.connect_sqlite(location)
    except quick.NotQuick:
        from organizer.storage.orm import open_store

        with open_store(location, create=False).read() as session:
            return schedule.view(Db(session), cfg, sched, day, now)
    try:
        conn.row_factory = None
        return schedule.view(Db(conn), cfg, sched, day, now)
    finally:
        conn.close()


def cmd_capacity(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Per day and per role: planned, busy, reserve and available minutes, from the stored schedule."""
    from organizer.planner import capacity, overcommitted
    from organizer.services import schedule
    from organizer.services.timer import accuracy

    now = datetime.now(UTC)
    days = 7 if args.week else 1
    sched = schedule.read(location, cfg, now)
    plans = sched.plans[:days]
    store = open_db(location)
    with store.read() as s:
        acc = accuracy(s, cfg.role_keys())
    loads = capacity(plans)
    data: dict[str, Any] = {
        "days": [{"date": c.day.isoformat(), "available_minutes": c.available_minutes,
                  "busy_minutes": c.busy_minutes, "planned_minutes": c.planned_minutes,
                  "reserve_minutes": c.reserve_minutes, "reserve_used_minutes": c.reserve_used_minutes,
                  "popup_minutes": c.popup_minutes, "free_minutes": c.free_minutes,
                  "overcommitted": overcommitted(p),
                  "late": [{"card": u.ref, "reason": u.reason} for u in p.late],
                  "roles": [{"role": r.role, "planned_minutes": r.planned_minutes, "popup_minutes": r.popup_minutes}
                            for r in c.roles]} for c, p in zip(loads, plans, strict=True)],
        "estimate_accuracy": [{"role": a.role, "cards": a.cards, "estimated_minutes": a.estimated_minutes,
                               "spent_minutes": a.spent_minutes, "ratio": round(a.ratio, 2)} for a in acc],
    }
    if args.json:
        emit(data)
        return 0
    fd = format_duration
    print(f"{'day':<11} {'available':>9} {'busy':>6} {'planned':>7} {'reserve':>7} {'used':>5} {'free':>6}  by role")
    for d in data["days"]:
        roles = ", ".join(f"{r['role'] or 'none'} {fd(r['planned_minutes'] + r['popup_minutes'])}" for r in d["roles"])
        flag = "  ⚠ overcommitted" if d["overcommitted"] else ""
        late = f" (late: {', '.join(u['card'] for u in d['late'])})" if d["late"] else ""
        print(f"{date.fromisoformat(d['date']):%a %d %b} {fd(d['available_minutes']):>9} {fd(d['busy_minutes']):>6} "
              f"{fd(d['planned_minutes']):>7} {fd(d['reserve_minutes']):>7} {fd(d['reserve_used_minutes']):>5} "
              f"{fd(d['free_minutes']):>6}  {roles or '-'}{flag}{late}")
    if acc:
        print("\nestimate accuracy (finished cards): " + ", ".join(
            f"{a.role or 'none'} {a.ratio:.0%} of estimate over {a.cards} cards" for a in acc))
    return 0


def cmd_start(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Start the timer on a card."""
    from organizer.services.timer import start_timer

    with open_db(location).write() as s:
        ref, stopped, minutes = start_timer(s, args.id, now=datetime.now(UTC))
    if stopped:
        print(f"stopped {stopped} (+{format_duration(minutes)})")
    print(f"timer running on {ref}")
    return 0


def cmd_stop(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Stop the running timer."""
    from organizer.services.timer import stop_timer

    with open_db(location).write() as s:
        ref, minutes = stop_timer(s, now=datetime.now(UTC))
    print(f"stopped {ref} (+{format_duration(minutes)})")
    return 0


def cmd_pin(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Pin (or unpin) a card's planned blocks."""
    from organizer.services.plan import pin_card

    with open_db(location).write() as s:
        count = pin_card(s, cfg, args.id, now=datetime.now(UTC), on=not args.off)
    print(f"{'unpinned' if args.off else 'pinned'} {count} block{'s' if count != 1 else ''} of {args.id}")
    return 0


def cmd_busy(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Add, list or remove manual busy blocks."""
    from organizer.services import busy

    now = datetime.now(UTC)
    tz = ZoneInfo(cfg.timezone)
    store = open_db(location, create=args.busy_command == "add")
    if args.busy_command == "add":
        try:
            # In UTC: adding minutes to a zoned datetime is wall-clock arithmetic, wrong across a DST change.
            start = parse_when(args.when, now=now, tz=cfg.timezone, day_end=cfg.day_end).astimezone(UTC)
            length = parse_duration(args.duration)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if length <= 0:
            raise InputError(f"duration {args.duration!r} is empty: a busy block lasts at least a minute")
        from datetime import timedelta

        with store.write() as s:
            event = busy.add_busy(s, start, start + timedelta(minutes=length), args.title)
            print(f"busy {event.id}: {start.astimezone(tz):%a %d %b %H:%M}–"
                  f"{(start + timedelta(minutes=length)).astimezone(tz):%H:%M}  {event.title}")
        return 0
    if args.busy_command == "rm":
        with store.write() as s:
            event = busy.remove_busy(s, args.event_id)
        print(f"removed busy {args.event_id} ({event.title})")
        return 0

    start, end = day_bounds(_day(None, cfg, now), ZoneInfo(cfg.timezone), 14)
    with store.read() as s:
        events = busy.list_busy(s, start, end)
    if getattr(args, "json", False):
        emit([{"id": e.id, "start": e.start_at.astimezone(tz).isoformat(timespec="minutes"),  # type: ignore[union-attr]
                "end": e.end_at.astimezone(tz).isoformat(timespec="minutes"),  # type: ignore[union-attr]
                "title": e.title, "source": e.source, "uid": e.uid} for e in events])
        return 0
    if not events:
        print("no busy time in the next 14 days", file=sys.stderr)
    for e in events:
        assert e.start_at and e.end_at
        print(f"{e.id:>5}  {e.start_at.astimezone(tz):%a %d %b %H:%M}–{e.end_at.astimezone(tz):%H:%M}  "
              f"{e.title}  ({e.source})")
    return 0
