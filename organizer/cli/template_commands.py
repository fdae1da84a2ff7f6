"""CLI handlers for production templates: `templates` lists and shows them, `new` makes a piece from one."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from organizer.cli.common import emit, open_db
from organizer.config import Config
from organizer.dates import format_duration, parse_when
from organizer.planner.model import Moved
from organizer.storage.plain import Db
from organizer.validate import InputError


def cmd_templates(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """List the templates, or show one's steps."""
    from organizer import templates

    if args.action == "show":
        if not args.name:
            raise InputError("templates show needs a NAME, e.g. organizer templates show video-30s")
        t = templates.find(cfg, args.name)
        steps = templates.expand(t, "TITLE", list(t.channels))
        if args.json:
            emit({"name": t.name, "description": t.description, "channels": list(t.channels), "source": t.source,
                  "steps": [{"title": s.title, "role": s.role, "minutes": s.minutes, "channels": list(s.channels),
                             "after": [i + 1 for i in s.after], "lead_days": s.lead_days} for s in steps]})
            return 0
        print(f"{t.name}: {t.description} ({format_duration(sum(s.minutes for s in steps))} for "
              f"{', '.join(t.channels) or 'no channel'})")
        for i, s in enumerate(steps, start=1):
            waits = f"  after {', '.join(str(a + 1) for a in s.after)}" if s.after and s.after != (i - 2,) else ""
            lead = f"  ≥ {s.lead_days} working day(s) before publish" if s.lead_days else ""
            print(f"{i:>3}. {s.title}  [{s.role or '-'}] {format_duration(s.minutes)}{waits}{lead}")
        return 0
    found = templates.load_all(cfg)
    if args.json:
        emit([{"name": t.name, "description": t.description, "steps": len(t.steps), "source": t.source}
              for t in found.values()])
        return 0
    width = max((len(n) for n in found), default=0)
    for t in sorted(found.values(), key=lambda t: t.name):
        print(f"{t.name:<{width}}  {t.description}")
    return 0


def cmd_new(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """A piece from a template: its card and steps, due times scheduled backwards from --publish."""
    from organizer import templates
    from organizer.cli.content_commands import resolve_channels
    from organizer.services import schedule
    from organizer.services import templates as service
    from organizer.validate import clean_text

    template = templates.find(cfg, args.template)
    title = clean_text(args.title).strip()
    if not title:
        raise InputError("new needs a TITLE for the piece")
    now = datetime.now(UTC)
    try:
        publish = parse_when(args.publish, now=now, tz=cfg.timezone, day_end=cfg.day_end)
    except ValueError as exc:
        raise InputError(f"--publish: {exc}") from None
    channels = resolve_channels(cfg, args.channel) if args.channel else None
    zone = ZoneInfo(cfg.timezone)
    db = _plain(cfg, location, args.board, create=not args.dry_run)
    try:
        current = schedule.read(location, cfg, now)
        chain = service.plan(db, cfg, template, title, publish, now, current, channels, args.priority)
        refs = [] if args.dry_run else service.create(db, cfg, chain, board=args.board)
    finally:
        db.close()
    rows = service.preview(chain, zone)
    if args.json:
        ids: list[str | None] = list(refs[1:]) if refs else [None] * len(rows)
        emit({"card": refs[0] if refs else None, "steps": [r | {"id": ref} for r, ref in zip(rows, ids, strict=True)],
              "publish": publish.astimezone(zone).isoformat(timespec="minutes"), "priority": chain.priority,
              "moves": service.moves_json(chain.moves), "now_late": list(chain.now_late), "dry_run": args.dry_run})
        return 0
    head = refs[0] if refs else "(dry run: nothing created)"
    print(f"{head}  {title}  publish {publish.astimezone(zone):%a %d %b %H:%M}")
    for i, (step, placed, planned) in enumerate(zip(chain.steps, chain.placed, chain.planned, strict=True)):
        ref = refs[i + 1] if refs else f"{i + 1:>3}."
        print(f"  {ref:<8} {format_duration(step.minutes):>5}  {_slots(planned, zone):<26}  "
              f"due {placed.end.astimezone(zone):%a %H:%M}  {step.title}")
    _print_moves(chain.moves, chain.now_late, dry_run=args.dry_run)
    return 0


def _slots(planned: Sequence[tuple[datetime, datetime]], zone: ZoneInfo) -> str:
    """Where the plan puts a step, e.g. "Thu 03 Dec 10:25–10:55" (a step split over slots lists each)."""
    out, last = [], None
    for a, b in planned:
        a, b = a.astimezone(zone), b.astimezone(zone)
        out.append(f"{a:%H:%M}–{b:%H:%M}" if a.date() == last else f"{a:%a %d %b %H:%M}–{b:%H:%M}")
        last = a.date()
    return ", ".join(out) or "past the plan's horizon"


def _print_moves(moves: Sequence[Moved], now_late: Sequence[str], *, dry_run: bool) -> None:
    """What makes room for the steps: less urgent planned work moving later."""
    if not moves and not now_late:
        return
    verb = "would move" if dry_run else "moves"
    print(f"To make room, the plan {verb} less urgent work:")
    for m in moves:
        print(f"  {m.ref:<8} {m.reason}")
    if now_late:
        print(f"  now after its due time: {', '.join(now_late)}")


def cmd_reschedule(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Schedule a piece's unfinished steps back from its publish time again (after it moved); done ones stay."""
    from organizer.services import schedule
    from organizer.services import templates as service
    from organizer.storage import quick

    now = datetime.now(UTC)
    zone = ZoneInfo(cfg.timezone)
    try:
        db = quick.connect(location)
    except quick.NotQuick:
        open_db(location).close()  # migrates, or explains
        db = quick.connect(location)
    try:
        placed, where = service.reschedule(db, cfg, args.id, now, schedule.read(location, cfg, now),
                                           dry_run=args.dry_run)
    finally:
        db.close()
    rows = [{"id": s.ref, "title": s.title, "minutes": s.minutes,
             "due": p.end.astimezone(zone).isoformat(timespec="minutes")} for s, p in placed]
    if args.json:
        emit({"card": args.id, "steps": rows, "moves": service.moves_json(where.moves),
              "now_late": where.now_late, "dry_run": args.dry_run})
        return 0
    for row in rows:
        print(f"  {row['id']:<8} due {datetime.fromisoformat(str(row['due'])):%a %d %b %H:%M}  {row['title']}")
    _print_moves(where.moves, where.now_late, dry_run=args.dry_run)
    if args.dry_run:
        print("(dry run: nothing changed)")
    return 0


def _plain(cfg: Config, location: str, board: str | None, *, create: bool) -> Db:
    """A plain connection for `new` (no ORM: it must stay quick); a database the plain path does not take yet
    (new, older, without a board) is made ready through the store first, once."""
    from organizer.storage import quick

    try:
        db = quick.connect(location)
        if board or db.rows("SELECT 1 FROM board LIMIT 1"):
            return db
        db.close()
    except quick.NotQuick:
        pass
    from organizer.services import boards

    store = open_db(location, create=create)
    try:
        with store.write() as s:
            boards.resolve_board(s, cfg, board)  # the default board, made when there is none
    finally:
        store.close()
    return quick.connect(location)
