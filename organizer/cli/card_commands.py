"""CLI handlers for cards: add, list, show, move, done, edit, rm.

`add` and `list` ask the storage contract (`organizer.storage.contract`), which takes the plain paths when it can
(`sqlite3` or libpq, `organizer.storage.quick`); the services (and SQLAlchemy) load only on its fallback and in
the other handlers, inside the functions.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import Any

from organizer.cli import render
from organizer.cli.common import card_fields, emit, open_db
from organizer.config import Config
from organizer.validate import CardFilter, InputError, validate


def cmd_add(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Add a card: the plain path when it can, else the full one."""
    from organizer.storage.adapters import open_storage

    fields = card_fields(args, cfg, require_title=True)
    storage = open_storage(location)
    try:
        card = storage.add_card(cfg, fields)
    finally:
        storage.close()
    if args.json:
        emit(card)
    else:
        print(card["id"])
    if fields.popup:
        _place_popup(cfg, location, card["id"])
    return 0


def _place_popup(cfg: Config, location: str, ref: str) -> None:
    """A pop-up goes straight into the plan at the time its rule gives it; say where and what moved (stderr)."""
    from zoneinfo import ZoneInfo

    from organizer.services import schedule

    now = datetime.now(UTC)
    tz = ZoneInfo(cfg.timezone)
    sched = schedule.read(location, cfg, now)
    spans = [f"{b.start.astimezone(tz):%a %H:%M}–{b.end.astimezone(tz):%H:%M}".lower()
             for p in sched.plans for b in p.blocks if b.ref == ref and b.kind in ("popup", "work")]
    moved = [m for m in sched.moved if m.ref != ref]
    if spans:
        first = next(p for p in sched.plans if any(b.ref == ref for b in p.blocks))
        late = next((u.reason for p in sched.plans for u in p.late if u.ref == ref), None)
        reserve = (f"reserve {first.reserve_over_minutes} min over" if first.reserve_over_minutes
                   else f"reserve left {first.reserve_left_minutes} min")
        print(f"{ref} planned {', '.join(spans)}; {reserve}" + (f"; LATE: {late}" if late else ""), file=sys.stderr)
    else:
        reason = next((u.reason for u in sched.plans[0].unplanned if u.ref == ref), "no working time left")
        print(f"{ref} not planned: {reason}", file=sys.stderr)
    for m in moved:
        print(f"  moved {m.ref}: {m.reason}", file=sys.stderr)


def cmd_list(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """List cards through the quick path when it can."""
    from organizer.dates import parse_when
    from organizer.storage.adapters import open_storage

    due_before = None
    if args.due_before:
        try:
            due_before = parse_when(args.due_before, now=datetime.now(UTC), tz=cfg.timezone, day_end=cfg.day_end)
        except ValueError as exc:
            raise InputError(f"--due-before: {exc}") from None
    role = validate({"role": args.role}, cfg, now=datetime.now(UTC), require_title=False).role if args.role else None
    channel = None
    if args.channel:
        channels = validate({"channels": [args.channel]}, cfg, now=datetime.now(UTC), require_title=False).channels
        channel = channels[0] if channels else None
    flt = CardFilter(board=args.board, role=role, channel=channel, column=args.column, due_before=due_before,
                     popup=args.popup, include_done=args.all)
    match = None
    if args.filter is not None:
        from organizer import filterlang

        try:
            match = filterlang.parse(args.filter, cfg, now=datetime.now(UTC)).match
        except filterlang.FilterError as exc:
            raise InputError(f"--filter: {exc}") from None
    storage = open_storage(location, create=False)
    try:
        found = storage.list_cards(cfg, flt, match)
    finally:
        storage.close()
    if args.json:
        emit(found)
    else:
        print(render.card_table(found, cfg.timezone))
    return 0


def _show_card(cfg: Config, store: Any, ref: str, as_json: bool) -> None:
    from organizer.services import cards

    with store.read() as s:
        card = cards.card_view(s, cfg, ref)
    if as_json:
        emit(card)
    else:
        print(render.card_details(card, cfg.timezone))


def cmd_show(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Show one card."""
    _show_card(cfg, open_db(location), args.id, args.json)
    return 0


def _relocate(args: argparse.Namespace, cfg: Config, location: str, *, done: bool) -> int:
    from organizer.services import cards

    store = open_db(location)
    with store.write() as s:
        target = (cards.done_card(s, args.id, cfg=cfg) if done
                  else cards.move_card(s, args.id, args.column, cfg=cfg))
        ref = cards.card_ref(s, cards.find_card(s, args.id))
    if args.json:
        _show_card(cfg, store, ref, True)
    else:
        print(f"{ref}{' done' if done else ''} → {target.name}")
    return 0


def cmd_move(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Move a card to another column."""
    return _relocate(args, cfg, location, done=False)


def cmd_done(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Complete a card."""
    return _relocate(args, cfg, location, done=True)


def cmd_edit(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Change some fields of a card."""
    from organizer.services import cards

    fields = card_fields(args, cfg, require_title=False)
    if args.channels is not None and fields.channels is None:
        fields.channels = []
    given = [k for k, v in vars(fields).items() if v not in (None, set())]
    if not given:
        raise InputError("nothing to change: give at least one flag, e.g. --due fri or --title 'New title'")
    store = open_db(location)
    with store.write() as s:
        card = cards.edit_card(s, cfg, args.id, fields)
        ref = cards.card_ref(s, card)
        waiting = cards.open_steps_with_due(s, card) if fields.publish_at is not None else 0
    if args.json:
        _show_card(cfg, store, ref, True)
    else:
        print(f"{ref} updated")
    if waiting:
        # The steps were scheduled back from the old publish time: offer, never move them unasked.
        print(f"{ref} has {waiting} unfinished step(s) due by the old publish time: "
              f"organizer reschedule {ref} schedules them back from the new one", file=sys.stderr)
    return 0


def cmd_rm(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Delete a card and its steps."""
    from organizer.services import cards

    with open_db(location).write() as s:
        removed = cards.remove_card(s, args.id)
    print(f"removed {', '.join(removed)} (organizer undo brings {'it' if len(removed) == 1 else 'them'} back)")
    return 0
