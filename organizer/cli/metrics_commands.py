"""CLI handlers for `organizer metrics`: add numbers by hand, list snapshots; import and fetch live apart."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from organizer.cli.common import emit
from organizer.config import Config
from organizer.storage.plain import Db
from organizer.validate import InputError


def cmd_metrics(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """`metrics ACTION`: add, list (the default), import, fetch."""
    action = args.metrics_command or "list"
    if action == "import":
        from organizer.cli import metrics_import_commands

        return metrics_import_commands.cmd_metrics_import(args, cfg, location)
    if action == "fetch":
        from organizer.cli import metrics_fetch_commands

        return metrics_fetch_commands.cmd_metrics_fetch(args, cfg, location)
    if action == "add":
        return _add(args, cfg, location)
    return _list(args, cfg, location)


def _add(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """One snapshot typed in: the counts given, the others unknown."""
    from organizer.dates import parse_when
    from organizer.metrics import store
    from organizer.metrics.model import Reading
    from organizer.metrics.names import METRICS
    from organizer.storage.adapters import open_storage

    counts = {m: getattr(args, m) for m in METRICS if getattr(args, m) is not None}
    if not counts:
        raise InputError("metrics add needs at least one count, e.g. --likes 40 --impressions 1200 (all: "
                         + ", ".join("--" + m.replace("_", "-") for m in METRICS) + ")")
    for name, value in counts.items():
        if value < 0:
            raise InputError(f"--{name.replace('_', '-')} {value} is not valid: a count is a whole number ≥ 0")
    now = datetime.now(UTC)
    try:
        at = parse_when(args.at, now=now, tz=cfg.timezone, day_end=cfg.day_end) if args.at else now
    except ValueError as exc:
        raise InputError(f"--at: {exc}") from None
    if at > now:
        raise InputError(f"--at {args.at!r} is in the future: numbers are read from what already happened")
    storage = open_storage(location, create=False)
    try:
        with storage.write() as session:
            db = Db(session)
            variant = store.find_variant(db, args.id, args.channel)
            if not variant.published:
                raise InputError(f"{variant.ref} {variant.channel} is not published (status {variant.status}): "
                                 "numbers are for posts that went out; mark it first with organizer variant "
                                 f"{variant.ref} {variant.channel} --status published --url URL")
            store.record(db, [Reading(variant.card_id, variant.channel, at, "manual", counts)])
    finally:
        storage.close()
    zone = ZoneInfo(cfg.timezone)
    if args.json:
        emit({"id": variant.ref, "channel": variant.channel, "taken_at": at.astimezone(zone).isoformat(),
              "source": "manual", **counts})
        return 0
    shown = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items())
    print(f"{variant.ref} {variant.channel} at {at.astimezone(zone):%a %d %b %H:%M}: {shown}")
    return 0


def _list(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Stored snapshots, oldest first: of one card, of a board, or all."""
    from organizer.metrics import store
    from organizer.metrics.model import engagement_rate, interactions
    from organizer.metrics.names import METRICS
    from organizer.storage.adapters import open_storage

    storage = open_storage(location, create=False)
    try:
        with storage.reading() as db:
            ids = _card_ids(db, args.id) if getattr(args, "id", None) else None
            board = getattr(args, "board", None)
            if board:
                from organizer.validate import unknown_board

                boards = [str(k) for (k,) in db.rows("SELECT key FROM board ORDER BY id")]
                if board.upper() not in boards:
                    raise unknown_board(board.upper(), boards)
            found = store.snapshots(db, card_ids=ids, board=getattr(args, "board", None))
    finally:
        storage.close()
    zone = ZoneInfo(cfg.timezone)
    rows = [{"id": s.ref, "channel": s.channel, "taken_at": s.taken_at.astimezone(zone).isoformat(),
             "age_hours": round(s.age.total_seconds() / 3600, 1) if s.age is not None else None,
             "source": s.source, **s.counts, "interactions": interactions(s.counts),
             "engagement_rate": engagement_rate(s.counts)} for s in found]
    if args.json:
        emit(rows)
        return 0
    if not rows:
        print("no metrics yet: organizer metrics add ID --likes N …, metrics import FILE, or metrics fetch")
        return 0
    for s, row in zip(found, rows, strict=True):
        known = ", ".join(f"{row[m]} {m.replace('_', ' ')}" for m in METRICS if row[m] is not None)
        rate = f" · {row['engagement_rate']:.1%} engagement" if row["engagement_rate"] is not None else ""
        age = f" ({row['age_hours']:g} h)" if row["age_hours"] is not None else ""
        print(f"{s.ref:<8} {s.channel:<10} {s.taken_at.astimezone(zone):%Y-%m-%d %H:%M}{age} {s.source:<8} "
              f"{known}{rate}")
    return 0


def _card_ids(db: Db, ref: str) -> list[int]:
    """The card id(s) an ID names (its variants' snapshots are listed)."""
    from organizer.validate import parse_ref

    key, number = parse_ref(ref)
    sql = "SELECT c.id FROM card c JOIN board b ON b.id = c.board_id WHERE c.number = :number"
    params: dict[str, object] = {"number": number}
    if key:
        sql, params["key"] = sql + " AND b.key = :key", key
    found = [int(r[0]) for r in db.rows(sql, params)]
    if not found:
        raise InputError(f"card {ref!r} does not exist")
    if len(found) > 1:
        keys = [k for (k,) in db.rows("SELECT b.key FROM card c JOIN board b ON b.id = c.board_id WHERE c.number = "
                                      ":number ORDER BY b.key", {"number": number})]
        raise InputError(f"card {ref!r} is ambiguous: give the board key, e.g. {keys[0]}-{number}")
    return found
