"""CLI handler for the content mix: `mix` compares a board's planned and published content with its targets."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from organizer.cli.common import emit
from organizer.config import Config
from organizer.dates import day_bounds, parse_when
from organizer.validate import InputError


def _range(args: argparse.Namespace, cfg: Config, now: datetime) -> tuple[datetime, datetime]:
    zone = ZoneInfo(cfg.timezone)
    today = now.astimezone(zone).date()
    if args.from_ or args.to:
        if not (args.from_ and args.to):
            raise InputError("give both --from and --to (or --week, --month)")
        try:
            start = parse_when(args.from_, now=now, tz=cfg.timezone, day_end=cfg.day_end)
            end = parse_when(args.to, now=now, tz=cfg.timezone, day_end=cfg.day_end)
        except ValueError as exc:
            raise InputError(f"--from/--to: {exc}") from None
        if end <= start:
            raise InputError("--to must come after --from")
        return start, end
    if args.week:
        monday = today - timedelta(days=today.weekday())
        return day_bounds(monday, zone, 7)
    first = today.replace(day=1)
    after = (first + timedelta(days=32)).replace(day=1)
    return day_bounds(first, zone, (after - first).days)


def cmd_mix(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """Targets vs planned vs published, per pillar and channel, with the drift and a verdict each."""
    from organizer import mix
    from organizer.storage.adapters import open_storage

    now = datetime.now(UTC)
    start, end = _range(args, cfg, now)
    storage = open_storage(location, create=False)
    try:
        if args.pillars is not None or args.channels is not None:
            _save(storage, cfg, args)
        with storage.reading() as db:
            board = args.board.upper() if args.board else _default_board(db, cfg)
            result = mix.compute(db, cfg.mix, board, start, end)
    finally:
        storage.close()
    zone = ZoneInfo(cfg.timezone)
    if args.json:
        emit({"board": result.board, "range": {"from": start.astimezone(zone).isoformat(timespec="minutes"),
                                               "to": end.astimezone(zone).isoformat(timespec="minutes")},
              "planned": result.planned, "published": result.published,
              "pillars": [s.as_json("pillar") for s in result.pillars],
              "channels": [s.as_json("channel") for s in result.channels]})
        return 0
    last = (end - timedelta(seconds=1)).astimezone(zone).date()
    print(f"{result.board} · {_day(start.astimezone(zone).date())} – {_day(last)} · {result.planned} planned, "
          f"{result.published} published")
    for title, shares in (("pillars", result.pillars), ("channels", result.channels)):
        if not shares:
            continue
        print(f"  {title}:")
        for share in shares:
            print(f"    {_bar(share.planned_pct, share.target_pct)}  {share.verdict()}")
    if not result.pillars and not result.channels:
        print("  nothing with a publish time in this range")
    return 0


def _save(storage: object, cfg: Config, args: argparse.Namespace) -> None:
    """`--pillars` / `--channels`: keep the board's targets in the database (one transaction)."""
    from organizer import mix

    pillars = mix.parse_targets(args.pillars, "pillars") if args.pillars is not None else None
    channels = mix.parse_targets(args.channels, "channels") if args.channels is not None else None
    with storage.write() as session:  # type: ignore[attr-defined]
        from organizer.storage.plain import Db

        db = Db(session)
        board = args.board.upper() if args.board else _default_board(db, cfg)
        if not db.rows("SELECT 1 FROM board WHERE key = :key", {"key": board}):
            from organizer.validate import unknown_board

            raise unknown_board(board, [r[0] for r in db.rows("SELECT key FROM board ORDER BY id")])
        kept_pillars, kept_channels = mix.stored_targets(db, board)
        mix.save_targets(db, board, kept_pillars if pillars is None else pillars,
                         kept_channels if channels is None else channels)


def _default_board(db: object, cfg: Config) -> str:
    if cfg.default_board:
        return cfg.default_board.upper()
    rows = db.rows("SELECT key FROM board ORDER BY id LIMIT 1")  # type: ignore[attr-defined]
    if not rows:
        raise InputError("no board yet: add cards first (organizer add …)")
    return str(rows[0][0])


def _day(d: date) -> str:
    return f"{d:%a %d %b}"


def _bar(planned: float, target: float | None, width: int = 20) -> str:
    """`█████▌····|·····` : the planned share, with the target marked by `|`."""
    cells = [" "] * width
    filled = round(planned / 100 * width)
    for i in range(width):
        cells[i] = "█" if i < filled else "·"
    if target is not None:
        mark = min(width - 1, round(target / 100 * width))
        cells[mark] = "|"
    return "".join(cells)
