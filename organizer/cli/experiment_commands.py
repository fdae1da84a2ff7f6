"""CLI handlers for `organizer experiment`: new, assign, status, close, list (organizer.experiments.service)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from organizer.cli.common import emit
from organizer.config import Config
from organizer.validate import InputError, clean_text


def cmd_experiment(args: argparse.Namespace, cfg: Config, location: str) -> int:
    """`experiment ACTION`: new, assign, status, close, list (the default)."""
    from organizer.storage.adapters import open_storage

    action = args.experiment_command or "list"
    now = datetime.now(UTC)
    storage = open_storage(location, create=False)
    try:
        if action == "new":
            return _new(args, storage, now)
        if action == "assign":
            return _assign(args, storage)
        if action == "status":
            return _status(args, cfg, storage, now)
        if action == "close":
            return _close(args, cfg, storage, now)
        return _list(args, cfg, storage)
    finally:
        storage.close()


def _new(args: argparse.Namespace, storage: Any, now: datetime) -> int:
    from organizer.dates import parse_duration
    from organizer.experiments import service
    from organizer.storage.plain import Db

    try:
        minutes = parse_duration(args.age)
    except ValueError as exc:
        raise InputError(f"--age {args.age!r}: {exc}") from None
    if minutes % 60:
        raise InputError(f"--age {args.age!r} is not valid: give whole hours, e.g. 48h or 7d")
    describe = {}
    for item in args.describe or []:
        arm, sep, text = item.partition("=")
        if not sep:
            raise InputError(f"--describe {item!r} is not valid: use ARM=TEXT, e.g. --describe 'A=no emoji'")
        describe[arm.strip()] = clean_text(text).strip()
    with storage.write() as session:
        key = service.create(Db(session), args.key, variable=args.variable, arms=args.arms.split(","), now=now,
                             hypothesis=clean_text(args.hypothesis), metric=args.metric, eval_hours=minutes // 60,
                             min_posts=args.min_posts, describe=describe)
    if args.json:
        emit({"key": key, "arms": [a.strip() for a in args.arms.split(",") if a.strip()]})
        return 0
    first = next(a.strip() for a in args.arms.split(",") if a.strip())
    print(f"experiment {key}: {args.variable} over arms {args.arms}, read at {minutes // 60} h, "
          f"{args.min_posts} posts an arm; assign posts with: organizer experiment assign {key} {first} ID… "
          "(or --tag TAG)")
    return 0


def _assign(args: argparse.Namespace, storage: Any) -> int:
    from organizer.experiments import service
    from organizer.storage.plain import Db

    with storage.write() as session:
        db = Db(session)
        refs = list(args.ids)
        if args.tag:
            refs += [r for r in service.tagged(db, args.tag) if r not in refs]
            if not refs:
                raise InputError(f"no published post's card has the tag {args.tag!r}")
        if not refs:
            raise InputError("experiment assign needs the posts: card IDs, or --tag TAG")
        named = service.assign(db, args.key, args.arm, refs, args.channel)
    if args.json:
        emit({"key": args.key, "arm": args.arm, "posts": named})
        return 0
    print(f"{args.key} arm {args.arm}: {', '.join(named)}")
    return 0


def _status(args: argparse.Namespace, cfg: Config, storage: Any, now: datetime) -> int:
    from organizer.experiments import service

    with storage.reading() as db:
        found = service.status(db, args.key, now, cfg.timezone)
    if args.json:
        emit(status_json(found, ZoneInfo(cfg.timezone)))
        return 0
    print_status(found, ZoneInfo(cfg.timezone))
    return 0


def status_json(found: Any, zone: ZoneInfo) -> dict[str, Any]:
    """A status as JSON: the experiment, arms (n, mean, median), comparisons, verdict, warnings, posts."""
    return {
        "key": found.key, "hypothesis": found.hypothesis, "variable": found.variable, "metric": found.metric,
        "eval_hours": found.eval_hours, "min_posts": found.min_posts, "status": found.state,
        "conclusion": found.conclusion, "ready": found.ready, "verdict": found.verdict,
        "warnings": list(found.warnings),
        "arms": [{"arm": a.label, "n": a.n, "mean": a.mean, "median": a.median} for a in found.arms],
        "comparisons": [{"arm": c.arm, "reference": c.reference, "test": c.test, "statistic": c.statistic,
                         "p_value": c.p_value, "effect": c.effect, "ci": [c.ci_low, c.ci_high],
                         "relative": c.relative, "note": c.note} for c in found.comparisons],
        "posts": [{"id": p.ref, "channel": p.channel, "arm": p.arm, "value": p.value, "why_not": p.why_not or None,
                   "published": p.published_at.astimezone(zone).isoformat(timespec="minutes")
                   if p.published_at else None} for p in found.posts],
    }


def print_status(found: Any, zone: ZoneInfo) -> None:
    """A status as text (organizer.experiments.wording)."""
    from organizer.experiments.wording import status_lines

    print("\n".join(status_lines(found, zone)))


def _close(args: argparse.Namespace, cfg: Config, storage: Any, now: datetime) -> int:
    from organizer import history
    from organizer.experiments import service
    from organizer.storage.plain import Db

    if args.to_voice:
        from organizer import paths
        from organizer.config import check_config_editable

        check_config_editable(paths.config_file(), "voice")  # before closing: not a closed experiment without its note
    with storage.write() as session:
        db = Db(session)
        row = db.rows("SELECT id FROM experiment WHERE key = :key", {"key": args.key.strip().lower()})
        before = history.snapshot(session, "experiment", row[0][0]) if row else None
        conclusion, found = service.close(db, args.key, now, clean_text(args.note), cfg.timezone)
        history.record(session, f"close experiment {found.key}: {conclusion}",
                       [history.change("experiment", row[0][0], before,
                                       history.snapshot(session, "experiment", row[0][0]))])
    voice = None
    if args.to_voice:
        from organizer import paths
        from organizer.config import add_voice_note

        board = None if args.to_voice.lower() == "all" else args.to_voice.upper()
        voice = f"[voice.{board}]" if board else "[voice]"
        add_voice_note(paths.config_file(), board, f"Learned ({found.key}): {conclusion}")
    if args.json:
        emit({"key": found.key, "conclusion": conclusion, "verdict": found.verdict, "voice": voice})
        return 0
    print(f"closed {found.key}: {conclusion}")
    if voice:
        print(f"  added to the tone notes of {voice} in the config: the editor shows it to the writer")
    else:
        print("  keep it where it helps: close with --to-voice BOARD (the voice profile's tone notes), or add it to "
              "a template's notes")
    return 0


def _list(args: argparse.Namespace, cfg: Config, storage: Any) -> int:
    from organizer.experiments import service

    with storage.reading() as db:
        rows = service.listing(db)
    zone = ZoneInfo(cfg.timezone)
    if args.json:
        emit([r | {"created_at": r["created_at"].astimezone(zone).isoformat(timespec="minutes")
                   if r["created_at"] else None} for r in rows])
        return 0
    if not rows:
        print("no experiments yet: organizer experiment new KEY --variable emoji --arms A,B")
        return 0
    for r in rows:
        tail = f" · {r['conclusion']}" if r["conclusion"] else ""
        print(f"{r['key']:<20} {r['status']:<6} {r['variable']:<10} {'/'.join(r['arms']):<10} {r['posts']:>3} posts"
              f"{tail}")
    return 0
